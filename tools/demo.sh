#!/usr/bin/env bash
# `make demo`: the main job against the built-in target (barrage demo), no setup needed.
set -euo pipefail
build=${1:-build/release}
exec "$build/apps/barrage" demo "${@:2}"

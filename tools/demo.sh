#!/usr/bin/env bash
# `make demo`: the main job against the built-in target (barrage demo), no setup needed.
set -euo pipefail
build=${1:-build/release}
echo "barrage is $build/apps/barrage (\`sudo make install\` puts it on PATH as /usr/local/bin/barrage)" >&2
exec "$build/apps/barrage" demo "${@:2}"

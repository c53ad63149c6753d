#!/usr/bin/env bash
# Installs barrage from the build tree into a temporary prefix and builds examples/consumer,
# a separate CMake project, against it with find_package(barrage); then runs it.
set -euo pipefail
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
cmake -S "$src/examples/consumer" -B "$tmp/build" -G Ninja -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/build" >/dev/null
out=$("$tmp/build/consumer")
echo "$out"
[ "$out" = "status 200, body hello" ]

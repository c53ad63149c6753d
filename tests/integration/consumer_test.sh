#!/usr/bin/env bash
# Installs barrage from the build tree into a temporary prefix and builds examples/consumer,
# a separate CMake project, against it with find_package(barrage); then runs it.
#   consumer_test.sh BUILD_DIR SOURCE_DIR [SANITIZERS]
# SANITIZERS (BARRAGE_SANITIZE of the build, e.g. address,undefined): the installed libraries
# are instrumented, so the consumer is compiled and linked with the same -fsanitize.
set -euo pipefail
build=$1 src=$2 sanitize=${3:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
flags=()
if [[ -n $sanitize ]]; then
  flags=(-DCMAKE_CXX_FLAGS="-fsanitize=$sanitize -fno-sanitize-recover=all"
         -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=$sanitize")
fi
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
cmake -S "$src/examples/consumer" -B "$tmp/build" -G Ninja -DCMAKE_PREFIX_PATH="$tmp/prefix" \
  ${flags[@]+"${flags[@]}"} >/dev/null
cmake --build "$tmp/build" >/dev/null
out=$("$tmp/build/consumer")
echo "$out"
[ "$out" = "status 200, body hello" ]

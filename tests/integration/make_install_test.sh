#!/usr/bin/env bash
# `make install` puts barrage on PATH: PREFIX defaults to /usr/local, and
# `make install PREFIX=DIR` gives an executable DIR/bin/barrage that runs.
#   make_install_test.sh SOURCE_DIR BUILD_DIR
# Runs the Makefile's own install recipe with `-o build` (the tree is already built: a test
# must not rebuild the tree the other tests are running from).
set -euo pipefail
src=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

dry=$(make -C "$src" --no-print-directory -n -o build install BUILD="$build")
grep -q -- '--prefix "/usr/local"' <<<"$dry" || fail "the default PREFIX is not /usr/local: $dry"

make -C "$src" --no-print-directory -o build install PREFIX="$tmp/prefix" BUILD="$build" >"$tmp/log" 2>&1 ||
  fail "make install PREFIX=$tmp/prefix failed: $(cat "$tmp/log")"
[ -x "$tmp/prefix/bin/barrage" ] || fail "no executable $tmp/prefix/bin/barrage after make install PREFIX=$tmp/prefix"
help=$(PATH="$tmp/prefix/bin:$PATH" barrage --help) || fail "barrage --help from PATH failed"
grep -q -- '--connections' <<<"$help" || fail "barrage --help does not describe the options: $help"
echo "make install PREFIX=DIR: DIR/bin/barrage runs --help; default PREFIX /usr/local"

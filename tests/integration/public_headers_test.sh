#!/usr/bin/env bash
# The library's supported surface (cmake/public_headers.cmake, docs/library.md) as installed:
# each public header compiles on its own from the installed prefix (so everything it includes
# is installed too), and the load generator's headers, which are not part of it, are not.
#   public_headers_test.sh BUILD_DIR CXX [SANITIZERS]
set -euo pipefail
build=$1 cxx=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
inc=$tmp/prefix/include/barrage
mapfile -t public <"$build/public_headers.txt"
[ ${#public[@]} -gt 0 ] || fail "no public headers listed in $build/public_headers.txt"
for h in "${public[@]}"; do
  [ -f "$inc/$h" ] || fail "public header $h is not installed"
done
# One translation unit per header, two compilers at a time.
compile() {  # compile HEADER: its errors, or nothing
  printf '#include <%s>\nint main() { return 0; }\n' "$1" >"$tmp/$(tr / _ <<<"$1").cpp"
  "$cxx" -std=c++20 -fsyntax-only -I"$inc" "$tmp/$(tr / _ <<<"$1").cpp" 2>&1 | head -5
}
export -f compile
export cxx inc tmp
failed=$(printf '%s\n' "${public[@]}" | xargs -P 2 -I{} bash -c 'out=$(compile {}); [ -z "$out" ] || echo "{}: $out"')
[ -z "$failed" ] || fail "public headers that do not compile alone from the installed prefix:
$failed"
[ ! -e "$inc/loadgen" ] || fail "the load generator's headers are installed: $(ls "$inc/loadgen" | head -3)"
installed=$(cd "$inc" && find . -name '*.hpp' | wc -l)
in_tree=$(find "$(dirname "$0")/../../src" -name '*.hpp' | wc -l)
echo "${#public[@]} public headers compile alone from the installed prefix; $installed headers installed" \
  "(they and what they include) of $in_tree in src/; none of loadgen/"

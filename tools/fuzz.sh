#!/usr/bin/env bash
# usage: tools/fuzz.sh SECONDS_TOTAL
#
# Builds the libFuzzer harnesses (preset `fuzz`: clang, ASan+UBSan) and runs each one for an
# equal share of SECONDS_TOTAL on a scratch copy of its seed corpus
# (tests/fuzz/corpus/<harness>/). New inputs and crash reproducers go to a temporary
# directory, never into the repository. Exits 1 if any harness crashed (its reproducers and
# log are kept and their paths printed), 0 otherwise.
#
# FUZZ_BUILD_DIR=dir: use that already configured build directory instead of the preset.
set -euo pipefail

if [[ $# -ne 1 || ! $1 =~ ^[0-9]+$ || $1 -eq 0 ]]; then
  echo "usage: $0 SECONDS_TOTAL" >&2
  exit 2
fi
total=$1
cd "$(dirname "$0")/.."

harnesses=()
for src in tests/fuzz/fuzz_*.cpp; do harnesses+=("$(basename "$src" .cpp)"); done
per=$((total / ${#harnesses[@]}))
((per >= 1)) || per=1

build=${FUZZ_BUILD_DIR:-build/fuzz}
if [[ -z ${FUZZ_BUILD_DIR:-} ]]; then
  cmake --preset fuzz >/dev/null
fi
# Only the harnesses: the rest of the tree is not needed to fuzz the codec.
cmake --build "$build" -j2 --target "${harnesses[@]}"

work=$(mktemp -d "${TMPDIR:-/tmp}/barrage-fuzz.XXXXXX")
failed=()
for h in "${harnesses[@]}"; do
  bin=$(find "$build" -type f -name "$h" -perm -u+x | head -n 1)
  mkdir -p "$work/$h/corpus" "$work/$h/artifacts"
  if [[ -d tests/fuzz/corpus/$h ]]; then cp -R "tests/fuzz/corpus/$h/." "$work/$h/corpus/"; fi
  args=(-max_total_time="$per" -print_final_stats=1 -artifact_prefix="$work/$h/artifacts/")
  # A harness's own dictionary (tests/fuzz/<name>.dict without the fuzz_ and _parser), or
  # the HTTP one for the HTTP head parsers.
  dict=${h#fuzz_}; dict=tests/fuzz/${dict%_parser}.dict
  if [[ -f $dict ]]; then
    args+=(-dict="$dict")
  elif [[ $h == fuzz_request_parser || $h == fuzz_response_parser ]]; then
    args+=(-dict=tests/fuzz/http.dict)
  fi
  echo "== $h: ${per}s"
  if "$bin" "${args[@]}" "$work/$h/corpus" >"$work/$h/log" 2>&1; then
    execs=$(awk '/^stat::number_of_executed_units/ {print $2}' "$work/$h/log")
    echo "   clean: ${execs:-?} executions, $(find "$work/$h/corpus" -type f | wc -l) corpus inputs"
  else
    echo "   CRASH: log $work/$h/log"
    find "$work/$h/artifacts" -type f | sed 's/^/   reproducer: /'
    failed+=("$h")
  fi
done

if ((${#failed[@]} > 0)); then
  echo "fuzz: ${#failed[@]} of ${#harnesses[@]} harnesses crashed: ${failed[*]}"
  exit 1
fi
rm -rf "$work"
echo "fuzz: ${#harnesses[@]} harnesses clean"

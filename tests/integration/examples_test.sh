#!/usr/bin/env bash
# Runs one example program and checks its output: examples_test.sh <name> <binary>
# The checks are on figures the programs measure, never on fixed text alone.
set -euo pipefail
name=$1
bin=$2

fail() {
  echo "FAIL ($name): $*" >&2
  echo "--- output ---" >&2
  echo "$out" >&2
  exit 1
}
# field <regex with one (number) group>: the first match in the output
field() { sed -nE "s/.*$1.*/\\1/p" <<<"$out" | head -n1; }
# within <value> <low> <high>
within() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'; }

case $name in
  gather)
    out=$("$bin")
    echo "$out"
    [[ $(grep -c '^request [0-9]*: 200 OK' <<<"$out") == 10 ]] || fail "expected 10 responses"
    elapsed=$(field 'elapsed ([0-9.]+) s')
    [[ -n $elapsed ]] || fail "no elapsed time"
    # Ten concurrent 0.5 s waits: about 0.5 s (within 5 %), not 5 s.
    within "$elapsed" 0.475 0.525 || fail "elapsed $elapsed s is not 0.5 s within 5 %"
    ;;
  api_batch)
    out=$("$bin" --quick)
    echo "$out"
    elapsed=$(field 'elapsed ([0-9.]+) s, expected')
    expected=$(field 'expected ([0-9.]+) s')
    [[ -n $elapsed && -n $expected ]] || fail "no elapsed/expected figures"
    # The I/O waits overlap and the CPU work is shared by the pool: close to the expected
    # figure (some slack above for a busy machine), far below one-after-another.
    lo=$(awk -v e="$expected" 'BEGIN { print e * 0.7 }')
    hi=$(awk -v e="$expected" 'BEGIN { print e * 1.6 }')
    within "$elapsed" "$lo" "$hi" || fail "elapsed $elapsed s, expected about $expected s"
    ;;
  bounded)
    out=$("$bin" --quick)
    echo "$out"
    grep -q 'completed 100000, peak in flight 1000,' <<<"$out" || fail "part 1 did not complete 100000 tasks with at most 1000 in flight"
    grep -q 'part 2: 100000 tasks sleeping at once' <<<"$out" || fail "part 2 did not suspend 100000 tasks"
    grep -q 'part 2: 100000 woke' <<<"$out" || fail "part 2 tasks did not all wake"
    per_task=$(field '([0-9]+) bytes per suspended task')
    [[ -n $per_task ]] || fail "no bytes-per-task figure"
    # What a suspended task costs today (docs/runtime.md): about 0.5 KB; catch regressions.
    within "$per_task" 1 1024 || fail "$per_task bytes per suspended task"
    peak=$(field 'part 1: peak RSS ([0-9.]+) MB')
    within "$peak" 0 64 || fail "part 1 peak RSS $peak MB: the semaphore did not bound memory"
    ;;
  blocking)
    out=$("$bin")
    echo "$out"
    grep -q 'slow step: task "report-generator" held the loop for' <<<"$out" || fail "the hook did not name the blocking task"
    blocking=$(field 'summary: blocking ([0-9]+) slow step')
    offloaded=$(field 'to_thread ([0-9]+) slow step')
    [[ $blocking -ge 1 ]] || fail "the blocking call was not detected"
    [[ $offloaded -eq 0 ]] || fail "to_thread still produced $offloaded slow step(s)"
    ;;
  *)
    echo "unknown example: $name" >&2
    exit 2
    ;;
esac
echo "PASS ($name)"

#!/usr/bin/env bash
# Runs an integration test so that a sanitizer report from any process it starts fails it:
#   sanitizer_reports.sh COMMAND [ARGS...]
# Every ASan/LSan/UBSan/TSan report goes to a scratch directory (log_path, one file per
# process) instead of a stderr the test may capture, ignore or never see (a server killed at
# the end, a generator whose exit status is not the point of the case). After COMMAND, any
# report is printed and the test fails (exit 1); otherwise COMMAND's exit status is kept
# (77 = skipped included). The options set by the caller (make test-asan) are kept.
set -u
(($# > 0)) || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/barrage-sanitizer.XXXXXX")
trap 'rm -rf "$dir"' EXIT
for tool in ASAN UBSAN TSAN; do
  var=${tool}_OPTIONS
  export "$var=${!var:+${!var}:}log_path=$dir/${tool,,}"
done

"$@"
status=$?

shopt -s nullglob
reports=("$dir"/*)
if ((${#reports[@]} > 0)); then
  for f in "${reports[@]}"; do
    echo "=== sanitizer report ${f##*/} ==="
    cat "$f"
  done
  echo "FAIL: ${#reports[@]} sanitizer report(s) (the test itself exited $status)"
  exit 1
fi
exit $status

#!/usr/bin/env bash
# examples/api_service as installed: `cmake --install` puts bin/barrage-api-service and the
# example's sources in share/barrage/examples/api_service; those sources build as a project
# of their own against the installed package, and the program they make serves its items
# and stops on SIGTERM.
#   api_service_installed_test.sh BUILD_DIR [SANITIZERS]
set -euo pipefail
build=$1 sanitize=${2:-}
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
flags=()
if [[ -n $sanitize ]]; then
  flags=(-DCMAKE_CXX_FLAGS="-fsanitize=$sanitize -fno-sanitize-recover=all"
         -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=$sanitize")
fi
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
[ -x "$tmp/prefix/bin/barrage-api-service" ] || fail "no bin/barrage-api-service installed"
"$tmp/prefix/bin/barrage-api-service" --help | grep -q -- '--block-loop' || fail "barrage-api-service --help"
src=$tmp/prefix/share/barrage/examples/api_service
[ -f "$src/CMakeLists.txt" ] && [ -f "$src/alerts.yml" ] || fail "the example's sources are not installed in $src"
cmake -S "$src" -B "$tmp/build" -G Ninja -DCMAKE_PREFIX_PATH="$tmp/prefix" ${flags[@]+"${flags[@]}"} >"$tmp/log" 2>&1 ||
  fail "configuring the installed example: $(tail -5 "$tmp/log")"
cmake --build "$tmp/build" --target api_service step1_hello >"$tmp/log" 2>&1 ||
  fail "building the installed example: $(tail -20 "$tmp/log")"

"$tmp/build/api_service" --listen 127.0.0.1:0 --no-access-log 2>"$tmp/err" &
pid=$!
for _ in $(seq 50); do grep -q 'listening on' "$tmp/err" && break; sleep 0.1; done
addr=$(sed -nE 's|.*listening on http://([^ ]+).*|\1|p' "$tmp/err" | head -1)
[ -n "$addr" ] || fail "the standalone build did not start: $(cat "$tmp/err")"
item=$(curl -sS --max-time 5 "http://$addr/items/3")
[ "$item" = '{"id":3,"name":"gizmo","price":99.99}' ] || fail "GET /items/3 answered: $item"
kill -TERM "$pid"
wait "$pid" || fail "exit status $? after SIGTERM"
pid=
echo "installed: bin/barrage-api-service; the example built from share/barrage/examples/api_service against" \
  "the package served GET /items/3 = $item and stopped on SIGTERM"

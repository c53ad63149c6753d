#!/usr/bin/env bash
# Fails when a layer includes a header of a layer it may not depend on (docs/architecture.md).
set -u
cd "$(dirname "$0")/.."
declare -A allowed=(
  [base]="base"
  [runtime]="base runtime"
  [http]="base http"
  [h2]="base h2"
  [ws]="base http ws"
  [net]="base runtime net"
  [client]="base runtime net http h2 ws client"
  [server]="base runtime net http h2 ws server"
  [loadgen]="base runtime net http h2 ws client loadgen"
  [report]="base loadgen report"
)
bad=0
for layer in "${!allowed[@]}"; do
  [ -d "src/$layer" ] || continue
  while IFS= read -r line; do
    file=${line%%:*}
    inc=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$line")
    if ! grep -qw "$inc" <<<"${allowed[$layer]}"; then
      echo "layer violation: $file includes $inc/ (src/$layer may use: ${allowed[$layer]})"
      bad=1
    fi
  done < <(grep -HE '^#include "[a-z_]+/' src/"$layer"/*.hpp src/"$layer"/*.cpp 2>/dev/null)
done
[ $bad -eq 0 ] && echo "layers: every include points down"
exit $bad

#!/usr/bin/env bash
# Installs the Debian packages barrage needs, when any is missing.
# As root: apt-get install -y. Otherwise: prints the one line to run and exits 1.
set -euo pipefail

build_pkgs=(g++ cmake make ninja-build pkg-config git
  libgtest-dev libgmock-dev libbenchmark-dev
  libfmt-dev nlohmann-json3-dev libcli11-dev libc-ares-dev liburing-dev libssl-dev libnghttp2-dev zlib1g-dev
  libwslay-dev libyaml-cpp-dev
  clang libclang-rt-14-dev
  python3 dpkg-dev)
# python3: the man page and completions are made from --help at build time (packaging/manual.py);
# dpkg-dev: dpkg-shlibdeps, the .deb's Depends (make package).
# Real peers for the integration tests and benchmarks (openssl: s_server and x509 in the TLS tests;
# hey, h2load from nghttp2-client and ab from apache2-utils: the TLS comparisons; promtool from
# prometheus and python3-yaml: the API example's alert rules evaluated on its /metrics; chromium
# and python3-websockets: the HTML report opened in a headless browser, driven over its
# DevTools protocol).
peer_pkgs=(nginx-light lighttpd curl wrk apache2-utils hey nghttp2-client python3 python3-aiohttp python3-uvloop python3-yaml dnsmasq-base openssl
  prometheus chromium python3-websockets
  zsh groff-base debootstrap
  python3-h2 h2o python3-locust)
# python3-h2, h2o: HTTP/2 peers of barrage serve and of the generator; python3-locust: the
# scenario benchmark's competitor.
# zsh and groff: the generated completion and man page are loaded in a test; debootstrap: make test-package.
# chromium and python3-websockets: the HTML report's browser test.

pkgs=("${build_pkgs[@]}")
[ "${BARRAGE_BUILD_ONLY:-0}" = 1 ] || pkgs+=("${peer_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Test tools and report libraries from the npm registry, pinned, installed into .npm-tools/
# (git-ignored; tests find them through tools/npm-path.sh). One line each: name@version.
# hdr-histogram-js: the --hdr-log test's reader. kubernetes-models, js-yaml: barrage k8s's manifests
# validated against the Kubernetes API schema.
# ws: the Node WebSocket server and client the WebSocket tests and benchmark run against.
npm_pkgs=(hdr-histogram-js@3.0.1 kubernetes-models@5.1.0 js-yaml@4.1.0 ws@8.18.0)
# npm packages the build itself reads (also with BARRAGE_BUILD_ONLY=1): uPlot, inlined into the
# HTML report at build time (src/report/CMakeLists.txt reads .npm-tools/node_modules/uplot/dist).
npm_build_pkgs=(uplot@1.6.32)
# Benchmark-only competitors, with BARRAGE_BENCH_TOOLS=1 (make bench, make bench-scenarios, the ws
# echo ratio): Artillery, 590 MB installed, into .npm-bench/ so that make test and CI never
# fetch it. Its Playwright engine would download a browser at install time: skipped (no browser
# is used here, and nothing is downloaded outside the registry).
npm_bench_pkgs=(artillery@2.0.21)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "barrage: missing packages; run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "barrage: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || true
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

root=$(cd "$(dirname "$0")/.." && pwd)
npm_all=("${npm_build_pkgs[@]}")
[ "${BARRAGE_BUILD_ONLY:-0}" = 1 ] || npm_all+=("${npm_pkgs[@]}")
for p in "${npm_all[@]}"; do
  name=${p%@*} version=${p##*@}
  have=$(node -p "require('$root/.npm-tools/node_modules/$name/package.json').version" 2>/dev/null || true)
  [ "$have" = "$version" ] && continue
  echo "barrage: installing $p (npm) into .npm-tools/" >&2
  npm install --silent --no-audit --no-fund --prefix "$root/.npm-tools" "$p" >/dev/null
done
if [ "${BARRAGE_BENCH_TOOLS:-0}" = 1 ]; then
  for p in "${npm_bench_pkgs[@]}"; do
    name=${p%@*} version=${p##*@}
    have=$(node -p "require('$root/.npm-bench/node_modules/$name/package.json').version" 2>/dev/null || true)
    [ "$have" = "$version" ] && continue
    echo "barrage: installing $p (npm, benchmarks only) into .npm-bench/" >&2
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --silent --no-audit --no-fund --prefix "$root/.npm-bench" "$p" >/dev/null
  done
fi
exit 0

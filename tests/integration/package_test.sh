#!/usr/bin/env bash
# The Debian packages `make package` makes, checked without installing them (make test-package
# installs the .deb in a fresh Debian root):
#   barrage_<version>_<arch>.deb   /usr/bin/barrage, its man page, bash and zsh completions, the
#       README and docs/; Depends from dpkg-shlibdeps (libssl3, libfmt9, ... with versions);
#       maintainer, section, description; no headers or libraries;
#   barrage-dev_<version>_<arch>.deb  headers, static libraries and the CMake package: another
#       project (examples/consumer) builds against the unpacked package with find_package(barrage)
#       and its program runs;
#   the container image's context (packaging/image-context.sh): what the Dockerfile COPYs.
#   package_test.sh BUILD_DIR SOURCE_DIR
# cpack runs into a temporary directory: the build directory is left as it is.
set -euo pipefail
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cpack --config "$build/CPackConfig.cmake" -G DEB -B "$tmp/out" >"$tmp/cpack.log" 2>&1 ||
  fail "cpack failed: $(tail -n 20 "$tmp/cpack.log")"
version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
arch=$(dpkg --print-architecture)
deb=$tmp/out/barrage_${version}_${arch}.deb dev=$tmp/out/barrage-dev_${version}_${arch}.deb
[ -f "$deb" ] && [ -f "$dev" ] || fail "no barrage_${version}_${arch}.deb and barrage-dev_...: $(ls "$tmp/out")"
echo "made $(basename "$deb") and $(basename "$dev")"

files=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/bin/barrage ./usr/share/man/man1/barrage.1.gz ./usr/share/bash-completion/completions/barrage \
         ./usr/share/zsh/vendor-completions/_barrage ./usr/share/doc/barrage/README.md \
         ./usr/share/doc/barrage/report.md ./usr/share/doc/barrage/report.schema.json; do
  grep -qx -- "$f" <<<"$files" || fail "$f is not in $(basename "$deb")"
done
for d in "$src"/docs/*.md; do
  grep -qx -- "./usr/share/doc/barrage/$(basename "$d")" <<<"$files" || fail "docs/$(basename "$d") is not in the .deb"
done
! grep -E '^\./usr/(include|lib)/' <<<"$files" || fail "headers or libraries in the program's package"
dpkg-deb -x "$deb" "$tmp/root"
cmp -s <(gzip -dc "$tmp/root/usr/share/man/man1/barrage.1.gz") "$build/manual/barrage.1" ||
  fail "the packaged man page is not the build's"
"$tmp/root/usr/bin/barrage" --version >/dev/null || fail "the packaged barrage does not run"

depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for lib in libc6 libstdc\\+\\+6 libssl3 libfmt9 libc-ares2 liburing2 libnghttp2-14; do
  grep -Eq "(^|, )$lib \(>= [^)]+\)" <<<"$depends" || fail "Depends lacks a versioned $lib: $depends"
done
for field in Maintainer Section Description; do
  [ -n "$(dpkg-deb -f "$deb" "$field")" ] || fail "no $field in the .deb"
done
echo "Section: $(dpkg-deb -f "$deb" Section); Maintainer: $(dpkg-deb -f "$deb" Maintainer)"

devfiles=$(dpkg-deb -c "$dev" | awk '{print $6}')
for f in ./usr/include/barrage/server/server.hpp ./usr/lib/cmake/barrage/barrageConfig.cmake \
         ./usr/lib/libbarrage_runtime.a; do
  grep -qx -- "$f" <<<"$devfiles" || fail "$f is not in $(basename "$dev")"
done
! grep -q '^\./usr/bin/' <<<"$devfiles" || fail "the -dev package holds programs"
dpkg-deb -x "$dev" "$tmp/dev"
cmake -S "$src/examples/consumer" -B "$tmp/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$tmp/dev/usr" \
  >"$tmp/consumer.log" 2>&1 && cmake --build "$tmp/consumer" >>"$tmp/consumer.log" 2>&1 ||
  fail "examples/consumer does not build against barrage-dev: $(tail -n 20 "$tmp/consumer.log")"
out=$("$tmp/consumer/consumer")
[ "$out" = "status 200, body hello" ] || fail "the consumer built against barrage-dev printed: $out"
echo "examples/consumer built with find_package(barrage) from the unpacked barrage-dev: $out"

"$src/packaging/image-context.sh" "$tmp/out" "$tmp/image" >/dev/null
while read -r _ args; do
  for f in ${args% *}; do [ -f "$tmp/image/$f" ] || fail "the Dockerfile COPYs $f, not in the image context"; done
done < <(grep '^COPY ' "$src/packaging/Dockerfile")
echo "PASS"

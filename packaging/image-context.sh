#!/usr/bin/env bash
# The build context of the container image: packaging/Dockerfile, packaging/image-install.sh and
# the barrage .deb of BUILD_DIR (made by `make package`) as barrage.deb, in OUT_DIR.
#   image-context.sh BUILD_DIR OUT_DIR
set -euo pipefail
build=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
debs=("$build"/barrage_*.deb)
if [ ! -f "${debs[0]}" ] || [ ${#debs[@]} -ne 1 ]; then
  echo "image-context.sh: want exactly one $build/barrage_*.deb (make package), found: ${debs[*]}" >&2
  exit 1
fi
rm -rf "$out"
mkdir -p "$out"
cp "$here/Dockerfile" "$here/image-install.sh" "$out/"
cp "${debs[0]}" "$out/barrage.deb"
echo "$out: Dockerfile, image-install.sh, barrage.deb (from ${debs[0]})"

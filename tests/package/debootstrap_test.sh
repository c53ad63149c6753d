#!/usr/bin/env bash
# barrage's .deb in a fresh Debian 12 root, installed with the container image's own steps, and
# run from PATH (`make test-package`; docs/packaging.md). Needs root (debootstrap, chroot, mount)
# and the Debian mirror apt uses here; takes about a minute, most of it debootstrap: not in
# `make test`.
#   debootstrap_test.sh BUILD_DIR
# 1. debootstrap --variant=minbase bookworm into a temporary root, from the mirror of this
#    machine's /etc/apt/sources.list(.d) (or $DEBIAN_MIRROR), with that apt configuration;
# 2. the image's build context (packaging/image-context.sh), checked against the Dockerfile:
#    what it COPYs exists, it RUNs image-install.sh, USER is the unprivileged user the script adds;
# 3. image-install.sh in the root (apt-get install ./barrage.deb: its Depends from the archive);
# 4. as that user, from PATH: barrage --version, barrage demo -d 2s (its report checked);
# 5. the man page where man finds it (man -w, and rendered), the completions, the docs.
# /proc (and /dev/pts) are mounted in the root for the run and always unmounted, on failure too.
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, chroot, mount): sudo make test-package"
command -v debootstrap >/dev/null || fail "no debootstrap (tools/install-deps.sh installs it)"

tmp=$(mktemp -d /tmp/barrage-debootstrap.XXXXXX)
root=$tmp/root
cleanup() {
  for m in "$root/dev/pts" "$root/proc"; do
    if mountpoint -q "$m" 2>/dev/null; then umount -l "$m" || echo "could not unmount $m" >&2; fi
  done
  # Never delete through a mount point that is still there.
  if ! grep -q " $root/" /proc/mounts; then rm -rf "$tmp"; else echo "left $tmp: still mounted" >&2; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM
step() { echo "== $* ($SECONDS s)"; }

# The archive this machine's apt uses (a deb822 URIs: line or a one-line deb entry).
mirror=${DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$( (cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true) |
    sed -nE 's#^URIs:[[:space:]]*(\S+/debian)/?$#\1#p; s#^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?(\S+/debian)/?[[:space:]]+bookworm[[:space:]].*#\2#p' |
    head -n1 || true)
fi
mirror=${mirror:-http://deb.debian.org/debian}

step "debootstrap --variant=minbase bookworm from $mirror"
t0=$SECONDS
# The downloaded .debs are kept (in the build directory) for the next run: a fresh root each time,
# without fetching the same archives again.
cache=${DEBOOTSTRAP_CACHE:-$build/debootstrap-cache}
mkdir -p "$cache"
debootstrap --variant=minbase --cache-dir="$cache" bookworm "$root" "$mirror" >"$tmp/debootstrap.log" 2>&1 ||
  fail "debootstrap failed: $(tail -n 20 "$tmp/debootstrap.log")"
echo "debootstrap took $((SECONDS - t0)) s"
# apt in the root as on this machine: its Debian sources (not third-party ones), DNS.
if [ -s /etc/apt/sources.list.d/debian.sources ]; then
  cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
  rm -f "$root/etc/apt/sources.list"
elif grep -q '^deb ' /etc/apt/sources.list 2>/dev/null; then
  grep -E '^deb .*/debian(-security)?/? ' /etc/apt/sources.list >"$root/etc/apt/sources.list"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
mount -t devpts devpts "$root/dev/pts" 2>/dev/null || true

step "the image's build context, checked against packaging/Dockerfile"
ctx=$tmp/context
"$src/packaging/image-context.sh" "$build" "$ctx"
dockerfile=$ctx/Dockerfile
grep -qx 'FROM debian:12-slim' "$dockerfile" || fail "the Dockerfile is not FROM debian:12-slim"
while read -r _ args; do
  for f in ${args% *}; do [ -f "$ctx/$f" ] || fail "the Dockerfile COPYs $f, not in the context"; done
done < <(grep '^COPY ' "$dockerfile")
grep -q '^RUN sh /tmp/image-install.sh /tmp/barrage.deb' "$dockerfile" || fail "the Dockerfile does not RUN image-install.sh"
user=$(sed -n 's/^USER //p' "$dockerfile")
[ -n "$user" ] && [ "${user%%:*}" != 0 ] && [ "${user%%:*}" != root ] || fail "the image runs as root (USER '$user')"
grep -qx 'ENTRYPOINT \["barrage"\]' "$dockerfile" || fail "the Dockerfile's ENTRYPOINT is not barrage"

step "image-install.sh in the root (as the Dockerfile's RUN)"
cp "$ctx/barrage.deb" "$ctx/image-install.sh" "$root/tmp/"
chroot "$root" sh /tmp/image-install.sh /tmp/barrage.deb >"$tmp/install.log" 2>&1 ||
  fail "image-install.sh failed in the root: $(tail -n 30 "$tmp/install.log")"
grep -E '^(Get|Selecting|Setting up)' "$tmp/install.log" | grep -E '^Setting up' | sed 's/^/  /'
[ ! -e "$root/tmp/barrage.deb" ] || fail "image-install.sh left the .deb behind"
[ -z "$(ls -A "$root/var/lib/apt/lists" | grep -v '^lock$\|^partial$' || true)" ] || fail "apt lists left in the image"
[ "$(chroot "$root" id -u barrage)" = "${user%%:*}" ] || fail "user barrage's uid is not the Dockerfile's USER $user"

step "barrage from PATH, as $user"
runas=(chroot --userspec="$user" "$root" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/home/barrage)
[ "$("${runas[@]}" sh -c 'command -v barrage')" = /usr/bin/barrage ] || fail "barrage is not /usr/bin/barrage on PATH"
"${runas[@]}" barrage --version
"${runas[@]}" barrage demo -d 2s -c 50 >"$tmp/demo.out" 2>&1 || fail "barrage demo -d 2s failed: $(cat "$tmp/demo.out")"
cat "$tmp/demo.out"
grep -Eq 'started +[1-9]' "$tmp/demo.out" || fail "the demo's report shows no requests started"

step "man page, completions, docs"
chroot "$root" apt-get update -q >/dev/null
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends man-db >/dev/null
page=$(chroot "$root" man -w barrage) || fail "man -w barrage finds no page"
echo "man -w barrage: $page"
chroot "$root" env MANWIDTH=100 man barrage 2>/dev/null | grep -q -- '--connections' || fail "man barrage does not describe --connections"
for f in /usr/share/bash-completion/completions/barrage /usr/share/zsh/vendor-completions/_barrage \
         /usr/share/doc/barrage/README.md /usr/share/doc/barrage/report.md; do
  [ -s "$root$f" ] || fail "$f is not installed"
done
chroot "$root" dpkg -s barrage | sed -n 's/^\(Version\|Depends\): /  &/p'
echo "PASS: the .deb installs in a fresh Debian 12 root with the image's steps; barrage demo ran from PATH as $user ($SECONDS s)"

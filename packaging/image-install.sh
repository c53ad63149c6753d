#!/bin/sh
# The container image's one build step (packaging/Dockerfile), also run by the package test in
# a fresh Debian root: installs barrage's .deb with apt, so that its Depends come from the
# archive and nothing else does (no Recommends), leaves no apt lists or .deb behind, and adds
# the unprivileged user barrage runs as (uid and gid 10001, as the Dockerfile's USER says).
#   image-install.sh DEB
set -eu
deb=$1
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "$deb"
apt-get clean
rm -rf /var/lib/apt/lists/* "$deb"
groupadd --system --gid 10001 barrage
useradd --system --uid 10001 --gid 10001 --home-dir /home/barrage --create-home \
  --shell /usr/sbin/nologin barrage

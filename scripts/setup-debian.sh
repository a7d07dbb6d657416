#!/bin/sh
# gridr: install every Debian 12 package the build, the tests and the sample job need.
# Idempotent and non-interactive; run as root (or through sudo).
set -eu
PKGS="build-essential autoconf automake libtool pkg-config
      libgdal-dev gdal-bin libtiff-dev libcunit1-dev libjansson-dev
      python3 python3-numpy python3-scipy python3-gdal
      valgrind clang-format git"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
    echo "setup-debian: all packages already installed"
    exit 0
fi
echo "setup-debian: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing

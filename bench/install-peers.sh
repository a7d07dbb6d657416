#!/bin/sh
# gridr: install the peer tools the side-by-side benchmark (make bench) compares gridr-run with.
# Idempotent and non-interactive; run as root (or through sudo). The benchmark itself installs
# nothing: a peer that is missing is reported as "not installed" in its table.
#   sh bench/install-peers.sh              GDAL CLI, OpenCV (python3), libvips CLI + headers,
#                                          GNU time, hyperfine, python3-gdal/numpy (test data)
#   sh bench/install-peers.sh --with-otb   also Orfeo ToolBox (otb-bin, ~1 GB installed)
set -eu
PKGS="gdal-bin python3-gdal python3-numpy python3-opencv libvips-tools libvips-dev
      pkg-config gcc hyperfine time"
for arg in "$@"; do
    case $arg in
    --with-otb) PKGS="$PKGS otb-bin" ;;
    -h | --help)
        sed -n '2,8s/^# \{0,1\}//p' "$0"
        exit 0
        ;;
    *)
        echo "install-peers: unknown option '$arg' (only --with-otb)" >&2
        exit 2
        ;;
    esac
done
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
    echo "install-peers: all packages already installed"
    exit 0
fi
echo "install-peers: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing

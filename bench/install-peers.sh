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
# shellcheck disable=SC2086
exec sh "$(dirname "$0")/../scripts/apt-install-missing.sh" install-peers $PKGS

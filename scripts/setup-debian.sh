#!/bin/sh
# gridr: install every Debian 12 package the build, the tests and the sample job need.
# Idempotent and non-interactive; run as root (or it uses sudo).
set -eu
exec sh "$(dirname "$0")/apt-install-missing.sh" setup-debian \
    build-essential autoconf automake libtool pkg-config \
    libgdal-dev gdal-bin libtiff-dev libdeflate-dev libcunit1-dev libjansson-dev \
    python3 python3-numpy python3-scipy python3-gdal \
    valgrind clang-format git \
    clang-14 libfuzzer-14-dev libomp-14-dev \
    libzstd-dev python3-dev python3-pytest openmpi-bin libopenmpi-dev

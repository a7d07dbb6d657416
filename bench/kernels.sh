#!/bin/sh
# gridr bench: build and run bench_kernels (gridr vs scipy.ndimage.map_coordinates) from a build
# directory: sh <srcdir>/bench/kernels.sh [bench_kernels options]. Needs python3 + scipy for the
# scipy columns (set GRIDR_BENCH_PYTHON to pick the interpreter).
set -eu
make bench/bench_kernels >/dev/null
exec ./bench/bench_kernels "$@"

#!/bin/sh
# gridr test: the grid and resample suites on the SSE2 kernels (GRIDR_NO_AVX2=1), so that the
# build a CPU without AVX2 would run is tested too.
set -eu
builddir=${GRIDR_BUILDDIR:-.}
GRIDR_NO_AVX2=1 "$builddir/tests/unit" grid
GRIDR_NO_AVX2=1 "$builddir/tests/unit" resample

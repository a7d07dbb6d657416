#!/bin/sh
# gridr test: gridr's nearest, linear and B-spline 3/5 agree with scipy.ndimage.map_coordinates
# on interior pixels (tests/scipy_check.py through tests/resample_tool). Skips (77) without a
# python3 that has numpy and scipy.
set -u
srcdir=${GRIDR_SRCDIR:-$(dirname "$0")/../..}
builddir=${GRIDR_BUILDDIR:-.}
for py in "${PYTHON3:-}" python3 /usr/bin/python3; do
    [ -n "$py" ] || continue
    if "$py" -c 'import numpy, scipy.ndimage' >/dev/null 2>&1; then
        exec "$py" "$srcdir/tests/scipy_check.py" "$builddir/tests/resample_tool"
    fi
done
echo "scipy_check: no python3 with numpy and scipy; skipping"
exit 77

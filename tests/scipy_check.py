#!/usr/bin/env python3
"""gridr test: compare gridr's kernels with scipy.ndimage.map_coordinates on interior pixels.

Usage: scipy_check.py RESAMPLE_TOOL
Exit 0 when every comparison is within tolerance, 1 otherwise (77 when numpy/scipy is missing).
nearest = order 0 (random positions: no ties), linear = order 1, bspline3/5 = order 3/5 with
prefilter (gridr with eps 1e-12, compared >= 40 px from the edges, where the boundary handling
of either side has decayed below 1e-12).
"""
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    from scipy import ndimage
except ImportError:
    print("scipy_check: numpy/scipy not available, skipping")
    sys.exit(77)


def run_tool(tool, kernel, eps, img, rows, cols, d):
    n, m = rows.shape
    paths = [os.path.join(d, x) for x in ("img", "rows", "cols", "out", "mask")]
    img.astype(np.float64).tofile(paths[0])
    rows.astype(np.float64).tofile(paths[1])
    cols.astype(np.float64).tofile(paths[2])
    subprocess.run([tool, kernel, repr(eps), str(img.shape[0]), str(img.shape[1]), str(n), str(m)]
                   + paths, check=True)
    out = np.fromfile(paths[3]).reshape(n, m)
    mask = np.fromfile(paths[4], dtype=np.uint8).reshape(n, m)
    return out, mask


def main():
    tool = sys.argv[1]
    rng = np.random.default_rng(7)
    R, C = 110, 120
    y, x = np.mgrid[0:R, 0:C]
    img = 50 + 30 * np.sin(0.11 * x + 0.07 * y) + 10 * rng.standard_normal((R, C))
    # A rotated, scaled, noisy warp of the raster onto itself (targets mostly inside).
    n, m = 100, 105
    i, j = np.mgrid[0:n, 0:m].astype(np.float64)
    rows = 3.3 + 1.02 * i + 0.08 * j + 0.3 * rng.standard_normal((n, m))
    cols = 2.1 - 0.06 * i + 1.05 * j + 0.3 * rng.standard_normal((n, m))
    cases = [("nearest", 0, 1e-6, 1, 1e-12), ("linear", 1, 1e-6, 1, 1e-9),
             ("bspline3", 3, 1e-12, 40, 1e-9), ("bspline5", 5, 1e-12, 40, 1e-9)]
    failed = 0
    with tempfile.TemporaryDirectory() as d:
        for kernel, order, eps, margin, tol in cases:
            out, mask = run_tool(tool, kernel, eps, img, rows, cols, d)
            ref = ndimage.map_coordinates(img, [rows, cols], order=order, prefilter=True,
                                          mode="mirror")
            inner = ((rows >= margin) & (rows <= R - 1 - margin) & (cols >= margin)
                     & (cols <= C - 1 - margin))
            err = np.abs(out - ref)[inner]
            scale = np.abs(img).max()
            worst = float(err.max()) / scale if err.size else 0.0
            ok = inner.sum() > 500 and bool(mask[inner].all()) and worst <= tol
            print(f"scipy_check: {kernel:9s} order {order}: {int(inner.sum())} interior pixels, "
                  f"max |gridr - scipy| / max|img| = {worst:.3g} (tol {tol:g}): "
                  f"{'ok' if ok else 'FAIL'}")
            failed += not ok
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

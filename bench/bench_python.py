#!/usr/bin/env python3
"""gridr bench: pygridr.array_grid_resampling's call overhead and its speed beside scipy.

Workload (GridR's benchmark, bench/bench_kernels.c): n x n float64 image arange(n^2), a
full-resolution grid = identity + N(0, 0.1) noise on rows and columns (seed 0), no mask,
B-spline epsilon 1e-6, one thread. For each kernel, alternating within each round:
  C     the bare C call the package makes (pygridr._core.resample on the image as it is, no
        padding band, into a preallocated output; B-splines: gridr_resample_window strip by
        strip): the C function's time
  Cpad  B-splines: the C call array_grid_resampling makes for GridR's edge rules: the image
        resampled in strips, each strip's source given its share of a padding band (in C) that
        is trusted, then the targets whose taps leave the image made nodata
  py    pygridr.array_grid_resampling(interp, img, grid[0], grid[1], (1, 1), out, threads=1),
        into the same preallocated output (grid_row and grid_col: the two bands of one array)
  alloc the same with array_out=None: the output allocated by the call, as GridR's code does
  sep   the same as py with grid_row and grid_col two separate arrays (copied into one)
  scipy scipy.ndimage.map_coordinates(img, [rows, cols], order=k) (linear: 1, bspline3: 3)
Prints medians (ms) and the ratios: overhead = py / C - 1 (Cpad for B-splines; alloc, sep
likewise), speed-up = scipy / py and scipy / alloc.

Usage (from a build tree): PYTHONPATH=python python3 ../bench/bench_python.py [--n 4000]
       [--runs 5] [--kernels linear,bspline3]
"""
import argparse
import os
import time

import numpy as np

import pygridr
from pygridr import _core

try:
    from scipy import ndimage
except ImportError:  # the scipy column stays empty
    ndimage = None

SCIPY_ORDER = {"nearest": 0, "linear": 1, "bspline3": 3, "bspline5": 5}


def workload(n):
    img = np.arange(n * n, dtype=np.float64).reshape(n, n)
    rng = np.random.default_rng(0)
    grid = np.empty((2, n, n))
    r, c = np.mgrid[0:n, 0:n]
    grid[0] = r + rng.normal(0, 0.1, (n, n))
    grid[1] = c + rng.normal(0, 0.1, (n, n))
    return img, grid


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1e3


def bench_kernel(name, img, grid, runs):
    n = img.shape[0]
    kind = _core.parse("interp", name)
    out = np.empty((1, n, n))
    sep_row, sep_col = grid[0].copy(), grid[1].copy()
    calls = {
        "C": lambda: _core.resample(kind, img[np.newaxis], None, (0, 0), (n, n), grid[0],
                                    grid[1], (1, 1), None, 1, None, (0.0, 0.0), (0, 0, n, n),
                                    out, None, 1e-6, 1.0, 0.0, 0, 0, 1, 0, 0),
        "py": lambda: pygridr.array_grid_resampling(name, img, grid[0], grid[1], (1, 1), out[0],
                                                    threads=1),
        "alloc": lambda: pygridr.array_grid_resampling(name, img, grid[0], grid[1], (1, 1),
                                                       None, threads=1),
        "sep": lambda: pygridr.array_grid_resampling(name, img, sep_row, sep_col, (1, 1),
                                                     out[0], threads=1),
    }
    if kind in (3, 5, 7, 9, 11):
        h = _core.halo(kind, 1e-6)
        calls["Cpad"] = lambda: _core.resample(kind, img[np.newaxis], None, (0, 0), (n, n),
                                               grid[0], grid[1], (1, 1), None, 1, None,
                                               (0.0, 0.0), (0, 0, n, n), out, None, 1e-6, 1.0,
                                               0.0, 1, 1, 1, 0, 1, h)
    if ndimage is not None and name in SCIPY_ORDER:
        order = SCIPY_ORDER[name]
        calls["scipy"] = lambda: ndimage.map_coordinates(img, [grid[0], grid[1]], order=order)
    times = {k: [] for k in calls}
    names = list(calls)
    for r in range(runs):  # alternate, starting each round one further: no column always first
        for k in names[r % len(names):] + names[:r % len(names)]:
            times[k].append(timed(calls[k]))
    return {k: float(np.median(v)) for k, v in times.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--kernels", default="linear,bspline3")
    a = ap.parse_args()
    img, grid = workload(a.n)
    print(f"# pygridr bench: n = {a.n}, f64, 1 thread, {os.cpu_count()} cores, "
          f"medians of {a.runs} alternating runs (ms)")
    cols = ("C", "Cpad", "py", "alloc", "sep", "scipy")
    print(f"{'kernel':<9}" + "".join(f"{c:>9}" for c in cols) +
          "  ovh(py) ovh(alloc) ovh(sep) scipy/py scipy/alloc")
    print("# ovh: over Cpad for B-splines (the same input to gridr), over C otherwise")
    for name in a.kernels.split(","):
        t = bench_kernel(name, img, grid, a.runs)
        sc = t.get("scipy", float("nan"))
        ref = t.get("Cpad", t["C"])
        pct = [f"{100 * (t[k] / ref - 1):7.1f}%" for k in ("py", "alloc", "sep")]
        print(f"{name:<9}" + "".join(f"{t.get(c, float('nan')):9.1f}" for c in cols) +
              f"  {pct[0]:>8} {pct[1]:>10} {pct[2]:>8} {sc / t['py']:8.2f} "
              f"{sc / t['alloc']:11.2f}", flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""gridr bench: time scipy.ndimage.map_coordinates on the data bench_kernels wrote.

Usage: bench_kernels_scipy.py N DIR RUNS ORDERS DTYPE
  DIR holds image.raw (N x N, DTYPE), rows.f64 and cols.f64 (N x N targets).
  Prints one line per order: "order <k> <median ms>".
"""
import sys
import time

import numpy as np
from scipy import ndimage


def main():
    n, d, runs = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    orders = [int(k) for k in sys.argv[4].split(",")]
    dtype = {"f64": np.float64, "u16": np.uint16}[sys.argv[5]]
    img = np.fromfile(f"{d}/image.raw", dtype=dtype).reshape(n, n)
    rows = np.fromfile(f"{d}/rows.f64").reshape(n, n)
    cols = np.fromfile(f"{d}/cols.f64").reshape(n, n)
    for k in orders:
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            ndimage.map_coordinates(img, [rows, cols], order=k, prefilter=True)
            times.append((time.perf_counter() - t0) * 1e3)
        print(f"order {k} {float(np.median(times)):.2f}", flush=True)


if __name__ == "__main__":
    main()

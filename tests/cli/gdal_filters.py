"""gridr test: zooms with the scaled filters against gdal_translate -outsize (issue 14).

Usage: gdal_filters.py GRIDR_RUN WORKDIR. Makes a 240x200 u16 raster (smooth + noise) and a
u8 class map, zooms them with gridr-run (antialiased linear and cubic, lanczos, average, mode;
zoom jobs' defaults: antialiasing and GDAL's edges) and with gdal_translate at 1/2, 1/3, 1/4,
1/7.5, 0.6, 1.5 and 3, and compares every pixel, edges included, and apart the interior (the
output pixels whose taps all lie in the raster). Exit 1 on a failure.
"""
import math
import os
import subprocess
import sys

import numpy as np
from osgeo import gdal

gdal.UseExceptions()
GRIDR, WORK = sys.argv[1], sys.argv[2]
R, C = 200, 240
# Reach L of each kernel at scale s (source pixels with |k - t| < L have non-zero weights).
REACH = {
    "linear": lambda s: max(s, 1),
    "cubic": lambda s: 2 * max(s, 1),
    "lanczos": lambda s: 3 * max(s, 1),
    "average": lambda s: (s + 1) / 2,
    "mode": lambda s: (s + 1) / 2,
}
GDAL_NAME = {"linear": "bilinear"}
# Bounds measured on this data (gridr vs GDAL 3.6): p99 and max of |difference| in DN (GDAL
# rounds the average's halves up, gridr to even: 1 DN at /2 and x1.5).
LIMITS = {"linear": (1, 1), "cubic": (0, 1), "lanczos": (0, 1), "average": (1, 1)}
failed = []


def write(path, a, dtype):
    ds = gdal.GetDriverByName("GTiff").Create(path, a.shape[1], a.shape[0], 1, dtype)
    ds.GetRasterBand(1).WriteArray(a)
    ds = None


def make_data():
    rng = np.random.default_rng(14)
    yy, xx = np.mgrid[0:R, 0:C]
    img = (20000 + 8000 * np.sin(xx / 7.0) * np.cos(yy / 5.0) + 3000 * np.sin((xx + yy) / 2.3)
           + rng.normal(0, 800, (R, C)))
    write(os.path.join(WORK, "img.tif"), img.clip(0, 65535).astype(np.uint16), gdal.GDT_UInt16)
    # Classes in blobs (a land-cover-like map), values 1..6.
    cls = 1 + ((np.sin(xx / 9.0) + np.cos(yy / 7.0) + rng.normal(0, 0.4, (R, C))) * 1.6 + 3.2)
    write(os.path.join(WORK, "cls.tif"), cls.clip(1, 6).astype(np.uint8), gdal.GDT_Byte)


def interior(n_src, n_dst, kernel):
    """Output indices whose taps all lie in [0, n_src)."""
    s = n_src / n_dst
    L = REACH[kernel](s)
    t = (np.arange(n_dst) + 0.5) * s - 0.5
    return (np.floor(t - L) + 1 >= 0) & (np.ceil(t + L) - 1 <= n_src - 1)


def run(kernel, src, rows, cols):
    g = os.path.join(WORK, "g.tif")
    o = os.path.join(WORK, "o.tif")
    for p in (g, o):
        if os.path.exists(p):
            os.unlink(p)
    subprocess.run(["gdal_translate", "-q", "-r", GDAL_NAME.get(kernel, kernel), "-outsize",
                    str(cols), str(rows), src, g], check=True)
    subprocess.run([GRIDR, "zoom", "-q", "-j", "1", "-r", kernel, "--size",
                    "%dx%d" % (cols, rows), src, o], check=True)
    a = gdal.Open(g).ReadAsArray().astype(float)
    b = gdal.Open(o).ReadAsArray().astype(float)
    m = np.outer(interior(R, rows, kernel), interior(C, cols, kernel))
    return a, b, m


def check(kernel, rows, cols):
    a, b, m = run(kernel, os.path.join(WORK, "img.tif"), rows, cols)
    lim = LIMITS[kernel]
    for part, d in (("all", np.abs(a - b).ravel()), ("interior", np.abs(a - b)[m])):
        p99, mx = np.percentile(d, 99), d.max()
        print("%-8s %3dx%-3d %-8s %5d px: p99 %.1f max %.1f DN" % (kernel, cols, rows, part,
                                                                 d.size, p99, mx))
        if d.size < m.size / 3 or p99 > lim[0] or mx > lim[1]:
            failed.append("%s %dx%d %s: p99 %.1f max %.1f over %d px" % (kernel, cols, rows, part,
                                                                         p99, mx, d.size))


def check_mode(rows, cols):
    a, b, m = run("mode", os.path.join(WORK, "cls.tif"), rows, cols)
    agree = (a == b).mean()
    print("mode     %3dx%-3d all      %5d px: %.4f equal" % (cols, rows, m.size, agree))
    if agree < 0.99:
        failed.append("mode %dx%d: only %.4f of the pixels equal GDAL's" % (cols, rows, agree))


make_data()
sizes = [(R // 2, C // 2), (round(R / 3), C // 3), (R // 4, C // 4), (round(R / 7.5), C // 7.5),
         (int(R * 0.6), int(C * 0.6)), (R * 3 // 2, C * 3 // 2), (R * 3, C * 3)]
for k in ("linear", "cubic", "lanczos", "average"):
    for rows, cols in sizes:
        check(k, int(rows), int(cols))
for rows, cols in sizes:
    check_mode(int(rows), int(cols))
# Antialiasing matters: without it, /4 linear is far from GDAL (the aliasing of issue 14).
subprocess.run([GRIDR, "zoom", "-q", "-r", "linear", "--no-antialias", "--size", "60x50",
                os.path.join(WORK, "img.tif"), os.path.join(WORK, "p.tif")], check=True)
a, b, m = run("linear", os.path.join(WORK, "img.tif"), 50, 60)
p = gdal.Open(os.path.join(WORK, "p.tif")).ReadAsArray().astype(float)
alias = np.percentile(np.abs(a - p)[m], 99)
print("point-sampled linear /4: p99 %.0f DN from GDAL" % alias)
if alias < 100:
    failed.append("--no-antialias gave p99 %.0f DN only: the test data does not alias" % alias)
for f in failed:
    print("FAIL:", f)
sys.exit(1 if failed else 0)

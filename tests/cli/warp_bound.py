# gridr: the -et bound on a dense check (tests/cli/run_warp_grid.sh). usage: warp_bound.py
# SRC.tif OUT.tif ET T_SRS REPORT.json: OUT is the warp of SRC's row/column ramps (bilinear, f64),
# so each of its pixels holds the source position gridr's generated grid gave it; every pixel whose
# position lies inside the raster is compared with the exact transform (GDAL's, at the pixel
# centre): the distance must be <= ET, and the report's measured error <= ET too.
import json
import sys
import numpy as np
from osgeo import gdal

src, out = gdal.Open(sys.argv[1]), gdal.Open(sys.argv[2])
et, t_srs = float(sys.argv[3]), sys.argv[4]
rep = json.load(open(sys.argv[5]))["jobs"][0]["warp"]
gt = out.GetGeoTransform()
rows, cols = out.RasterYSize, out.RasterXSize
r, c = out.GetRasterBand(1).ReadAsArray(), out.GetRasterBand(2).ReadAsArray()
ii, jj = np.mgrid[0:rows, 0:cols].astype(float)
X = gt[0] + (jj + 0.5) * gt[1] + (ii + 0.5) * gt[2]
Y = gt[3] + (jj + 0.5) * gt[4] + (ii + 0.5) * gt[5]
tr = gdal.Transformer(src, None, ["DST_SRS=" + t_srs])
pts = np.array(tr.TransformPoints(1, list(zip(X.ravel(), Y.ravel())))[0])
er, ec = pts[:, 1].reshape(rows, cols) - 0.5, pts[:, 0].reshape(rows, cols) - 0.5
n = src.RasterXSize
inside = (er >= 0) & (er <= n - 1) & (ec >= 0) & (ec <= n - 1)
inside &= (np.abs(r - 0) > 0) | (np.abs(c - 0) > 0)  # nodata 0 on both bands
d = np.hypot(r - er, c - ec)[inside]
errors = []
if inside.sum() < 0.3 * rows * cols or inside.sum() < 50000:
    errors.append("only %d of %d pixels checked" % (inside.sum(), rows * cols))
if d.max() > et * (1 + 1e-6) + 1e-9:
    errors.append("largest distance to the exact transform %.3g > -et %g" % (d.max(), et))
if not (rep["max_error"] <= et):
    errors.append("report: max_error %g > -et %g" % (rep["max_error"], et))
print("et %g: %d pixels, largest distance %.3g, reported %.3g, %d nodes" % (et, inside.sum(), d.max(), rep["max_error"], rep["nodes"]))
for e in errors:
    print(e)
sys.exit(1 if errors else 0)

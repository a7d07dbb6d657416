# gridr: compare a gridr-run warp output with gdalwarp's (tests/cli/run_warp.sh).
# usage: warp_compare.py GRIDR.tif GDAL.tif TOLERANCE MAX_FRACTION_OFF [superset]
# Interior pixels (valid in both, 3 px from any invalid one) within TOLERANCE DN, except at most
# MAX_FRACTION_OFF of them (nearest: ties and the -et error flip a few); same size, geotransform
# and CRS; with "superset", every pixel gdalwarp made valid is valid in gridr's output too.
import sys
import numpy as np
from osgeo import gdal, osr
from scipy import ndimage

a, b = gdal.Open(sys.argv[1]), gdal.Open(sys.argv[2])
tol, frac = float(sys.argv[3]), float(sys.argv[4])
superset = len(sys.argv) > 5 and sys.argv[5] == "superset"
errors = []
if (a.RasterXSize, a.RasterYSize) != (b.RasterXSize, b.RasterYSize):
    errors.append("size %dx%d, gdalwarp's %dx%d" % (a.RasterXSize, a.RasterYSize, b.RasterXSize, b.RasterYSize))
if not np.allclose(a.GetGeoTransform(), b.GetGeoTransform(), rtol=1e-12, atol=0):
    errors.append("geotransform %s, gdalwarp's %s" % (a.GetGeoTransform(), b.GetGeoTransform()))
sa, sb = osr.SpatialReference(wkt=a.GetProjection()), osr.SpatialReference(wkt=b.GetProjection())
if not sa.IsSame(sb):
    errors.append("CRS differs from gdalwarp's")
if not errors:
    A = a.GetRasterBand(1).ReadAsArray().astype(float)
    B = b.GetRasterBand(1).ReadAsArray().astype(float)
    na = a.GetRasterBand(1).GetNoDataValue()
    va, vb = A != (0 if na is None else na), B != 0  # gdalwarp: 0 = no data (no -dstnodata)
    inner = ndimage.binary_erosion(va & vb, iterations=3, border_value=0)
    off = np.abs(A - B)[inner] > tol
    if inner.sum() < 0.5 * vb.sum():
        errors.append("only %d interior pixels of %d valid in gdalwarp's" % (inner.sum(), vb.sum()))
    if off.sum() > frac * inner.sum():
        errors.append("%d of %d interior pixels differ by more than %g DN (max %g)"
                      % (off.sum(), inner.sum(), tol, np.abs(A - B)[inner].max()))
    if superset and (vb & ~va).any():
        errors.append("%d pixels valid in gdalwarp's output are nodata in gridr's" % (vb & ~va).sum())
for e in errors:
    print("%s vs %s: %s" % (sys.argv[1], sys.argv[2], e))
sys.exit(1 if errors else 0)

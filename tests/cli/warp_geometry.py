# gridr: output grids of gridr-run warp against gdalwarp's (tests/cli/run_warp_grid.sh).
# usage: warp_geometry.py GRIDR.tif GDAL.vrt: same size, geotransform (exactly: the same doubles) and CRS.
import sys
from osgeo import gdal, osr

a, b = gdal.Open(sys.argv[1]), gdal.Open(sys.argv[2])
errors = []
if (a.RasterXSize, a.RasterYSize) != (b.RasterXSize, b.RasterYSize):
    errors.append("size %dx%d, gdalwarp's %dx%d" % (a.RasterXSize, a.RasterYSize, b.RasterXSize, b.RasterYSize))
if a.GetGeoTransform() != b.GetGeoTransform():
    errors.append("geotransform %s, gdalwarp's %s" % (a.GetGeoTransform(), b.GetGeoTransform()))
if not osr.SpatialReference(wkt=a.GetProjection()).IsSame(osr.SpatialReference(wkt=b.GetProjection())):
    errors.append("CRS differs from gdalwarp's")
for e in errors:
    print("%s: %s" % (sys.argv[1], e))
sys.exit(1 if errors else 0)

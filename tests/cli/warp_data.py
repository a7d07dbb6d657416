# gridr: test data of the warp tests (tests/cli/run_warp*.sh), made with GDAL: a 300 x 300 u16
# UTM 31N scene (30 m, smooth and textured), its row/column ramps as a 2-band f64 image, and a
# 1-degree EPSG:4326 image for a target whose transform fails on part of the output.
import sys
import numpy as np
from osgeo import gdal, osr


def make(path, n_cols, n_rows, bands, gtype, gt, epsg, arrays):
    d = gdal.GetDriverByName("GTiff").Create(path, n_cols, n_rows, bands, gtype)
    d.SetGeoTransform(gt)
    s = osr.SpatialReference()
    s.ImportFromEPSG(epsg)
    d.SetProjection(s.ExportToWkt())
    for b, a in enumerate(arrays):
        d.GetRasterBand(b + 1).WriteArray(a)
    d = None


n = 300
y, x = np.mgrid[0:n, 0:n].astype(float)
scene = 1000 + 500 * np.sin(x / 7.0) * np.cos(y / 11.0) + 3 * x + 2 * y
utm = [440000, 30, 0, 5000000, 0, -30]
make("utm.tif", n, n, 1, gdal.GDT_UInt16, utm, 32631, [scene.astype(np.uint16)])
make("ramps.tif", n, n, 2, gdal.GDT_Float64, utm, 32631, [y, x])
# The scene again without geotransform: 25 GCPs (a 5 x 5 lattice, in EPSG:32631).
d = gdal.GetDriverByName("GTiff").Create("gcps.tif", n, n, 1, gdal.GDT_UInt16)
d.GetRasterBand(1).WriteArray(scene.astype(np.uint16))
s = osr.SpatialReference()
s.ImportFromEPSG(32631)
gcps = [gdal.GCP(utm[0] + px * utm[1], utm[3] + ln * utm[5], 0, px, ln)
        for ln in np.linspace(0, n, 5) for px in np.linspace(0, n, 5)]
d.SetGCPs(gcps, s.ExportToWkt())
d = None
gy, gx = np.mgrid[0:170, 0:360]
make("geo.tif", 360, 170, 1, gdal.GDT_UInt16, [-180, 1, 0, 85, 0, -1], 4326,
     [(1000 + 3 * gx + 2 * gy).astype(np.uint16)])
sys.exit(0)

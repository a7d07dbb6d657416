# A Landsat-like 6-band u8 scene, a DEM with sea at 0 m, the same DEM with holes, a land-cover map.
import numpy as np
from osgeo import gdal, osr
R, C = 500, 600
y, x = np.mgrid[0:R, 0:C].astype(float)
rng = np.random.default_rng(7)
srs = osr.SpatialReference()
srs.ImportFromEPSG(32631)
def make(path, bands, dt, nodata=None, ct=None):
    d = gdal.GetDriverByName("GTiff").Create(path, C, R, len(bands), dt, ["TILED=YES"])
    d.SetGeoTransform((399960, 30, 0, 4800000, 0, -30))
    d.SetProjection(srs.ExportToWkt())
    for i, a in enumerate(bands):
        b = d.GetRasterBand(i + 1)
        b.WriteArray(a)
        if nodata is not None:
            b.SetNoDataValue(nodata)
        if ct is not None:
            b.SetRasterColorTable(ct)
relief = 400 * np.sin(x / 70) * np.cos(y / 55) + 150 * np.sin((x + y) / 23)
make("scene.tif", [np.clip(90 + 25 * k + relief / (8 + k) + rng.normal(0, 6, (R, C)), 1, 255)
                   .astype(np.uint8) for k in range(6)], gdal.GDT_Byte)
dem = np.maximum(relief, 0).astype(np.int16)          # the sea is at 0 m
make("dem.tif", [dem], gdal.GDT_Int16)
holes = dem.copy()
holes[((x - 300) ** 2 + (y - 200) ** 2 < 900) | (rng.random((R, C)) < 0.01)] = -32768
make("dem_holes.tif", [holes], gdal.GDT_Int16, nodata=-32768)
ct = gdal.ColorTable()
for i, rgb in enumerate([(0, 0, 255), (0, 160, 0), (200, 200, 0), (150, 75, 0), (255, 255, 255)]):
    ct.SetColorEntry(i, rgb + (255,))
make("landcover.tif", [np.digitize(relief, [0, 150, 300, 450]).astype(np.uint8)], gdal.GDT_Byte, ct=ct)

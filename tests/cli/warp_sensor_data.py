# gridr: sensor-model sources of tests/cli/run_warp_sensor.sh, made with GDAL: a 200 x 200 u16
# scene with an RPC model of our own (near-affine in lon/lat with a little curvature and a height
# term of 0.05 normalised sample per normalised height: 5 px over 500 m), a DEM for it (EPSG:4326,
# smooth, 0..400 m), and a 160 x 220 swath whose pixels' lon/lat are in geolocation arrays (a
# rotated, curved lattice sampled every 2 pixels, in two f64 GeoTIFFs named by the GEOLOCATION
# metadata domain of swath.vrt).
import sys
import numpy as np
from osgeo import gdal, osr


def scene(n_rows, n_cols):
    y, x = np.mgrid[0:n_rows, 0:n_cols].astype(float)
    return (1000 + 500 * np.sin(x / 7.0) * np.cos(y / 11.0) + 3 * x + 2 * y).astype(np.uint16)


def tif(path, arrays, gtype, gt=None, epsg=None):
    rows, cols = arrays[0].shape
    d = gdal.GetDriverByName("GTiff").Create(path, cols, rows, len(arrays), gtype)
    if gt:
        d.SetGeoTransform(gt)
        s = osr.SpatialReference()
        s.ImportFromEPSG(epsg)
        d.SetProjection(s.ExportToWkt())
    for b, a in enumerate(arrays):
        d.GetRasterBand(b + 1).WriteArray(a)
    return d


def coeffs(terms):  # RPC00B order: 1 L P H LP LH PH L2 P2 H2 PLH L3 LP2 LH2 L2P P3 PH2 L2H P2H H3
    c = [0.0] * 20
    for k, v in terms.items():
        c[k] = v
    return " ".join("%.15g" % v for v in c)


# RPC scene: sample_n = L + 0.08 P + 0.05 H + 0.02 L P, line_n = -P + 0.06 L + 0.03 H - 0.015 L^2
n = 200
rpc = {
    "LINE_OFF": "100", "SAMP_OFF": "100", "LINE_SCALE": "100", "SAMP_SCALE": "100",
    "LAT_OFF": "45.1", "LONG_OFF": "2.3", "HEIGHT_OFF": "0",
    "LAT_SCALE": "0.02", "LONG_SCALE": "0.03", "HEIGHT_SCALE": "500",
    "SAMP_NUM_COEFF": coeffs({1: 1.0, 2: 0.08, 3: 0.05, 4: 0.02}),
    "SAMP_DEN_COEFF": coeffs({0: 1.0}),
    "LINE_NUM_COEFF": coeffs({2: -1.0, 1: 0.06, 3: 0.03, 7: -0.015}),
    "LINE_DEN_COEFF": coeffs({0: 1.0}),
    "MIN_LONG": "2.25", "MAX_LONG": "2.35", "MIN_LAT": "45.06", "MAX_LAT": "45.14",
}
d = tif("rpc.tif", [scene(n, n)], gdal.GDT_UInt16)
d.SetMetadata(rpc, "RPC")
d = None
y, x = np.mgrid[0:120, 0:160].astype(float)
dem = 200 + 150 * np.sin(x / 23.0) * np.cos(y / 17.0) + 0.3 * x
tif("dem.tif", [dem.astype(np.float32)], gdal.GDT_Float32, [2.24, 0.001, 0, 45.16, 0, -0.001], 4326)

# Swath: lon/lat of pixel (line l, column c) on a lattice every 2 pixels (121 x 81 nodes).
rows, cols, step = 220, 160, 2
tif("swath.tif", [scene(rows, cols)], gdal.GDT_UInt16)
ly, lx = np.mgrid[0:rows + 1:step, 0:cols + 1:step].astype(float)
lon = 2.25 + 0.00028 * lx + 0.00005 * ly + 1.5e-7 * lx * ly
lat = 45.14 - 0.00018 * ly + 0.00004 * lx - 2e-7 * lx * lx
tif("swath_lon.tif", [lon], gdal.GDT_Float64)
tif("swath_lat.tif", [lat], gdal.GDT_Float64)
v = gdal.Translate("swath.vrt", "swath.tif", format="VRT")
s = osr.SpatialReference()
s.ImportFromEPSG(4326)
v.SetMetadata({"SRS": s.ExportToWkt(), "X_DATASET": "swath_lon.tif", "X_BAND": "1",
               "Y_DATASET": "swath_lat.tif", "Y_BAND": "1",
               "PIXEL_OFFSET": "0", "LINE_OFFSET": "0",
               "PIXEL_STEP": str(step), "LINE_STEP": str(step)}, "GEOLOCATION")
v = None
sys.exit(0)

#!/usr/bin/python3
"""gridr sample data: a georeferenced 3-band u16 image, an oversampled localisation grid, its mask.

Run from anywhere with Debian's python3 (numpy + GDAL bindings: python3-numpy python3-gdal):
    /usr/bin/python3 data/make_sample.py [OUTPUT_DIR]        (default: the script's directory)
Deterministic (fixed seed, no timestamps): rerunning rewrites the same pixels.
"""
import os
import sys

import numpy as np
from osgeo import gdal, osr

gdal.UseExceptions()

SEED = 20240611
ROWS = COLS = 512             # sample.tif
BANDS = 3
NODATA = 0                    # sample.tif nodata value (all bands)
RES = 10                      # grid oversampling: node (I, J) sits on output pixel (10 I, 10 J)
NODES = 52                    # grid nodes per side -> full-resolution output 511 x 511
ORIGIN = (399960.0, 4800000.0)  # EPSG:32631 (WGS 84 / UTM zone 31N), 10 m pixels
PIXEL = 10.0


def utm31n_wkt():
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32631)
    return srs.ExportToWkt()


def image(rng):
    """Smooth random texture + sharp-edged shapes, u16 in [100, 4000]; a blob of nodata.

    The texture is a sum of a few long-period waves with random directions and phases (no
    per-pixel noise, so that the file stays small)."""
    r, c = np.mgrid[0:ROWS, 0:COLS].astype(np.float64)
    bands = []
    for b in range(BANDS):
        smooth = np.full_like(r, 1200.0 + 150.0 * b)
        for _ in range(6):
            period = rng.uniform(90.0, 400.0)
            angle, phase = rng.uniform(0.0, np.pi), rng.uniform(0.0, 2 * np.pi)
            amp = rng.uniform(0.05, 0.15) * period  # slope below 1 DN per pixel per wave
            smooth += amp * np.sin(2 * np.pi * (r * np.cos(angle) + c * np.sin(angle)) / period
                                   + phase)
        edges = np.zeros_like(r)
        edges[(r > 60) & (r < 180) & (c > 300) & (c < 460)] = 900 + 200 * b      # a field
        edges[(r - 380) ** 2 + (c - 140) ** 2 < 70 ** 2] = 1500 - 300 * b        # a disc
        edges[np.abs((r - c) - 40) < 3] = 2200                                   # a road
        stripes = (r > 400) & (r < 480) & (c > 300) & (c < 380)                  # fine stripes
        edges[stripes] = 300 * (np.floor((r[stripes] + c[stripes]) / 3.0) % 2)
        bands.append(np.clip(np.rint(smooth + edges), 100, 4000).astype(np.uint16))
    data = np.stack(bands)
    blob = np.zeros((ROWS, COLS), dtype=bool)
    for (cr, cc, rad) in ((300, 330, 22), (318, 352, 15), (290, 360, 12)):
        blob |= (r - cr) ** 2 + (c - cc) ** 2 < rad ** 2
    data[:, blob] = NODATA
    return data


def grid():
    """Backward grid: for output pixel (y, x) the source (row, col), pixel centres at integers.

    A rotation by 12 degrees and a scale of 0.9 about the image centre, plus a smooth wobble."""
    y, x = np.mgrid[0:NODES, 0:NODES].astype(np.float64) * RES
    centre_out = (NODES - 1) * RES / 2.0
    centre_src = (ROWS - 1) / 2.0
    th, s = np.deg2rad(12.0), 0.9
    dy, dx = y - centre_out, x - centre_out
    row = centre_src + s * (np.cos(th) * dy - np.sin(th) * dx) + 3.0 * np.sin(2 * np.pi * x / 200.0)
    col = centre_src + s * (np.sin(th) * dy + np.cos(th) * dx) + 2.0 * np.cos(2 * np.pi * y / 170.0)
    return np.stack([row, col])


def grid_mask():
    mask = np.ones((NODES, NODES), dtype=np.uint8)
    for (i, j) in ((5, 7), (20, 20), (20, 21), (33, 40), (47, 3)):
        mask[i, j] = 0
    return mask


def write(path, data, gdal_type, options, georef=False, nodata=None, metadata=None):
    bands, rows, cols = data.shape
    ds = gdal.GetDriverByName("GTiff").Create(path, cols, rows, bands, gdal_type, options)
    if georef:
        ds.SetGeoTransform((ORIGIN[0], PIXEL, 0.0, ORIGIN[1], 0.0, -PIXEL))
        ds.SetProjection(utm31n_wkt())
    for k in range(bands):
        band = ds.GetRasterBand(k + 1)
        if nodata is not None:
            band.SetNoDataValue(nodata)
        band.WriteArray(data[k])
    for key, value in (metadata or {}).items():
        ds.SetMetadataItem(key, value)
    ds.FlushCache()
    ds = None


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    rng = np.random.default_rng(SEED)
    res_md = {"GRIDR_RES_ROW": str(RES), "GRIDR_RES_COL": str(RES)}
    write(os.path.join(out, "sample.tif"), image(rng), gdal.GDT_UInt16,
          ["TILED=YES", "BLOCKXSIZE=128", "BLOCKYSIZE=128", "COMPRESS=DEFLATE", "PREDICTOR=2",
           "ZLEVEL=9"], georef=True, nodata=NODATA)
    write(os.path.join(out, "sample_grid.tif"), grid(), gdal.GDT_Float64,
          ["COMPRESS=DEFLATE", "PREDICTOR=3"],
          metadata=dict(res_md, GRIDR_GRID="band 1 = source row, band 2 = source col; "
                                           "pixel centres at integer coordinates"))
    write(os.path.join(out, "sample_grid_mask.tif"), grid_mask()[np.newaxis], gdal.GDT_Byte,
          ["COMPRESS=DEFLATE"], metadata=dict(res_md, GRIDR_MASK_VALID="1"))
    for name in ("sample.tif", "sample_grid.tif", "sample_grid_mask.tif"):
        print("%-22s %7d bytes" % (name, os.path.getsize(os.path.join(out, name))))


if __name__ == "__main__":
    main()

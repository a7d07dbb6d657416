#!/usr/bin/python3
"""gridr: (re)write the generated seeds of the fuzz corpus: fuzz_plan blobs and fuzz_raster TIFFs.

Usage: /usr/bin/python3 tests/fuzz/make_corpus.py [CORPUS_DIR]   (needs numpy and osgeo.gdal)
The JSON and key=value seeds are written by hand; libFuzzer's finds are added as they come.
"""
import os
import struct
import sys

import numpy as np
from osgeo import gdal

corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")


# ---- fuzz_plan: the field encoding of tests/fuzz/fuzz_plan.c ------------------------------------
def I(v):
    if 0 <= v < 128:
        return bytes([v])
    if 0 <= v < 1 << 16:
        return b"\x80" + struct.pack(">H", v)
    if 0 <= v < 1 << 32:
        return b"\xc0" + struct.pack(">I", v)
    return b"\xf0" + struct.pack(">q", v)


def D(v):
    t = v * 16 - 1
    if t == int(t) and 0 <= t < 128:
        return bytes([int(t)])
    return b"\x80" + struct.pack(">d", v)


def blob(flags=0, grid=(2.0, 2.0, 0, 0), affine=None, interp=1, bc=0, trust=0, eps=None, mi=None,
         rr=1000, rc=1000, bands=1, sdt=1, odt=1, orow=0, ocol=0, mem=64, shift=20, workers=2,
         prefetch=1, wr=0, wc=0, block=None, enc=None, minw=None):
    flags |= (2 if eps is not None else 0) | (4 if mi is not None else 0)
    flags |= (8 if block is not None else 0) | (0x40 if enc is not None else 0)
    flags |= (0x80 if minw is not None else 0) | (1 if affine else 0)
    b = bytes([flags])
    if affine:
        b += b"".join(D(x) for x in affine[0]) + I(affine[1]) + I(affine[2])
    else:
        b += D(grid[0]) + D(grid[1]) + I(grid[2]) + I(grid[3])
    b += bytes([interp, bc, trust])
    b += (D(eps) if eps is not None else b"") + (D(mi) if mi is not None else b"")
    b += I(rr) + I(rc) + I(bands) + bytes([sdt, odt]) + I(orow) + I(ocol) + I(mem) + bytes([shift])
    b += I(workers) + I(prefetch) + I(wr) + I(wc)
    b += I(block) if block is not None else b""
    b += b"".join(I(x) for x in enc) if enc is not None else b""
    b += I(minw) if minw is not None else b""
    return b


plans = {
    "zoom_x2": blob(grid=(2.0, 2.0, 2000, 2000)),
    "zoom_half_cubic": blob(grid=(0.5, 0.5, 500, 500), interp=2, bc=2, bands=3, sdt=2, odt=6),
    "bspline_window": blob(grid=(1.5, 1.5, 1500, 1500), interp=4, eps=1e-4, mi=0.5, bc=3, trust=1,
                           wr=256, wc=128, block=64, workers=4, prefetch=2),
    "affine_rot": blob(affine=((10.0, 0.5, 0.5, 3.0, -0.5, 0.5), 800, 600), rr=1200, rc=900,
                       bands=2, sdt=6, odt=7, flags=0x30),
    "encoded_tiles": blob(grid=(1.0, 1.0, 1024, 1024), enc=(256, 256, 65536, 4096), minw=8,
                          block=256, mem=200),
    "tiny_budget": blob(grid=(4.0, 4.0, 4000, 4000), mem=1, shift=0, bands=16, sdt=7, odt=7),
    "huge_sizes": blob(grid=(1.0, 1.0, 1 << 62, 1 << 62), rr=1 << 62, rc=1 << 62,
                       bands=(1 << 31) - 1, mem=0, shift=0, wr=1 << 40, wc=1 << 40),
    "negative": blob(grid=(1.0, 1.0, 100, 100), rr=-5, rc=10, workers=-1, prefetch=-1, wr=-1,
                     block=-1),
}
os.makedirs(os.path.join(corpus, "fuzz_plan"), exist_ok=True)
for name, b in plans.items():
    with open(os.path.join(corpus, "fuzz_plan", name), "wb") as f:
        f.write(b)

# ---- fuzz_raster: tiny GeoTIFFs, one cut short, and the 64314-band header ------------------------
gdal.UseExceptions()
rdir = os.path.join(corpus, "fuzz_raster")
os.makedirs(rdir, exist_ok=True)
gtiff = gdal.GetDriverByName("GTiff")


def tif(name, w, h, nb, dt, npdt, opts, nodata=None):
    ds = gtiff.Create(os.path.join(rdir, name), w, h, nb, dt, opts)
    ds.SetGeoTransform((100, 1, 0, 200, 0, -1))
    for i in range(nb):
        band = ds.GetRasterBand(i + 1)
        band.WriteArray((np.arange(w * h).reshape(h, w) * (i + 1) % 251).astype(npdt))
        if nodata is not None:
            band.SetNoDataValue(nodata)
    ds = None


tif("u8_strip.tif", 16, 12, 1, gdal.GDT_Byte, np.uint8, [])
tif("f32_tiled_deflate.tif", 40, 33, 3, gdal.GDT_Float32, np.float32,
    ["TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16", "COMPRESS=DEFLATE"])
tif("u16_band_interleave.tif", 20, 20, 2, gdal.GDT_UInt16, np.uint16, ["INTERLEAVE=BAND"])
tif("i16_nodata_lzw.tif", 17, 9, 1, gdal.GDT_Int16, np.int16, ["COMPRESS=LZW", "PREDICTOR=2"],
    nodata=-1)
tif("f64_tiled.tif", 32, 32, 1, gdal.GDT_Float64, np.float64,
    ["TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16"])
tif("u8_bigtiff.tif", 8, 8, 1, gdal.GDT_Byte, np.uint8, ["BIGTIFF=YES"])
with open(os.path.join(rdir, "f32_tiled_deflate.tif"), "rb") as f:
    whole = f.read()
with open(os.path.join(rdir, "truncated.tif"), "wb") as f:
    f.write(whole[: len(whole) // 2])
# As tests/cli/run_signals_phases.sh, with 4 KiB of pixels instead of 300 KiB: the header claims
# 64314 samples per pixel (tag 277) of 2000 x 1500.
w, h, spp, data = 2000, 1500, 64314, bytes(4096)
tags = [(256, 3, w), (257, 3, h), (258, 3, 8), (259, 3, 1), (262, 3, 1), (273, 4, 0),
        (277, 3, spp), (278, 3, h), (279, 4, len(data)), (284, 3, 1)]
start = 8 + 2 + 12 * len(tags) + 4
out = bytearray(b"II*\0" + struct.pack("<IH", 8, len(tags)))
for tag, typ, val in tags:
    val = start if tag == 273 else val
    out += struct.pack("<HHIHH" if typ == 3 else "<HHII", tag, typ, 1, val,
                       *([0] if typ == 3 else []))
with open(os.path.join(rdir, "hostile_spp64314.tif"), "wb") as f:
    f.write(out + struct.pack("<I", 0) + data)

#!/bin/sh
# gridr-run zoom x2 linear with GridR's exact nodata rule (--nodata-policy exact; the default,
# GDAL's, is tested by run_gdal_nodata.sh) against GDAL's bilinear (gdal_translate -outsize,
# which does not antialias when upsampling): every pixel valid in both agrees within 1 DN, and the only
# differences are ties (.5) that GDAL rounds up and gridr rounds half to even; the output keeps
# the source's CRS, origin and nodata and halves the pixel size. The frame of half a source pixel
# agrees too (zoom's GDAL edges), and with --boundary edge --trust-padding (edge extension, which
# for linear gives the same values).
# Needs gdal_translate and a python3 with numpy and GDAL's bindings.
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"
command -v gdal_translate >/dev/null 2>&1 || skip "gdal_translate not found (gdal-bin)"
need_gdal_python
cd "$tmp"

expect_exit 0 gr zoom -q -r linear --factor 2 -j 2 --nodata-policy exact --report rep.json "$SRC" z.tif
expect_exit 0 gr zoom -q -r linear --factor 2 -j 2 --nodata-policy exact -ot f64 "$SRC" zf.tif
expect_exit 0 gr zoom -q -r linear --factor 2 -j 2 --nodata-policy exact --boundary edge --trust-padding "$SRC" ze.tif
gdal_translate -q -r bilinear -outsize 200% 200% "$SRC" g.tif

"$PY" - "$SRC" <<'PYEOF' || fail "gridr's zoom and GDAL's bilinear differ (above)"
import sys
import numpy as np
from osgeo import gdal, osr

src = gdal.Open(sys.argv[1])
z, zf, ze, g = (gdal.Open(p) for p in ("z.tif", "zf.tif", "ze.tif", "g.tif"))
errors = []

def check(cond, what):
    if not cond:
        errors.append(what)

# Shape, type, georeferencing, nodata.
check((z.RasterXSize, z.RasterYSize, z.RasterCount) == (1024, 1024, 3), "size %dx%dx%d" % (z.RasterXSize, z.RasterYSize, z.RasterCount))
check(z.GetRasterBand(1).DataType == gdal.GDT_UInt16, "type not u16")
sgt, zgt = src.GetGeoTransform(), z.GetGeoTransform()
check(zgt == (sgt[0], sgt[1] / 2, sgt[2], sgt[3], sgt[4], sgt[5] / 2),
      "geotransform %s, expected origin %s and pixel size %g, %g" % (zgt, sgt[0:4:3], sgt[1] / 2, sgt[5] / 2))
check(zgt == g.GetGeoTransform(), "geotransform %s, GDAL's %s" % (zgt, g.GetGeoTransform()))
srs = osr.SpatialReference(wkt=z.GetProjection())
check(srs.GetAuthorityCode(None) == "32631", "CRS %s" % srs.GetAuthorityCode(None))
for b in range(1, 4):
    check(z.GetRasterBand(b).GetNoDataValue() == 0, "band %d nodata %s" % (b, z.GetRasterBand(b).GetNoDataValue()))

a = z.ReadAsArray().astype(np.int64)
f = zf.ReadAsArray()
e = ze.ReadAsArray().astype(np.int64)
ref = g.ReadAsArray().astype(np.int64)
s = src.ReadAsArray()

# The exact values are the rounded f64 ones (half to even).
valid = a != 0
check(np.array_equal(a[valid], np.round(f[valid]).astype(np.int64)), "u16 output is not the f64 output rounded half to even")

# Within 1 DN of GDAL wherever both are valid; the differences are exactly the ties.
both = valid & (ref != 0)
d = np.abs(a - ref)
ties = np.abs(f - np.floor(f) - 0.5) < 1e-9
check(both.sum() > 0.9 * a.size, "only %d of %d pixels valid in both" % (both.sum(), a.size))
check(d[both].max() <= 1, "largest difference %d DN" % d[both].max())
check(np.all(ties[both & (d > 0)]), "%d differences that are not ties" % (both & (d > 0) & ~ties).sum())
check(np.all(ref[both & ties] == np.ceil(f[both & ties])), "GDAL does not round ties up")
check((both & (d > 0)).sum() > 0, "no tie at all: the comparison proves little")

# gridr never invents a value where GDAL has none, and leaves nodata where a tap is nodata. The
# outer frame (positions -0.25 and 511.25, a tap outside the source) is valid: zoom jobs drop the
# taps outside the raster and renormalise, as GDAL does (issue 14; docs/numerics.md).
check(not np.any(valid & (ref == 0)), "gridr valid where GDAL is nodata")
check(np.all(a[:, 0, :] != 0) and np.all(a[:, -1, :] != 0) and np.all(a[:, :, 0] != 0) and np.all(a[:, :, -1] != 0), "the outer frame is nodata")
check(np.all(a[:, 1:-1, 1:-1][s.repeat(2, 1).repeat(2, 2)[:, 1:-1, 1:-1] == 0] == 0), "valid output over a nodata source pixel")

# With the edge boundary the whole frame is valid and agrees with GDAL too.
frame = np.zeros(a.shape, bool)
frame[:, [0, -1], :] = True
frame[:, :, [0, -1]] = True
both_e = (e != 0) & (ref != 0)
check(np.all(e[frame] != 0), "edge boundary: %d frame pixels still nodata" % (e[frame] == 0).sum())
check(np.abs(e - ref)[both_e].max() <= 1, "edge boundary: differs from GDAL by %d" % np.abs(e - ref)[both_e].max())
check(np.array_equal(e[~frame], a[~frame]), "edge boundary changed pixels inside the frame")

print("zoom x2: %d pixels valid in both, %d ties differ by 1 DN, max |diff| %d; frame with edge boundary: max |diff| %d"
      % (both.sum(), (both & (d > 0)).sum(), d[both].max(), np.abs(e - ref)[both_e].max()))
for m in errors:
    print("FAIL:", m, file=sys.stderr)
sys.exit(1 if errors else 0)
PYEOF
# A paletted map keeps its palette (it used to be dropped).
"$PY" - <<'PYEOF' || fail "could not make the paletted source"
from osgeo import gdal
import numpy as np
d = gdal.GetDriverByName("GTiff").Create("pal.tif", 64, 64, 1, gdal.GDT_Byte)
d.GetRasterBand(1).WriteArray((np.arange(4096).reshape(64, 64) % 5).astype(np.uint8))
ct = gdal.ColorTable()
for i in range(5):
    ct.SetColorEntry(i, (i * 50, 255 - i * 50, i * 10, 255))
d.GetRasterBand(1).SetRasterColorTable(ct)
d = None
PYEOF
expect_exit 0 gr zoom -q -r nearest --factor 2 pal.tif palz.tif
"$PY" - <<'PYEOF' || fail "the palette was not copied"
from osgeo import gdal
ds = gdal.Open("palz.tif")  # kept: a band outlives no dataset
b = ds.GetRasterBand(1)
ct = b.GetRasterColorTable()
assert ct is not None and ct.GetColorEntry(3) == (150, 105, 30, 255), ct and ct.GetColorEntry(3)
assert b.GetRasterColorInterpretation() == gdal.GCI_PaletteIndex
PYEOF
no_shm_left
no_temp_left "$tmp"
echo "run_gdal: ok"

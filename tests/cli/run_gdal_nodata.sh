#!/bin/sh
# gridr-run zoom's defaults against GDAL on data made here: no nodata invented (a DEM's 0 m stays
# valid, --nodata none), no nodata border (x3 linear and cubic equal gdal_translate -outsize
# within 1 DN everywhere, edges included), and next to nodata the valid area and values of
# gdalwarp (the renormalize policy: the same valid pixels; within 1 DN where both are valid,
# away from the raster's edges where gdalwarp's cubic turns linear); tiled output equals the
# whole-image output. Needs gdal_translate, gdalwarp and a python3 with numpy and GDAL.
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"
command -v gdal_translate >/dev/null 2>&1 || skip "gdal_translate not found (gdal-bin)"
command -v gdalwarp >/dev/null 2>&1 || skip "gdalwarp not found (gdal-bin)"
need_gdal_python
cd "$tmp"

# A 6-band u8 scene (no nodata), a DEM with real 0 m pixels (no nodata), the same DEM with holes.
"$PY" - <<'PYEOF' || fail "could not make the test data"
import numpy as np
from osgeo import gdal
rng = np.random.default_rng(14)
R, C = 70, 90
y, x = np.mgrid[0:R, 0:C]
def make(path, a, dt, nodata=None):
    d = gdal.GetDriverByName("GTiff").Create(path, a.shape[2], a.shape[1], a.shape[0], dt)
    d.SetGeoTransform((500000, 30, 0, 4000000, 0, -30))
    for b in range(a.shape[0]):
        d.GetRasterBand(b + 1).WriteArray(a[b])
        if nodata is not None:
            d.GetRasterBand(b + 1).SetNoDataValue(nodata)
scene = np.stack([np.clip(60 + 40 * np.sin(x / (5.0 + b)) + 30 * np.cos(y / 4.0) + rng.normal(0, 12, (R, C)), 0, 255)
                  for b in range(6)]).astype(np.uint8)
make("scene.tif", scene, gdal.GDT_Byte)
dem = (120 * np.sin(x / 9.0) * np.cos(y / 7.0) + rng.normal(0, 3, (R, C))).astype(np.int16)
dem[dem < 0] = 0  # sea level: real 0 m pixels
make("dem0.tif", dem[None], gdal.GDT_Int16)
holes = ((x - 30) ** 2 + (y - 25) ** 2 < 60) | ((x > 60) & (y > 40) & (y < 46)) | (rng.random((R, C)) < 0.03)
demn = (1000 + dem).astype(np.int16)
demn[holes] = -9999
make("demn.tif", demn[None], gdal.GDT_Int16, -9999)
PYEOF

for k in linear cubic; do
    expect_exit 0 gr zoom -q -r "$k" --factor 3 -j 2 scene.tif "s3_$k.tif"
    expect_exit 0 gr zoom -q -r "$k" --factor 3 -j 2 --tile 32x32 scene.tif "s3t_$k.tif"
    expect_exit 0 gr zoom -q -r "$k" --factor 4 -j 2 demn.tif "d4_$k.tif"
    expect_exit 0 gr zoom -q -r "$k" --factor 4 -j 2 --tile 32x48 demn.tif "d4t_$k.tif"
    expect_exit 0 gr zoom -q -r "$k" --factor 4 -j 2 --nodata-policy exact demn.tif "d4e_$k.tif"
done
expect_exit 0 gr zoom -q -r cubic --factor 2 dem0.tif dem0z.tif
expect_exit 0 gr zoom -q -r cubic --factor 2 --nodata none demn.tif demnone.tif
gdal_translate -q -r bilinear -outsize 300% 300% scene.tif g3_linear.tif
gdal_translate -q -r cubic -outsize 300% 300% scene.tif g3_cubic.tif
gdalwarp -q -r bilinear -ts 360 280 demn.tif w4_linear.tif
gdalwarp -q -r cubic -ts 360 280 demn.tif w4_cubic.tif

"$PY" - <<'PYEOF' || fail "gridr's zoom differs from GDAL's (above)"
import sys
import numpy as np
from osgeo import gdal
errors = []
def check(cond, what):
    if not cond:
        errors.append(what)
def read(p):
    d = gdal.Open(p)
    return d.ReadAsArray().astype(np.int64), d.GetRasterBand(1).GetNoDataValue()

for k in ("linear", "cubic"):
    a, nd = read("s3_%s.tif" % k)
    t, _ = read("s3t_%s.tif" % k)
    g, _ = read("g3_%s.tif" % k)
    d = np.abs(a - g)
    check(nd is None, "%s x3: nodata %s invented on a source without one" % (k, nd))
    check(d.max() <= 1, "%s x3: differs from gdal_translate by %d DN (%d pixels > 1, first row %s vs %s)"
          % (k, d.max(), (d > 1).sum(), a[0, 0, :6], g[0, 0, :6]))
    check(np.array_equal(a, t), "%s x3: tiled output differs from the whole-image output" % k)
    print("scene x3 %s: max |gridr - gdal_translate| %d DN over %d pixels, edges included" % (k, d.max(), a.size))

    a, nd = read("d4_%s.tif" % k)
    t, _ = read("d4t_%s.tif" % k)
    e, _ = read("d4e_%s.tif" % k)
    w, wnd = read("w4_%s.tif" % k)
    av, wv, ev = a != -9999, w != -9999, e != -9999
    inner = np.zeros(a.shape, bool)
    inner[8:-8, 8:-8] = True  # 2 source pixels from the edges
    d = np.abs(a - w)
    check(nd == -9999 and wnd == -9999, "%s x4: nodata %s (gdalwarp %s)" % (k, nd, wnd))
    check(np.array_equal(av, wv), "%s x4: %d pixels valid in one of gridr and gdalwarp only" % (k, (av != wv).sum()))
    check(d[av & wv & inner].max() <= 1, "%s x4: differs from gdalwarp by %d DN away from the edges" % (k, d[av & wv & inner].max()))
    check(np.array_equal(a, t), "%s x4: tiled output differs from the whole-image output" % k)
    check(ev.sum() < av.sum() and np.array_equal(e[ev], a[ev]), "%s x4: the exact rule is not a subset with the same values" % k)
    print("DEM x4 %s: valid %.1f%% (gdalwarp %.1f%%, exact rule %.1f%%); max |diff| %d DN inside, %d at the edges"
          % (k, 100 * av.mean(), 100 * wv.mean(), 100 * ev.mean(), d[av & wv & inner].max(), d[av & wv].max()))

z, nd = read("dem0z.tif")
src, _ = read("dem0.tif")
check(nd is None, "DEM without nodata: nodata %s in the output" % nd)
check((z == 0).mean() > 0.5 * (src == 0).mean(), "DEM without nodata: its 0 m pixels are gone")
_, nd = read("demnone.tif")
check(nd is None, "--nodata none: nodata %s in the output" % nd)
for m in errors:
    print("FAIL:", m, file=sys.stderr)
sys.exit(1 if errors else 0)
PYEOF
no_journal_left
no_temp_left "$tmp"
echo "run_gdal_nodata: ok"

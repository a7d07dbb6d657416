#!/bin/sh
# gridr-run zoom honours GDAL mask bands as gdalwarp does, on data made here: an internal mask,
# a .msk file and an alpha band mark invalid samples (the same valid pixels as gdalwarp, values
# within 1 DN away from the raster's edges, cubic x3: targets on samples included); an alpha
# source gives an alpha output (gdalwarp's default); -dstalpha writes one (255, 65535 for u16);
# --mask-bands false ignores the masks; a paletted source interpolated gets a warning, nearest
# none. Needs gdalwarp and a python3 with numpy and GDAL's bindings.
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"
command -v gdalwarp >/dev/null 2>&1 || skip "gdalwarp not found (gdal-bin)"
need_gdal_python
cd "$tmp"

"$PY" - <<'PYEOF' || fail "could not make the test data"
import numpy as np
from osgeo import gdal
rng = np.random.default_rng(7)
R, C = 40, 50
y, x = np.mgrid[0:R, 0:C]
m = np.where(((x - 20) ** 2 + (y - 18) ** 2 < 50) | (rng.random((R, C)) < 0.03), 0, 255).astype(np.uint8)
def make(path, n, dt, vals, opts=()):
    d = gdal.GetDriverByName("GTiff").Create(path, C, R, n, dt, list(opts))
    d.SetGeoTransform((0, 1, 0, 0, 0, -1))
    for b in range(len(vals)):
        d.GetRasterBand(b + 1).WriteArray(vals[b])
    return d
u16 = [(1000 + 200 * np.sin(x / (4.0 + b)) + 100 * np.cos(y / 5.0)).astype(np.uint16) for b in range(2)]
for name, internal in (("mint.tif", "YES"), ("mext.tif", "NO")):
    gdal.SetConfigOption("GDAL_TIFF_INTERNAL_MASK", internal)
    d = make(name, 2, gdal.GDT_UInt16, u16)
    d.CreateMaskBand(gdal.GMF_PER_DATASET)
    d.GetRasterBand(1).GetMaskBand().WriteArray(m)
    d = None
rgb = [(100 + 50 * np.sin(x / (4.0 + b)) + 40 * np.cos(y / 5.0)).astype(np.uint8) for b in range(3)]
d = make("alpha.tif", 4, gdal.GDT_Byte, rgb + [m], ["ALPHA=YES"])
d = None
d = make("pal.tif", 1, gdal.GDT_Byte, [(x // 7 + y // 9).astype(np.uint8) % 5])
ct = gdal.ColorTable()
for i in range(5):
    ct.SetColorEntry(i, (i * 50, 255 - i * 50, i * 10, 255))
d.GetRasterBand(1).SetRasterColorTable(ct)
d = None
PYEOF
[ -f mext.tif.msk ] || fail "no .msk file was made"

for f in mint mext alpha; do
    expect_exit 0 gr zoom -q -r cubic --factor 3 -j 2 "$f.tif" "z_$f.tif"
    gdalwarp -q -r cubic -ts 150 120 "$f.tif" "w_$f.tif"
done
expect_exit 0 gr zoom -q -r linear --factor 3 -dstalpha mint.tif za.tif
gdalwarp -q -r bilinear -ts 150 120 -dstalpha mint.tif wa.tif
expect_exit 0 gr zoom -q -r cubic --factor 3 --mask-bands false mint.tif zoff.tif
gr zoom -q -r cubic --factor 2 pal.tif palc.tif 2>palc.err || fail "paletted cubic zoom failed: $(cat palc.err)"
grep -q "holds classes.*use -r nearest" palc.err || fail "no palette warning: $(cat palc.err)"
gr zoom -q -r nearest --factor 2 pal.tif paln.tif 2>paln.err || fail "paletted nearest zoom failed"
[ ! -s paln.err ] || fail "a warning on a nearest zoom of a palette: $(cat paln.err)"

"$PY" - <<'PYEOF' || fail "gridr's masks differ from gdalwarp's (above)"
import sys
import numpy as np
from osgeo import gdal
errors = []
def check(cond, what):
    if not cond:
        errors.append(what)
def load(p):
    d = gdal.Open(p)
    return d, d.ReadAsArray().astype(np.int64)
for f in ("mint", "mext", "alpha"):
    zd, a = load("z_%s.tif" % f)
    wd, w = load("w_%s.tif" % f)
    check(zd.RasterCount == wd.RasterCount, "%s: %d bands, gdalwarp %d" % (f, zd.RasterCount, wd.RasterCount))
    if f == "alpha":
        check(zd.GetRasterBand(4).GetColorInterpretation() == gdal.GCI_AlphaBand, "alpha: band 4 is not alpha")
        av, wv = a[3] != 0, w[3] != 0
        check(np.array_equal(a[3], w[3]), "alpha: the alpha bands differ in %d pixels" % (a[3] != w[3]).sum())
        a, w = a[:3], w[:3]
    else:  # no nodata, no alpha: invalid pixels are 0, as gdalwarp's
        check(zd.GetRasterBand(1).GetNoDataValue() is None, "%s: nodata invented" % f)
        av, wv = a[0] != 0, w[0] != 0
    inner = np.zeros(av.shape, bool)
    inner[6:-6, 6:-6] = True
    d = np.abs(a - w)[:, av & wv & inner]
    check(np.array_equal(av, wv), "%s: %d pixels valid in one of gridr and gdalwarp only" % (f, (av != wv).sum()))
    check(d.max() <= 1, "%s: differs from gdalwarp by %d DN away from the edges" % (f, d.max()))
    check(av.mean() < 0.95, "%s: the mask was not applied (%.1f%% valid)" % (f, 100 * av.mean()))
    print("%s x3 cubic: %.1f%% valid like gdalwarp, max |diff| %d DN inside" % (f, 100 * av.mean(), d.max()))
zd, a = load("za.tif")
wd, w = load("wa.tif")
check(zd.RasterCount == 3 and zd.GetRasterBand(3).GetColorInterpretation() == gdal.GCI_AlphaBand, "-dstalpha: no alpha band")
check(np.array_equal(a[2], w[2]), "-dstalpha: alpha differs from gdalwarp's in %d pixels" % (a[2] != w[2]).sum())
check(a[2].max() == 65535, "-dstalpha: u16 alpha max %d" % a[2].max())
_, o = load("zoff.tif")
check((o[0] == 0).sum() == 0, "--mask-bands false: %d pixels still masked" % (o[0] == 0).sum())
pd = gdal.Open("paln.tif")
check(pd.GetRasterBand(1).GetRasterColorTable() is not None, "nearest: the palette was not copied")
for m in errors:
    print("FAIL:", m, file=sys.stderr)
sys.exit(1 if errors else 0)
PYEOF
no_journal_left
no_temp_left "$tmp"
echo "run_gdal_masks: ok"

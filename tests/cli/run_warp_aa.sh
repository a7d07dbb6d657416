#!/bin/sh
# gridr-run warp antialiases where the transform shrinks the image (the default, as gdalwarp):
# a textured UTM 31N scene made here, warped to EPSG:4326 about 3 x coarser, agrees with gdalwarp
# -et 0 (bilinear, cubic) on the interior pixels (p99 <= 2 DN, max <= 4), while point sampling
# (--no-antialias) is much farther from it; the job key "antialias" is the option's; the plan's
# margin grows with the reduction (--report's plan_margin, --dry-run's warp line), so tiled
# outputs equal the one-window output byte for byte (cubic, lanczos, average; several warp
# cells); an enlarging warp keeps its point-sampled bytes. Needs gdalwarp, numpy, scipy.
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"
command -v gdalwarp >/dev/null 2>&1 || skip "gdalwarp not found (gdal-bin)"
need_gdal_python
"$PY" -c 'import scipy.ndimage' 2>/dev/null || skip "no scipy for $PY (python3-scipy)"
cd "$tmp"
"$PY" - <<'PYEOF' || fail "cannot make the test data"
import numpy as np
from osgeo import gdal, osr
for name, n in (("aa.tif", 600), ("aa_big.tif", 1000)):
    y, x = np.mgrid[0:n, 0:n].astype(float)
    scene = (1000 + 500 * np.sin(x / 7) * np.cos(y / 11) + 150 * np.sin(x / 2.1 + y / 3.3)
             + 3 * x * 300 / n + 2 * y * 300 / n)
    d = gdal.GetDriverByName("GTiff").Create(name, n, n, 1, gdal.GDT_UInt16)
    d.SetGeoTransform([440000, 30, 0, 5000000, 0, -30])
    s = osr.SpatialReference()
    s.ImportFromEPSG(32631)
    d.SetProjection(s.ExportToWkt())
    d.GetRasterBand(1).WriteArray(scene.astype(np.uint16))
    d = None
PYEOF
tr="0.0011 0.0008" # 86.6 x 88.9 m at 45.1 N: about 2.9 x 3 source pixels

# Against gdalwarp -et 0 on the same grid: antialiased close, point-sampled far.
for k in linear:bilinear cubic:cubic; do
    gk=${k%:*} gdk=${k#*:}
    # shellcheck disable=SC2086 # tr is two words
    expect_exit 0 gr warp -q -j 2 -t_srs EPSG:4326 -tr $tr -r "$gk" aa.tif "a_$gk.tif"
    # shellcheck disable=SC2086
    expect_exit 0 gr warp -q -j 2 -t_srs EPSG:4326 -tr $tr -r "$gk" --no-antialias aa.tif "p_$gk.tif"
    # shellcheck disable=SC2086
    gdalwarp -q -t_srs EPSG:4326 -tr $tr -r "$gdk" -et 0 aa.tif "w_$gk.tif"
    "$PY" - "a_$gk.tif" "p_$gk.tif" "w_$gk.tif" <<'PYEOF' || fail "$gk: antialiased warp vs gdalwarp"
import sys
import numpy as np
from osgeo import gdal
from scipy import ndimage
A, P, W = (gdal.Open(f).ReadAsArray().astype(float) for f in sys.argv[1:4])
def diff(X):  # interior: valid in both, 3 px from any invalid one (as warp_compare.py)
    inner = ndimage.binary_erosion((X != 0) & (W != 0), iterations=3, border_value=0)
    d = np.abs(X - W)[inner]
    return inner.sum(), np.percentile(d, 99), d.max()
(na, pa, ma), (npt, pp, mp) = diff(A), diff(P)
print("%s: antialiased p99 %g max %g DN (%d px), point-sampled p99 %g max %g DN (%d px)"
      % (sys.argv[1], pa, ma, na, pp, mp, npt))
bad = []
if na < 0.8 * (W != 0).sum():
    bad.append("only %d interior pixels of %d" % (na, (W != 0).sum()))
if pa > 2 or ma > 4:
    bad.append("antialiased: p99 %g max %g DN from gdalwarp (want <= 2, <= 4)" % (pa, ma))
if pp < max(4, 3 * pa):
    bad.append("point-sampled: p99 %g DN, not far from the antialiased %g" % (pp, pa))
if bad:
    print("\n".join(bad))
sys.exit(1 if bad else 0)
PYEOF
done

# The job key is the option: "antialias": false gives the --no-antialias bytes.
cat >job.json <<JSON
{"kind": "warp", "src": "aa.tif", "dst": "job.tif", "t-srs": "EPSG:4326", "tr": [0.0011, 0.0008],
 "resampling": "cubic", "antialias": false, "quiet": true}
JSON
expect_exit 0 gr -j 1 job.json
"$PY" -c "
import sys, numpy as np
from osgeo import gdal
sys.exit(0 if (gdal.Open('job.tif').ReadAsArray() == gdal.Open('p_cubic.tif').ReadAsArray()).all() else 1)
" || fail "job key antialias=false differs from --no-antialias"

# The plan's margin grows by the kernel's reach at the reduction (--report's plan_margin).
# shellcheck disable=SC2086
expect_exit 0 gr warp -q -j 1 -t_srs EPSG:4326 -tr $tr -r cubic --report m_aa.json aa.tif m1.tif
# shellcheck disable=SC2086
expect_exit 0 gr warp -q -j 1 -t_srs EPSG:4326 -tr $tr -r cubic --no-antialias --report m_pt.json \
    aa.tif m2.tif
"$PY" - <<'PYEOF' || fail "plan_margin does not grow with the reduction"
import json, sys
def margin(f):
    found = []
    def walk(o):
        if isinstance(o, dict):
            for k, v in o.items():
                found.append(v) if k == "plan_margin" else walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(json.load(open(f)))
    return found[0]
a, p = margin("m_aa.json"), margin("m_pt.json")
print("plan_margin: antialiased %g, point-sampled %g source pixels" % (a, p))
sys.exit(0 if a >= p + 4 else 1)  # cubic at ~3: a reach of ~6 pixels instead of 2
PYEOF
# shellcheck disable=SC2086
expect_exit 0 gr warp -j 1 -t_srs EPSG:4326 -tr $tr -r cubic --dry-run aa.tif dry.tif
grep -q "^warp: margin up to 7.02 source pixels .*(antialias on)" "$tmp/stdout" ||
    fail "dry run: no widened warp margin: $(grep warp: "$tmp/stdout")"

# Tiled outputs equal the one-window output, byte for byte (2 x 2 warp cells of 256 pixels).
for k in cubic lanczos average; do
    for t in 4096x4096 64x64 100x37; do
        # shellcheck disable=SC2086
        expect_exit 0 gr warp -q -j 2 --tile "$t" -t_srs EPSG:4326 -tr $tr -r "$k" aa_big.tif "t_$k-$t.tif"
    done
    for t in 64x64 100x37; do
        "$PY" - "t_$k-4096x4096.tif" "t_$k-$t.tif" <<'PYEOF' || fail "$k: windows of $t differ from one window"
import sys
import numpy as np
from osgeo import gdal
a, b = (gdal.Open(f).ReadAsArray() for f in sys.argv[1:3])
n = (a != b).sum()
if n or a.shape[0] < 300 or (a != 0).sum() < 0.5 * a.size:
    print("%s: %d of %d pixels differ (%d valid)" % (sys.argv[2], n, a.size, (a != 0).sum()))
    sys.exit(1)
PYEOF
    done
done

# gdalwarp's rule: a reduction within 0.05 of a whole number is that number, so a reprojection
# at the source's resolution (to EPSG:3857 by gdalwarp's grid, cells reducing by 0.98 to 1.02)
# keeps its point-sampled bytes, as in gdalwarp; without the rule those cells took the scaled
# filters (slower, and not gdalwarp's values: W3 ran 5.7x longer).
expect_exit 0 gr warp -q -j 2 -t_srs EPSG:3857 -r cubic aa.tif s1.tif
expect_exit 0 gr warp -q -j 2 -t_srs EPSG:3857 -r cubic --no-antialias aa.tif s2.tif
cmp -s s1.tif s2.tif || fail "a warp at the source's resolution was antialiased"

# An enlarging warp (no cell reduces) keeps its point-sampled bytes.
expect_exit 0 gr warp -q -j 2 -t_srs EPSG:4326 -tr 0.0002 0.0002 -r cubic aa.tif e1.tif
expect_exit 0 gr warp -q -j 2 -t_srs EPSG:4326 -tr 0.0002 0.0002 -r cubic --no-antialias aa.tif e2.tif
cmp -s e1.tif e2.tif || fail "an enlarging warp changed with antialiasing"

#!/bin/sh
# gridr-run warp's output grid and generated grid: size, geotransform and CRS equal gdalwarp's
# for its defaults, -tr, -te (with -tr or -ts, and alone: gdalwarp's resolution sampled over the
# extent, on an extent inside the scene, one not a multiple of it, one wider than the scene), -te_srs,
# -ts and -tap (and a job file with the same keys); the -et
# bound holds at every pixel of a dense check against the exact transform (and --report's
# measured error stays under it); pixels where the transform fails are nodata; bad options are
# refused. Also: a grid job's output georeferencing (grid metadata, --dst-geotransform/--dst-srs). Data made here with GDAL; needs gdalwarp and numpy.
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"
command -v gdalwarp >/dev/null 2>&1 || skip "gdalwarp not found (gdal-bin)"
need_gdal_python
cd "$tmp"
"$PY" "$GRIDR_SRCDIR/tests/cli/warp_data.py" || fail "cannot make the test data"
geom="$GRIDR_SRCDIR/tests/cli/warp_geometry.py"

# Output grids: gridr-run (nearest, the cheapest) against gdalwarp's VRT (no warping done).
i=0
for o in "" "-tr 0.0003 0.0002" "-tr 0.0003 0.0002 -tap" "-ts 400 300" "-ts 250 0" \
    "-te 2.2 45.05 2.33 45.15 -tr 0.0004 0.0004" \
    "-te 441000 4992000 447000 4998000 -te_srs EPSG:32631 -tr 0.0003 0.0003" \
    "-te 2.2 45.05 2.33 45.15 -ts 100 120" \
    "-te 2.2 45.05 2.33 45.15" "-te 2.2 45.05 2.3312345 45.1517" "-te 2.0 44.9 2.6 45.3" \
    "-te 441000 4992000 447000 4998000 -te_srs EPSG:32631"; do
    i=$((i + 1))
    # shellcheck disable=SC2086 # the options are words
    expect_exit 0 gr warp -q -j 1 -r nearest -t_srs EPSG:4326 $o utm.tif "o$i.tif"
    # shellcheck disable=SC2086
    gdalwarp -q -of VRT -t_srs EPSG:4326 $o utm.tif "o$i.vrt"
    "$PY" "$geom" "o$i.tif" "o$i.vrt" || fail "options '$o': output grid differs from gdalwarp's"
done
gdalwarp -q -of VRT -t_srs EPSG:2154 utm.tif l93.vrt
expect_exit 0 gr warp -q -j 1 -r nearest -t_srs EPSG:2154 utm.tif l93.tif
"$PY" "$geom" l93.tif l93.vrt || fail "EPSG:2154: output grid differs from gdalwarp's"

# A dry run plans the warp (windows of gdalwarp's output) and writes nothing.
expect_exit 0 gr warp -j 2 -t_srs EPSG:4326 -tr 0.0002 0.0002 --dry-run utm.tif dry.tif
grep -q "plan: output 409 x 577" "$tmp/stdout" || fail "dry run: no plan of the 577 x 409 output"
[ ! -e dry.tif ] || fail "a dry run wrote its output"

# A job file with the same keys gives the same grid.
cat >job.json <<JSON
{"kind": "warp", "src": "utm.tif", "dst": "job.tif", "t-srs": "EPSG:4326",
 "te": "2.2,45.05,2.33,45.15", "tr": [0.0004, 0.0004], "resampling": "nearest", "quiet": true}
JSON
expect_exit 0 gr -j 1 job.json
"$PY" "$geom" job.tif o6.vrt || fail "job file: output grid differs from gdalwarp's"

# The -et bound, on the ramps (bilinear of a ramp is the position itself).
for et in 0.01 0.0001; do
    expect_exit 0 gr warp -q -j 2 -t_srs EPSG:3857 -tr 40 40 -r linear -et "$et" --nodata 0 \
        --report "b$et.json" ramps.tif "b$et.tif"
    "$PY" "$GRIDR_SRCDIR/tests/cli/warp_bound.py" ramps.tif "b$et.tif" "$et" EPSG:3857 "b$et.json" ||
        fail "-et $et: the generated grid is farther from the exact transform than -et"
done

# Where the transform fails (beyond the horizon of an orthographic view) pixels are nodata, and
# the valid pixels agree with gdalwarp -et 0.
ortho="+proj=ortho +lat_0=45 +lon_0=10 +datum=WGS84"
expect_exit 0 gr warp -q -j 2 -t_srs "$ortho" -te -7000000 -7000000 7000000 7000000 -ts 200 200 \
    -r linear --nodata 0 geo.tif or.tif
gdalwarp -q -t_srs "$ortho" -te -7000000 -7000000 7000000 7000000 -ts 200 200 -r bilinear -et 0 \
    geo.tif orw.tif
"$PY" - <<'PYEOF' || fail "orthographic view: nodata where the transform fails, else gdalwarp's values"
import sys
import numpy as np
from osgeo import gdal
a = gdal.Open("or.tif").ReadAsArray().astype(float)
b = gdal.Open("orw.tif").ReadAsArray().astype(float)
i, j = np.mgrid[0:200, 0:200]
x, y = -7e6 + (j + 0.5) * 7e4, 7e6 - (i + 0.5) * 7e4
beyond = np.hypot(x, y) > 6.4e6  # off the globe: no inverse
bad = []
if (a[beyond] != 0).any():
    bad.append("%d pixels off the globe are not nodata" % (a[beyond] != 0).sum())
both = (a != 0) & (b != 0)
if both.sum() < 20000 or np.abs(a - b)[both].max() > 1:
    bad.append("%d pixels valid in both, max difference %g" % (both.sum(), np.abs(a - b)[both].max()))
print("\n".join(bad))
sys.exit(1 if bad else 0)
PYEOF

# --keep-grid: GridR's format; a grid job through it gives the warp's pixels (its output is
# (n - 1) x res + 1 wide: the warp's is its top-left part), georeferenced alike.
expect_exit 0 gr warp -q -j 2 -t_srs EPSG:4326 -tr 0.0002 0.0002 -r linear --keep-grid kg.tif utm.tif kw.tif
expect_exit 0 gr grid -q -j 2 -r linear --grid kg.tif --grid-nodata -1e9 utm.tif kgo.tif
"$PY" - <<'PYEOF' || fail "keep-grid: a grid job through the kept grid differs from the warp"
import sys
import numpy as np
from osgeo import gdal
k, w, g = gdal.Open("kgo.tif"), gdal.Open("kw.tif"), gdal.Open("kg.tif")
W = w.ReadAsArray().astype(float)
K = k.ReadAsArray()[:W.shape[0], :W.shape[1]].astype(float)
both = (K > 0) & (W > 0)
bad = []
if g.GetMetadataItem("GRIDR_RES_ROW") is None or g.RasterCount != 2:
    bad.append("not a GridR grid")
if k.GetGeoTransform() != w.GetGeoTransform():
    bad.append("geotransform %s, the warp's %s" % (k.GetGeoTransform(), w.GetGeoTransform()))
if both.sum() < 0.99 * (W > 0).sum() or np.abs(K - W)[both].max() > 1:
    bad.append("%d pixels in both, max difference %g" % (both.sum(), np.abs(K - W)[both].max()))
print("\n".join(bad))
sys.exit(1 if bad else 0)
PYEOF

# Georeferenced grid outputs: from the grid's GRIDR_DST_* metadata, or from the job's keys.
"$PY" - <<'PYEOF' || fail "cannot make the georeferenced grid"
import numpy as np
from osgeo import gdal
d = gdal.GetDriverByName("GTiff").Create("g.tif", 31, 31, 2, gdal.GDT_Float64)
r, c = np.mgrid[0:31, 0:31].astype(float) * 10
d.GetRasterBand(1).WriteArray(r)
d.GetRasterBand(2).WriteArray(c)
d.SetMetadata({"GRIDR_RES_ROW": "10", "GRIDR_RES_COL": "10",
               "GRIDR_DST_GEOTRANSFORM": "440000,30,0,5000000,0,-30", "GRIDR_DST_SRS": "EPSG:32631"})
d = None
PYEOF
expect_exit 0 gr grid -q -j 1 --grid g.tif utm.tif gm.tif
expect_exit 0 gr grid -q -j 1 --grid g.tif --dst-geotransform 1,2,0,3,0,-2 --dst-srs EPSG:4326 utm.tif gk.tif
"$PY" - <<'PYEOF' || fail "grid outputs: georeferencing not written as given"
import sys
from osgeo import gdal, osr
bad = []
m, k = gdal.Open("gm.tif"), gdal.Open("gk.tif")
if m.GetGeoTransform() != (440000, 30, 0, 5000000, 0, -30) or osr.SpatialReference(wkt=m.GetProjection()).GetAuthorityCode(None) != "32631":
    bad.append("from metadata: %s %s" % (m.GetGeoTransform(), m.GetProjection()[:40]))
if k.GetGeoTransform() != (1, 2, 0, 3, 0, -2) or osr.SpatialReference(wkt=k.GetProjection()).GetAuthorityCode(None) != "4326":
    bad.append("from the keys: %s %s" % (k.GetGeoTransform(), k.GetProjection()[:40]))
print("\n".join(bad))
sys.exit(1 if bad else 0)
PYEOF
expect_exit 2 gr grid -q --grid g.tif --dst-geotransform 1,2,3 utm.tif x.tif

# Refusals: -tap without -tr, -tr with -ts, no CRS to reproject from, an unknown CRS.
expect_exit 2 gr warp -q -tap -t_srs EPSG:4326 utm.tif x.tif
expect_exit 2 gr warp -q -tr 1 1 -ts 10 10 -t_srs EPSG:4326 utm.tif x.tif
expect_exit 2 gr warp -q -te 1 2 3 utm.tif x.tif
expect_exit 2 gr warp -q --grid g.tif -t_srs EPSG:4326 utm.tif x.tif
cp utm.tif utm_copy.tif
expect_exit 2 gr warp -q -t_srs EPSG:4326 --keep-grid utm_copy.tif utm_copy.tif x.tif
expect_err "keep-grid"
cmp -s utm.tif utm_copy.tif || fail "--keep-grid replaced the warp's source"
"$PY" -c "from osgeo import gdal; gdal.GetDriverByName('GTiff').Create('bare.tif', 8, 8, 1)"
expect_exit 1 gr warp -q -t_srs EPSG:4326 bare.tif x.tif
expect_err "no transform from .bare.tif."
expect_exit 1 gr warp -q -t_srs EPSG:999999 utm.tif x.tif
expect_err "EPSG:999999"
[ ! -e x.tif ] || fail "a refused warp left x.tif"

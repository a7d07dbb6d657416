#!/bin/sh
# gridr-run warp against gdalwarp -et 0 (the exact transform at every pixel) with the same kernel,
# on a 300 x 300 u16 UTM 31N scene made here, to EPSG:4326, Lambert-93 (EPSG:2154) and
# EPSG:3857: interior pixels within 1 DN (nearest, to EPSG:4326: at -et 0.0001, at most 0.01 %
# flipped by ties); output size, geotransform and CRS equal gdalwarp's. The resolutions make the output
# finer than the source on both axes, where gdalwarp does not widen its kernels. With --boundary
# edge --trust-padding every pixel gdalwarp makes valid is valid. GCP sources (-order 2, -tps)
# agree the same way. Needs gdalwarp, numpy, scipy.
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"
command -v gdalwarp >/dev/null 2>&1 || skip "gdalwarp not found (gdal-bin)"
need_gdal_python
"$PY" -c 'import scipy.ndimage' 2>/dev/null || skip "no scipy for $PY (python3-scipy)"
cd "$tmp"
"$PY" "$GRIDR_SRCDIR/tests/cli/warp_data.py" || fail "cannot make the test data"
cmp_py="$GRIDR_SRCDIR/tests/cli/warp_compare.py"

# target CRS, resolution
for t in "EPSG:4326 0.0002" "EPSG:2154 20" "EPSG:3857 25"; do
    srs=${t% *} res=${t#* }
    kernels="linear:bilinear:0.01 cubic:cubic:0.01"
    [ "$srs" != EPSG:4326 ] || kernels="nearest:near:0.0001 $kernels"
    for k in $kernels; do
        gk=${k%%:*} gdk=$(echo "$k" | cut -d: -f2) et=${k##*:}
        frac=0
        [ "$gk" = nearest ] && frac=0.0001
        expect_exit 0 gr warp -q -j 2 -t_srs "$srs" -tr "$res" "$res" -r "$gk" -et "$et" utm.tif "g_$gk.tif"
        gdalwarp -q -t_srs "$srs" -tr "$res" "$res" -r "$gdk" -et 0 utm.tif "w_$gk.tif"
        "$PY" "$cmp_py" "g_$gk.tif" "w_$gk.tif" 1 "$frac" || fail "$srs $gk: gridr-run warp and gdalwarp -et 0 differ"
        rm -f "g_$gk.tif" "w_$gk.tif"
    done
done

# GCP sources: polynomial order 2 and thin-plate spline, as gdalwarp's.
for m in "-order 2" "-tps"; do
    # shellcheck disable=SC2086 # the option is words
    expect_exit 0 gr warp -q -j 2 -t_srs EPSG:4326 -tr 0.0002 0.0002 -r linear $m gcps.tif gg.tif
    # shellcheck disable=SC2086
    gdalwarp -q -t_srs EPSG:4326 -tr 0.0002 0.0002 -r bilinear -et 0 $m gcps.tif wg.tif
    "$PY" "$cmp_py" gg.tif wg.tif 1 0 || fail "GCP source ($m): gridr-run warp and gdalwarp -et 0 differ"
    rm -f gg.tif wg.tif
done

# Valid area: with the edge boundary trusted, no smaller than gdalwarp's.
expect_exit 0 gr warp -q -j 2 -t_srs EPSG:4326 -tr 0.0002 0.0002 -r cubic --boundary edge --trust-padding utm.tif ge.tif
gdalwarp -q -t_srs EPSG:4326 -tr 0.0002 0.0002 -r cubic -et 0 utm.tif we.tif
"$PY" "$cmp_py" ge.tif we.tif 1 0 superset || fail "valid area smaller than gdalwarp's"

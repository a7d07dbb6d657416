#!/bin/sh
# gridr-run warp on sensor-model sources against gdalwarp -et 0 with the same kernel (bilinear)
# and the same output grid: an RPC scene (an RPC model made here) with a constant -rpc_height and
# with -rpc_dem (a DEM made here), to EPSG:4326 (and with the DEM to UTM 31N), and a swath
# georeferenced by geolocation arrays (GEOLOCATION domain, arrays every 2 pixels) to EPSG:4326
# (over the whole swath, where every cell meets its edge and is refined to exact pixels, and inside
# it, where the grid is densified).
# Interior pixels (valid in both, 3 px from any invalid) within 1 DN; with --boundary edge
# --trust-padding every pixel gdalwarp makes valid is valid (the default makes the half-kernel
# frame along the source's edges nodata: docs/usage.md). The default output grids equal gdalwarp's.
# Data: tests/cli/warp_sensor_data.py. Needs gdalwarp, numpy, scipy.
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"
command -v gdalwarp >/dev/null 2>&1 || skip "gdalwarp not found (gdal-bin)"
need_gdal_python
"$PY" -c 'import scipy.ndimage' 2>/dev/null || skip "no scipy for $PY (python3-scipy)"
cd "$tmp"
"$PY" "$GRIDR_SRCDIR/tests/cli/warp_sensor_data.py" || fail "cannot make the test data"
cmp_py="$GRIDR_SRCDIR/tests/cli/warp_compare.py"
geom="$GRIDR_SRCDIR/tests/cli/warp_geometry.py"

# name|source|target CRS and grid|gridr-run's model options|gdalwarp's
i=0
while IFS='|' read -r name src grid gro gwo; do
    i=$((i + 1))
    # shellcheck disable=SC2086 # the options are words
    gdalwarp -q $grid -r bilinear -et 0 $gwo "$src" "w$i.tif" || fail "$name: gdalwarp failed"
    for b in "" "--boundary edge --trust-padding"; do
        # shellcheck disable=SC2086
        expect_exit 0 gr warp -q -j 2 $grid -r linear $b $gro "$src" "g$i.tif"
        sup=""
        [ -z "$b" ] || sup=superset
        "$PY" "$cmp_py" "g$i.tif" "w$i.tif" 1 0 $sup ||
            fail "$name ${b:-(default boundary)}: gridr-run warp and gdalwarp -et 0 differ"
        rm -f "g$i.tif"
    done
done <<'EOF'
RPC, constant height|rpc.tif|-t_srs EPSG:4326 -te 2.265 45.077 2.335 45.124 -tr 0.0002 0.00015|-rpc_height 120|-to RPC_HEIGHT=120
RPC, DEM|rpc.tif|-t_srs EPSG:4326 -te 2.265 45.077 2.335 45.124 -tr 0.0002 0.00015|-rpc_dem dem.tif|-to RPC_DEM=dem.tif
RPC, DEM, to UTM|rpc.tif|-t_srs EPSG:32631 -te 442000 4994000 447600 4999400 -tr 15 15|-rpc_dem dem.tif|-to RPC_DEM=dem.tif
geolocation arrays|swath.vrt|-t_srs EPSG:4326 -te 2.248 45.098 2.314 45.144 -tr 0.0002 0.00012||
geolocation arrays, inside the swath|swath.vrt|-t_srs EPSG:4326 -te 2.265 45.106 2.29 45.135 -tr 0.0002 0.00012||
EOF

# gdalwarp's own output grid for these sources: source|gridr-run's options|gdalwarp's.
for m in "rpc.tif|-rpc_height 120|-to RPC_HEIGHT=120" "rpc.tif|-rpc_dem dem.tif|-to RPC_DEM=dem.tif" \
    "swath.vrt||" "swath.vrt|-t_srs EPSG:32631 -tr 20 20|-t_srs EPSG:32631 -tr 20 20"; do
    src=${m%%|*} rest=${m#*|}
    gro=${rest%%|*} gwo=${rest#*|}
    case $gro in *t_srs*) ;; *) gro="-t_srs EPSG:4326 $gro" gwo="-t_srs EPSG:4326 $gwo" ;; esac
    # shellcheck disable=SC2086
    expect_exit 0 gr warp -q -j 1 -r nearest $gro "$src" o.tif
    # shellcheck disable=SC2086
    gdalwarp -q -of VRT $gwo "$src" o.vrt
    "$PY" "$geom" o.tif o.vrt || fail "$src $gro: output grid differs from gdalwarp's"
    rm -f o.tif o.vrt
done

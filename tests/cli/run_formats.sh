#!/bin/sh
# Every output format and codec: GTiff codecs the workers encode (ZSTD, LZW, DEFLATE with
# PREDICTOR 2 and 3) give exactly the pixels of an uncompressed run; drivers other than GTiff
# (ENVI with its .hdr, GPKG, PNG, EHdr, COG) are written through a staging GTiff and CreateCopy
# and hold the same pixels, their side files renamed beside the output, no temporary left; what
# a driver cannot write (WEBP of one band, Zarr's directory) is refused before any window runs,
# with GDAL's reason, leaving nothing. Needs a python3 with numpy and GDAL's bindings.
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"
need_gdal_python
cd "$tmp"
Z="zoom -q -r cubic --factor 0.75 -j 2 --tile 128x128"

# same A B [BANDS]: GDAL reads the same pixels (and type) from A and B.
same() {
    "$PY" - "$@" <<'PYEOF' || fail "'$1' and '$2' differ"
import sys
from osgeo import gdal
import numpy as np
a, b = gdal.Open(sys.argv[1]), gdal.Open(sys.argv[2])
x, y = a.ReadAsArray(), b.ReadAsArray()
assert x.dtype == y.dtype and x.shape == y.shape, (x.dtype, y.dtype, x.shape, y.shape)
assert np.array_equal(x, y), np.argwhere(x != y)[:5]
PYEOF
}

# 1. Codecs the workers encode: the pixels of an uncompressed run, the codec in the file.
expect_exit 0 gr $Z -co COMPRESS=NONE "$SRC" none.tif
expect_exit 0 gr $Z -ot f32 -co COMPRESS=NONE "$SRC" none_f32.tif
for co in "COMPRESS=ZSTD ZSTD_LEVEL=1" "COMPRESS=ZSTD PREDICTOR=2" "COMPRESS=LZW PREDICTOR=2" \
    "COMPRESS=LZW" "COMPRESS=DEFLATE PREDICTOR=2 ZLEVEL=1"; do
    name=$(echo "$co" | tr ' =' '__').tif
    # shellcheck disable=SC2046
    expect_exit 0 gr $Z $(for o in $co; do printf -- '-co %s ' "$o"; done) "$SRC" "$name"
    same none.tif "$name"
    c=$(echo "$co" | sed 's/COMPRESS=\([A-Z]*\).*/\1/')
    gdalinfo "$name" | grep -q "COMPRESSION=$c" || fail "$name: not $c"
done
for c in ZSTD LZW DEFLATE; do
    expect_exit 0 gr $Z -ot f32 -co COMPRESS=$c -co PREDICTOR=3 "$SRC" "f32_$c.tif"
    same none_f32.tif "f32_$c.tif"
    gdalinfo "f32_$c.tif" | grep -q "PREDICTOR=3" || fail "f32_$c.tif: no floating-point predictor"
done
no_temp_left .
echo "codecs: ZSTD, LZW, DEFLATE with predictors 1, 2, 3 give the uncompressed run's pixels"

# 2. Drivers other than GTiff: the same pixels, side files beside the output.
expect_exit 0 gr $Z -b 1 -ot u8 "$SRC" ref_u8.tif
for f in ENVI:o.envi GPKG:o.gpkg PNG:o.png EHdr:e.bil COG:o_cog.tif; do
    drv=${f%%:*}
    out=${f#*:}
    expect_exit 0 gr $Z -b 1 -ot u8 -of "$drv" "$SRC" "$out"
    want="Driver: $drv"
    [ "$drv" != COG ] || want="LAYOUT=COG"
    gdalinfo "$out" | grep -q "$want" || fail "$out: not written by $drv"
    same ref_u8.tif "$out"
done
[ -f o.hdr ] && [ -f e.hdr ] || fail "ENVI's and EHdr's headers are not beside their outputs"
no_temp_left .
echo "drivers: ENVI, GPKG, PNG, EHdr, COG written through CreateCopy, same pixels"
# ... and an existing one is replaced only with --overwrite, side files included.
expect_exit 1 gr $Z -b 1 -ot u8 -of ENVI "$SRC" o.envi
expect_exit 0 gr $Z --overwrite -b 1 -ot u8 -of ENVI "$SRC" o.envi
same ref_u8.tif o.envi

# 3. Refused before any window, with GDAL's reason; nothing left.
expect_exit 1 gr $Z -b 1 -ot u8 -of WEBP "$SRC" o.webp
expect_err "WEBP cannot write 'o.webp' \(1 band of u8" "Must be 3 \(RGB\) or 4"
expect_exit 1 gr $Z -b 1 -ot u8 -of Zarr "$SRC" o.zarr
expect_err "Zarr writes a directory"
expect_exit 2 gr $Z -of MEM "$SRC" o.mem
expect_err "MEM keeps the raster in memory"
[ ! -e o.webp ] && [ ! -e o.zarr ] && [ ! -e o.mem ] || fail "a refused output was written"
no_temp_left .
echo "WEBP of one band, Zarr, MEM: refused with the reason, nothing left"

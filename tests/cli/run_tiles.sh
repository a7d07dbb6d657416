#!/bin/sh
# gridr-run with output tiles encoded in the workers and written raw (uncompressed and DEFLATE,
# pixel- and band-interleaved, u16 / u8 / f32, sizes not a multiple of the tile, windows of
# several tiles) writes the same pixels, georeferencing and metadata as the GDAL-only path
# (GRIDR_RASTER_GDAL_ONLY=1); windows cutting tiles (--tile 200x200) still work.
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"
command -v gdalinfo >/dev/null 2>&1 || skip "gdalinfo not found (gdal-bin)"
cd "$tmp"

# gdalinfo without the lines naming the file; with -checksum.
info() {
    gdalinfo -checksum -nofl "$1" | grep -v -e '^Files:' -e "$1" >"$1.info" || fail "gdalinfo $1"
}

n=0
# same ARGS...: run once on the raw path and once GDAL-only, compare.
same() {
    n=$((n + 1))
    expect_exit 0 gr "$@" -q -j 2 --report "rep$n.json" "raw$n.tif"
    GRIDR_RASTER_GDAL_ONLY=1 expect_exit 0 gr "$@" -q -j 2 "gdal$n.tif"
    info "raw$n.tif"
    info "gdal$n.tif"
    sed "s/gdal$n/raw$n/g" "gdal$n.tif.info" | diff "raw$n.tif.info" - >&2 ||
        fail "run $n ($*): raw tiles and GDAL differ (above)"
    grep -q Checksum "raw$n.tif.info" || fail "run $n: no checksum"
}

same zoom -r linear --factor 1.3 --tile 256x256 "$SRC"
same zoom -r linear --factor 1.3 --tile 512x256 -co COMPRESS=DEFLATE "$SRC"
grep -q "COMPRESSION=DEFLATE" raw2.tif.info || fail "run 2 is not DEFLATE"
grep -q "Origin = " raw2.tif.info || fail "run 2 has no georeferencing"
same zoom -r cubic --factor 0.77 -ot u8 -co COMPRESS=DEFLATE -co ZLEVEL=2 "$SRC"
same zoom -r cubic --factor 1.1 -ot f32 -co COMPRESS=DEFLATE -co INTERLEAVE=BAND \
    -co BLOCKXSIZE=128 -co BLOCKYSIZE=64 "$SRC"
same grid -r cubic --grid "$GRID" -b 2 -co COMPRESS=DEFLATE --tile 256x256 "$SRC"
same grid -r linear --grid "$GRID" -co COMPRESS=NONE --tile 200x200 "$SRC"
same zoom -r linear --factor 0.9 -ot f32 -co INTERLEAVE=BAND -co BLOCKXSIZE=64 -co BLOCKYSIZE=32 \
    "$SRC"

# Uncompressed tiles on whole-tile windows are written by the workers themselves, each at a
# fixed place 4 KiB-aligned (runs 1 and 7); GRIDR_WORKER_WRITES=0 gives the writes back to the
# parent: same pixels and metadata, tiles where libtiff appends them.
GRIDR_WORKER_WRITES=0 expect_exit 0 gr zoom -r linear --factor 1.3 --tile 256x256 -q -j 2 "$SRC" parent.tif
info parent.tif
sed "s/parent/raw1/g" parent.tif.info | diff raw1.tif.info - >&2 || fail "worker and parent writes differ"
if command -v /usr/bin/python3 >/dev/null 2>&1 && /usr/bin/python3 -c 'from osgeo import gdal' 2>/dev/null; then
    /usr/bin/python3 - raw1.tif raw7.tif parent.tif <<'PYEOF' || fail "tile places (above)"
import sys
from osgeo import gdal
def offsets(path):
    ds = gdal.Open(path)
    b = ds.GetRasterBand(1)
    bx, by = b.GetBlockSize()
    nx, ny = -(-ds.RasterXSize // bx), -(-ds.RasterYSize // by)
    return [int(b.GetMetadataItem("BLOCK_OFFSET_%d_%d" % (x, y), "TIFF")) for y in range(ny) for x in range(nx)]
for p in sys.argv[1:3]:
    o = offsets(p)
    if any(v % 4096 for v in o) or o != sorted(o):
        sys.exit("%s: tiles not at the workers' aligned places: %s" % (p, o[:4]))
if all(v % 4096 == 0 for v in offsets(sys.argv[3])):
    sys.exit("parent.tif: GRIDR_WORKER_WRITES=0 still wrote at the workers' places")
PYEOF
else
    echo "no python3 with GDAL: tile places not checked"
fi
no_shm_left
no_journal_left

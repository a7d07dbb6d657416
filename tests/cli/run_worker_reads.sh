#!/bin/sh
# Workers that read the source window themselves (a one-band uncompressed GTiff: tiled and
# stripped) write the same pixels as runs where the parent reads it (GRIDR_WORKER_READS=0), for
# zooms and grids, one and two workers, and with a source that needs padding (edge windows).
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"
command -v gdal_translate >/dev/null 2>&1 || skip "gdal_translate not found (gdal-bin)"
cd "$tmp"

gdal_translate -q -b 1 -co TILED=YES -co BLOCKXSIZE=64 -co BLOCKYSIZE=64 -co COMPRESS=NONE \
    "$SRC" one_tiled.tif || fail "gdal_translate (tiled)"
gdal_translate -q -b 2 -co TILED=NO -co BLOCKYSIZE=7 -co COMPRESS=NONE \
    "$SRC" one_strips.tif || fail "gdal_translate (strips)"

sum() {
    gdalinfo -checksum "$1" | grep Checksum || fail "gdalinfo $1"
}

n=0
# same SRC ARGS...: default (workers read) against GRIDR_WORKER_READS=0 (the parent reads).
same() {
    n=$((n + 1))
    src=$1
    shift
    expect_exit 0 gr "$@" -q --tile 128x128 --report "w$n.json" "$src" "w$n.tif"
    GRIDR_WORKER_READS=0 expect_exit 0 gr "$@" -q --tile 128x128 "$src" "p$n.tif"
    [ "$(sum "w$n.tif")" = "$(sum "p$n.tif")" ] ||
        fail "run $n ($*): worker reads and parent reads differ"
    grep -q '"bytes_read": [1-9]' "w$n.json" || fail "run $n: no bytes read reported"
}

same one_tiled.tif zoom -r cubic --factor 1.3 -j 2
same one_tiled.tif zoom -r linear --factor 0.6 -j 1
same one_strips.tif zoom -r bspline3 --factor 1.7 -j 2 --boundary reflect
same one_tiled.tif grid -r cubic --grid "$GRID" -j 2
same one_strips.tif grid -r linear --grid "$GRID" -j 2 --boundary edge --trust-padding
no_shm_left
no_journal_left

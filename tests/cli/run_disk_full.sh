#!/bin/sh
# gridr-run writing to a disk that fills up (a 300 KiB tmpfs, for a 6 MiB output): exit 1, the
# message names the file and "No space left on device", the disk holds nothing afterwards (no
# output, no temporary file), no journal and no /dev/shm entry of the run are left.
# Needs root and unshare (the tmpfs is mounted in a private mount namespace); skips otherwise.
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"
[ "$(id -u)" = 0 ] || skip "needs root to mount a small tmpfs"
unshare -m true 2>/dev/null || skip "unshare -m does not work here (no CAP_SYS_ADMIN?)"
mkdir "$tmp/full"
cd "$tmp"

# full_run CACHE_MIB [GDAL_ONLY]: in a namespace, mount the tmpfs, run gridr-run with GDAL's block
# cache of CACHE_MIB (GDAL_ONLY=1: output written through GDAL, not the direct libtiff path),
# record its status and what the disk holds afterwards.
full_run() {
    rm -f stdout stderr status listing rep.json
    # shellcheck disable=SC2016
    GRIDR_RASTER_GDAL_ONLY=${2:-} GDAL_CACHEMAX=$1 unshare -m sh -c '
        dir=$1; shift
        mount -t tmpfs -o size=300k tmpfs "$dir" || exit 99
        "$@" >"$dir/../stdout" 2>"$dir/../stderr"
        echo $? >"$dir/../status"
        ls -A "$dir" >"$dir/../listing"
    ' sh "$tmp/full" "$GRIDR_RUN" zoom -q --factor 2 -j 2 --tile 256x256 --report "$tmp/rep.json" \
        ${CO:-} "$SRC" "$tmp/full/o.tif" || skip "could not mount a tmpfs (status $?)"
    [ -s status ] || fail "the run did not happen"
    [ "$(cat status)" = 1 ] || fail "exit status $(cat status), expected 1; stderr: $(cat stderr)"
    [ ! -s listing ] || fail "the full disk still holds: $(cat listing)"
    grep -q '"status": "GRIDR_ENOSPC"' rep.json || fail "report: $(grep status rep.json)"
    no_shm_left
    no_journal_left
    echo "disk full, cache $1 MiB: $(head -c 220 stderr)"
}

# Through GDAL with a large cache: GDAL keeps the tiles and fails when the output is closed
# (commit).
full_run 64 1
grep -q "gridr-run: $tmp/full/o.tif: cannot write '$tmp/full/o.tif' (temporary '$tmp/full/o.tif.tmp.[0-9a-f]*'): .*No space left on device" stderr ||
    fail "message: $(cat stderr)"
# Through GDAL with a 1 MiB cache: a window's write fails while the workers are busy (finish).
full_run 1 1
grep -q "gridr-run: $tmp/full/o.tif: window [0-9]* \[rows .*\]: finish: cannot write window .* of '$tmp/full/o.tif': .*No space left on device" stderr ||
    fail "message: $(cat stderr)"
# Compressed tiles, encoded by the workers and written raw by the parent (no cache): the first
# window that does not fit.
CO="-co COMPRESS=DEFLATE" full_run 64
grep -q "gridr-run: $tmp/full/o.tif: window [0-9]* \[rows .*\]: finish: cannot write window .* of '$tmp/full/o.tif': .*No space left on device" stderr ||
    fail "message: $(cat stderr)"
# The workers writing the tiles themselves: the worker's write fails, the run says why.
full_run 64
grep -q "gridr-run: $tmp/full/o.tif: window [0-9]* \[rows .*\][^:]*: .*(GRIDR_ENOSPC): cannot write window rows .* to the output: No space left on device" stderr ||
    fail "message: $(cat stderr)"
echo "run_disk_full: ok"

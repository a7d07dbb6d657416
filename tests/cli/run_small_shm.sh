#!/bin/sh
# Container-sized /dev/shm: the planner caps the memory budget by the room in /dev/shm, so with
# Docker's default 64 MiB, and even 4 MiB, a run with the default --mem works and writes the same
# bytes as with a large /dev/shm (smaller windows); with 1 MiB not even the smallest windows fit
# and it fails before any work with a message naming /dev/shm and what to do. Each case runs in
# its own mount namespace with a tmpfs of that size at /dev/shm (root and unshare(1), as in CI;
# skipped otherwise).
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"
cd "$tmp"
command -v gdal_translate >/dev/null 2>&1 || skip "gdal_translate not found (gdal-bin)"
[ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 && unshare -m true 2>/dev/null ||
    skip "needs root and unshare(1) for a private /dev/shm"

# shm_run SIZE ARGS...: gridr-run ARGS with a SIZE tmpfs at /dev/shm; status in ./status.
shm_run() {
    _size=$1
    shift
    # shellcheck disable=SC2016
    unshare -m sh -c 'mount -t tmpfs -o size=$1 gridr-test-shm /dev/shm || exit 99
        shift; "$@" >stdout 2>stderr; echo $? >status' sh "$_size" "$GRIDR_RUN" "$@"
}

# A 3072 x 3072 x 3 u16 source (54 MiB): windows of the default 1 GiB budget would not fit 64 MiB.
expect_exit 0 gr zoom -q --factor 6 "$SRC" big.tif
expect_exit 0 gr zoom -q -r cubic --factor 0.7 big.tif ref.tif
for size in 64m 4m; do
    shm_run $size zoom -q -r cubic --factor 0.7 --report rep.json big.tif o.tif
    [ "$(cat status)" = 0 ] || fail "$size /dev/shm: exit $(cat status): $(cat stderr)"
    # Windows that no longer fall on the output's tiles are written through GDAL (another file
    # layout): the pixels are what must not change.
    gdal_translate -q -of ENVI o.tif o.raw && gdal_translate -q -of ENVI ref.tif ref.raw ||
        fail "gdal_translate (gdal-bin) failed"
    cmp -s ref.raw o.raw || fail "$size /dev/shm: the pixels differ from a large /dev/shm's"
    echo "$size /dev/shm, default --mem: exit 0, $(grep -o '"windows": [0-9]*' rep.json), same pixels"
    rm -f o.tif o.raw* o.hdr ref.raw* ref.hdr
done

shm_run 1m zoom -q -r cubic --factor 0.7 big.tif o1.tif
[ "$(cat status)" = 1 ] || fail "1 MiB /dev/shm: exit $(cat status), expected 1: $(cat stderr)"
grep -Eq "not enough /dev/shm for the smallest windows \(1.0 MiB free; .*enlarge /dev/shm \(docker --shm-size\)" stderr ||
    fail "1 MiB /dev/shm: message: $(cat stderr)"
[ ! -e o1.tif ] || fail "1 MiB /dev/shm: output written"
no_temp_left .
no_journal_left
echo "1 MiB /dev/shm: exit 1: $(cat stderr)"

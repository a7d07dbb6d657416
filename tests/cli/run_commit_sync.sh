#!/bin/sh
# After the rename the output exists: when the directory's fsync then fails (an LD_PRELOAD shim
# makes every directory fsync fail with EIO), the run says so in a warning, the report carries
# it, and the exit status is 0, since the output is complete; the output equals a normal run's.
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"
cd "$tmp"
SHIM="$GRIDR_BUILDDIR/tests/cli/.libs/libfailsync.so"
[ -f "$SHIM" ] || skip "$SHIM not built"
Z="zoom -q --factor 2 -j 2"
expect_exit 0 gr $Z "$SRC" plain.tif
ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" LD_PRELOAD="$SHIM" \
    expect_exit 0 gr $Z --report rep.json "$SRC" synced.tif
expect_err "warning: synced.tif: '.*synced.tif' is written, but its directory could not be synced"
cmp -s plain.tif synced.tif || fail "the output differs from a normal run's"
grep -q '"warning": ".*could not be synced' rep.json || fail "report: $(grep warning rep.json)"
grep -q '"status": "ok"' rep.json || fail "report status: $(grep status rep.json)"
no_temp_left .
no_journal_left
no_shm_left
echo "a failed directory sync after the rename: exit 0 with a warning"

#!/bin/sh
# gridr-run -j at its cap: 512 workers (one socket each in the parent: half the usual limit of
# 1024 open files) run a zoom of 1024 windows to the same bytes as 2 workers, within 60 s, and
# leave nothing; -j 513, on the command line or in a job file, is a usage error (exit 2) that
# gives the bound and its reason. (Before the fix 4096 were accepted and -j 560 hung for ever at
# creation: the parent and the fork server both blocked sending on the control socket.
# tests/test_sched_safety.c checks 600 workers through the library.)
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"
GRIDR_VALGRIND="" # 512 processes under valgrind: minutes, and nothing the other tests miss
command -v timeout >/dev/null 2>&1 || skip "timeout(1) not found"
mkdir "$tmp/out"
cd "$tmp"
ZOOM="zoom -q -r cubic --factor 2 --tile 32x32"

# Over the cap: refused before anything runs.
expect_exit 2 gr $ZOOM -j 513 "$SRC" out/o.tif
expect_err "^gridr-run: value '513' for key 'workers' is out of range \(expected an integer in \[1, 512\]\): the parent keeps one socket per worker, within the usual limit of 1024 open files$"
printf '{"kind": "zoom", "src": "%s", "dst": "out/j.tif", "factor": 2, "workers": 513}\n' "$SRC" >big.json
expect_exit 2 gr big.json
expect_err "^gridr-run: big.json: job 1: value '513' for key 'workers' is out of range \(expected an integer in \[1, 512\]\)"
[ ! -e "$STATE" ] || fail "a usage error opened a run registry"
[ -z "$(ls out)" ] || fail "a usage error wrote: $(ls out)"
echo "-j 513: $(cat "$tmp/stderr")"

# The reference, then the cap.
expect_exit 0 gr $ZOOM -j 2 "$SRC" out/j2.tif
t0=$(date +%s)
expect_exit 0 timeout 60 "$GRIDR_RUN" $ZOOM -j 512 --report r512.json "$SRC" out/j512.tif
dt=$(($(date +%s) - t0))
grep -q '"workers": 512,' r512.json || fail "report: $(grep workers r512.json)"
grep -q '"windows": 1024,' r512.json || fail "report: $(grep '"windows"' r512.json)"
cmp out/j2.tif out/j512.tif || fail "-j 512 and -j 2 wrote different files"
whole="$GRIDR_BUILDDIR/tests/cli/wholeimage"
if [ -x "$whole" ]; then
    "$whole" cubic "$SRC" zoom:2 - out/j512.tif >res || fail "-j 512: $(cat res)"
    echo "-j 512: $(cat res)"
fi
no_temp_left out
no_journal_left
no_shm_left
echo "-j 512: 1024 windows in about $dt s, the same file as -j 2"
echo "run_workers_cap: ok"

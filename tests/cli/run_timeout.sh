#!/bin/sh
# gridr-run --timeout SECONDS: a worker stuck on a window (GRIDR_FAULT=hang sleeps until killed)
# is killed once the attempt has lasted that long, and the window is retried or fails as if the
# worker had died: exit 1 with a message naming the window and saying it timed out, nothing
# left behind; with --keep-going the other windows are done; with a retry that does not hang
# the output is the whole-image resampling. Each job of a batch has its own "timeout".
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"
need_faults # the workers that overrun hang on cue
GRIDR_VALGRIND="" # timing-based; memcheck covers the same paths in run_faults
command -v timeout >/dev/null 2>&1 || skip "timeout(1) not found"
whole="$GRIDR_BUILDDIR/tests/cli/wholeimage"
[ -x "$whole" ] || skip "$whole not built"
mkdir "$tmp/out"
cd "$tmp"
# timeout(1) turns a run that hangs (the bug) into a failure of this test.
RUN="timeout 60 $GRIDR_RUN zoom -q -r linear --factor 2 --tile 256x256 -j 2"
W1='window 1 \[rows 0\.\.255, cols 256\.\.511\]'

left_nothing() {
    [ ! -e out/o.tif ] || fail "$1: output written"
    no_temp_left out
    no_journal_left
    no_shm_left
}

# Every attempt of window 1 hangs: killed after 1 s, retried once (the default), killed again.
t0=$(date +%s)
GRIDR_FAULT=hang:window=1 expect_exit 1 $RUN --timeout 1 --report t1.json "$SRC" out/o.tif
unset GRIDR_FAULT
dt=$(($(date +%s) - t0))
expect_err "^gridr-run: out/o.tif: $W1 attempt 2/2: timed out after 1 s \(worker pid [0-9]+ killed by SIGKILL\)$"
[ "$dt" -ge 2 ] && [ "$dt" -le 10 ] || fail "two 1 s attempts took $dt s"
grep -q '"failed_windows": 1,' t1.json || fail "report: $(grep failed t1.json)"
grep -q '"retried_windows": 1,' t1.json || fail "report: $(grep retried t1.json)"
left_nothing "hang, 1 retry"
echo "hang on every attempt, --timeout 1: exit 1 after $dt s: $(cat "$tmp/stderr")"

# --keep-going, no retry: window 1 fails, the 15 others are done (the run went on after it).
GRIDR_FAULT=hang:window=1 expect_exit 1 $RUN --timeout 1 --retries 0 --keep-going --report t2.json "$SRC" out/o.tif
unset GRIDR_FAULT
expect_err "1 of 16 windows failed \(1\); first: $W1 attempt 1/1: timed out after 1 s \(worker pid [0-9]+ killed by SIGKILL\)"
grep -q '"failed_windows": 1,' t2.json || fail "report: $(grep failed t2.json)"
left_nothing "--keep-going"
echo "--keep-going: $(cat "$tmp/stderr")"

# The first attempt hangs, the retry does not: the output is right.
GRIDR_FAULT=hang:window=1:once expect_exit 0 $RUN --timeout 0.5 --report t3.json "$SRC" out/once.tif
unset GRIDR_FAULT
grep -q '"retried_windows": 1,' t3.json || fail "report: $(grep retried t3.json)"
"$whole" linear "$SRC" zoom:2 - out/once.tif >res || fail "output after a timed-out attempt: $(cat res)"
rm out/once.tif
echo "hang once, --timeout 0.5: retried, $(cat res)"

# Bad values are usage errors.
expect_exit 2 gr zoom -q --factor 2 --timeout -1 "$SRC" out/o.tif
expect_err "value '-1' for key 'timeout' is out of range \(expected seconds in \[0, 1e\+07\], 0 = no limit\)"
expect_exit 2 gr zoom -q --factor 2 --timeout soon "$SRC" out/o.tif
expect_err "bad value 'soon' for key 'timeout'"

# A batch: each job runs with its own timeout (the messages give it) and retries.
mkdir jobs
printf '[{"kind": "zoom", "src": "%s", "dst": "../out/b1.tif", "factor": 2, "tile": "256x256", "workers": 2, "quiet": true, "timeout": 1, "retries": 0},\n' "$SRC" >jobs/t.json
printf ' {"kind": "zoom", "src": "%s", "dst": "../out/b2.tif", "factor": 2, "tile": "256x256", "workers": 2, "quiet": true, "timeout": 0.5, "retries": 1},\n' "$SRC" >>jobs/t.json
printf ' {"kind": "zoom", "src": "%s", "dst": "../out/b3.tif", "factor": 2, "tile": "256x256", "workers": 2, "quiet": true, "timeout": 0.5, "retries": 0}]\n' "$SRC" >>jobs/t.json
GRIDR_FAULT=hang:window=1:once expect_exit 1 timeout 60 "$GRIDR_RUN" jobs/t.json
unset GRIDR_FAULT
expect_err "t.json: job 1: $W1 attempt 1/1: timed out after 1 s " \
    "t.json: job 3: $W1 attempt 1/1: timed out after 0.5 s "
grep -q "job 2" "$tmp/stderr" && fail "job 2 (a retry) failed: $(cat "$tmp/stderr")"
[ ! -e out/b1.tif ] && [ ! -e out/b3.tif ] || fail "a job that timed out wrote its output"
"$whole" linear "$SRC" zoom:2 - out/b2.tif >res || fail "job 2: $(cat res)"
rm out/b2.tif
left_nothing "batch"
echo "batch with timeouts 1, 0.5, 0.5 and retries 0, 1, 0: jobs 1 and 3 timed out, job 2 retried"
echo "run_timeout: ok"

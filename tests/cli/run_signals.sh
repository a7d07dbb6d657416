#!/bin/sh
# gridr-run interrupted: SIGTERM mid-run exits 143 and SIGINT 130, soon, with a message; the
# output is not written, no temporary file, journal or /dev/shm entry of the run is left, and
# the fork server and every worker are gone. A SIGINT that the shell made gridr-run ignore
# (`gridr-run ... &` in a script) stays ignored.
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"
GRIDR_VALGRIND="" # timing-based; memcheck covers the same paths in the other tests
mkdir "$tmp/out"
cd "$tmp"

# A run that cannot end by itself: the worker that gets window 1 sleeps (GRIDR_FAULT hang).
HANG="zoom -q --factor 2 --tile 256x256 -j 2"
# A real long run (about 20 s of work on 2 cores): zoom x8, B-spline 11, 64x64 windows.
LONG="zoom -q -r bspline11 --factor 8 --tile 64x64 -j 2"

# Run ids, fork server and workers of the background run $p, once it holds segments.
started() {
    wait_until 10 sh -c "grep -q '^+shm' '$STATE'/*.journal 2>/dev/null" || fail "the run did not start"
    id=$(basename "$(ls "$STATE"/*.journal)" .journal)
    exe=$(readlink "/proc/$p/exe")
    case "$exe" in */gridr-run | */lt-gridr-run) ;; *) fail "pid $p is $exe, not gridr-run" ;; esac
    fs=$(children "$p")
    workers=$(children "$fs")
    [ "$(echo "$workers" | wc -w)" = 2 ] || fail "fork server '$fs', workers '$workers'"
    ls out/o.tif.tmp."$id" >/dev/null || fail "no temporary output out/o.tif.tmp.$id"
}

# interrupted SIG CODE: send SIG to $p; it exits CODE within 3 s and leaves nothing.
interrupted() {
    t0=$(date +%s.%N)
    kill -"$1" "$p"
    set +e
    wait "$p"
    rc=$?
    set -e
    bg_pids=""
    dt=$(echo "$(date +%s.%N) - $t0" | bc)
    [ "$rc" = "$2" ] || fail "SIG$1: exit $rc, expected $2; stderr: $(cat err)"
    [ "$(echo "$dt < 3" | bc)" = 1 ] || fail "SIG$1: took $dt s to exit"
    grep -qx "gridr-run: out/o.tif: interrupted by SIG$1; output not written" err ||
        fail "SIG$1: message: $(cat err)"
    [ ! -e out/o.tif ] || fail "SIG$1: output written"
    no_temp_left out
    no_journal_left
    shm_clean "$id"
    no_shm_left
    sleep 0.2
    for w in $fs $workers; do gone "$w" || fail "SIG$1: process $w of the run still there"; done
    echo "SIG$1 after the run started: exit $rc in $dt s; run $id left nothing"
}

command -v bc >/dev/null 2>&1 || skip "bc not found"

# SIGTERM while a worker is stuck on a window.
GRIDR_FAULT=hang:window=1 "$GRIDR_RUN" $HANG --report rep1.json "$SRC" out/o.tif 2>err &
p=$!
bg_pids=$p
started
interrupted TERM 143
grep -q '"status": "GRIDR_ECANCELED"' rep1.json || fail "report: $(grep status rep1.json)"

# SIGTERM and SIGINT while both workers compute. The shell starts background commands with
# SIGINT ignored: restore its default for the SIGINT case (env --default-signal, else python).
"$GRIDR_RUN" $LONG "$SRC" out/o.tif 2>err &
p=$!
bg_pids=$p
started
sleep 0.5
interrupted TERM 143

if env --default-signal=INT true 2>/dev/null; then
    env --default-signal=INT "$GRIDR_RUN" $LONG "$SRC" out/o.tif 2>err &
else
    need_gdal_python
    "$PY" -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
        "$GRIDR_RUN" $LONG "$SRC" out/o.tif 2>err &
fi
p=$!
bg_pids=$p
started
sleep 0.5
interrupted INT 130

# An ignored SIGINT stays ignored. (Only when this shell starts background jobs with SIGINT
# ignored, as POSIX shells without job control do.)
sh -c 'grep SigIgn /proc/self/status' >ign &
wait $!
mask=$(awk '{print $2}' ign)
if [ $((0x$mask & 2)) -ne 0 ]; then
    GRIDR_FAULT=hang:window=1 "$GRIDR_RUN" $HANG "$SRC" out/o.tif 2>err &
    p=$!
    bg_pids=$p
    started
    kill -INT "$p"
    sleep 0.5
    gone "$p" && fail "gridr-run started with SIGINT ignored died of SIGINT: $(cat err)"
    interrupted TERM 143
    echo "SIGINT ignored by the starting shell: still ignored"
else
    echo "this shell does not start background jobs with SIGINT ignored: that case is skipped"
fi
echo "run_signals: ok"

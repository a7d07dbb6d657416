#!/bin/sh
# gridr-run interrupted: SIGTERM mid-run exits 143, SIGINT 130 and SIGHUP 129 (also sent to the
# whole process group, as a terminal hang-up does), soon, with a message; the output is not
# written, no temporary file, journal or /dev/shm entry of the run is left, and the fork server
# and every worker are gone. A SIGINT that the shell made gridr-run ignore (`gridr-run ... &` in
# a script) stays ignored, and so does a SIGHUP ignored at start (nohup): the run completes.
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"
GRIDR_VALGRIND="" # timing-based; memcheck covers the same paths in the other tests
mkdir "$tmp/out"
cd "$tmp"

# A run that cannot end by itself: the worker that gets window 1 sleeps (GRIDR_FAULT hang; those
# cases need a build configured with --enable-fault-injection, the others run in every build).
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

# interrupted SIG CODE [group]: send SIG to $p (with `group`: to its process group); it exits
# CODE within 3 s and leaves nothing.
interrupted() {
    t0=$(date +%s.%N)
    if [ "${3:-}" = group ]; then kill -"$1" -"$p"; else kill -"$1" "$p"; fi
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
    no_shm_left "$id" # $id: known even when no report of this test names a run
    sleep 0.2
    for w in $fs $workers; do gone "$w" || fail "SIG$1: process $w of the run still there"; done
    echo "SIG$1 after the run started: exit $rc in $dt s; run $id left nothing"
}

# with_default SIG CMD...: run CMD with SIG's default action restored (the shell may have
# started us, or starts background commands, with it ignored).
with_default() {
    _sig=$1
    shift
    if env --default-signal="$_sig" true 2>/dev/null; then
        exec env --default-signal="$_sig" "$@"
    fi
    need_gdal_python
    exec "$PY" -c 'import os, signal, sys; signal.signal(getattr(signal, "SIG" + sys.argv[1]), signal.SIG_DFL); os.execv(sys.argv[2], sys.argv[2:])' \
        "$_sig" "$@"
}

command -v bc >/dev/null 2>&1 || skip "bc not found"

# SIGTERM while a worker is stuck on a window.
if fault_part "SIGTERM while a worker is stuck"; then
    GRIDR_FAULT=hang:window=1 "$GRIDR_RUN" $HANG --report rep1.json "$SRC" out/o.tif 2>err &
    p=$!
    bg_pids=$p
    started
    interrupted TERM 143
    grep -q '"status": "GRIDR_ECANCELED"' rep1.json || fail "report: $(grep status rep1.json)"
fi

# SIGTERM and SIGINT while both workers compute. The shell starts background commands with
# SIGINT ignored: restore its default for the SIGINT case (env --default-signal, else python).
"$GRIDR_RUN" $LONG "$SRC" out/o.tif 2>err &
p=$!
bg_pids=$p
started
sleep 0.5
interrupted TERM 143

(with_default INT "$GRIDR_RUN" $LONG "$SRC" out/o.tif) 2>err &
p=$!
bg_pids=$p
started
sleep 0.5
interrupted INT 130

# SIGHUP (default action restored: the test may run under nohup) to gridr-run while a worker is
# stuck, then to the whole process group while both workers compute, as a terminal hang-up
# does (setsid: a group of its own).
if fault_part "SIGHUP while a worker is stuck"; then
    (export GRIDR_FAULT=hang:window=1 && with_default HUP "$GRIDR_RUN" $HANG --report rep2.json "$SRC" out/o.tif) 2>err &
    p=$!
    bg_pids=$p
    started
    interrupted HUP 129
    grep -q '"status": "GRIDR_ECANCELED"' rep2.json || fail "report: $(grep status rep2.json)"
fi
if command -v setsid >/dev/null 2>&1; then
    (with_default HUP setsid "$GRIDR_RUN" $LONG "$SRC" out/o.tif) 2>err &
    p=$!
    bg_pids=$p
    started
    [ "$(ps -o pgid= -p "$p" | tr -d ' ')" = "$p" ] || fail "setsid: gridr-run leads no group"
    sleep 0.5
    interrupted HUP 129 group
else
    echo "no setsid: SIGHUP to the whole process group skipped"
fi

# SIGHUP ignored at start (nohup) stays ignored, by gridr-run and its workers: a hang-up of the
# whole group mid-run changes nothing and the run completes. (A run of about 3 s.)
MID="zoom -q -r bspline11 --factor 3 --tile 64x64 -j 2"
if command -v setsid >/dev/null 2>&1; then
    setsid sh -c 'trap "" HUP; exec "$@"' sh "$GRIDR_RUN" $MID "$SRC" out/o.tif 2>err &
    hup_target=group
else
    sh -c 'trap "" HUP; exec "$@"' sh "$GRIDR_RUN" $MID "$SRC" out/o.tif 2>err &
    hup_target=pid
fi
p=$!
bg_pids=$p
started
if [ "$hup_target" = group ]; then kill -HUP -"$p"; else kill -HUP "$p"; fi
sleep 0.2
gone "$p" && { wait "$p" || true; fail "gridr-run with SIGHUP ignored ended at once: $(cat err)"; }
set +e
wait "$p"
rc=$?
set -e
bg_pids=""
[ "$rc" = 0 ] || fail "SIGHUP ignored at start: exit $rc; stderr: $(cat err)"
[ ! -s err ] || fail "SIGHUP ignored at start: stderr: $(cat err)"
[ -s out/o.tif ] || fail "SIGHUP ignored at start: no output"
no_temp_left out
no_journal_left
no_shm_left "$id"
rm out/o.tif
echo "SIGHUP ignored at start (nohup), sent to the $hup_target: still ignored, run completed"

# An ignored SIGINT stays ignored. (Only when this shell starts background jobs with SIGINT
# ignored, as POSIX shells without job control do.)
sh -c 'grep SigIgn /proc/self/status' >ign &
wait $!
mask=$(awk '{print $2}' ign)
if [ $((0x$mask & 2)) -eq 0 ]; then
    echo "this shell does not start background jobs with SIGINT ignored: that case is skipped"
elif fault_part "an ignored SIGINT stays ignored"; then
    GRIDR_FAULT=hang:window=1 "$GRIDR_RUN" $HANG "$SRC" out/o.tif 2>err &
    p=$!
    bg_pids=$p
    started
    kill -INT "$p"
    sleep 0.5
    gone "$p" && fail "gridr-run started with SIGINT ignored died of SIGINT: $(cat err)"
    interrupted TERM 143
    echo "SIGINT ignored by the starting shell: still ignored"
fi
echo "run_signals: ok"

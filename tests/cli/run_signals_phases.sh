#!/bin/sh
# gridr-run stops within a second of SIGINT/SIGTERM/SIGHUP in every phase, not only while the
# workers compute, and each exit status means what gridr-run(1) says: 128+sig and no output when
# the signal came before the output was renamed into place, 0 and the complete output when it
# came after. Nothing is left behind (temporary output, journal, /dev/shm segment, process).
# The phases last milliseconds on test data: the GRIDR_FAULT test hook holds the parent at a
# step (hang:phase=NAME polls for cancellation; stuck:phase=NAME blocks like a long GDAL call);
# those cases need a build configured with --enable-fault-injection, the others run in every one.
# Also a hostile TIFF whose header claims 64314 samples per pixel: the run ends by itself in
# seconds (it spent minutes re-reading every band's nodata after setting each), a budget too
# small for one window of its bands is refused before the output exists, and SIGTERM stops it.
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"
private_shm
GRIDR_VALGRIND="" # timing-based
command -v bc >/dev/null 2>&1 || skip "bc not found"
mkdir "$tmp/out"
cd "$tmp"
PY=${PYTHON3:-python3}
"$PY" -c 'import struct' 2>/dev/null || skip "no python3"

# launch FAULT ARGS...: gridr-run in the background with GRIDR_FAULT=FAULT, SIGINT and SIGHUP
# at their default action (the shell starts background jobs with SIGINT ignored, and the test
# may run under nohup); $p is its pid.
launch() {
    _f=$1
    shift
    if env --default-signal=INT,HUP true 2>/dev/null; then
        GRIDR_FAULT=$_f env --default-signal=INT,HUP "$GRIDR_RUN" "$@" 2>err &
    else
        GRIDR_FAULT=$_f "$PY" -c 'import os, signal, sys
for s in (signal.SIGINT, signal.SIGHUP): signal.signal(s, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$GRIDR_RUN" "$@" 2>err &
    fi
    p=$!
    bg_pids=$p
}

# held: the run holds a journal (its id in $id), its fork server and 2 workers run; then give
# the hook 0.3 s to be reached.
held() {
    wait_until 10 sh -c "ls '$STATE'/*.journal >/dev/null 2>&1" || fail "no journal: $(cat err)"
    id=$(basename "$(ls "$STATE"/*.journal)" .journal)
    wait_until 10 sh -c "[ \$(ps -o pid= --ppid \$(ps -o pid= --ppid $p | head -1) 2>/dev/null | wc -l) = 2 ]" ||
        fail "the workers did not start: $(cat err)"
    fs=$(children "$p")
    workers=$(children "$fs")
    sleep 0.3
}

# run_over: the windows are done (every segment of run $id created and released): the parent
# is past the scheduler, at the commit step.
run_over() {
    _j="$STATE/$id.journal"
    _n=$(grep -c '^+shm' "$_j" 2>/dev/null || true)
    [ "${_n:-0}" -gt 0 ] && [ "$(grep -c '^-shm' "$_j")" = "$_n" ]
}

# stop SIG CODE LIMIT: send SIG to $p; it exits CODE within LIMIT seconds, and leaves no
# journal, no temporary file, no segment of run $id, no process.
stop() {
    t0=$(date +%s.%N)
    kill -"$1" "$p"
    set +e
    wait "$p"
    rc=$?
    set -e
    bg_pids=""
    dt=$(echo "$(date +%s.%N) - $t0" | bc)
    [ "$rc" = "$2" ] || fail "SIG$1 ($phase): exit $rc, expected $2; stderr: $(cat err)"
    [ "$(echo "$dt < $3" | bc)" = 1 ] || fail "SIG$1 ($phase): took $dt s to exit"
    no_temp_left out
    no_journal_left
    shm_clean "$id"
    sleep 0.2
    for w in $fs $workers; do gone "$w" || fail "SIG$1 ($phase): process $w still there"; done
}

# interrupted PHASE SIG CODE ARGS...: held at PHASE, SIG ends the run with CODE within 1 s, its
# message, no output.
interrupted() {
    phase=$1
    launch "hang:phase=$1" zoom -q --factor 2 -j 2 "$4" "$5" "$SRC" out/o.tif
    held
    if [ "$phase" = commit ]; then
        wait_until 20 run_over || fail "the windows were not done: $(cat err)"
        sleep 0.2
    fi
    stop "$2" "$3" 1
    grep -qx "gridr-run: out/o.tif: interrupted by SIG$2; output not written" err ||
        fail "SIG$2 ($phase): message: $(cat err)"
    [ ! -e out/o.tif ] || fail "SIG$2 ($phase): output written"
    echo "SIG$2 while $phase: exit $rc in $dt s, nothing written, nothing left"
}

if fault_part "a signal in each phase (held there by GRIDR_FAULT hang:phase, stuck:phase)"; then
    # While the workers start (the journal exists: a signal used to kill with no message and leave
    # it), before the output is created, before the plan, and before a COG's commit.
    interrupted start TERM 143 -of GTiff
    interrupted setup INT 130 -of GTiff
    interrupted plan HUP 129 -of GTiff
    interrupted commit TERM 143 -of COG

    # After the rename the job is complete: exit 0, a note, the output equal to an uninterrupted run.
    "$GRIDR_RUN" zoom -q --factor 2 -j 2 -of COG "$SRC" out/ref.tif
    phase=committed
    launch hang:phase=committed zoom -q --factor 2 -j 2 -of COG "$SRC" out/o.tif
    held
    wait_until 20 sh -c "[ -e out/o.tif ] && grep -q '^-\(file\|tmp\)' '$STATE/$id.journal'" ||
        fail "the output was not renamed: $(cat err)"
    sleep 0.2
    stop TERM 0 1
    grep -qx "gridr-run: out/o.tif: SIGTERM came after out/o.tif was written; the job is complete" err ||
        fail "SIGTERM after the rename: message: $(cat err)"
    cmp out/o.tif out/ref.tif || fail "SIGTERM after the rename: output differs from the reference"
    rm out/o.tif
    echo "SIGTERM after the rename: exit 0 in $dt s, output complete"

    # A batch: the signal comes after job 1's rename: job 1 is complete, job 2 is not run (143).
    cat >two.json <<JSON
[{"kind": "zoom", "src": "$SRC", "dst": "out/one.tif", "factor": 2},
 {"kind": "zoom", "src": "$SRC", "dst": "out/two.tif", "factor": 2}]
JSON
    phase="batch, after job 1's rename"
    launch hang:phase=committed -q -j 2 two.json
    held
    wait_until 20 sh -c "[ -e out/one.tif ] && grep -q '^-\(file\|tmp\)' '$STATE/$id.journal'" ||
        fail "job 1 was not renamed: $(cat err)"
    sleep 0.2
    stop TERM 143 1
    grep -qx "gridr-run: two.json: job 1: SIGTERM came after out/one.tif was written; the job is complete" err &&
        grep -qx "gridr-run: two.json: job 2: interrupted by SIGTERM; output not written" err ||
        fail "batch: messages: $(cat err)"
    [ -s out/one.tif ] && [ ! -e out/two.tif ] || fail "batch: outputs: $(ls out)"
    rm out/one.tif
    echo "SIGTERM after job 1 of 2 was renamed: job 1 complete, job 2 not run, exit 143"

    # Blocked in a call that looks at nothing (a long GDAL call): ended by force within the grace,
    # by the signal's default action; the temporary output and the journal are removed all the same.
    phase="stuck in plan"
    launch stuck:phase=plan zoom -q --factor 2 -j 2 "$SRC" out/o.tif
    held
    ls out/o.tif.tmp."$id" >/dev/null || fail "no temporary output out/o.tif.tmp.$id"
    stop TERM 143 1.5
    grep -q "interrupted by SIGTERM while busy; stopped by force, output not written" err ||
        fail "stuck: message: $(cat err)"
    [ ! -e out/o.tif ] || fail "stuck: output written"
    echo "SIGTERM while stuck: exit $rc in $dt s, removed by force"
fi

# ---- a hostile TIFF: 300 KB, its header claims 64314 samples per pixel of 2000 x 1500 --------
"$PY" - hostile.tif <<'PYEOF'
import struct, sys
w, h, spp, data = 2000, 1500, 64314, bytes(300 * 1024)
tags = [(256, 3, w), (257, 3, h), (258, 3, 8), (259, 3, 1), (262, 3, 1), (273, 4, 0),
        (277, 3, spp), (278, 3, h), (279, 4, len(data)), (284, 3, 1)]
start = 8 + 2 + 12 * len(tags) + 4
out = bytearray(b"II*\0" + struct.pack("<IH", 8, len(tags)))
for tag, typ, val in tags:
    val = start if tag == 273 else val
    out += struct.pack("<HHIHH" if typ == 3 else "<HHII", tag, typ, 1, val, *([0] if typ == 3 else []))
open(sys.argv[1], "wb").write(out + struct.pack("<I", 0) + data)
PYEOF

# hostile_run LIMIT ARGS...: gridr-run on it must end by itself within LIMIT seconds.
hostile_run() {
    _limit=$1
    shift
    "$GRIDR_RUN" zoom -q --factor 2 -j 2 --report rep.json "$@" hostile.tif out/o.tif 2>err &
    p=$!
    bg_pids=$p
    t0=$(date +%s.%N)
    wait_until "$_limit" gone "$p" || fail "hostile TIFF $*: still running after $_limit s"
    set +e
    wait "$p"
    rc=$?
    set -e
    bg_pids=""
    dt=$(echo "$(date +%s.%N) - $t0" | bc)
    [ "$rc" = 1 ] || fail "hostile TIFF $*: exit $rc, expected 1; stderr: $(cat err)"
    [ ! -e out/o.tif ] || fail "hostile TIFF: output written"
    no_temp_left out
    no_journal_left
    no_shm_left
}
# GDAL's own Create grows its band array by one per band (realloc): free with glibc's mremap, but
# under AddressSanitizer every realloc copies, 16 GB for 64314 bands (11 s on a quiet machine,
# 77 s on a loaded one).
limit=5
if grep -q __asan_init "$GRIDR_RUN" 2>/dev/null; then limit=150; fi
hostile_run $limit
# It fails at its first window: its strips are not in the file, or (a small /dev/shm) the
# windows of 64314 bands do not fit there.
grep -Eq "cannot read .* of 'hostile.tif'|not enough /dev/shm: the run needs|memory budget .* is too small" err ||
    fail "hostile TIFF: message: $(cat err)"
echo "hostile TIFF: exit 1 in $dt s: $(cut -c1-160 err)"
hostile_run $limit --mem 16
grep -qx "gridr-run: out/o.tif: source 'hostile.tif': 64314 bands of 2000 x 1500 to resample: one 16 x 16 window of every band needs at least 19.6 MiB x 3 in flight = 58.9 MiB, over the memory budget of 16 MiB; raise --mem, select bands with -b or use fewer workers (-j)" err ||
    fail "hostile TIFF, --mem 16: message: $(cat err)"
grep -q '"seconds_run": 0.0,' rep.json || fail "hostile TIFF, --mem 16: it ran: $(grep seconds rep.json)"
echo "hostile TIFF, --mem 16: refused in $dt s before the output was created"

if fault_part "SIGTERM during the hostile TIFF's setup (held by GRIDR_FAULT hang:phase=plan)"; then
    # SIGTERM once the output of 64314 bands exists (held before the plan, so that the run cannot
    # end by itself before the signal): exit 143 within 1 s, nothing left.
    phase="hostile TIFF setup"
    launch hang:phase=plan zoom -q --factor 2 -j 2 hostile.tif out/o.tif
    wait_until 10 sh -c "ls out/o.tif.tmp.* >/dev/null 2>&1" || fail "hostile TIFF: no temporary output"
    held
    stop TERM 143 1
    # (Under AddressSanitizer the signal lands in GDAL's Create, which looks at nothing: ended by
    # force.)
    grep -Eqx "gridr-run: out/o.tif: interrupted by SIGTERM; output not written|gridr-run: interrupted by SIGTERM while busy; stopped by force, output not written" err ||
        fail "hostile TIFF, SIGTERM: message: $(cat err)"
    echo "hostile TIFF, SIGTERM during its setup: exit 143 in $dt s"
fi
echo "run_signals_phases: ok"

#!/bin/sh
# gridr-run when workers die (the scheduler's fault hook GRIDR_FAULT, and a real SIGKILL from
# outside, as the OOM killer would send): with no retry left the job fails (exit 1) with a
# message naming the window, the attempt, the worker's pid and its signal or exit status, and
# leaves nothing behind; with a retry the window is redone on a new worker and the output is
# exactly the whole-image resampling. In a batch each job has its own number of retries.
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"
need_faults # every case starts with a worker that dies or hangs on cue
whole="$GRIDR_BUILDDIR/tests/cli/wholeimage"
[ -x "$whole" ] || skip "$whole not built"
GRIDR_VALGRIND="" # workers are killed on purpose; valgrind adds nothing here but minutes
mkdir "$tmp/out"
cd "$tmp"
ZOOM="zoom -q -r linear --factor 2 --tile 256x256 -j 2"
n=0

# died CODE FAULT ERE ARGS...: the run with GRIDR_FAULT=FAULT exits CODE, stderr matches ERE,
# nothing is left.
died() {
    code=$1 fault=$2 re=$3
    shift 3
    n=$((n + 1))
    GRIDR_FAULT=$fault expect_exit "$code" gr $ZOOM --report "rep$n.json" "$@" "$SRC" out/o.tif
    unset GRIDR_FAULT
    expect_err "$re"
    [ ! -e out/o.tif ] || fail "$fault: output written"
    no_temp_left out
    no_journal_left
    no_shm_left
    echo "$fault $*: $(cat "$tmp/stderr")"
}

died 1 kill:window=1 "gridr-run: out/o.tif: window 1 \[rows 0\.\.255, cols 256\.\.511\] attempt 1/1: worker pid [0-9]+ killed by SIGKILL$" --retries 0
grep -q '"failed_windows": 1,' "rep$n.json" || fail "report: failed_windows"
died 1 kill:window=1 "window 1 \[.*\] attempt 2/2: worker pid [0-9]+ killed by SIGKILL" # default: 1 retry
died 1 kill:window=5 "window 5 \[rows 256\.\.511, cols 256\.\.511\] attempt 4/4: worker pid [0-9]+ killed by SIGKILL" --retries 3
grep -q '"retried_windows": 3,' "rep$n.json" || fail "report: retried_windows after 3 retries"
died 1 segv:window=2 "window 2 \[.*\] attempt 1/1: worker pid [0-9]+ killed by SIGSEGV" --retries 0
died 1 exit:window=0 "window 0 \[.*\] attempt 1/1: worker pid [0-9]+ exited with status 3" --retries 0
# the two deaths are seen in either order on a loaded machine: the list is in the order they failed
died 1 kill:window=3,kill:window=9 "2 of 16 windows failed \((3, 9|9, 3)\); first: .*window (3|9) .*SIGKILL" --retries 0 --keep-going
died 1 bogus:window=1 "cannot start the workers: fault spec 'bogus:window=1': unknown action 'bogus'"

# One retry: the window is redone on a fresh worker; the output is the whole-image resampling.
GRIDR_FAULT=kill:window=1:once expect_exit 0 gr $ZOOM --retries 1 --report once.json "$SRC" out/once.tif
unset GRIDR_FAULT
grep -q '"retried_windows": 1,' once.json || fail "report: not 1 retried window"
"$whole" linear "$SRC" zoom:2 - out/once.tif >res || fail "output after a retry: $(cat res)"
echo "kill:window=1:once --retries 1: $(cat res)"

# Each job of a batch runs with its own retries (they were the first job's for the whole
# batch): window 1's first attempt dies in every run; job 1 (0 retries) fails, job 2 (3
# retries) is redone once and written, job 3 (0 again) fails.
mkdir jobs
for k in 1 2 3; do
    r=0
    [ "$k" != 2 ] || r=3
    printf '{"kind": "zoom", "src": "%s", "dst": "../out/b%s.tif", "factor": 2, "tile": "256x256", "workers": 2, "quiet": true, "retries": %s}' \
        "$SRC" "$k" "$r"
    [ "$k" = 3 ] || printf ',\n'
done | { echo '['; cat; echo ']'; } >jobs/retries.json
GRIDR_FAULT=kill:window=1:once expect_exit 1 gr --report batch.json jobs/retries.json
unset GRIDR_FAULT
expect_err "retries.json: job 1: window 1 \[.*\] attempt 1/1: worker pid [0-9]+ killed by SIGKILL" \
    "retries.json: job 3: window 1 \[.*\] attempt 1/1: worker pid [0-9]+ killed by SIGKILL"
grep -q "job 2" "$tmp/stderr" && fail "job 2 (3 retries) failed: $(cat "$tmp/stderr")"
[ ! -e out/b1.tif ] && [ ! -e out/b3.tif ] || fail "a job with no retry left wrote its output"
"$whole" linear "$SRC" zoom:2 - out/b2.tif >res || fail "job 2 after a retry: $(cat res)"
grep -o '"retried_windows": [0-9]*' batch.json | tr '\n' ' ' | grep -qx '"retried_windows": 0 "retried_windows": 1 "retried_windows": 0 ' ||
    fail "report: $(grep -o '"retried_windows": [0-9]*' batch.json)"
rm out/b2.tif
no_temp_left out
no_journal_left
no_shm_left
echo "batch with retries 0, 3, 0: jobs 1 and 3 failed, job 2 retried once: $(cat res)"

# A worker killed from outside while it works on window 1 (it sleeps there: hang, first attempt
# only): the retry succeeds.
GRIDR_FAULT=hang:window=1:once "$GRIDR_RUN" $ZOOM --retries 2 --report oom.json "$SRC" out/oom.tif 2>oom.err &
p=$!
bg_pids="$p"
# The workers: children of the fork server, the parent's child.
wait_until 10 sh -c "grep -q '^+shm' '$STATE'/*.journal 2>/dev/null" || fail "the run did not start"
sleep 0.3
fs=$(children "$p")
[ "$(echo "$fs" | wc -w)" = 1 ] || fail "not one fork server: '$fs'"
workers=$(children "$fs")
[ "$(echo "$workers" | wc -w)" = 2 ] || fail "not two workers: '$workers'"
# The other worker has done (or is doing) the other windows. Kill both: the scheduler replaces
# them and redoes the windows they held. kill(1) signals them one after the other: in between,
# the parent may already have given window 1's retry to the second one, hence 2 retries.
kill -KILL $workers
set +e
wait "$p"
rc=$?
set -e
bg_pids=""
[ "$rc" = 0 ] || fail "exit $rc after an outside SIGKILL with a retry left: $(cat oom.err)"
"$whole" linear "$SRC" zoom:2 - out/oom.tif >res || fail "output after an outside kill: $(cat res)"
# Window 1 was retried, twice if its retry went to the second worker; another window too if the
# second worker had not finished its last one.
grep -q '"retried_windows": [123],' oom.json || fail "report: $(grep retried oom.json)"
for w in $workers; do gone "$w" || fail "worker $w still there"; done
no_temp_left out
no_journal_left
no_shm_left
echo "worker SIGKILLed from outside, one retry: $(cat res)"
echo "run_faults: ok"

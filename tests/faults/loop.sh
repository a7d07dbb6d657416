#!/bin/sh
# gridr-run when one call fails (builds configured with --enable-fault-injection; make
# check-faults): for each class of call (GRIDR_FAULT_CALL, src/base/fault_wrap.c) and each process
# (the parent, the fork server, a worker), fail its 1st, 2nd, ... call until a run has no such
# call left. Every run must end with exit status 1 and a message naming the cause (or survive
# the failure and write the exact output), leave no /dev/shm entry, journal or temporary file,
# no output of a failed job, and (ASan builds) no leak. The batch holds a zoom (a one-band
# stripped source read by the workers, uncompressed tiles placed by the workers) and a grid job
# (a three-band source read by the parent, DEFLATE tiles encoded by the workers).
# GRIDR_FAULT_CLASSES and GRIDR_FAULT_DEPTHS narrow the loop; GRIDR_FAULT_SURVEY=1 goes on after
# a failed check (to list them all).
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"
need_faults
private_shm
command -v gdal_translate >/dev/null || skip "gdal_translate not installed"
GRIDR_VALGRIND="" # hundreds of runs: the sanitizer build is the leak check here
classes=${GRIDR_FAULT_CLASSES:-"alloc shm_open fallocate mmap fork read write sync rename open"}
depths=${GRIDR_FAULT_DEPTHS:-"parent server worker"}
survey=${GRIDR_FAULT_SURVEY:-0}
# A sanitizer's report must not pass for gridr's exit status 1.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86:detect_leaks=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=87"
cd "$tmp"
mkdir out
gdal_translate -q -b 1 -co TILED=NO "$SRC" one.tif
cat >jobs.json <<JSON
[{"kind": "zoom", "src": "one.tif", "dst": "out/z.tif", "factor": 1.5, "tile": "256x256",
  "co": {"BLOCKXSIZE": 256, "BLOCKYSIZE": 256}, "workers": 2, "quiet": true},
 {"kind": "grid", "src": "$SRC", "grid": "$GRID", "grid-mask": "$GMASK", "dst": "out/g.tif",
  "resampling": "cubic", "tile": "256x256", "workers": 2, "quiet": true,
  "co": {"BLOCKXSIZE": 256, "BLOCKYSIZE": 256, "COMPRESS": "DEFLATE"}}]
JSON
# same O: output O's pixels are the reference's (checksums of every band; the order of
# compressed tiles in the file depends on which worker finished first).
sums() { gdalinfo -checksum "$1" | grep -o 'Checksum=[0-9]*' | tr '\n' ' '; }
same() { [ "$(sums "out/$1.tif")" = "$(cat "ref_$1")" ]; }
expect_exit 0 gr jobs.json
sums out/z.tif >ref_z
sums out/g.tif >ref_g
grep -q Checksum ref_z && grep -q Checksum ref_g || fail "no checksum"
rm out/*.tif

# A spec that does not parse arms nothing and says so (once per process).
for bad in bogus:1 alloc:0 alloc:1:nobody alloc:x open:2:worker:extra; do
    GRIDR_FAULT_CALL=$bad expect_exit 0 gr jobs.json
    expect_err '^gridr-fault: GRIDR_FAULT_CALL does not parse: nothing armed$'
    rm out/*.tif
done

# The cause each class's failure must be named by (its errno's strerror, or "out of memory").
cause() {
    case $1 in
    alloc | mmap) echo 'memory' ;;
    shm_open | open) echo 'Too many open files' ;;
    fallocate) echo 'No space left on device|in /dev/shm' ;;
    write | rename) echo 'No space left on device' ;;
    fork) echo 'Resource temporarily unavailable' ;;
    read | sync) echo 'Input/output error' ;;
    esac
}

bad=0
problem() {
    echo "PROBLEM: $spec: $*" >&2
    sed 's/^/  stderr: /' err >&2
    bad=$((bad + 1))
    [ "$survey" = 1 ] || fail "$spec: $*"
}

# check_run: the checks after one run with $spec armed ($rc its exit status, err its stderr).
check_run() {
    grep -v '^gridr-fault: ' err >msg || true
    if grep -q -E 'Sanitizer|runtime error' err; then problem "sanitizer report"; fi
    ls /dev/shm | grep -q '^gridr\.' && problem "/dev/shm: $(ls /dev/shm | grep '^gridr\.')"
    rm -f /dev/shm/gridr.*
    [ -z "$(ls -A "$STATE" 2>/dev/null | grep journal)" ] || problem "journal left"
    rm -f "$STATE"/*.journal
    left=$(ls -A out | grep -v -x -e z.tif -e g.tif || true)
    [ -z "$left" ] || problem "left next to the outputs: $left"
    rm -rf out/.[!.]* out/*.tmp* 2>/dev/null || true
    for o in z g; do
        [ ! -e "out/$o.tif" ] || same $o || problem "out/$o.tif differs"
    done
    case $rc in
    0) [ -e out/z.tif ] && [ -e out/g.tif ] || problem "exit 0 without both outputs" ;;
    1)
        [ -s msg ] || problem "exit 1, no message"
        grep -q -E "$(cause "$class")" msg || problem "message does not name the cause"
        [ ! -e out/z.tif ] || [ ! -e out/g.tif ] || problem "exit 1 with both outputs written"
        ;;
    *) problem "exit status $rc" ;;
    esac
    rm -f out/*.tif
}

total=0
summary=""
for class in $classes; do
    for depth in $depths; do
        n=0
        while :; do
            n=$((n + 1))
            spec="$class:$n:$depth"
            set +e
            GRIDR_FAULT_CALL=$spec timeout -s KILL 60 "$GRIDR_RUN" jobs.json >/dev/null 2>err
            rc=$?
            set -e
            grep -q '^gridr-fault: ' err || break # no such call left: the run must have succeeded
            check_run
        done
        [ "$rc" = 0 ] && [ -s out/z.tif ] || problem "unarmed run (no call $n) failed, status $rc"
        rm -f out/*.tif
        echo "$class/$depth: $((n - 1)) failure points"
        summary="$summary $class/$depth=$((n - 1))"
        total=$((total + n - 1))
    done
done
echo "failure points:$summary"
echo "total: $total failure points, $bad problems"
[ "$bad" = 0 ] || fail "$bad problems"

# gridr: sourced by every gridr-run end-to-end test (tests/cli/run_*.sh); not a test itself.
#
# Gives: GRIDR_RUN, DATA (the sample data), a private directory $tmp removed at exit, a private
# state directory (XDG_RUNTIME_DIR=$tmp/run: this test's journals never mix with other runs'),
# and helpers: fail, skip, gr (gridr-run, under $GRIDR_VALGRIND when set), expect_exit,
# expect_err, run_ids, shm_clean, no_shm_left, no_journal_left, no_temp_left, children, gone,
# wait_until, need_gdal_python, private_shm, need_faults, fault_part.
# The helpers' own variables start with _c_ (sh has no locals). Exit status 77 = skipped.
set -eu

GRIDR_SRCDIR=${GRIDR_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
GRIDR_BUILDDIR=${GRIDR_BUILDDIR:-$(pwd)}
GRIDR_TEST_DATA=${GRIDR_TEST_DATA:-$GRIDR_SRCDIR/data}
GRIDR_RUN="$GRIDR_BUILDDIR/gridr-run"
GRIDR_VALGRIND=${GRIDR_VALGRIND:-}
DATA=$GRIDR_TEST_DATA
SRC="$DATA/sample.tif"
GRID="$DATA/sample_grid.tif"
GMASK="$DATA/sample_grid_mask.tif"
test_name=$(basename "$0" .sh)
unset GRIDR_FAULT
# yes when gridr was configured with --enable-fault-injection (make check says so; run by hand,
# the build's config.h does): only then does gridr-run know the GRIDR_FAULT test hook.
if [ -z "${GRIDR_FAULT_INJECTION:-}" ]; then
    GRIDR_FAULT_INJECTION=no
    ! grep -q '^#define GRIDR_FAULT_INJECTION 1' "$GRIDR_BUILDDIR/config.h" 2>/dev/null ||
        GRIDR_FAULT_INJECTION=yes
fi

[ -x "$GRIDR_RUN" ] || {
    echo "SKIP: $test_name: $GRIDR_RUN not built" >&2
    exit 77
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gridr-$test_name.XXXXXX")
bg_pids=""
# At exit: SIGKILL what this test started and left running, sweep what killed runs of this test
# left (their journals are in the private state directory), remove $tmp.
on_exit() {
    _c_rc=$?
    trap - EXIT
    for _c_p in $bg_pids; do
        kill -KILL "$_c_p" 2>/dev/null || true
        wait "$_c_p" 2>/dev/null || true
    done
    if ls "$XDG_RUNTIME_DIR/gridr/"*.journal >/dev/null 2>&1; then
        sleep 0.2 # workers of a killed parent die with it (PDEATHSIG)
        "$GRIDR_RUN" cleanup -q >/dev/null 2>&1 || true
    fi
    rm -rf "$tmp"
    exit "$_c_rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export XDG_RUNTIME_DIR="$tmp/run"
mkdir -m 700 "$XDG_RUNTIME_DIR"
STATE="$XDG_RUNTIME_DIR/gridr"

fail() {
    echo "FAIL: $test_name: $*" >&2
    exit 1
}

skip() {
    echo "SKIP: $test_name: $*" >&2
    exit 77
}

# gridr-run, under valgrind when $GRIDR_VALGRIND is set (make memcheck): libtool's execute mode
# runs the real binary instead of its wrapper script; -q keeps valgrind's banner out of stderr
# (its error reports still show, and its --error-exitcode changes the status).
gr() {
    if [ -n "$GRIDR_VALGRIND" ]; then
        # shellcheck disable=SC2086
        "$GRIDR_BUILDDIR/libtool" --mode=execute $GRIDR_VALGRIND -q "$GRIDR_RUN" "$@"
    else
        "$GRIDR_RUN" "$@"
    fi
}

# expect_exit CODE CMD...: run CMD (stdout in $tmp/stdout, stderr in $tmp/stderr), check its status.
expect_exit() {
    _c_want=$1
    shift
    set +e
    "$@" >"$tmp/stdout" 2>"$tmp/stderr"
    _c_got=$?
    set -e
    if [ -n "$GRIDR_VALGRIND" ]; then # valgrind's reports (leaks "possibly lost" in killed
        # workers...) aside: the checks look at gridr-run's own messages
        mv "$tmp/stderr" "$tmp/stderr.valgrind"
        grep -v '^==[0-9]*==' "$tmp/stderr.valgrind" >"$tmp/stderr" || true
    fi
    if [ "$_c_got" != "$_c_want" ]; then
        sed 's/^/  stdout: /' "$tmp/stdout" >&2
        sed 's/^/  stderr: /' "$tmp/stderr" >&2
        fail "exit status $_c_got, expected $_c_want: $*"
    fi
}

# expect_err ERE...: the last expect_exit's stderr matches every extended regular expression.
expect_err() {
    for _c_re in "$@"; do
        grep -E -q -- "$_c_re" "$tmp/stderr" || {
            sed 's/^/  stderr: /' "$tmp/stderr" >&2
            fail "stderr does not match '$_c_re'"
        }
    done
}

# Run ids of this test's runs: journals in the private state directory, "run_id" of every
# report under $tmp, and ids passed as arguments.
run_ids() {
    {
        for _c_j in "$STATE"/*.journal; do
            [ ! -e "$_c_j" ] || basename "$_c_j" .journal
        done
        grep -rhoE '"run_id": "[0-9a-f]+"' "$tmp" --include='*.json' 2>/dev/null |
            sed 's/.*: "\(.*\)"/\1/'
        for _c_id in "$@"; do echo "$_c_id"; done
    } | sort -u
}

# shm_clean RUN_ID...: no /dev/shm entry of these runs.
shm_clean() {
    for _c_id in "$@"; do
        _c_left=$(ls /dev/shm | grep "^gridr\.$_c_id\." || true)
        [ -z "$_c_left" ] || fail "/dev/shm entries of run $_c_id left: $(echo $_c_left)"
    done
}

# no_shm_left [RUN_ID...]: no /dev/shm entry of this test's runs (segments of other processes,
# e.g. tests running in parallel, are not looked at); fails when no run id is known at all.
no_shm_left() {
    _c_ids=$(run_ids "$@")
    [ -n "$_c_ids" ] || fail "no_shm_left: no run id known (give --report or an id)"
    # shellcheck disable=SC2086
    shm_clean $_c_ids
}

# no_journal_left: every run of this test ended and removed its journal.
no_journal_left() {
    _c_left=$(ls "$STATE" 2>/dev/null | grep '\.journal$' || true)
    [ -z "$_c_left" ] || fail "journals left in $STATE: $_c_left"
}

# no_temp_left DIR: no temporary output (*.tmp.<run id>) in DIR.
no_temp_left() {
    _c_left=$(ls -A "$1" | grep '\.tmp\.' || true)
    [ -z "$_c_left" ] || fail "temporary files left in $1: $_c_left"
}

# children PID: the pids of PID's children.
children() {
    ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' ' || true
}

# gone PID: the process has exited (a zombie waiting for a reaper counts as gone).
gone() {
    [ -r "/proc/$1/stat" ] || return 0
    _c_state=$(sed 's/^.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null || echo X)
    [ "$_c_state" = Z ] || [ "$_c_state" = X ]
}

# wait_until SECONDS CMD...: poll CMD every 20 ms; fails (status 1) after SECONDS.
wait_until() {
    _c_limit=$(($1 * 50))
    shift
    _c_i=0
    until "$@"; do
        _c_i=$((_c_i + 1))
        [ "$_c_i" -lt "$_c_limit" ] || return 1
        sleep 0.02
    done
}

# need_gdal_python: set PY to a python3 with numpy and GDAL's bindings, else skip.
# need_faults: skip this test (exit 77) unless gridr-run has the GRIDR_FAULT hook.
need_faults() {
    [ "$GRIDR_FAULT_INJECTION" = yes ] ||
        skip "needs the GRIDR_FAULT hook: configure with --enable-fault-injection"
}

# fault_part WHAT: true when gridr-run has the GRIDR_FAULT hook; else says that the part WHAT of
# this test is skipped, and is false (`if fault_part "..."; then ...; fi`: the rest still runs).
fault_part() {
    [ "$GRIDR_FAULT_INJECTION" = yes ] && return 0
    echo "SKIP: $test_name: $1: needs the GRIDR_FAULT hook: configure with --enable-fault-injection" >&2
    return 1
}

need_gdal_python() {
    for PY in "${PYTHON3:-}" /usr/bin/python3 python3; do
        [ -n "$PY" ] || continue
        if "$PY" -c 'import numpy; from osgeo import gdal' >/dev/null 2>&1; then
            return 0
        fi
    done
    skip "no python3 with numpy and the GDAL bindings (python3-numpy python3-gdal)"
}

# private_shm: re-run this test in a private mount namespace with its own tmpfs at /dev/shm (root
# and unshare(1) needed, as in CI), so that hostile cases neither see nor disturb other runs'
# segments. Call it before sourcing anything else that matters; returns in the new namespace.
# Without root or unshare it returns at once and the test runs in the shared /dev/shm.
private_shm() {
    [ "${GRIDR_PRIVATE_SHM:-}" = 1 ] && return 0
    [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 || return 0
    unshare -m true 2>/dev/null || return 0
    rm -rf "$tmp"
    trap - EXIT
    GRIDR_PRIVATE_SHM=1 exec unshare -m --propagation private sh -c \
        'mount -t tmpfs -o size=256m,mode=1777 gridr-test-shm /dev/shm && exec "$0" "$@"' \
        "$SHELL_FOR_TEST" "$0"
}
SHELL_FOR_TEST=${SHELL_FOR_TEST:-/bin/sh}

#!/bin/sh
# gridr: docs/examples/embed.c runs, matches its single-process filter, leaves no /dev/shm entry
# of its run, and docs/api/sched.md shows it verbatim.
set -eu
src=${GRIDR_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${GRIDR_BUILDDIR:-.}
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

out=$(${GRIDR_VALGRIND:-} "$build/docs/examples/embed") || fail "embed exited with $?"
echo "$out"
echo "$out" | grep -q "windows on 2 workers: done$" || fail "the run did not succeed"
echo "$out" | grep -q "largest difference from a single-process filter: 0$" ||
    fail "results differ from the single-process filter"
id=$(echo "$out" | sed -n 's/^embed: run \([0-9a-f]\{8\}\),.*/\1/p')
[ -n "$id" ] || fail "no run id printed"
if ls /dev/shm | grep -q "^gridr\.$id\."; then
    fail "/dev/shm entries of run $id left behind"
fi

# The page shows the example verbatim, between the marker and the end of its code block.
doc="$src/docs/api/sched.md"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
awk '/^<!-- embed.c verbatim/ { on = 1; next } on && /^```c$/ { inside = 1; next }
     inside && /^```$/ { exit } inside { print }' "$doc" >"$tmp"
cmp -s "$tmp" "$src/docs/examples/embed.c" || fail "docs/api/sched.md differs from docs/examples/embed.c"
echo "embed example: ok"

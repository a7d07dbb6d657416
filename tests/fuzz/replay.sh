#!/bin/sh
# gridr: replay the committed fuzz corpus (tests/fuzz/corpus/<target>/) through each fuzz
# target's replay program (built with the C compiler, under the sanitizers in a sanitizer build);
# the hostile TIFF (64314 samples per pixel) must be done with in under 2 s.
set -eu
GRIDR_SRCDIR=${GRIDR_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
GRIDR_BUILDDIR=${GRIDR_BUILDDIR:-$(pwd)}
corpus="$GRIDR_SRCDIR/tests/fuzz/corpus"
fail() {
    echo "FAIL: replay: $*" >&2
    exit 1
}
for t in fuzz_job_json fuzz_job_args fuzz_plan fuzz_raster; do
    prog="$GRIDR_BUILDDIR/tests/fuzz/$t"
    [ -x "$prog" ] || fail "$prog not built"
    [ -d "$corpus/$t" ] || fail "no corpus $corpus/$t"
    "$prog" "$corpus/$t" || fail "$t: replay of $corpus/$t failed (status $?)"
done
hostile="$corpus/fuzz_raster/hostile_spp64314.tif"
[ -f "$hostile" ] || fail "$hostile missing"
# Timed alone, wall clock; valgrind (make memcheck) is far slower than 2 s and is not timed.
if [ -z "${GRIDR_VALGRIND:-}" ]; then
    t0=$(date +%s%N)
    "$GRIDR_BUILDDIR/tests/fuzz/fuzz_raster" "$hostile" >/dev/null
    ms=$((($(date +%s%N) - t0) / 1000000))
    echo "hostile TIFF replayed in $ms ms"
    [ "$ms" -lt 2000 ] || fail "hostile TIFF took $ms ms (over 2 s)"
fi

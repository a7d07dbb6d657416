#!/bin/sh
# pygridr: the Python package's tests (pytest, tests/python/test_*.py) against the build tree's
# package (PYTHONPATH=build/python); exit 77 (skipped) when gridr was configured without Python.
set -eu
GRIDR_SRCDIR=${GRIDR_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
GRIDR_BUILDDIR=${GRIDR_BUILDDIR:-$(pwd)}
PY=${PYTHON3:-/usr/bin/python3}
if [ "${PYGRIDR_BUILT:-yes}" != yes ] || [ ! -f "$GRIDR_BUILDDIR/python/pygridr/_core.so" ]; then
    echo "SKIP: pygridr not built (configured with --disable-python or without python3-dev)"
    exit 77
fi
if ! "$PY" -c 'import numpy, pytest' 2>/dev/null; then
    echo "SKIP: $PY has no numpy or pytest (Debian: python3-numpy python3-pytest)"
    exit 77
fi
# An ASan build: the interpreter is not instrumented, so the runtime must be loaded first.
if [ "${PYGRIDR_ASAN:-no}" = yes ]; then
    LD_PRELOAD=$(${CC:-cc} -print-file-name=libasan.so)
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" # the interpreter leaks by design
    export LD_PRELOAD ASAN_OPTIONS
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gridr-pytest.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# A private state directory: this test's journals never mix with other runs' (tests/cli/common.sh).
XDG_RUNTIME_DIR="$tmp/run"
mkdir -m 700 "$XDG_RUNTIME_DIR"
PYTHONPATH="$GRIDR_BUILDDIR/python"
PYTHONDONTWRITEBYTECODE=1
GRIDR_TEST_DATA=${GRIDR_TEST_DATA:-$GRIDR_SRCDIR/data}
export XDG_RUNTIME_DIR PYTHONPATH PYTHONDONTWRITEBYTECODE GRIDR_TEST_DATA GRIDR_BUILDDIR
unset PYGRIDR_HELPER
cd "$tmp"
"$PY" -m pytest -q -p no:cacheprovider --basetemp="$tmp/pytest" "$GRIDR_SRCDIR/tests/python"

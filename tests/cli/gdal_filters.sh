#!/bin/sh
# gridr-run zooms with the scaled filters (antialiased linear and cubic, lanczos, average, mode)
# equal gdal_translate -outsize within 1 DN, edges included, at 1/2, 1/3, 1/4, 1/7.5, 0.6, 1.5
# and 3 (tests/cli/gdal_filters.py; issue 14).
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"
command -v gdal_translate >/dev/null 2>&1 || skip "gdal_translate not found (gdal-bin)"
need_gdal_python
"$PY" "$GRIDR_SRCDIR/tests/cli/gdal_filters.py" "$GRIDR_RUN" "$tmp" >"$tmp/log" 2>&1 || {
    cat "$tmp/log" >&2
    fail "the scaled filters differ from gdal_translate (above)"
}

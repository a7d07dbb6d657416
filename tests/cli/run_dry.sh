#!/bin/sh
# gridr-run --dry-run: prints the plan (jobs, windows, source windows, memory) and writes
# nothing: no output, no temporary file, no run registry (no journal, so no segment can exist),
# and, as root in a private /dev/shm (unshare -m), no shared-memory entry at all.
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"
mkdir "$tmp/out"
cd "$tmp"

expect_exit 0 gr zoom --dry-run --factor 2 --tile 256x256 -j 2 "$SRC" out/z.tif
o="$tmp/stdout"
grep -qx "job out/z.tif: $SRC -> out/z.tif (linear)" "$o" || fail "no job line: $(head -1 "$o")"
grep -q "^plan: output 1024 x 1024, 16 windows of 256 x 256 (given" "$o" || fail "plan line: $(cat "$o")"
# A zoom in: the point kernel (GDAL's edges by the renormalize policy), linear's halo 1.
grep -q "^plan: halo 1," "$o" || fail "no halo 1 for a linear zoom in"
[ "$(grep -c '^window [0-9]* out=' "$o")" = 16 ] || fail "not 16 window lines"
grep -q "^window 15 out=768,768+256x256 src=382,382+" "$o" || fail "window 15: $(grep '^window 15' "$o")"
[ ! -s "$tmp/stderr" ] || fail "stderr: $(cat "$tmp/stderr")"

expect_exit 0 gr grid --dry-run -r cubic --grid "$GRID" --grid-mask "$GMASK" --tile 128x128 "$SRC" out/g.tif
grep -q "^plan: output 511 x 511, 16 windows of 128 x 128" "$o" || fail "grid plan: $(cat "$o")"
grep -q "^plan: halo 2," "$o" || fail "no halo 2 for cubic"
grep -q "^window 0 out=0,0+128x128 src=.* nodes=0,0+" "$o" || fail "grid windows carry no node window"
# An antialiased grid that shrinks the image by about 2 (the sample grid's positions doubled):
# cubic's reach doubles with it, and the plan says so (it used to give the point kernel's 2).
if command -v gdal_translate >/dev/null 2>&1; then
    gdal_translate -q -scale 0 511 0 1022 "$GRID" "$tmp/g2.tif"
    expect_exit 0 gr grid --dry-run -r cubic --antialias --grid "$tmp/g2.tif" --tile 128x128 \
        "$SRC" out/g2.tif
    grep -q "^plan: halo 5," "$o" || fail "antialiased grid: $(grep '^plan: halo' "$o")"
    rm -f "$tmp/g2.tif"
fi

# A tiled GTiff output: the plan holds the array the workers encode the tiles into, so the dry
# run's memory figure is the real run's (it used to leave that array out).
expect_exit 0 gr zoom --dry-run --factor 2 -j 2 -of GTiff -co TILED=YES -co COMPRESS=DEFLATE "$SRC" out/t.tif
grep -q "^plan: per window max: .* tiles [0-9.]* [KM]iB, total" "$o" || fail "no tiles array: $(grep 'per window' "$o")"
expect_exit 0 gr zoom --dry-run --factor 2 -j 2 -of GTiff -co TILED=NO "$SRC" out/t.tif
! grep -q "tiles" "$o" || fail "a stripped output planned a tiles array: $(grep 'per window' "$o")"

cat >jobs.json <<JSON
[{"src": "$SRC", "dst": "out/a.tif", "factor": 0.5},
 {"src": "$SRC", "dst": "out/b.tif", "grid": "$GRID", "resampling": "bspline5"}]
JSON
expect_exit 0 gr --dry-run -j 2 jobs.json
[ "$(grep -c '^job ' "$o")" = 2 ] || fail "job file: not two plans"
grep -q "^job jobs.json: job 2: .* (bspline5)$" "$o" || fail "job 2 header: $(grep '^job' "$o")"

[ -z "$(ls -A out)" ] || fail "dry runs wrote $(ls -A out)"
[ ! -e "$STATE" ] || fail "a dry run opened a run registry: $(ls -A "$STATE")"

# A dry run still checks its inputs.
expect_exit 1 gr zoom --dry-run --factor 2 "$tmp/missing.tif" out/m.tif
expect_err "src '.*missing.tif': No such file or directory"

# Root: the same dry run in a private, empty /dev/shm leaves it empty.
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
    left=$(unshare -m sh -c 'mount -t tmpfs -o size=64m tmpfs /dev/shm &&
        "$@" >/dev/null && ls -A /dev/shm' sh "$GRIDR_RUN" zoom --dry-run --factor 2 -j 2 "$SRC" out/z.tif) ||
        fail "dry run in a private /dev/shm failed"
    [ -z "$left" ] || fail "a dry run created /dev/shm entries: $left"
    echo "private /dev/shm: empty after the dry run"
else
    echo "not root or no unshare: private /dev/shm check skipped"
fi
[ -z "$(ls -A out)" ] || fail "dry runs wrote $(ls -A out)"
echo "run_dry: ok"

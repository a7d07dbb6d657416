#!/bin/sh
# gridr-run on bad input: each case exits with its exact status (1: the job failed, 2: usage),
# says what is wrong and where (file, key, window) on stderr, and leaves no output, no temporary
# file next to it, no journal and no /dev/shm entry of its run. An output that existed before a
# failed run is left as it was.
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"
command -v gdal_translate >/dev/null 2>&1 || skip "gdal_translate not found (gdal-bin)"
mkdir "$tmp/out"
cd "$tmp"
n=0

# bad CODE ERE [ERE...] -- ARGS...: gridr-run ARGS (output out/o.tif, report rep<n>.json) exits
# CODE, stderr matches each ERE, nothing is left.
bad() {
    code=$1
    shift
    res=""
    while [ "$1" != "--" ]; do
        res="$res$1
"
        shift
    done
    shift
    n=$((n + 1))
    expect_exit "$code" gr -q --report "rep$n.json" "$@"
    echo "$res" | while IFS= read -r re; do
        [ -z "$re" ] || expect_err "$re"
    done
    [ "$(grep -c . "$tmp/stderr")" -le 3 ] || fail "case $n: a long error: $(cat "$tmp/stderr")"
    ! grep -q "out/o.tif: out/o.tif:" "$tmp/stderr" || fail "case $n: the job is named twice"
    [ ! -e out/o.tif ] || fail "case $n: out/o.tif was written"
    no_temp_left out
    no_journal_left
    for id in $(run_ids); do shm_clean "$id"; done
    echo "case $n ($code): $(head -c 160 "$tmp/stderr")"
}

# Inputs.
echo "this is not a raster" >notraster.tif
head -c 40000 "$SRC" >trunc.tif
gdal_translate -q -b 1 "$GRID" grid1band.tif
gdal_translate -q -srcwin 0 0 52 1 "$GRID" grid1row.tif
gdal_translate -q -srcwin 0 0 52 51 "$GMASK" mask51.tif
gdal_translate -q -b 2 -srcwin 0 0 51 52 "$GRID" gridcol51.tif
gdal_translate -q -b 1 -srcwin 0 0 511 512 "$SRC" srcmask511.tif
printf '{"src": "%s", "dst": "out/o.tif", "factor": 2,\n  "resampling": "cubic"\n' "$SRC" >bad.json
printf '{"src": "%s", "dst": "out/o.tif", "factor": 2, "resampling": "cubik"}\n' "$SRC" >badkey.json

bad 1 "src '$tmp/missing.tif': No such file or directory" -- zoom --factor 2 "$tmp/missing.tif" out/o.tif
bad 1 "'notraster.tif' is not a raster GDAL can read" -- zoom --factor 2 notraster.tif out/o.tif
# The truncated file opens (its header is complete); its tiles do not read: the job fails in
# a window, after the pool started and the output was created: both are cleaned up.
bad 1 "out/o.tif: window [0-9]+ \[rows .*\]: prepare: cannot read window .* of 'trunc.tif'" \
    "TIFFReadEncodedTile\(\) failed" -- zoom --factor 2 -j 2 --tile 128x128 trunc.tif out/o.tif
grep -q '"run_id": "[0-9a-f]\{8\}"' "rep$n.json" || fail "no run id in the report of a failed run"
grep -q '"status": "GRIDR_E' "rep$n.json" || fail "the report does not give the failure"
bad 1 "grid grid1band.tif has 1 band; a grid needs 2 \(row, col\) or a second file given with --grid-col" \
    -- grid --grid grid1band.tif "$SRC" out/o.tif
# Grid size and oversampling: an axis oversampled by RR needs at least 2 nodes (its output has
# (n-1) RR + 1 pixels); any n >= 2 fits. Masks and the column file must match the grid's size.
bad 1 "grid grid1row.tif \(52x1 nodes, oversampling 10,10\).*needs >= 2 nodes, got 1" \
    -- grid --grid grid1row.tif --grid-res 10 "$SRC" out/o.tif
bad 1 "mask51.tif is 52x51, expected 52x52 like the grid" \
    -- grid --grid "$GRID" --grid-mask mask51.tif "$SRC" out/o.tif
bad 1 "gridcol51.tif is 51x52, expected 52x52 like the grid" \
    -- grid --grid grid1band.tif --grid-col gridcol51.tif --grid-res 10 "$SRC" out/o.tif
bad 1 "source mask srcmask511.tif is 511x512, source .*sample.tif is 512x512" \
    -- zoom --factor 2 --src-mask srcmask511.tif "$SRC" out/o.tif
bad 1 "band 4 does not exist in .*sample.tif \(3 bands\)" -- zoom --factor 2 -b 4 "$SRC" out/o.tif
# Usage errors.
bad 2 "bad value 'lanczos4' for key 'resampling' \(expected nearest, linear, cubic, bspline3" \
    -- zoom -r lanczos4 --factor 2 "$SRC" out/o.tif
bad 2 "bad.json:3:0: invalid JSON" -- bad.json
bad 2 "badkey.json: job 1: bad value 'cubik' for key 'resampling'" -- badkey.json
# A 100000-character value is too long, and said so (it was "expected a string, got a string").
printf '{"src": "%s", "dst": "out/o.tif", "factor": 2, "resampling": "%s"}\n' "$SRC" \
    "$(head -c 100000 /dev/zero | tr '\0' a)" >longvalue.json
bad 2 "longvalue.json: job 1: key 'resampling': a value of 100000 characters is too long \(at most 4095\)" \
    -- longvalue.json
bad 2 "bad value '12x' for key 'tile'" -- zoom --tile 12x --factor 2 "$SRC" out/o.tif
bad 2 "output path 'out' is a directory" -- zoom --factor 2 "$SRC" out
# Outputs that cannot be written.
touch afile
bad 1 "output directory 'afile' of 'afile/o.tif' is not a directory" -- zoom --factor 2 "$SRC" afile/o.tif
bad 1 "output directory 'nodir' of 'nodir/o.tif' cannot be used: No such file or directory" \
    -- zoom --factor 2 "$SRC" nodir/o.tif
if [ "$(id -u)" != 0 ]; then
    mkdir ro && chmod 555 ro
    bad 1 "output directory 'ro' is not writable" -- zoom --factor 2 "$SRC" ro/o.tif
    chmod 755 ro
else
    echo "root: the read-only directory case is skipped (root may write there)"
fi

# Output formats that hold no pixels of their own are refused before any work (MEM used to exit 0
# with an empty file, VRT to fail once the run had started); ENVI is written (through CreateCopy,
# its .hdr beside it: tests/cli/run_formats.sh); what a driver cannot write is refused with GDAL's
# reason before any window.
bad 2 "output format MEM keeps the raster in memory and writes no file" -- zoom --factor 2 -of MEM "$SRC" out/m.tif
bad 2 "output format VRT holds no pixels of its own" -- zoom --factor 2 -of VRT "$SRC" out/v.vrt
[ ! -e out/m.tif ] && [ ! -e out/v.vrt ] || fail "a refused format left a file"
expect_exit 0 gr -q zoom --factor 2 -of ENVI "$SRC" out/e.img
[ -f out/e.img ] && [ -f out/e.hdr ] || fail "ENVI: no e.img and e.hdr: $(ls out)"
bad 1 "output format GTX cannot write 'out/g.gtx' \\(3 bands of u16" -- zoom --factor 2 -of GTX "$SRC" out/g.gtx
no_temp_left out

# An output that is nodata everywhere (the grid maps nothing inside the source): written, exit 0,
# with a warning on stderr and in the report.
expect_exit 0 gr -q --report allnodata.json grid --grid "$GRID" --grid-shift 100000,0 "$SRC" out/nd.tif
expect_err "warning: out/nd.tif: every pixel is nodata: no output pixel maps inside the source"
grep -q '"warning": "every pixel is nodata' allnodata.json || fail "report: $(grep warning allnodata.json)"
rm out/nd.tif

# A failed run leaves an existing output as it was.
echo "previous output" >out/o.tif
expect_exit 1 gr -q zoom --factor 2 trunc.tif out/o.tif
[ "$(cat out/o.tif)" = "previous output" ] || fail "a failed run changed the existing output"
no_temp_left out
no_journal_left
echo "run_bad_input: ok ($n cases)"

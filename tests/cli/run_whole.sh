#!/bin/sh
# gridr-run: a grid job's output has the same bytes as the whole image resampled in memory in
# one call (tests/cli/wholeimage), for linear, cubic and bspline3 through the sample grid and
# its mask, on 1 and 2 workers and several window sizes (edge windows smaller than the others,
# thin windows, one window for everything, the default from the memory budget); a zoom job too.
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"

whole="$GRIDR_BUILDDIR/tests/cli/wholeimage"
[ -x "$whole" ] || skip "$whole not built"
tiles="64x64 100x37 512x512 0"
workers="1 2"
if [ -n "$GRIDR_VALGRIND" ]; then # the whole matrix would take minutes under valgrind
    tiles="100x37"
    workers="2"
fi

for k in linear cubic bspline3; do
    outs=""
    for j in $workers; do
        for t in $tiles; do
            out="$tmp/$k-j$j-$t.tif"
            expect_exit 0 gr grid -q -r "$k" -j "$j" --tile "$t" --grid "$GRID" --grid-mask "$GMASK" \
                --report "$tmp/$k-j$j-$t.json" "$SRC" "$out"
            outs="$outs $out"
        done
    done
    # shellcheck disable=SC2086
    res=$("$whole" "$k" "$SRC" "$GRID" "$GMASK" $outs) || {
        echo "$res" >&2
        fail "$k: an output differs from the whole-image resampling"
    }
    n=$(echo "$res" | grep -c '^identical, ')
    [ "$n" = "$(echo $outs | wc -w)" ] || fail "$k: $n identical outputs: $res"
    # Not a comparison of two blank images: most pixels are valid, some are not (the corners
    # fall outside the source, five grid nodes are masked, the source has a nodata blob).
    valid=$(echo "$res" | sed -n '1s/^identical, \([0-9]*\) of \([0-9]*\) .*/\1 \2/p')
    set -- $valid
    [ "$1" -gt $(($2 * 7 / 10)) ] && [ "$1" -lt "$2" ] || fail "$k: $1 of $2 pixels valid"
    echo "$k: $n outputs identical to the whole-image resampling ($1 of $2 pixels valid)"
done

# The windows really were cut as asked: 100x37 windows over 511x511 are 6 x 14 = 84.
grep -q '"windows": 84,' "$tmp/linear-j2-100x37.json" || fail "100x37 windows: not 84 windows"

# The reference is not blind: a different kernel's output must differ.
if "$whole" cubic "$SRC" "$GRID" "$GMASK" "$tmp/linear-j2-100x37.tif" >"$tmp/diff" 2>&1; then
    fail "wholeimage finds linear and cubic identical"
fi
grep -q '^band 1 row [0-9]* col [0-9]*: .* has [0-9.]*, the whole-image resampling' "$tmp/diff" ||
    fail "wholeimage did not name the first difference: $(cat "$tmp/diff")"

# A zoom job cut in 64x64 windows equals the whole zoom too.
expect_exit 0 gr zoom -q -r cubic --factor 1.5 --tile 64x64 -j 2 --report "$tmp/zoom.json" \
    "$SRC" "$tmp/zoom.tif"
"$whole" cubic "$SRC" zoom:1.5 - "$tmp/zoom.tif" >/dev/null || fail "zoom x1.5 differs"
# Zooms out with the scaled filters (antialiased cubic, lanczos, average, mode), cut in windows
# of 32x32 (the filters' halo is several output pixels wide), equal the whole zoom too.
for k in cubic lanczos average mode; do
    expect_exit 0 gr zoom -q -r $k --factor 0.3 --tile 32x32 -j 2 "$SRC" "$tmp/out_$k.tif"
    "$whole" $k "$SRC" zoom:0.3 - "$tmp/out_$k.tif" >/dev/null || fail "zoom /3.3 $k differs"
done

# The grid's two bands as two files (--grid-col): the nodes are read per window from both.
if command -v gdal_translate >/dev/null 2>&1; then
    gdal_translate -q -b 1 "$GRID" "$tmp/grow.tif"
    gdal_translate -q -b 2 "$GRID" "$tmp/gcol.tif"
    expect_exit 0 gr grid -q -r cubic -j 2 --tile 100x37 --grid "$tmp/grow.tif" \
        --grid-col "$tmp/gcol.tif" --grid-res 10 --grid-mask "$GMASK" "$SRC" "$tmp/split.tif"
    "$whole" cubic "$SRC" "$GRID" "$GMASK" "$tmp/split.tif" >/dev/null || fail "--grid-col differs"
    # An antialiased grid job (issue 14) over a grid that reduces by about 2 (the sample grid's
    # positions doubled): its cells' scales are the grid's, so windows still give the whole's
    # bytes, and the result is not the point-sampled one.
    gdal_translate -q -scale 0 511 0 1022 "$GRID" "$tmp/g2.tif"
    for k in linear cubic lanczos; do
        for t in 64x64 100x37; do
            expect_exit 0 gr grid -q -r $k --antialias -j 2 --tile $t --grid "$tmp/g2.tif" \
                --grid-mask "$GMASK" "$SRC" "$tmp/aa_$k-$t.tif"
        done
        "$whole" aa:$k "$SRC" "$tmp/g2.tif" "$GMASK" "$tmp/aa_$k-64x64.tif" \
            "$tmp/aa_$k-100x37.tif" >/dev/null || fail "grid --antialias $k differs"
    done
    expect_exit 0 gr grid -q -r cubic -j 2 --tile 64x64 --grid "$tmp/g2.tif" --grid-mask "$GMASK" \
        "$SRC" "$tmp/point.tif"
    if "$whole" aa:cubic "$SRC" "$tmp/g2.tif" "$GMASK" "$tmp/point.tif" >/dev/null 2>&1; then
        fail "grid --antialias gives the point-sampled bytes"
    fi
fi

# The sample job file (grid, mask, cubic), sent elsewhere with --dst, is the same resampling.
expect_exit 0 gr -q --dst "$tmp/sample_job.tif" --report "$tmp/sample_job.json" "$DATA/sample_job.json"
"$whole" cubic "$SRC" "$GRID" "$GMASK" "$tmp/sample_job.tif" >/dev/null || fail "data/sample_job.json differs"
[ ! -e "$DATA/sample_out.tif" ] || fail "--dst did not override the job file's dst"

no_shm_left
no_temp_left "$tmp"
echo "run_whole: ok"

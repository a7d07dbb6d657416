#!/bin/sh
# --resume, SQLite-style: gridr-run is SIGKILLed at many points of one run (start-up, the plan,
# after windows, after group commits, while the tile directory is written, right before and
# right after the rename), for zoom and grid jobs, uncompressed, DEFLATE and ZSTD outputs; after each
# kill the final path is absent, the old file or the complete output (never a truncated one),
# and a rerun with --resume (with another -j) gives the uninterrupted run's bytes. Also: a
# changed input or parameter is refused by name and nothing is touched; cleanup keeps partial
# outputs (and lists their progress) unless --all; a batch skips the jobs it committed.
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"
need_faults
GRIDR_VALGRIND="" # dozens of killed runs
mkdir "$tmp/out"
cd "$tmp/out"
kills=0

# job NAME: the gridr-run arguments of test job NAME (zoom: 64 windows of 128 x 128 tiles; grid: 16).
T="--overwrite --tile 128x128 -co BLOCKXSIZE=128 -co BLOCKYSIZE=128"
job() {
    case $1 in
    zoom) echo "zoom -q -r cubic --factor 2 $T" ;;
    zoomz) echo "zoom -q -r linear --factor 2 $T -co COMPRESS=DEFLATE" ;;
    zoomzs) echo "zoom -q -r cubic --factor 2 $T -co COMPRESS=ZSTD -co PREDICTOR=2" ;;
    grid) echo "grid -q -r cubic --grid $GRID --grid-mask $GMASK $T" ;;
    gridz) echo "grid -q -r bspline3 --grid $GRID $T -co COMPRESS=DEFLATE" ;;
    esac
}

# kill_and_resume NAME PHASE: kill a resumable run of job NAME at PHASE, check what is at the
# final path, resume it with another -j and compare with the uninterrupted output.
kill_and_resume() {
    rm -f out.tif out.tif.gridr-resume
    [ "$2" = "${2#*old}" ] || cp old.tif out.tif
    set +e
    # shellcheck disable=SC2046
    GRIDR_FAULT="group-commit=0,kill:phase=${2%+old}" "$GRIDR_RUN" $(job "$1") -j 2 --resume \
        "$SRC" out.tif >/dev/null 2>"$tmp/err"
    st=$?
    set -e
    [ "$st" = 137 ] || fail "$1: the kill at ${2} did not happen (exit $st): $(cat "$tmp/err")"
    kills=$((kills + 1))
    if [ -e out.tif ]; then # never a truncated file at the final path
        cmp -s out.tif "ref_$1.tif" || cmp -s out.tif old.tif ||
            fail "$1: after a kill at $2, out.tif is neither the old file nor the output"
    fi
    # shellcheck disable=SC2046
    expect_exit 0 "$GRIDR_RUN" $(job "$1") -j 1 --resume --report rep.json "$SRC" out.tif
    cmp out.tif "ref_$1.tif" || fail "$1: resumed after a kill at $2: not the same bytes"
    "$GRIDR_RUN" cleanup -q >/dev/null # a kill before any window was durable left a temporary
    no_temp_left .
}

cp "$DATA/sample_grid.tif" old.tif
for name in zoom zoomz zoomzs grid gridz; do
    # shellcheck disable=SC2046
    expect_exit 0 "$GRIDR_RUN" $(job $name) -j 2 "$SRC" "ref_$name.tif"
done
for phase in setup plan window@1 window@17 window@40 synced@9 synced@63 directory rename \
    renamed window@30+old rename+old; do
    kill_and_resume zoom "$phase"
done
for phase in window@5 window@50 synced@33 directory rename renamed+old; do
    kill_and_resume zoomz "$phase"
done
for phase in window@9 synced@33; do
    kill_and_resume zoomzs "$phase"
done
for phase in window@3 synced@11 rename; do
    kill_and_resume grid "$phase"
done
for phase in window@6 synced@2 directory; do
    kill_and_resume gridz "$phase"
done
[ "$kills" -ge 20 ] || fail "only $kills kill points"
grep -q '"windows_resumed": [1-9]' rep.json || fail "no windows_resumed in the report"

# A resumed window is not recomputed: 40 of 64 windows come from the interrupted run.
rm -f out.tif out.tif.gridr-resume
set +e
# shellcheck disable=SC2046
GRIDR_FAULT="group-commit=0,kill:phase=synced@40" "$GRIDR_RUN" $(job zoom) -j 2 --resume "$SRC" \
    out.tif 2>/dev/null
set -e
expect_exit 0 "$GRIDR_RUN" cleanup --dry-run
grep -q "kept for --resume: out.tif: 40 of 64 windows" "$tmp/stdout" ||
    fail "cleanup --dry-run does not list the partial output: $(cat "$tmp/stdout")"
expect_exit 0 "$GRIDR_RUN" cleanup
ls out.tif.tmp.*.resume >/dev/null 2>&1 || fail "cleanup removed a resumable partial output"

# A changed parameter, then a changed input: refused by name (exit 1), nothing touched.
partial=$(ls out.tif.tmp.*[0-9a-f] | head -1)
before=$(md5sum "$partial")
# shellcheck disable=SC2046
expect_exit 1 "$GRIDR_RUN" $(job zoom) -r linear -j 2 --resume "$SRC" out.tif
expect_err "cannot resume 'out.tif': the job's 'resampling' changed \('cubic' then, 'linear' now\)"
cp "$SRC" src_copy.tif
set +e
# shellcheck disable=SC2046
GRIDR_FAULT="group-commit=0,kill:phase=window@10" "$GRIDR_RUN" $(job zoom) -j 2 --resume \
    src_copy.tif moved2.tif 2>/dev/null
set -e
touch -d '2001-01-01' src_copy.tif
# shellcheck disable=SC2046
expect_exit 1 "$GRIDR_RUN" $(job zoom) --resume src_copy.tif moved2.tif
expect_err "the input file '.*src_copy.tif' changed"
[ "$(md5sum "$partial")" = "$before" ] || fail "a refused resume changed the partial output"
[ ! -e moved2.tif ] || fail "a refused resume wrote the output"

# cleanup --all removes the partial outputs (and their records).
expect_exit 0 "$GRIDR_RUN" cleanup --all
ls out.tif.tmp.* moved2.tif.tmp.* >/dev/null 2>&1 && fail "cleanup --all left partial outputs"

# A batch: job 1 committed, job 2 killed; the rerun skips job 1 and resumes job 2.
cat >batch.json <<EOF
[ { "kind": "zoom", "src": "$SRC", "dst": "b1.tif", "factor": 2, "tile": "128x128",
    "resampling": "cubic", "co": ["BLOCKXSIZE=128", "BLOCKYSIZE=128"] },
  { "kind": "zoom", "src": "$SRC", "dst": "b2.tif", "factor": 2, "tile": "128x128",
    "resampling": "cubic", "co": ["BLOCKXSIZE=128", "BLOCKYSIZE=128", "COMPRESS=DEFLATE"] } ]
EOF
set +e
GRIDR_FAULT="group-commit=0,kill:phase=window@90" "$GRIDR_RUN" -q -j 2 --resume batch.json \
    2>/dev/null
set -e
[ -e b1.tif ] && [ ! -e b2.tif ] || fail "the batch was not killed in job 2"
b1=$(stat -c %i b1.tif)
expect_exit 0 "$GRIDR_RUN" -j 2 --resume --report brep.json batch.json
grep -q "b1.tif: *$\|already complete" "$tmp/stdout" || fail "job 1 was not skipped: $(cat "$tmp/stdout")"
[ "$(stat -c %i b1.tif)" = "$b1" ] || fail "job 1 was rewritten"
grep -q '"already_complete": true' brep.json || fail "the report does not say job 1 was complete"
grep -q '"windows_resumed": [12][0-9]' brep.json || fail "job 2 did not resume: $(cat brep.json)"
# shellcheck disable=SC2086
expect_exit 0 "$GRIDR_RUN" zoom -q -r cubic --factor 2 $T -co COMPRESS=DEFLATE "$SRC" b2_ref.tif
cmp b2.tif b2_ref.tif || fail "the resumed batch job differs"
expect_exit 0 "$GRIDR_RUN" cleanup # the killed run's journal: its partial output is committed
grep -q "removed journal" "$tmp/stdout" || fail "cleanup did not sweep the killed batch's journal"
no_temp_left .
no_journal_left
echo "PASS: $test_name: $kills kill points"

#!/bin/sh
# gridr-run under mpirun (docs/cluster.md): 2 and 3 ranks (an uneven split) on loopback give the
# single-process output byte for byte, for zoom and grid jobs, uncompressed and DEFLATE, and for a
# batch; the report lists every rank's part; a rank SIGKILLed mid-run ends the job within seconds
# with a non-zero exit and no output, `gridr-run cleanup` sweeps what the killed runs left;
# --resume continues the job under mpirun with another number of ranks.
# Skipped (77) only when gridr-run was built without MPI.
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"
GRIDR_VALGRIND="" # valgrind under mpirun: not this test's subject
# Open MPI keeps memory until exit by design: a sanitized build checks gridr, not its leaks
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
"$GRIDR_RUN" --version | grep -q "^with MPI" || skip "gridr-run was built without MPI"
command -v mpirun >/dev/null || fail "gridr-run was built with MPI but mpirun is missing"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
# one machine, loopback only: no other network is touched
MPI="mpirun --allow-run-as-root --oversubscribe --mca btl self,tcp --mca btl_tcp_if_include lo \
--mca oob_tcp_if_include lo"
mkdir "$tmp/out"
cd "$tmp/out"

T="--overwrite -j 1 --tile 128x128 -co BLOCKXSIZE=128 -co BLOCKYSIZE=128"
job() {
    case $1 in
    zoom) echo "zoom -q -r cubic --factor 3 $T" ;;
    zoomz) echo "zoom -q -r linear --factor 3 $T -co COMPRESS=DEFLATE" ;;
    big) echo "zoom -q -r cubic --factor 6 $T" ;; # 576 windows: a rank joins in time to die
    bigz) echo "zoom -q -r linear --factor 6 $T -co COMPRESS=DEFLATE" ;;
    grid) echo "grid -q -r cubic --grid $GRID --grid-mask $GMASK $T" ;;
    gridz) echo "grid -q -r bspline3 --grid $GRID $T -co COMPRESS=ZSTD -co PREDICTOR=2" ;;
    esac
}

# ranks_windows REPORT: "windows of rank 0 + rank 1 + ..." and the job's windows, for checks.
ranks_sum() {
    python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))["jobs"][int(sys.argv[2])]
r = j["ranks"]
assert [e["rank"] for e in r] == list(range(len(r))), r
print(len(r), sum(e["windows"] for e in r), j["windows"], min(e["windows"] for e in r))
' "$@"
}

# Same bytes whatever the number of ranks.
for name in zoom zoomz grid gridz; do
    # shellcheck disable=SC2046
    expect_exit 0 "$GRIDR_RUN" $(job $name) "$SRC" "ref_$name.tif"
    for n in 2 3; do
        # shellcheck disable=SC2046
        expect_exit 0 $MPI -n $n "$GRIDR_RUN" $(job $name) --report "rep_$name$n.json" "$SRC" \
            "$name$n.tif"
        cmp "$name$n.tif" "ref_$name.tif" || fail "$name on $n ranks: not the single process's bytes"
        set -- $(ranks_sum "rep_$name$n.json" 0)
        [ "$1" = "$n" ] || fail "$name on $n ranks: the report lists $1 ranks"
        [ "$2" = "$3" ] || fail "$name on $n ranks: the ranks did $2 of $3 windows"
        no_shm_left
        no_journal_left
        no_temp_left .
    done
done
# The ranks took windows on demand: with 144 windows each of 3 ranks did some.
[ "$(ranks_sum rep_zoom3.json 0 | cut -d' ' -f4)" -gt 0 ] || fail "a rank of 3 did no window"

# A warp (grids generated in every rank's workers) on 3 ranks; a job whose windows cut the output's
# tiles (written through GDAL) runs on rank 0 alone, the others skip it: same bytes, no "ranks".
W="warp -q -r cubic -t_srs EPSG:4326 $T"
# shellcheck disable=SC2086
expect_exit 0 "$GRIDR_RUN" $W "$SRC" ref_warp.tif
# shellcheck disable=SC2086
expect_exit 0 $MPI -n 3 "$GRIDR_RUN" $W "$SRC" warp3.tif
cmp warp3.tif ref_warp.tif || fail "warp on 3 ranks: not the single process's bytes"
expect_exit 0 "$GRIDR_RUN" zoom -q -j 1 --factor 3 --tile 100x100 "$SRC" ref_cut.tif
expect_exit 0 $MPI -n 2 "$GRIDR_RUN" zoom -q -j 1 --factor 3 --tile 100x100 --report cut.json \
    "$SRC" cut2.tif
cmp cut2.tif ref_cut.tif || fail "a GDAL-written job on 2 ranks: not the single process's bytes"
grep -q '"ranks": \[\]' cut.json || fail "a job rank 0 ran alone lists ranks: $(cat cut.json)"

# A batch of fewer jobs than ranks: every job's windows shared, the outputs as the single
# process's.
J1='{"kind": "zoom", "src": "'"$SRC"'", "dst": "b1.tif", "factor": 3, "resampling": "cubic",
  "workers": 1, "tile": "128x128", "co": {"BLOCKXSIZE": 128, "BLOCKYSIZE": 128}}'
J2='{"kind": "grid", "src": "'"$SRC"'", "grid": "'"$GRID"'", "grid-mask": "'"$GMASK"'",
  "dst": "b2.tif", "resampling": "cubic", "workers": 1, "tile": "128x128",
  "co": {"BLOCKXSIZE": 128, "BLOCKYSIZE": 128}}'
J3='{"kind": "zoom", "src": "'"$SRC"'", "dst": "b3.tif", "factor": 3, "resampling": "linear",
  "workers": 1, "tile": "128x128",
  "co": {"BLOCKXSIZE": 128, "BLOCKYSIZE": 128, "COMPRESS": "DEFLATE"}}'
echo "[$J1, $J2]" >batch.json
expect_exit 0 $MPI -n 3 "$GRIDR_RUN" -q --report batch_rep.json batch.json
cmp b1.tif ref_zoom.tif || fail "batch job 1 on 3 ranks: not the single process's bytes"
cmp b2.tif ref_grid.tif || fail "batch job 2 on 3 ranks: not the single process's bytes"
for i in 0 1; do
    set -- $(ranks_sum batch_rep.json $i)
    [ "$1" = 3 ] && [ "$2" = "$3" ] || fail "batch job $((i + 1)): ranks $*"
done
no_shm_left
no_journal_left

# A batch of at least as many jobs as ranks: whole jobs handed out to the ranks as they ask, the
# report in the batch's order. Job 2 reads what job 1 replaces: it waits for it (job 1 is a step
# of its own, its windows shared). Outputs as the single process's, on 2 and 3 ranks.
chain() { # chain DIR: the 6-job batch writing into DIR
    J4=$(echo "$J1" | sed "s|b1.tif|$1/b4.tif|; s|\"cubic\"|\"lanczos\"|")
    J5='{"kind": "zoom", "src": "'"$1"'/b1.tif", "dst": "'"$1"'/b5.tif", "factor": 0.5,
      "resampling": "average", "workers": 1, "tile": "128x128"}'
    J6=$(echo "$J3" | sed "s|b3.tif|$1/b6.tif|; s|\"linear\"|\"cubic\"|")
    echo "[$(echo "$J1" | sed "s|b1.tif|$1/b1.tif|; 1s|^{|{\"overwrite\": true, |"), $J5,
      $(echo "$J2" | sed "s|b2.tif|$1/b2.tif|"), $(echo "$J3" | sed "s|b3.tif|$1/b3.tif|"), $J4,
      $J6]"
}
for n in 1 2 3; do
    mkdir s$n
    cp ref_grid.tif s$n/b1.tif # job 1 replaces it; job 2 must read the new one
    chain s$n >s$n.json
done
expect_exit 0 "$GRIDR_RUN" -q s1.json
cmp s1/b1.tif ref_zoom.tif || fail "the chained batch's job 1 on one process"
for n in 2 3; do
    expect_exit 0 $MPI -n $n "$GRIDR_RUN" --report spread$n.json s$n.json
    for f in b1 b2 b3 b4 b5 b6; do
        cmp s$n/$f.tif s1/$f.tif || fail "spread batch on $n ranks: $f not the single process's"
    done
    python3 - spread$n.json $n <<'PY' || fail "spread batch on $n ranks: report $(cat spread$n.json)"
import json, sys
jobs = json.load(open(sys.argv[1]))["jobs"]
n = int(sys.argv[2])
names = [j["dst"].split("/")[-1] for j in jobs]
assert names == ["b1.tif", "b5.tif", "b2.tif", "b3.tif", "b4.tif", "b6.tif"], names
assert len(jobs[0]["ranks"]) == n, jobs[0]  # a step of its own: windows shared
assert all(len(j["ranks"]) == 1 and j["ranks"][0]["windows"] == j["windows"] for j in jobs[1:])
ran = {j["ranks"][0]["rank"] for j in jobs[1:]}
assert len(ran) >= 2 and ran <= set(range(n)), ran
PY
    grep -q "s$n/b4.tif" "$tmp/stdout" || fail "spread batch on $n ranks: job 5 not said"
    no_shm_left
    no_journal_left
    no_temp_left s$n
done

# A job of a spread step that fails (a creation option GTiff refuses, found when its output is
# created): said by rank 0 with its message, the other jobs written, the report in order.
mkdir bad
chain bad | python3 -c '
import json, sys
jobs = json.load(sys.stdin)[2:5]
jobs[1]["co"]["NOT_AN_OPTION"] = "1"
json.dump(jobs, sys.stdout)' >bad.json
expect_exit 1 $MPI -n 2 "$GRIDR_RUN" -q --report bad_rep.json bad.json
expect_err "bad.json: job 2: .*NOT_AN_OPTION"
cmp bad/b2.tif s1/b2.tif || fail "a spread step with a failing job: b2 not written right"
cmp bad/b4.tif s1/b4.tif || fail "a spread step with a failing job: b4 not written right"
[ ! -e bad/b3.tif ] || fail "the failing job of a spread step wrote its output"
python3 -c '
import json, sys
j = json.load(open("bad_rep.json"))["jobs"]
assert [e["status"] == "ok" for e in j] == [True, False, True], j
assert "NOT_AN_OPTION" in j[1]["message"] and len(j[1]["ranks"]) == 1, j[1]
' || fail "a spread step with a failing job: report $(cat bad_rep.json)"
no_shm_left
no_journal_left
no_temp_left bad

# A refused job (its output exists, no --overwrite) is refused on rank 0; the others follow.
expect_exit 1 $MPI -n 2 "$GRIDR_RUN" zoom -q --factor 2 "$SRC" b1.tif
expect_err "exists"
cmp b1.tif ref_zoom.tif || fail "a refused job changed its output"

# A window that fails for good, whichever rank runs it: the job fails with its message, no
# output, no rank waits for an offset behind it (DEFLATE), nothing is left.
if fault_part "a failing window"; then
    rm -f fail.tif
    export GRIDR_FAULT=kill:window=7
    # shellcheck disable=SC2046
    expect_exit 1 timeout 60 $MPI -n 3 "$GRIDR_RUN" $(job bigz) --retries 0 --report fail.json \
        "$SRC" fail.tif
    unset GRIDR_FAULT
    expect_err "window 7 \[rows .*\] attempt 1/1: worker pid [0-9]+ killed by SIGKILL"
    [ ! -e fail.tif ] || fail "a failed job wrote its output"
    no_shm_left
    no_journal_left
    no_temp_left .
fi

# A rank SIGKILLed mid-run: the job ends within seconds, non-zero, no output; rank 0 leaves no
# segment; cleanup sweeps the killed rank's. Then --resume on 3 ranks completes it.
if fault_part "a rank killed"; then
    for name in big bigz; do
        # shellcheck disable=SC2046
        expect_exit 0 "$GRIDR_RUN" $(job $name) "$SRC" "ref_$name.tif"
        rm -f out.tif
        t0=$(date +%s)
        set +e
        # shellcheck disable=SC2046
        timeout 60 $MPI -n 2 sh -c 'if [ "$OMPI_COMM_WORLD_RANK" = 1 ]; then
            export GRIDR_FAULT=group-commit=0,kill:phase=window@3; fi; exec "$@"' sh \
            "$GRIDR_RUN" $(job $name) --resume --report kill.json "$SRC" out.tif \
            >/dev/null 2>"$tmp/err"
        st=$?
        set -e
        t1=$(date +%s)
        [ "$st" != 0 ] && [ "$st" != 124 ] || fail "$name: killed rank: exit $st: $(cat "$tmp/err")"
        [ $((t1 - t0)) -le 20 ] || fail "$name: killed rank: the job took $((t1 - t0)) s to end"
        [ ! -e out.tif ] || fail "$name: killed rank: an output was written"
        # The survivor removes its segments when it can (Open MPI may also end it hard when its
        # peer vanishes, as a SIGKILL would): cleanup sweeps whatever the killed runs left.
        ids=$(ls "$STATE" | sed -n 's/\.journal$//p')
        [ -n "$ids" ] || fail "$name: killed rank: no journal of the killed run"
        "$GRIDR_RUN" cleanup -q >/dev/null
        # shellcheck disable=SC2086
        shm_clean $ids
        expect_exit 0 $MPI -n 3 "$GRIDR_RUN" $(job $name) --resume --report res.json "$SRC" out.tif
        cmp out.tif "ref_$name.tif" || fail "$name: resumed on 3 ranks: not the same bytes"
        rm -f out.tif.gridr-resume
        no_temp_left .
    done
fi
no_shm_left
echo "run_mpi: ok"

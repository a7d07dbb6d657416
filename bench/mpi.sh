#!/bin/sh
# gridr: what the MPI layer costs (docs/cluster.md). On one machine, the same cores:
#   W2 cubic (grid at 1/10 resolution, 12000 x 12000 u16): `gridr-run -j 2` against
#   `mpirun -n 2 gridr-run -j 1` (two ranks of one worker each, over loopback TCP), run
#   alternately RUNS times; prints each time, the medians and their ratio, and rank 0's cost per
#   window handed out and per offset allocated (from the report's "ranks").
#   Then the launcher's fixed cost: a job of a few pixels, plain against mpirun -n 2 (mpirun,
#   MPI_Init and MPI_Finalize: what no work inside gridr-run can take back).
#   Optional: CODEC=DEFLATE (offsets allocated by rank 0 for every window).
#   sh bench/mpi.sh [GRIDR_RUN] [DATA]     (DATA: /work/shared/bench/make_data.py's directory)
set -eu
G=${1:-./gridr-run}
D=${2:-/tmp/gridr-bench}
RUNS=${RUNS:-5}
CODEC=${CODEC:-NONE}
[ -r "$D/img1.tif" ] && [ -r "$D/grid_rc.tif" ] || {
    echo "no benchmark data in $D (python3 /work/shared/bench/make_data.py $D)" >&2
    exit 1
}
"$G" --version | grep -q "^with MPI" || { echo "$G was built without MPI" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPI="mpirun --allow-run-as-root --oversubscribe --mca btl self,tcp --mca btl_tcp_if_include lo"
out=$(mktemp -d "${TMPDIR:-/var/tmp}/gridr-mpi-bench.XXXXXX")
trap 'rm -rf "$out"' EXIT
ARGS="grid -q -r cubic --grid $D/grid_rc.tif --grid-res 10 -t 1 -co COMPRESS=$CODEC --overwrite"
one() { # one LAUNCHER -j N: seconds of one run
    rm -f "$out"/o.tif
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086
    $1 "$G" $ARGS -j "$2" --report "$out/rep.json" "$D/img1.tif" "$out/o.tif"
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc
}
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
: >"$out/plain"
: >"$out/mpi"
: >"$out/cost"
: >"$out/plain_in"
for i in $(seq "$RUNS"); do
    one "" 2 >>"$out/plain"
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["jobs"][0]["seconds_total"])' \
        "$out/rep.json" >>"$out/plain_in"
    one "$MPI -n 2" 1 >>"$out/mpi"
    python3 - "$out/rep.json" >>"$out/cost" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))["jobs"][0]
r = j["ranks"]
z = r[0]
hand = 1e6 * z["hand_seconds"] / max(z["handed"], 1)
alloc = 1e6 * z["alloc_seconds"] / max(z["allocated"], 1)
others = sum(e["windows"] for e in r[1:])
serve = 1e6 * z["serve_seconds"] / max(others, 1)
print("%d %.2f %.2f %.3f %.2f %s" % (j["windows"], hand, alloc, j["seconds_total"], serve,
                             " ".join("%d:%d" % (e["rank"], e["windows"]) for e in r)))
PY
    echo "run $i: gridr-run -j 2 $(tail -1 "$out/plain") s, mpirun -n 2 -j 1 $(tail -1 "$out/mpi") s" \
        "(windows, us/window handed, us/offset, rank 0's seconds, rank 0's us per other rank's" \
        "window, rank:windows: $(tail -1 "$out/cost"))"
done
p=$(median <"$out/plain")
m=$(median <"$out/mpi")
h=$(cut -d' ' -f2 "$out/cost" | median)
a=$(cut -d' ' -f3 "$out/cost" | median)
pi=$(median <"$out/plain_in")
mi=$(cut -d' ' -f4 "$out/cost" | median)
sv=$(cut -d' ' -f5 "$out/cost" | median)
echo "W2 cubic $CODEC, medians of $RUNS: gridr-run -j 2 $p s, mpirun -n 2 gridr-run -j 1 $m s," \
    "ratio $(echo "scale=3; $m / $p" | bc); rank 0: $h us a window handed out, $a us an offset," \
    "$sv us of its time for each window another rank computed (every message of it)"
echo "inside the processes (the reports' seconds_total: no launcher, MPI_Init or MPI_Finalize):" \
    "gridr-run -j 2 $pi s, rank 0 of mpirun -n 2 $mi s, ratio $(echo "scale=3; $mi / $pi" | bc)"

# The fixed cost: a job of a few pixels (the sample's 1/16), plain and under mpirun, alternated.
: >"$out/tiny_plain"
: >"$out/tiny_mpi"
S=$(dirname "$0")/../data/sample.tif
tiny() { # tiny LAUNCHER: seconds of one run
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086
    $1 "$G" zoom -q -j 1 --factor 0.0625 --overwrite "$S" "$out/t.tif"
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc
}
for i in $(seq "$RUNS"); do
    tiny "" >>"$out/tiny_plain"
    tiny "$MPI -n 2" >>"$out/tiny_mpi"
done
tp=$(median <"$out/tiny_plain")
tm=$(median <"$out/tiny_mpi")
fx=$(echo "$tm - $tp" | bc)
echo "fixed: a job of 32 x 32 pixels takes $tp s plain and $tm s under mpirun -n 2: $fx s of" \
    "launcher, MPI_Init and MPI_Finalize; W2 without it: ratio" \
    "$(echo "scale=3; ($m - $fx) / $p" | bc)"

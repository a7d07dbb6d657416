#!/bin/sh
# gridr: a batch of small scenes over MPI ranks (docs/cluster.md, "Batches"): N jobs (default 16),
#   each a x2 cubic zoom of data/sample.tif (512 x 512 -> 1024 x 1024, one or two windows), run
#   by `gridr-run -j 2` and by `mpirun -n 2 gridr-run -j 1` (whole jobs spread over the ranks),
#   alternately RUNS times; prints each time, the medians and their ratio, and how many jobs each
#   rank ran (from the report).
#   sh bench/mpi_batch.sh [GRIDR_RUN] [N]
set -eu
G=${1:-./gridr-run}
N=${2:-16}
RUNS=${RUNS:-5}
"$G" --version | grep -q "^with MPI" || { echo "$G was built without MPI" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPI="mpirun --allow-run-as-root --oversubscribe --mca btl self,tcp --mca btl_tcp_if_include lo"
S=$(cd "$(dirname "$0")/../data" && pwd)/sample.tif
out=$(mktemp -d "${TMPDIR:-/var/tmp}/gridr-mpi-batch.XXXXXX")
trap 'rm -rf "$out"' EXIT
python3 - "$S" "$out" "$N" >"$out/batch.json" <<'PY'
import json, sys
s, o, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
json.dump([{"kind": "zoom", "src": s, "dst": "%s/o%d.tif" % (o, i), "factor": 2,
            "resampling": "cubic", "overwrite": True} for i in range(n)], sys.stdout)
PY
one() { # one LAUNCHER -j N: seconds of one run
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086
    $1 "$G" -q -j "$2" --report "$out/rep.json" "$out/batch.json"
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc
}
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
: >"$out/plain"
: >"$out/mpi"
for i in $(seq "$RUNS"); do
    one "" 2 >>"$out/plain"
    one "$MPI -n 2" 1 >>"$out/mpi"
    per=$(python3 -c '
import json, sys, collections
c = collections.Counter(j["ranks"][0]["rank"] for j in json.load(open(sys.argv[1]))["jobs"])
print(" ".join("%d:%d" % kv for kv in sorted(c.items())))' "$out/rep.json")
    echo "run $i: gridr-run -j 2 $(tail -1 "$out/plain") s, mpirun -n 2 -j 1 $(tail -1 "$out/mpi") s" \
        "(rank:jobs $per)"
done
p=$(median <"$out/plain")
m=$(median <"$out/mpi")
echo "$N small scenes, medians of $RUNS: gridr-run -j 2 $p s, mpirun -n 2 gridr-run -j 1 $m s," \
    "ratio $(echo "scale=3; $m / $p" | bc)"

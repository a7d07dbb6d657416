#!/bin/sh
# gridr: what --resume costs: W2 cubic (grid at 1/10 resolution, 12000 x 12000 u16, 2 workers),
# a plain run against a resumable one (its group commits sync the output and the record), run
# alternately, RUNS times each; prints each time, the medians and their ratio. Optional: the
# same for DEFLATE (CODEC=DEFLATE).
#   sh bench/resume.sh [GRIDR_RUN] [DATA]     (DATA: /work/shared/bench/make_data.py's directory)
set -eu
G=${1:-./gridr-run}
D=${2:-/tmp/gridr-bench}
RUNS=${RUNS:-5}
CODEC=${CODEC:-NONE}
[ -r "$D/img1.tif" ] && [ -r "$D/grid_rc.tif" ] || {
    echo "no benchmark data in $D (python3 /work/shared/bench/make_data.py $D)" >&2
    exit 1
}
out=$(mktemp -d "${TMPDIR:-/var/tmp}/gridr-resume-bench.XXXXXX")
trap 'rm -rf "$out"' EXIT
one() { # one ARGS...: seconds of one run
    rm -f "$out"/o.tif "$out"/o.tif.gridr-resume
    t0=$(date +%s.%N)
    "$G" grid -q -r cubic --grid "$D/grid_rc.tif" --grid-res 10 -j 2 -co COMPRESS="$CODEC" "$@" \
        "$D/img1.tif" "$out/o.tif"
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc
}
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
: >"$out/plain"
: >"$out/resume"
for i in $(seq "$RUNS"); do
    one >>"$out/plain"
    one --resume >>"$out/resume"
    echo "run $i: plain $(tail -1 "$out/plain") s, --resume $(tail -1 "$out/resume") s"
done
p=$(median <"$out/plain")
r=$(median <"$out/resume")
echo "W2 cubic $CODEC, medians of $RUNS: plain $p s, --resume $r s, ratio $(echo "scale=3; $r / $p" | bc)"

#!/bin/sh
# gridr: W2 (grid cubic, 12000 x 12000 u16, 2 workers) with each output codec the workers encode:
# wall time, CPU time (user + system of gridr-run and its workers: steadier than the wall time on
# a loaded machine) and size against COMPRESS=NONE, configurations alternated, medians of REPS.
# Usage: sh bench/codecs.sh GRIDR_RUN [BENCH_DATA] [REPS]   (data: make_data.py's directory)
# Prints one Markdown table (codec, median wall s, wall / NONE, median CPU s, CPU / NONE, size MB,
# size / NONE).
set -eu
run=${1:?usage: sh bench/codecs.sh GRIDR_RUN [BENCH_DATA] [REPS]}
data=${2:-/tmp/gridr-bench}
reps=${3:-3}
[ -f "$data/img1.tif" ] || { echo "no $data/img1.tif: make the data with make_data.py" >&2; exit 1; }
out=$(mktemp -d "${TMPDIR:-/tmp}/gridr-codecs.XXXXXX")
trap 'rm -rf "$out"' EXIT
configs="NONE ZSTD_LEVEL=1 ZSTD_LEVEL=1,PREDICTOR=2 ZSTD ZSTD,PREDICTOR=2 DEFLATE DEFLATE,PREDICTOR=2 LZW LZW,PREDICTOR=2"

# co CONFIG: the -co options of a configuration ("ZSTD_LEVEL=1,PREDICTOR=2": ZSTD level 1).
co() {
    case $1 in ZSTD_LEVEL=*) c=ZSTD ;; *) c=${1%%,*} ;; esac
    printf -- '-co COMPRESS=%s' "$c"
    echo "$1" | tr ',' '\n' | grep '=' | sed 's/^/ -co /' | tr -d '\n'
}

one() { # CONFIG: wall and CPU seconds of one run into $out/t.CONFIG, $out/c.CONFIG; its size
    # shellcheck disable=SC2046
    /usr/bin/time -f "%e %U %S" -o "$out/time" "$run" grid -q --overwrite -r cubic -j 2 -t 1 \
        --grid "$data/grid_rc.tif" --grid-res 10 -of GTiff -co TILED=YES -co BLOCKXSIZE=256 \
        -co BLOCKYSIZE=256 $(co "$1") "$data/img1.tif" "$out/o.tif"
    stat -c %s "$out/o.tif" >"$out/size.$1"
    rm -f "$out/o.tif"
    awk '{print $1}' "$out/time" >>"$out/t.$1"
    awk '{printf "%.2f\n", $2 + $3}' "$out/time" >>"$out/c.$1"
}

i=0
while [ "$i" -lt "$reps" ]; do
    for c in $configs; do one "$c"; done
    i=$((i + 1))
done
median() { sort -n "$1" | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
t0=$(median "$out/t.NONE")
c0=$(median "$out/c.NONE")
s0=$(cat "$out/size.NONE")
echo "| -co | wall s | wall / NONE | CPU s | CPU / NONE | MB | size / NONE |"
echo "|---|---|---|---|---|---|---|"
for c in $configs; do
    echo "$c $(median "$out/t.$c") $t0 $(median "$out/c.$c") $c0 $(cat "$out/size.$c") $s0" |
        awk '{printf "| %s | %.2f | %.2f | %.2f | %.2f | %.0f | %.3f |\n",
              $1, $2, $2 / $3, $4, $4 / $5, $6 / 1e6, $6 / $7}'
done

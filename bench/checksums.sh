#!/bin/sh
# gridr: md5 of gridr-run's outputs for the benchmark workloads (W1 zoom x1.5 and /2, W2 grid, every
# kernel, W2 cubic DEFLATE) and for the sample data, one line each: run it before and after a
# change that must not change bytes, and diff the two lists. Compressed outputs are summed on their
# decoded pixels ("px:"): the workers finish in any order, so their tiles' places in the file vary.
# Usage: sh bench/checksums.sh GRIDR_RUN [BENCH_DATA] [KERNELS]   (data: make_data.py's directory)
set -eu
run=$1
data=${2:-/tmp/gridr-bench}
kernels=${3:-"nearest linear cubic bspline3 bspline5 bspline7 bspline9 bspline11"}
here=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d "${TMPDIR:-/tmp}/gridr-sums.XXXXXX")
trap 'rm -rf "$out"' EXIT
co="-j 2 -t 1 -of GTiff -co TILED=YES -co BLOCKXSIZE=256 -co BLOCKYSIZE=256 -q"
one() { # NAME ARGS...: run, print "md5  NAME", remove the output
    name=$1
    shift
    "$run" "$@" "$out/o.tif"
    case "$*" in
    *COMPRESS=DEFLATE*)
        gdal_translate -q -of ENVI "$out/o.tif" "$out/o.raw"
        echo "px:$(md5sum <"$out/o.raw" | cut -d' ' -f1)  $name"
        ;;
    *) echo "$(md5sum <"$out/o.tif" | cut -d' ' -f1)  $name" ;;
    esac
    rm -f "$out"/o.*
}
s="$here/data/sample.tif"
for k in $kernels; do
    one "sample zoom x1.7 $k" zoom -q -r "$k" --factor 1.7 "$s"
    one "sample zoom /3 $k" zoom -q -r "$k" --factor 0.33 "$s"
    one "sample grid $k" grid -q -r "$k" --grid "$here/data/sample_grid.tif" \
        --grid-mask "$here/data/sample_grid_mask.tif" "$s"
done
one "sample grid cubic u8 band 2 deflate" grid -q -r cubic -b 2 -ot u8 -co COMPRESS=DEFLATE \
    --grid "$here/data/sample_grid.tif" "$s"
[ -f "$data/img1.tif" ] || { echo "no $data/img1.tif: benchmark workloads skipped" >&2; exit 0; }
for k in $kernels; do
    one "W1up $k" zoom -r "$k" --factor 1.5 $co -co COMPRESS=NONE "$data/img1.tif"
    one "W1down $k" zoom -r "$k" --factor 0.5 $co -co COMPRESS=NONE "$data/img1.tif"
    one "W2 $k" grid -r "$k" --grid "$data/grid_rc.tif" --grid-res 10 $co -co COMPRESS=NONE \
        "$data/img1.tif"
done
one "W2 cubic DEFLATE" grid -r cubic --grid "$data/grid_rc.tif" --grid-res 10 $co \
    -co COMPRESS=DEFLATE "$data/img1.tif"

#!/bin/sh
# gridr's layering (docs/design.md): every library source lives in a layer folder under src/, and
# includes only its own layer's files and those of the layers below, public headers included;
# no .c file is loose at the top of src/; no header of src/ includes the umbrella gridr.h; the
# command (tools/) uses the public headers only. Prints each violation; exit 1 if any.
set -eu
top=${GRIDR_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top"
# Layers, bottom first, and the public headers each owns.
layers="base shm kernel raster sched job pipeline dist"
rank() {
    i=0
    for l in $layers; do
        [ "$l" = "$1" ] && { echo $i; return; }
        i=$((i + 1))
    done
    echo 99
}
header_layer() {
    case "$1" in
    status.h | dtype.h | version.h | config.h) echo base ;;
    sma.h | registry.h) echo shm ;;
    grid.h | interp.h | resample.h) echo kernel ;;
    raster.h | transform.h) echo raster ;;
    sched.h) echo sched ;;
    job.h) echo job ;;
    plan.h | pipeline.h) echo pipeline ;;
    dist.h) echo dist ;;
    gridr.h) echo umbrella ;;
    *) echo unknown ;;
    esac
}
bad=0
say() {
    echo "layers: $*"
    bad=1
}
loose=$(ls src/*.c src/*.h 2>/dev/null || true)
[ -z "$loose" ] || say "files loose at the top of src/: $(echo $loose)"
for f in $(find src -name '*.[ch]' | sort); do
    layer=$(echo "$f" | cut -d/ -f2)
    me=$(rank "$layer")
    [ "$me" != 99 ] || { say "$f: not in a layer folder ($layers)"; continue; }
    grep -o '^#include "[^"]*"' "$f" | sed 's/#include "\(.*\)"/\1/' | while read -r inc; do
        case "$inc" in
        gridr/*) hl=$(header_layer "${inc#gridr/}") ;;
        */*) hl=${inc%%/*} ;;
        config.h) hl=base ;;
        *) hl=$layer ;; # a file of its own folder
        esac
        case "$hl" in
        umbrella) echo "layers: $f includes the umbrella $inc" ;;
        unknown) echo "layers: $f includes $inc, of no known layer" ;;
        *) [ "$(rank "$hl")" -le "$me" ] || echo "layers: $f ($layer) includes $inc ($hl), a layer above" ;;
        esac
    done
done >"${TMPDIR:-/tmp}/gridr-layers.$$"
if [ -s "${TMPDIR:-/tmp}/gridr-layers.$$" ]; then
    cat "${TMPDIR:-/tmp}/gridr-layers.$$"
    bad=1
fi
rm -f "${TMPDIR:-/tmp}/gridr-layers.$$"
for f in $(find tools -name '*.[ch]' 2>/dev/null | sort); do
    if grep -q '^#include "\(base\|shm\|kernel\|raster\|sched\|job\|pipeline\)/' "$f"; then
        say "$f: the command includes a library-internal header"
    fi
done
# Public headers include only headers of their layer and below.
for h in include/gridr/*.h include/gridr/*.h.in; do
    [ -f "$h" ] || continue
    n=$(basename "$h" .in)
    [ "$n" = gridr.h ] && continue
    me=$(rank "$(header_layer "$n")")
    for inc in $(grep -o '^#include "gridr/[^"]*"' "$h" | sed 's/#include "gridr\/\(.*\)"/\1/'); do
        [ "$(rank "$(header_layer "$inc")")" -le "$me" ] || say "$h includes gridr/$inc, a layer above"
    done
done
[ "$bad" = 0 ] && echo "layers: every include goes to its own layer or below"
exit "$bad"

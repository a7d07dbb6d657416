#!/bin/sh
# gridr-run: a job file with three jobs runs them in order on one worker pool (one run id);
# the three outputs have the sizes, bands and types asked; the --report JSON holds each job's
# windows, bytes, workers and timings with the right values. A job that fails at run time in a
# batch fails alone: the others are written, the exit status is 1, the report says which.
# Needs a python3 with numpy and GDAL's bindings (to read the outputs and the report).
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"
need_gdal_python
mkdir "$tmp/jobs" "$tmp/out"
cd "$tmp"

# Relative paths in a job file are relative to the file's directory (jobs/).
cat >jobs/three.json <<JSON
[
  {"src": "$SRC", "grid": "$GRID", "grid-mask": "$GMASK", "dst": "../out/grid.tif",
   "resampling": "cubic"},
  {"kind": "zoom", "src": "$SRC", "dst": "../out/half.tif", "factor": 0.5, "band": [3, 1],
   "resampling": "bspline3", "out-type": "f32", "nodata": "nan"},
  {"src": "$SRC", "dst": "../out/size.tif", "size": "300x200", "resampling": "nearest",
   "co": {"COMPRESS": "DEFLATE"}}
]
JSON
expect_exit 0 gr -j 2 --tile 128x128 --report "$tmp/rep.json" jobs/three.json
[ "$(wc -l <"$tmp/stdout")" = 3 ] || fail "expected one line per job: $(cat "$tmp/stdout")"
grep -q "511x511, 3 bands, 16 windows, .* s -> .*out/grid.tif$" "$tmp/stdout" || fail "job 1 line: $(cat "$tmp/stdout")"
no_temp_left out
no_shm_left

"$PY" - "$SRC" <<'PYEOF' || fail "batch outputs or report wrong (above)"
import json, sys
import numpy as np
from osgeo import gdal

errors = []
def check(cond, what):
    if not cond:
        errors.append(what)

rep = json.load(open("rep.json"))
jobs = rep["jobs"]
check(len(jobs) == 3, "report lists %d jobs" % len(jobs))
check(len(rep["run_id"]) == 8 and int(rep["run_id"], 16) >= 0, "run_id %r" % rep["run_id"])
check(rep["gridr_version"], "no version")
src = gdal.Open(sys.argv[1])
src_bytes = src.RasterXSize * src.RasterYSize * 2  # per band, u16

# (dst, cols, rows, bands, GDAL type, bytes per sample, windows of 128x128, resampling)
want = [("out/grid.tif", 511, 511, 3, gdal.GDT_UInt16, 2, 16, "cubic"),
        ("out/half.tif", 256, 256, 2, gdal.GDT_Float32, 4, 4, "bspline3"),
        ("out/size.tif", 300, 200, 3, gdal.GDT_UInt16, 2, 6, "nearest")]
for i, (dst, cols, rows, bands, dt, size, windows, kernel) in enumerate(want):
    j = jobs[i] if i < len(jobs) else {}
    name = "job %d (%s)" % (i + 1, dst)
    check(j.get("status") == "ok" and j.get("message") == "", "%s: status %s %s" % (name, j.get("status"), j.get("message")))
    check(j.get("dst", "").endswith(dst), "%s: report dst %s" % (name, j.get("dst")))
    check(j.get("resampling") == kernel, "%s: resampling %s" % (name, j.get("resampling")))
    check((j.get("out_cols"), j.get("out_rows"), j.get("bands")) == (cols, rows, bands),
          "%s: report size %s" % (name, (j.get("out_cols"), j.get("out_rows"), j.get("bands"))))
    check(j.get("windows") == windows, "%s: %s windows, expected %d" % (name, j.get("windows"), windows))
    check(j.get("failed_windows") == 0 and j.get("retried_windows") == 0, "%s: failed/retried" % name)
    check(j.get("empty_windows") == 0, "%s: %s empty windows" % (name, j.get("empty_windows")))
    check(j.get("workers") == 2, "%s: %s workers" % (name, j.get("workers")))
    check(j.get("bytes_written") == cols * rows * bands * size,
          "%s: bytes_written %s, expected %d" % (name, j.get("bytes_written"), cols * rows * bands * size))
    # Every source sample of the used bands is read at least once (windows overlap by their
    # halo); the rotated grid misses only corners.
    lo = 0.8 if i == 0 else 1.0
    check(lo * src_bytes * bands <= j.get("bytes_read", 0) <= 2 * src_bytes * bands,
          "%s: bytes_read %s for %d source bytes" % (name, j.get("bytes_read"), src_bytes * bands))
    check(0 < j.get("shm_peak_bytes", 0) <= 1024 << 20, "%s: shm_peak_bytes %s" % (name, j.get("shm_peak_bytes")))
    t = [j.get(k, -1) for k in ("seconds_setup", "seconds_run", "seconds_commit", "seconds_total")]
    check(min(t) >= 0 and t[3] >= t[1] and t[3] >= t[0] + t[1] + t[2] - 1e-3 and t[3] < 60, "%s: times %s" % (name, t))
    ds = gdal.Open(dst)
    if ds is None:
        errors.append("%s: not written" % name)
        continue
    check((ds.RasterXSize, ds.RasterYSize, ds.RasterCount) == (cols, rows, bands),
          "%s: file is %dx%dx%d" % (name, ds.RasterXSize, ds.RasterYSize, ds.RasterCount))
    check(ds.GetRasterBand(1).DataType == dt, "%s: type %s" % (name, gdal.GetDataTypeName(ds.GetRasterBand(1).DataType)))
    a = ds.ReadAsArray().astype(np.float64)
    ok = np.isfinite(a) & (a != 0)
    check(ok.mean() > 0.9, "%s: only %.0f%% valid" % (name, 100 * ok.mean()))

# Job 2 reads bands 3 and 1, in that order; job 3 is compressed.
half = gdal.Open("out/half.tif")
if half is not None:
    s = src.ReadAsArray().astype(np.float64)
    h = half.ReadAsArray()
    # A 2x2 box of a smooth image is close to the B-spline value at its centre.
    for ob, sb in ((0, 2), (1, 0)):
        box = s[sb].reshape(256, 2, 256, 2).mean(axis=(1, 3))
        both = np.isfinite(h[ob]) & (box > 0)
        med = np.median(np.abs(h[ob][both] - box[both]) / box[both])
        check(med < 0.02, "half.tif band %d is not source band %d (median rel. diff %.3f)" % (ob + 1, sb + 1, med))
    check(np.isnan(half.GetRasterBand(1).GetNoDataValue()), "half.tif nodata %s" % half.GetRasterBand(1).GetNoDataValue())
size = gdal.Open("out/size.tif")
if size is not None:
    check(size.GetMetadata("IMAGE_STRUCTURE").get("COMPRESSION") == "DEFLATE", "size.tif not DEFLATE")
for m in errors:
    print("FAIL:", m, file=sys.stderr)
print("batch: 3 jobs, run %s, %s" % (rep["run_id"], ", ".join("%s %d windows" % (j["dst"], j["windows"]) for j in jobs)))
sys.exit(1 if errors else 0)
PYEOF

# A job that fails while running (a truncated source passes validation) fails alone.
head -c 40000 "$SRC" >trunc.tif
cat >jobs/mixed.json <<JSON
[
  {"kind": "zoom", "src": "$SRC", "dst": "../out/m1.tif", "factor": 0.5},
  {"kind": "zoom", "src": "../trunc.tif", "dst": "../out/m2.tif", "factor": 0.5},
  {"kind": "zoom", "src": "$SRC", "dst": "../out/m3.tif", "factor": 0.5}
]
JSON
expect_exit 1 gr -j 2 -q --report "$tmp/mixed.json" jobs/mixed.json
expect_err "mixed.json: job 2: window 0 .*cannot read window .* of '.*trunc.tif'"
[ -s out/m1.tif ] && [ -s out/m3.tif ] || fail "the jobs around the failing one were not written"
[ ! -e out/m2.tif ] || fail "the failing job's output exists"
grep -c '"status": "ok"' "$tmp/mixed.json" | grep -qx 2 || fail "report: not 2 jobs ok"
grep -q '"status": "GRIDR_EIO"\|"status": "GRIDR_EFORMAT"' "$tmp/mixed.json" ||
    fail "report: no error status for job 2: $(grep status "$tmp/mixed.json")"
grep -q '"message": ".*trunc.tif' "$tmp/mixed.json" || fail "report: job 2's message does not name the file"
no_temp_left out
no_shm_left

# Two jobs of one file may not write the same output.
cat >jobs/dup.json <<JSON
[{"src": "$SRC", "dst": "../out/d.tif", "factor": 2}, {"src": "$SRC", "dst": "../out/d.tif", "factor": 3}]
JSON
expect_exit 2 gr jobs/dup.json
expect_err "dup.json: jobs 1 and 2 both write '.*out/d.tif'"
[ ! -e out/d.tif ] || fail "dup.json ran"
# A job whose input is missing, in a batch with --keep-going: left out, the others run, the
# report lists its failure (without --keep-going the batch stops before any job).
cat >jobs/gone.json <<JSON
[{"kind": "zoom", "src": "$SRC", "dst": "../out/g1.tif", "factor": 2},
 {"kind": "zoom", "src": "nosuch.tif", "dst": "../out/g2.tif", "factor": 2},
 {"kind": "zoom", "src": "$SRC", "dst": "../out/g3.tif", "factor": 0.5}]
JSON
expect_exit 1 gr -q jobs/gone.json
[ ! -e out/g1.tif ] && [ ! -e out/g3.tif ] || fail "a batch with a missing input ran without --keep-going"
expect_exit 1 gr -q --keep-going --report "$tmp/gone.json" jobs/gone.json
expect_err "gone.json: job 2: src '.*nosuch.tif': No such file or directory" \
    "gone.json: job 2: left out \(--keep-going\); the other jobs run"
[ -s out/g1.tif ] && [ -s out/g3.tif ] && [ ! -e out/g2.tif ] || fail "--keep-going: jobs 1 and 3 not written"
grep -c '"status": "ok"' "$tmp/gone.json" | grep -qx 2 || fail "report: not 2 jobs ok"
grep -q '"status": "GRIDR_ENOENT"' "$tmp/gone.json" || fail "report: job 2's failure: $(grep status "$tmp/gone.json")"
grep -q '"message": "jobs/gone.json: job 2: src .*nosuch.tif' "$tmp/gone.json" ||
    fail "report: job 2's message: $(grep message "$tmp/gone.json")"
echo "run_batch: ok"

#!/usr/bin/python3
"""Side-by-side benchmark of gridr-run against its peers (make bench; not part of make check).

usage: peers.py [--gridr-run PATH] [--srcdir DIR]

Times gridr-run and each installed peer (OpenCV through cv2_peer.py, gdal_translate, libvips,
optionally gdalwarp and OTB) on the peer benchmark's workloads (12000 x 12000 uint16 GeoTIFF,
tiled 256, uncompressed; warm page cache), checks each output against a float64 reference
(refcheck.py) and prints one Markdown table, saved to $BENCH_DATA/results/gridr-bench.md
(raw figures in gridr-bench.json, tool output in gridr-bench-logs/).

Environment:
  BENCH_DATA=/tmp/gridr-bench  data directory, reused when its manifest matches, else made
                               with make_data.py (~75 s, ~1 GB)
  BENCH_VIPS_INDEX=1           also make the 1.2 GB full-resolution index for `vips mapim`
  GRIDR_PEER_BENCH=DIR         the peer benchmark's scripts (default: $(dirname SRCDIR)/shared/bench)
  GRIDR_RUN=PATH               gridr-run to time (or --gridr-run; default SRCDIR/gridr-run)
  GRIDR_OPTS="..."             extra gridr-run options (e.g. "--mem 512"), put before SRC DST
  RUNS=5                       timed runs per row (after 1 untimed warm-up run)
  ONLY=REGEX                   rows whose id (WORKLOAD/TOOL, e.g. W1down_linear/gdal_translate)
                               matches; gridr-run's baseline row of a selected workload always runs
  PEERS=0                      time gridr-run only (its rows and variants)
  EXTRA=1                      add the slower peers (gdalwarp, vips affine/resize up, OTB)
  THREADS=2                    threads for every tool: gridr-run -j THREADS -t 1, VIPS_CONCURRENCY,
                               cv2.setNumThreads, -wo NUM_THREADS, ITK threads
  CHECK=all|gridr|none         which outputs refcheck.py checks (default all)
  KEEP=1                       keep the outputs ($BENCH_DATA/out/*.tif)
  BENCH_TIMEOUT=900            seconds before a run is stopped (SIGTERM, then SIGKILL)
  BENCH_PYTHON=/usr/bin/python3  python with osgeo.gdal + numpy (+ cv2) for the helper scripts
"""
import argparse
import glob
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peakmem  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PY = os.environ.get("BENCH_PYTHON", "/usr/bin/python3")
N = 12000
CO = ["-co", "TILED=YES", "-co", "BLOCKXSIZE=256", "-co", "BLOCKYSIZE=256", "-co", "COMPRESS=NONE"]
VT = "[tile,tile-width=256,tile-height=256,compression=none]"
OTBX = "?&gdal:co:TILED=YES&gdal:co:BLOCKXSIZE=256&gdal:co:BLOCKYSIZE=256&gdal:co:COMPRESS=NONE" \
       "&writegeom=false"
DATA_FILES = ["img1.tif", "grid_rc.tif", "grid_vips_lowres.tif", "grid_otb_def.tif",
              "img1_geoloc.vrt"]
MIB = 1 << 20


def say(msg):
    print(msg, file=sys.stderr, flush=True)


def env_int(name, default):
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        sys.exit(f"peers.py: {name}={os.environ[name]!r} is not an integer")


# ------------------------------------------------------------------------------------ settings
class Ctx:
    """Paths and settings of one benchmark run."""

    def __init__(self, args):
        self.srcdir = os.path.abspath(args.srcdir or os.path.dirname(HERE))
        self.pb = os.path.abspath(os.environ.get("GRIDR_PEER_BENCH")
                                  or os.path.join(os.path.dirname(self.srcdir), "shared", "bench"))
        self.gridr = os.path.abspath(args.gridr_run or os.environ.get("GRIDR_RUN")
                                     or os.path.join(self.srcdir, "gridr-run"))
        self.d = os.path.abspath(os.environ.get("BENCH_DATA", "/tmp/gridr-bench"))
        self.o, self.r = os.path.join(self.d, "out"), os.path.join(self.d, "results")
        self.logs = os.path.join(self.r, "gridr-bench-logs")
        self.runs = max(1, env_int("RUNS", 5))
        self.threads = max(1, env_int("THREADS", 2))
        try:
            self.only = re.compile(os.environ["ONLY"]) if os.environ.get("ONLY") else None
        except re.error as e:
            sys.exit(f"peers.py: ONLY={os.environ['ONLY']!r}: {e}")
        self.peers = os.environ.get("PEERS", "1") != "0"
        self.extra = os.environ.get("EXTRA", "0") == "1"
        self.check = os.environ.get("CHECK", "all")
        self.keep = os.environ.get("KEEP", "0") == "1"
        self.vips_index = os.environ.get("BENCH_VIPS_INDEX", "0") == "1"
        self.timeout = env_int("BENCH_TIMEOUT", 900)
        self.gridr_opts = shlex.split(os.environ.get("GRIDR_OPTS", ""))
        self.have_gridr = os.access(self.gridr, os.X_OK) and os.path.isfile(self.gridr)
        if self.check not in ("all", "gridr", "none"):
            sys.exit(f"peers.py: CHECK={self.check!r}: expected all, gridr or none")


# ---------------------------------------------------------------------------------------- data
def manifest_ok(d, need):
    """True if d/manifest.txt is for 12000/10 and lists every needed .tif with its real size."""
    path = os.path.join(d, "manifest.txt")
    if not os.path.exists(path):
        return False
    lines = open(path).read().split("\n")
    if not lines or lines[0].strip() != f"size={N} step=10":
        return False
    listed = {f[0]: int(f[1]) for f in (x.split() for x in lines[1:]) if len(f) == 3}
    for name in need:
        p = os.path.join(d, name)
        if not os.path.exists(p):
            return False
        if name.endswith(".tif") and listed.get(name) != os.path.getsize(p):
            return False
    return True


def compare_reference_manifest(d):
    """Warn when the data's md5s differ from the reference set (figures would not compare)."""
    ref = os.path.join(HERE, "peers-manifest.txt")
    if not os.path.exists(ref):
        return
    want = {f[0]: f[2] for f in (x.split() for x in open(ref)) if len(f) == 3}
    have = {f[0]: f[2] for f in (x.split() for x in open(os.path.join(d, "manifest.txt")))
            if len(f) == 3}
    bad = [n for n in want if n in have and have[n] != want[n]]
    if bad:
        say(f"warning: {', '.join(bad)} in {d} differ from the reference data (md5, "
            f"bench/peers-manifest.txt): figures may not compare with other machines")


def ensure_data(ctx):
    need = DATA_FILES + (["mapim_xy.tif"] if ctx.vips_index else [])
    if manifest_ok(ctx.d, need):
        say(f"data: reusing {ctx.d} (manifest matches)")
    else:
        make = os.path.join(ctx.pb, "make_data.py")
        if not os.path.exists(make):
            sys.exit(f"peers.py: no {make}: set GRIDR_PEER_BENCH to the peer benchmark directory")
        cmd = [PY, make, ctx.d] + ([] if ctx.vips_index else ["--no-vips-index"])
        say(f"data: making {ctx.d} (~75 s, 1 GB+): {shlex.join(cmd)}")
        if subprocess.call(cmd, stdout=subprocess.DEVNULL) != 0 or not manifest_ok(ctx.d, need):
            sys.exit(f"peers.py: {shlex.join(cmd)} failed (needs python3-gdal and python3-numpy: "
                     f"scripts/setup-debian.sh)")
    compare_reference_manifest(ctx.d)
    for sub in (ctx.o, ctx.r, ctx.logs):
        os.makedirs(sub, exist_ok=True)


# ------------------------------------------------------------------------------------ the tools
def probe_python_module(mod):
    return subprocess.call([PY, "-c", f"import {mod}"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL) == 0


def build_vips_gridwarp(ctx):
    """Compile the peer benchmark's vips pipeline; returns (path, None) or (None, reason)."""
    src = os.path.join(ctx.pb, "vips_gridwarp.c")
    exe = os.path.join(ctx.d, "bin", "vips_gridwarp")
    if not shutil.which("gcc") or subprocess.call(["pkg-config", "--exists", "vips"]) != 0:
        return None, "not installed (libvips-dev)"
    if os.path.exists(exe) and os.path.getmtime(exe) >= os.path.getmtime(src):
        return exe, None
    os.makedirs(os.path.dirname(exe), exist_ok=True)
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "vips"], capture_output=True,
                           text=True).stdout.split()
    r = subprocess.run(["gcc", "-O2", src, "-o", exe] + flags, capture_output=True, text=True)
    if r.returncode != 0:
        return None, "build failed: " + (r.stderr.strip().splitlines() or ["?"])[-1]
    return exe, None


def availability(ctx):
    """tool family -> None (available) or the reason it is not."""
    have = {}
    for fam, exe, pkg in (("gdal", "gdal_translate", "gdal-bin"), ("vips", "vips", "libvips-tools"),
                          ("otb", "otbcli_GridBasedImageResampling", "otb-bin")):
        have[fam] = None if shutil.which(exe) else f"not installed ({pkg})"
    have["opencv"] = None if probe_python_module("cv2") else "not installed (python3-opencv)"
    ctx.vips_gridwarp, have["vips_gridwarp"] = build_vips_gridwarp(ctx)
    have["mapim"] = have["vips"] or (
        None if os.path.exists(os.path.join(ctx.d, "mapim_xy.tif"))
        else "no index (BENCH_VIPS_INDEX=1 makes it, 1.2 GB)")
    return have


# -------------------------------------------------------------------------------- the workloads
class Row:
    """One tool on one workload: its command, its runs and its check."""

    def __init__(self, wl, tool, kind, argv, out, family=None, default=True, note=""):
        self.wl, self.tool, self.kind, self.argv, self.out = wl, tool, kind, argv, out
        self.family, self.default, self.note = family, default, note
        self.missing = None  # reason it cannot run
        self.error = None  # reason it stopped
        self.runs, self.check, self.pixels, self.leaks = [], {}, None, set()
        self.log = None

    @property
    def id(self):
        return f"{self.wl.name}/{self.tool}"


class Workload:
    def __init__(self, name, check, pixels, fit):
        self.name, self.check, self.pixels, self.fit = name, check, pixels, fit
        self.rows = []

    def add(self, *args, **kw):
        row = Row(self, *args, **kw)
        self.rows.append(row)
        return row

    def gridr(self):
        return self.rows[0]


def gridr_argv(ctx, mode, kern, geom, out, workers=None, co=None):
    w = workers or ctx.threads
    return ([ctx.gridr, mode, "-r", kern, "-j", str(w), "-t", "1", *geom, "-of", "GTiff",
             *(co or CO), "-q", "--overwrite", *ctx.gridr_opts, os.path.join(ctx.d, "img1.tif"),
             out])


def zoom_workloads(ctx):
    wls = []
    for name, f, size in (("W1up", "1.5", N * 3 // 2), ("W1down", "0.5", N // 2)):
        for kern in ("linear", "cubic"):
            wls.append(zoom_workload(ctx, name, f, size, kern))
    # Issue 14: zooms out with antialiasing on everywhere (gridr-run's zoom default): /2 average
    # and /3 linear, cubic, average, against gdal_translate and vips (resize antialiases; its
    # "average" is `vips shrink`, the box mean of an integer factor).
    wls.append(zoom_workload(ctx, "W1down", "0.5", N // 2, "average"))
    for kern in ("linear", "cubic", "average"):
        wls.append(zoom_workload(ctx, "W1down3", "0.333333333333", N // 3, kern))
    return wls


def zoom_workload(ctx, name, f, size, kern):
    d, o, t = ctx.d, ctx.o, str(ctx.threads)
    src = os.path.join(d, "img1.tif")
    gk = {"linear": "bilinear"}.get(kern, kern)
    vi = "bilinear" if kern == "linear" else "bicubic"
    down = name.startswith("W1down")
    fit = {"linear": "centre/bilinear", "cubic": "centre/cubic(a=-0.5)"}.get(kern, "")
    wl = Workload(f"{name}_{kern}", "zoom" if kern != "average" else None, size * size,
                  fit + ("/aa" if down and fit else ""))
    out = lambda tool: os.path.join(o, f"{wl.name}.{tool}.tif")  # noqa: E731
    s = str(size)
    geom = ["--size", f"{s}x{s}"] if down else ["--factor", f]
    wl.add("gridr-run", "gridr", gridr_argv(ctx, "zoom", kern, geom, out("gridr")), out("gridr"))
    if down and kern != "average":
        wl.add("gridr-run point", "variant",
               gridr_argv(ctx, "zoom", kern, geom + ["--no-antialias"], out("gridr_point")),
               out("gridr_point"), note="--no-antialias: ratio = point sampling / antialiased")
    if kern != "average":
        wl.add("opencv", "peer", [PY, os.path.join(ctx.pb, "cv2_peer.py"), "zoom", src,
                                  out("opencv"), s, s, kern, t], out("opencv"), "opencv",
               default=name != "W1down3")
    wl.add("gdal_translate", "peer",
           ["gdal_translate", "-q", "--config", "GDAL_CACHEMAX", "1024", "-r", gk,
            "-outsize", s, s, *CO, src, out("gdal_translate")], out("gdal_translate"), "gdal")
    if kern == "average" and down:
        k = str(round(1 / float(f)))
        wl.add("vips_shrink", "peer", ["env", f"VIPS_CONCURRENCY={t}", "vips", "shrink", src,
                                       out("vips_shrink") + VT, k, k], out("vips_shrink"), "vips")
    elif kern != "average":
        wl.add("vips_resize", "peer", ["env", f"VIPS_CONCURRENCY={t}", "vips", "resize", src,
                                       out("vips_resize") + VT, f, "--kernel", kern],
               out("vips_resize"), "vips", default=down)
    if name == "W1up":
        wl.add("vips_affine", "peer",
               ["env", f"VIPS_CONCURRENCY={t}", "vips", "affine", src,
                out("vips_affine") + VT, "1.5 0 0 1.5", "--interpolate", vi, "--odx",
                "0.25", "--ody", "0.25", "--extend", "copy"],
               out("vips_affine"), "vips", default=False)
    if kern == "average":
        return wl
    wl.add("gdalwarp_multi", "peer",
           ["gdalwarp", "-q", "-overwrite", "--config", "GDAL_CACHEMAX", "1024", "-r", gk,
            "-ts", s, s, "-multi", "-wo", f"NUM_THREADS={t}", "-wm", "1024", *CO, src,
            out("gdalwarp_multi")], out("gdalwarp_multi"), "gdal", default=False)
    wl.add("otb_rigid", "peer",
           ["env", f"ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS={t}", "OTB_MAX_RAM_HINT=1024",
            "otbcli_RigidTransformResample", "-in", src, "-out", out("otb_rigid") + OTBX,
            "uint16", "-transform.type", "id", "-transform.type.id.scalex", f,
            "-transform.type.id.scaley", f, "-interpolator",
            "linear" if kern == "linear" else "bco", "-ram", "1024"],
           out("otb_rigid"), "otb", default=False)
    return wl


def grid_workloads(ctx):
    d, o, t = ctx.d, ctx.o, str(ctx.threads)
    src, grid = os.path.join(d, "img1.tif"), os.path.join(d, "grid_rc.tif")
    geom = ["--grid", grid, "--grid-res", "10"]
    wls = []
    for kern in ("linear", "cubic"):
        gk = "bilinear" if kern == "linear" else "cubic"
        vi = "bilinear" if kern == "linear" else "bicubic"
        wl = Workload(f"W2_{kern}", "grid", N * N,
                      "shift+0.0/bilinear" if kern == "linear" else "shift+0.0/cubic(a=-0.5)")
        out = lambda tool: os.path.join(o, f"{wl.name}.{tool}.tif")  # noqa: E731
        wl.add("gridr-run", "gridr", gridr_argv(ctx, "grid", kern, geom, out("gridr")),
               out("gridr"))
        if kern == "cubic":
            wl.add("gridr-run -j 1", "variant",
                   gridr_argv(ctx, "grid", kern, geom, out("gridr_j1"), workers=1),
                   out("gridr_j1"), note="1 worker: ratio = speed-up of the 2nd worker")
            wl.add("gridr-run DEFLATE", "variant",
                   gridr_argv(ctx, "grid", kern, geom, out("gridr_deflate"),
                              co=CO[:-1] + ["COMPRESS=DEFLATE"]),
                   out("gridr_deflate"), note="DEFLATE output: ratio = cost of compression")
        wl.add("vips_gridwarp", "peer",
               ["env", f"VIPS_CONCURRENCY={t}", ctx.vips_gridwarp or "vips_gridwarp", src,
                os.path.join(d, "grid_vips_lowres.tif"), "10", str(N), str(N), vi,
                out("vips_gridwarp") + VT], out("vips_gridwarp"), "vips_gridwarp")
        wl.add("vips_mapim", "peer",
               ["env", f"VIPS_CONCURRENCY={t}", "vips", "mapim", src, out("vips_mapim") + VT,
                os.path.join(d, "mapim_xy.tif"), "--interpolate", vi], out("vips_mapim"), "mapim",
               note="precomputed 1.2 GB full-resolution index, not timed")
        wl.add("opencv_remap", "peer",
               [PY, os.path.join(ctx.pb, "cv2_peer.py"), "grid", src, grid, out("opencv_remap"),
                kern, t], out("opencv_remap"), "opencv")
        wl.add("gdalwarp_geoloc_et0", "peer",
               ["gdalwarp", "-q", "-overwrite", "--config", "GDAL_CACHEMAX", "1024", "-r", gk,
                "-geoloc", "-t_srs", "EPSG:32631", "-te", "0", f"-{N}", str(N), "0", "-ts", str(N),
                str(N), "-et", "0", "-multi", "-wo", f"NUM_THREADS={t}", "-wm", "1024", *CO,
                os.path.join(d, "img1_geoloc.vrt"), out("gdalwarp_geoloc_et0")],
               out("gdalwarp_geoloc_et0"), "gdal", default=False)
        wl.add("otb_grid_def", "peer",
               ["env", f"ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS={t}", "OTB_MAX_RAM_HINT=1024",
                "otbcli_GridBasedImageResampling", "-io.in", src, "-io.out",
                out("otb_grid_def") + OTBX, "uint16", "-grid.in",
                os.path.join(d, "grid_otb_def.tif"), "-grid.type", "def", "-out.sizex", str(N),
                "-out.sizey", str(N), "-out.ulx", "0.5", "-out.uly", "-0.5", "-out.spacingx", "1",
                "-out.spacingy", "-1", "-ram", "1024", "-interpolator",
                "linear" if kern == "linear" else "bco"],
               out("otb_grid_def"), "otb", default=False)
        wls.append(wl)
    return wls


def warp_workloads(ctx):
    """W3: img1.tif (EPSG:32631) reprojected to EPSG:4326 with gdalwarp's output grid."""
    d, o, t = ctx.d, ctx.o, str(ctx.threads)
    src = os.path.join(d, "img1.tif")
    wls = []
    for kern in ("linear", "cubic"):
        gk = "bilinear" if kern == "linear" else "cubic"
        wl = Workload(f"W3_{kern}", "warp", N * N, "")
        out = lambda tool: os.path.join(o, f"{wl.name}.{tool}.tif")  # noqa: E731
        wl.add("gridr-run", "gridr",
               gridr_argv(ctx, "warp", kern, ["-t_srs", "EPSG:4326"], out("gridr")), out("gridr"),
               note="-et 0.01 (default)")
        for name, et in (("gdalwarp", []), ("gdalwarp_et0", ["-et", "0"])):
            wl.add(name, "peer",
                   ["gdalwarp", "-q", "-overwrite", "--config", "GDAL_CACHEMAX", "1024", "-r", gk,
                    "-t_srs", "EPSG:4326", *et, "-multi", "-wo", f"NUM_THREADS={t}", "-wm",
                    "1024", *CO, src, out(name)], out(name), "gdal",
                   note="default error 0.125 px" if not et else "exact transform")
        wls.append(wl)
    return wls


def select(ctx, wls, have):
    """Keep the rows asked for; mark those that cannot run. Returns the non-empty workloads."""
    kept = []
    for wl in wls:
        rows = []
        for row in wl.rows:
            if row.kind == "peer" and (not ctx.peers or not (row.default or ctx.extra)):
                continue
            if row.kind != "gridr" and ctx.only and not ctx.only.search(row.id):
                continue
            rows.append(row)
        if ctx.only and not any(ctx.only.search(r.id) for r in rows):
            continue
        for row in rows:
            if row.kind == "peer":
                row.missing = have[row.family]
            elif not ctx.have_gridr:
                row.missing = f"not built ({ctx.gridr}): make first"
        wl.rows = rows
        kept.append(wl)
    return kept


# ------------------------------------------------------------------------------------- running
def prepare(row):
    """Untimed: delete the output (and what a tool leaves beside it), flush dirty pages."""
    for p in [row.out, row.out + ".aux.xml"] + glob.glob(glob.escape(row.out) + ".tmp*"):
        try:
            os.remove(p)
        except FileNotFoundError:
            pass
    subprocess.call(["sync"])


def run_once(ctx, row, timed):
    prepare(row)
    with open(row.log, "ab") as log:
        log.write(f"\n### {'timed' if timed else 'warm-up'}: {shlex.join(row.argv)}\n".encode())
        log.flush()
        r = peakmem.run(row.argv, stdout=log, stderr=log, timeout=ctx.timeout)
    r["leaks"] = [p for p in r["shm_paths"] if os.path.exists(p)]
    row.leaks.update(r["leaks"])
    if r["rc"] != 0:
        tail = open(row.log, errors="replace").read().strip().splitlines()[-1:] or ["?"]
        row.error = f"exit {r['rc']}: {tail[0][:120]}"
        say(f"  {row.id}: FAILED ({row.error}); log: {row.log}")
        return
    if timed:
        row.runs.append(r)
    say(f"  {row.id}: {'run' if timed else 'warm-up'} {r['wall_s']:.2f} s, "
        f"peak {r['peak'] / MIB:.0f} MiB")


def run_workload(ctx, wl):
    live = [r for r in wl.rows if not r.missing]
    for row in live:
        row.log = os.path.join(ctx.logs, row.id.replace("/", "__").replace(" ", "_") + ".log")
        open(row.log, "w").close()
    say(f"== {wl.name}: {', '.join(r.tool for r in live) or 'nothing to run'} "
        f"(1 warm-up + {ctx.runs} timed runs each, alternating)")
    for i in range(ctx.runs + 1):
        for row in live:
            if not row.error:
                run_once(ctx, row, timed=i > 0)
    for row in live:
        if not row.error and os.path.exists(row.out):
            finish_row(ctx, wl, row)
        if not ctx.keep:
            prepare(row)


REFLINE = re.compile(r"(\w+)\s+best=(\S+)\s+max\|d\|=([\d.]+) mean=([+-][\d.]+) rms=([\d.]+)")


def finish_row(ctx, wl, row):
    """Output size and, if asked, refcheck.py on the last run's output."""
    row.pixels = raster_pixels(row.out) or wl.pixels
    if ctx.check == "none" or (ctx.check == "gridr" and row.kind == "peer") or not wl.check:
        return  # no float64 reference for average (refcheck knows point kernels only)
    if wl.check == "warp":  # refcheck knows no reprojection: tests/cli/run_warp.sh checks it
        return
    argv = [PY, os.path.join(ctx.pb, "refcheck.py"), wl.check, os.path.join(ctx.d, "img1.tif"),
            row.out] + ([os.path.join(ctx.d, "grid_rc.tif")] if wl.check == "grid" else [])
    r = subprocess.run(argv, capture_output=True, text=True)
    for m in REFLINE.finditer(r.stdout):
        row.check[m.group(1)] = dict(fit=m.group(2), max=float(m.group(3)),
                                     mean=float(m.group(4)), rms=float(m.group(5)))
    if not row.check:
        row.check["error"] = (r.stderr.strip().splitlines() or ["refcheck failed"])[-1]
    say(f"  {row.id}: refcheck {r.stdout.strip() or row.check.get('error')}".replace("\n", "; "))


def raster_pixels(path):
    try:
        from osgeo import gdal
        ds = gdal.Open(path)
        return ds.RasterXSize * ds.RasterYSize
    except Exception:  # no bindings or unreadable: the caller uses the nominal size
        return None


def warm_cache(ctx):
    for name in ("img1.tif", "grid_rc.tif", "grid_vips_lowres.tif", "mapim_xy.tif"):
        p = os.path.join(ctx.d, name)
        if os.path.exists(p):
            with open(p, "rb") as f:
                while f.read(1 << 24):
                    pass


# -------------------------------------------------------------------------------------- report
def display(ctx, argv):
    """The command as a shell line, with the abbreviations the table defines."""
    s = shlex.join(argv).replace(shlex.join(CO), "$CO").replace(shlex.join(CO[:6]), "$TILE")
    for long, short in ((ctx.gridr, "gridr-run"), (ctx.pb + "/", "$PB/"), (ctx.o + "/", "$O/"),
                        (ctx.d + "/", "$D/"), (PY, "python3"), (VT, "$VT"), (OTBX, "$OX")):
        s = s.replace(long, short)
    return s.replace("|", "\\|")


def sh(argv, timeout=20):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        return (r.stdout.strip() or r.stderr.strip()).splitlines()[0] if r.returncode == 0 else "?"
    except (OSError, subprocess.SubprocessError, IndexError):
        return "?"


def machine():
    cpu = next((x.split(":", 1)[1].strip() for x in open("/proc/cpuinfo")
                if x.startswith("model name")), "?")
    mem = next((int(x.split()[1]) for x in open("/proc/meminfo") if x.startswith("MemTotal")), 0)
    return dict(nproc=len(os.sched_getaffinity(0)), cpu=cpu, mem_gib=round(mem / (1 << 20), 1),
                kernel=platform.release(), host=platform.node())


def versions(ctx, have):
    v = {"gridr-run": (sh([ctx.gridr, "--version"]).replace("gridr-run ", "") if ctx.have_gridr else "not built")
         + " (git " + sh(["git", "-C", ctx.srcdir, "describe", "--always", "--dirty"]) + ")"}
    gdal = sh(["gdalinfo", "--version"]).replace("GDAL ", "").split(",")[0]
    v["GDAL"] = gdal if not have["gdal"] else "not installed"
    v["libvips"] = sh(["vips", "--version"]).replace("vips-", "") if not have["vips"] \
        else "not installed"
    v["OpenCV"] = sh([PY, "-c", "import cv2; print(cv2.__version__)"]) if not have["opencv"] \
        else "not installed"
    v["OTB"] = "installed" if not have["otb"] else "not installed"
    v["python"] = sh([PY, "-c", "import sys, numpy; print(sys.version.split()[0], "
                          "'numpy', numpy.__version__)"])
    return v


def fmt_rate(x):
    return f"{x:.0f}" if x >= 10 else f"{x:.1f}"


def fmt_check(row):
    c = row.check
    if "error" in c:
        return "refcheck failed"
    if "interior" not in c:
        return ""
    top = f" / {c['top8']['max']:.2f}" if "top8" in c else ""
    flag = " (!)" if row.kind != "peer" and c["interior"]["fit"] != row.wl.fit else ""
    return f"{c['interior']['max']:.2f}{top} {c['interior']['fit']}{flag}"


def table_row(ctx, row):
    head = f"| {row.wl.name} | {row.tool} | `{display(ctx, row.argv)}` |"
    why = row.missing or (f"failed: {row.error}" if row.error and not row.runs else None)
    if why:
        return f"{head} {why.replace('|', '/')} | | | | | | |"
    t = [r["wall_s"] for r in row.runs]
    med = statistics.median(t)
    base = row.wl.gridr()
    ratio = ""
    if row is base:
        ratio = "1"
    elif base.runs and not base.missing:
        ratio = f"{med / statistics.median(r['wall_s'] for r in base.runs):.2f}"
    peak = max(r["peak"] for r in row.runs) / MIB
    return (f"{head} {med:.2f} | {min(t):.2f} | {max(t):.2f} | "
            f"{fmt_rate((row.pixels or row.wl.pixels) / med / 1e6)} | {peak:.0f} | {ratio} | "
            f"{fmt_check(row)} |")


def notes(ctx, wls):
    rows = [r for wl in wls for r in wl.rows]
    n = ["- **ratio** = the row's median / gridr-run's median on the same workload: > 1 means "
         "gridr-run is faster. On the gridr-run variant rows it is variant / gridr-run "
         f"-j {ctx.threads}: `-j 1` gives the speed-up of the extra workers, `DEFLATE` the cost of "
         "compressing the output.",
         "- **max err DN**: max |output - float64 reference| on a 512x512 interior window / on the "
         "first 8 rows, with the convention and kernel that fit the output best (`$PB/refcheck.py`"
         "; centre = GDAL's zoom convention, shift+0.0 = grid positions taken as they are, "
         "aa = antialiased). Target for gridr-run: 0.5 (exact, rounded to nearest)."]
    if any(wl.name.startswith("W1down") for wl in wls):
        n.append("- **W1down, W1down3** (/2, /3): gridr-run (zoom's default since issue 14), "
                 "gdal_translate and vips resize antialias (kernel stretched by the reduction, "
                 "fit `/aa`); OpenCV does not; `gridr-run point` is gridr-run --no-antialias. "
                 "Average: gdal_translate `-r average`, vips `shrink` (box mean); not checked "
                 "against a reference.")
    n.append("- Known peer conventions (PEERS.md): OpenCV cubic is Keys a=-0.75 and remap "
             "quantises positions to 1/32 px; vips bicubic truncates (fixed point); OTB truncates "
             "to uint16; vips_mapim excludes building its 1.2 GB index.")
    for row in rows:
        if row.kind != "peer" and row.pixels and row.pixels != row.wl.pixels:
            n.append(f"- {row.id} wrote {row.pixels / 1e6:.2f} Mpix where the peers write "
                     f"{row.wl.pixels / 1e6:.2f}: its Mpix/s counts its own output.")
        if row.kind != "peer" and "interior" in row.check and row.check["interior"]["fit"] != \
                row.wl.fit:
            n.append(f"- (!) {row.id}: best fit {row.check['interior']['fit']}, expected "
                     f"{row.wl.fit}.")
        if row.leaks:
            n.append(f"- **LEAK** {row.id}: still in /dev/shm after the run: "
                     f"{', '.join(sorted(row.leaks)[:5])}")
        if row.error and row.runs:
            n.append(f"- {row.id}: a run failed ({row.error}); figures from the runs before it.")
    if not ctx.have_gridr:
        n.append(f"- **gridr-run is not built** ({ctx.gridr}): peers only, no ratios.")
    return n


def report(ctx, wls, have, started, load0):
    m, v = machine(), versions(ctx, have)
    load1 = os.getloadavg()
    lines = [
        "## gridr-run side by side with its peers", "",
        f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(started))}, "
        f"{(time.time() - started) / 60:.1f} min. Machine: {m['nproc']} CPUs ({m['cpu']}), "
        f"{m['mem_gib']} GiB RAM, Linux {m['kernel']}; load average {load0[0]:.2f} before, "
        f"{load1[0]:.2f} after.",
        "Versions: " + ", ".join(f"{k} {x}" for k, x in v.items()) + ".",
        f"Settings: {ctx.runs} timed run{'s' if ctx.runs > 1 else ''} per row after 1 warm-up, rows alternating round-robin; "
        "before every run (untimed) the output is deleted and `sync` runs; wall time of the whole "
        "process; warm page cache. Peak memory: the peak, sampled every 20 ms, of the anonymous "
        "RSS summed over the tool's process tree + the shared memory it uses (bench/peakmem.py). "
        f"{ctx.threads} threads for every tool (gridr-run -j {ctx.threads} -t 1).", "",
        f"Abbreviations: `D={ctx.d}`, `O=$D/out`, `PB={ctx.pb}`, "
        "`CO=\"$TILE -co COMPRESS=NONE\"`, `TILE=\"-co TILED=YES -co BLOCKXSIZE=256 "
        f"-co BLOCKYSIZE=256\"`, `VT='{VT}'`, `OX='{OTBX}'`; every run has VIPS_WARNING=1; "
        "$D/bin/vips_gridwarp is $PB/vips_gridwarp.c. Input: $D/img1.tif, 12000x12000 uint16, "
        "tiled 256, uncompressed.", "",
        "| workload | tool | command | median s | min s | max s | Mpix/s | peak MiB | "
        "ratio to gridr-run | max err DN (fit) |",
        "|---|---|---|---|---|---|---|---|---|---|"]
    lines += [table_row(ctx, row) for wl in wls for row in wl.rows]
    lines += [""] + notes(ctx, wls)
    return "\n".join(lines) + "\n", dict(machine=m, versions=v, load=[load0, load1])


def dump_json(ctx, wls, info):
    rows = []
    for wl in wls:
        for row in wl.rows:
            rows.append(dict(id=row.id, kind=row.kind, command=display(ctx, row.argv),
                             argv=row.argv, missing=row.missing, error=row.error,
                             pixels=row.pixels or wl.pixels, check=row.check,
                             leaks=sorted(row.leaks),
                             runs=[{k: r[k] for k in ("wall_s", "peak", "anon", "shm", "maxrss",
                                                      "samples")} for r in row.runs]))
    info.update(settings=dict(runs=ctx.runs, threads=ctx.threads, data=ctx.d, peerbench=ctx.pb,
                              gridr=ctx.gridr, gridr_opts=ctx.gridr_opts), rows=rows)
    with open(os.path.join(ctx.r, "gridr-bench.json"), "w") as f:
        json.dump(info, f, indent=1)


# ---------------------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 2)[2])
    ap.add_argument("--gridr-run", help="gridr-run to time (default $GRIDR_RUN or SRCDIR/gridr-run)")
    ap.add_argument("--srcdir", help="the gridr source tree (default: this script's ../)")
    ctx = Ctx(ap.parse_args())
    if not os.path.isdir(ctx.pb):
        sys.exit(f"peers.py: no peer benchmark at {ctx.pb}: set GRIDR_PEER_BENCH")
    if not ctx.have_gridr:
        say(f"peers.py: gridr-run is not built: no executable {ctx.gridr} (run make first, or "
            f"set GRIDR_RUN). Timing the peers only; the table has no ratios.")
    ensure_data(ctx)
    have = availability(ctx)
    wls = select(ctx, zoom_workloads(ctx) + grid_workloads(ctx) + warp_workloads(ctx), have)
    if not wls:
        sys.exit(f"peers.py: ONLY={ctx.only.pattern!r} selects no row")
    started, load0 = time.time(), os.getloadavg()
    warm_cache(ctx)
    for wl in wls:
        run_workload(ctx, wl)
    md, info = report(ctx, wls, have, started, load0)
    with open(os.path.join(ctx.r, "gridr-bench.md"), "w") as f:
        f.write(md)
    dump_json(ctx, wls, info)
    print(md, flush=True)
    say(f"saved {os.path.join(ctx.r, 'gridr-bench.md')} and gridr-bench.json; logs in {ctx.logs}")
    if not ctx.have_gridr:
        say(f"peers.py: gridr-run is not built ({ctx.gridr}): the table holds the peers only")
        return 3
    bad = [r.id for wl in wls for r in wl.rows if r.kind != "peer" and (r.error or r.leaks)]
    if bad:
        say(f"peers.py: gridr-run failed or leaked shared memory on {', '.join(bad)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

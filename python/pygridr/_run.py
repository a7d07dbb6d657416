"""pygridr.run: gridr jobs on the full scheduler, in a freshly exec'd helper (gridr-pyrun)."""

import json
import os
import selectors
import shutil
import signal
import subprocess
import tempfile

from . import _paths

# Job keys holding paths (docs/jobs.md): made absolute against the caller's working directory
# before the job is written to the helper's job file.
_PATH_KEYS = ("src", "dst", "grid", "grid-col", "grid-mask", "src-mask", "report")


class Error(RuntimeError):
    """A gridr failure: ``str(e)`` is gridr's message, ``e.code`` its symbolic code
    ("GRIDR_EIO"...), ``e.status`` the numeric one, ``e.report`` the run's report (a dict, or
    None when the jobs were refused before running)."""

    def __init__(self, message, code="GRIDR_EINVAL", status=-1, report=None):
        super().__init__(message)
        self.code = code
        self.status = status
        self.report = report


def _helper():
    """The gridr-pyrun to exec: $PYGRIDR_HELPER, else the build tree's when this package is
    the build tree's, else the installed one."""
    env = os.environ.get("PYGRIDR_HELPER")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    if _paths.BUILD_PACKAGE and os.path.realpath(here) == os.path.realpath(_paths.BUILD_PACKAGE):
        return _paths.BUILD_HELPER
    return _paths.HELPER


def _job_dict(job, i):
    if not isinstance(job, dict):
        raise TypeError(f"job: expected a dict of job keys (job {i + 1} is a "
                        f"{type(job).__name__})")
    out = {}
    for k, v in job.items():
        if isinstance(v, os.PathLike):
            v = os.fspath(v)
        if k in _PATH_KEYS and isinstance(v, str) and v and not os.path.isabs(v):
            v = os.path.abspath(v)
        out[k] = v
    return out


def _job_file(job, tmp):
    """The job file to give the helper: the caller's path, or the dicts written to `tmp`."""
    if isinstance(job, (str, bytes, os.PathLike)):
        return os.fsdecode(os.path.abspath(os.fspath(job)))
    jobs = [job] if isinstance(job, dict) else job
    if not isinstance(jobs, (list, tuple)) or not jobs:
        raise TypeError("job: expected a dict, a non-empty list of dicts or a job file path")
    path = os.path.join(tmp, "jobs.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump([_job_dict(j, i) for i, j in enumerate(jobs)], f)
    return path


class _Helper:
    """The helper process and what it said."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, close_fds=True,
                                     start_new_session=True)
        self.report = None
        self.error = None
        self.stderr = b""

    def lines(self):
        """Yield the helper's stdout lines until it closes both pipes."""
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        sel.register(self.proc.stderr, selectors.EVENT_READ)
        buf = b""
        open_pipes = 2
        while open_pipes:
            for key, _ in sel.select():
                data = os.read(key.fileobj.fileno(), 65536)
                if not data:
                    sel.unregister(key.fileobj)
                    open_pipes -= 1
                elif key.fileobj is self.proc.stderr:
                    self.stderr = (self.stderr + data)[-65536:]
                else:
                    buf += data
                    *done, buf = buf.split(b"\n")
                    yield from (d.decode("utf-8", "replace") for d in done)
        sel.close()

    def cancel(self):
        """Stop the helper (SIGTERM: the job stops, its workers and segments go, nothing is
        written) and wait for it, reading what it still writes (a full pipe would block it)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:  # gridr's own watchdog ends it after 0.5 s
            self.proc.kill()
            self.proc.communicate()

    def close(self):
        for f in (self.proc.stdout, self.proc.stderr):
            f.close()


def _follow(h, progress, strip):
    for line in h.lines():
        kind, _, rest = line.partition(" ")
        if kind == "progress":
            i, n, frac = rest.split()
            if progress is not None:
                progress(int(i) + float(frac), int(n))
        elif kind == "report":
            h.report = json.loads(rest)
        elif kind == "error":
            status, code, msg = (rest.split(" ", 2) + ["", ""])[:3]
            h.error = Error(msg.replace(strip, "job list: ") if strip else msg, code,
                            int(status))


def _raise_failure(h, rc, strip):
    rep = h.report
    if h.error is not None:
        h.error.report = rep
        raise h.error
    for j in (rep or {}).get("jobs", []):
        if j.get("status") != "ok":
            msg = j.get("message") or j.get("status")
            raise Error(msg.replace(strip, "job list: ") if strip else msg, j.get("status"),
                        j.get("code", -1), rep)
    text = h.stderr.decode("utf-8", "replace").strip()
    raise Error(f"gridr-pyrun ended with status {rc}: {text or 'no message'}", "GRIDR_ECHILD",
                -11, rep)


def run(job, *, workers=None, progress=None):
    """Run gridr jobs on the full scheduler; return the report.

    `job`: a dict of job keys (docs/jobs.md: ``{"src": ..., "dst": ..., "grid": ...}``), a
    list of them, or the path of a job file. Relative paths in dicts are taken from the
    current directory, in a job file from the file's directory (as gridr-run).
    `workers`: worker processes for every job (None: each job's "workers", else the cores).
    `progress(done, total)`: called on this thread; `total` is the number of jobs, `done`
    the jobs finished plus the fraction of the current job's windows done.

    The jobs run in a helper program (gridr-pyrun) started by a fresh exec, so its fork
    server and workers never inherit this process's threads (numpy, OpenMP, Python threads).
    An exception from `progress`, or KeyboardInterrupt, stops the run: the helper gets
    SIGTERM, its workers stop, every shared-memory segment is unlinked, the output is not
    written; then the exception is re-raised.

    Returns the report as a dict (gridr-run --report's: ``{"gridr_version", "run_id",
    "jobs": [...]}``, each job with its status, windows, bytes and seconds).
    Raises Error (a RuntimeError, with gridr's message and code) when a job fails or the jobs
    are refused, TypeError for a `job` of the wrong type.
    """
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers: expected a positive integer, got {workers!r}")
    tmp = tempfile.mkdtemp(prefix="pygridr-")
    try:
        argv = [_helper(), "--parent", str(os.getpid())]
        if workers is not None:
            argv += ["--workers", str(workers)]
        path = _job_file(job, tmp)
        argv.append(path)
        # Messages name the job file; a temporary one is not the caller's: say "job list".
        strip = path + ": " if path.startswith(tmp) else None
        try:
            h = _Helper(argv)
        except OSError as e:
            raise Error(f"cannot start gridr's helper {argv[0]}: {e.strerror} (is gridr "
                        f"installed? PYGRIDR_HELPER names another one)", "GRIDR_ENOENT",
                        -8) from e
        try:
            _follow(h, progress, strip)
            rc = h.proc.wait()
        except BaseException:
            h.cancel()
            raise
        finally:
            h.close()
        if rc != 0 or h.report is None or h.error is not None:
            _raise_failure(h, rc, strip)
        return h.report
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

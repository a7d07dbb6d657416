"""pygridr.run cancelled by an exception from progress, by KeyboardInterrupt and by SIGINT:
the run stops, its workers end, its segments and temporary output go, nothing is written."""
import glob
import os
import signal
import subprocess
import sys
import textwrap

import pytest

import pygridr


@pytest.fixture
def state(tmp_path, monkeypatch):
    d = tmp_path / "state"
    d.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(d))
    return d


def slow_job(data_dir, dst):
    """A zoom with many small windows and B-spline 11: seconds of work on two workers."""
    return {"kind": "zoom", "src": f"{data_dir}/sample.tif", "dst": str(dst), "factor": 6,
            "resampling": "bspline11", "tile": "128x128", "workers": 2}


def run_ids(state):
    return [os.path.basename(j)[:-len(".journal")] for j in glob.glob(f"{state}/gridr/*.journal")]


def assert_nothing_left(state, out_dir, ids):
    assert ids, "the run's journal was never seen"
    assert run_ids(state) == []  # journal removed: the run ended by itself
    for rid in ids:
        assert glob.glob(f"/dev/shm/gridr.{rid}.*") == []
    assert os.listdir(out_dir) == []  # no output, no temporary output


class Stop(Exception):
    pass


@pytest.mark.parametrize("exc", [Stop, KeyboardInterrupt])
def test_exception_from_progress_cancels(data_dir, tmp_path, state, exc):
    out = tmp_path / "out"
    out.mkdir()
    seen = []

    def progress(done, total):
        seen.extend(run_ids(state))
        if done > 0:
            raise exc("stop")

    with pytest.raises(exc):
        pygridr.run(slow_job(data_dir, out / "z.tif"), progress=progress)
    assert_nothing_left(state, out, set(seen))


SCRIPT = textwrap.dedent("""
    import sys, pygridr
    job = {"kind": "zoom", "src": sys.argv[1], "dst": sys.argv[2], "factor": 6,
           "resampling": "bspline11", "tile": "128x128", "workers": 2}
    def progress(done, total):
        if done > 0:
            print("running", flush=True)
    try:
        pygridr.run(job, progress=progress)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(3)
    print("finished", flush=True)
""")


def test_sigint_cancels(data_dir, tmp_path, state):
    out = tmp_path / "out"
    out.mkdir()
    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    p = subprocess.Popen([sys.executable, str(script), f"{data_dir}/sample.tif",
                          str(out / "z.tif")], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "running"
        ids = set(run_ids(state))
        p.send_signal(signal.SIGINT)
        rest = p.stdout.read()
        assert p.wait(timeout=60) == 3
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert "interrupted" in rest
    assert_nothing_left(state, out, ids)

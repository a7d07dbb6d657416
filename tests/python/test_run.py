"""pygridr.run: the full scheduler from Python, equal to gridr-run byte for byte."""
import json
import os
import subprocess
import threading

import numpy as np
import pytest

import pygridr


@pytest.fixture(autouse=True)
def private_state(tmp_path, monkeypatch):
    """Journals of these runs in a private directory (never mixed with other runs')."""
    d = tmp_path / "state"
    d.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(d))
    return d


def sample_job(data_dir, dst, **extra):
    job = {"kind": "grid", "src": f"{data_dir}/sample.tif", "grid": f"{data_dir}/sample_grid.tif",
           "grid-mask": f"{data_dir}/sample_grid_mask.tif", "dst": str(dst),
           "resampling": "cubic", "nodata": 0, "workers": 2}
    job.update(extra)
    return job


def reference(gridr_run, data_dir, tmp_path, name="ref.tif", extra=()):
    ref = tmp_path / name
    subprocess.run([gridr_run, "-q", "-j", "2", *extra, "--dst", str(ref),
                    f"{data_dir}/sample_job.json"], check=True)
    return ref.read_bytes()


def test_run_equals_gridr_run_byte_for_byte(gridr_run, data_dir, tmp_path):
    calls = []
    rep = pygridr.run(sample_job(data_dir, tmp_path / "out.tif"),
                      progress=lambda done, total: calls.append((done, total)))
    assert (tmp_path / "out.tif").read_bytes() == reference(gridr_run, data_dir, tmp_path)
    (job,) = rep["jobs"]
    assert job["status"] == "ok" and job["out_rows"] == 511 and job["bands"] == 3
    assert job["workers"] == 2 and rep["run_id"]
    assert calls and calls[-1] == (1.0, 1)
    assert all(a[0] <= b[0] for a, b in zip(calls, calls[1:]))
    assert sorted(os.listdir(tmp_path)) == ["out.tif", "ref.tif", "state"]


def test_job_file_and_list(gridr_run, data_dir, tmp_path):
    jobs = [sample_job(data_dir, "a.tif"), sample_job(data_dir, "b.tif", resampling="linear")]
    jobs[0]["src"] = os.path.relpath(jobs[0]["src"], tmp_path)  # relative to the job file
    path = tmp_path / "jobs.json"
    path.write_text(json.dumps(jobs))
    calls = []
    rep = pygridr.run(path, workers=1, progress=lambda d, t: calls.append((d, t)))
    assert [j["status"] for j in rep["jobs"]] == ["ok", "ok"]
    assert [j["workers"] for j in rep["jobs"]] == [1, 1]
    assert calls[-1] == (2.0, 2) and {t for _, t in calls} == {2}
    assert (tmp_path / "a.tif").read_bytes() == reference(gridr_run, data_dir, tmp_path)
    lin = reference(gridr_run, data_dir, tmp_path, "lin.tif", ["-r", "linear"])
    assert (tmp_path / "b.tif").read_bytes() == lin


def test_relative_paths_in_dicts_are_the_callers(data_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pygridr.run(sample_job(data_dir, "rel.tif"))
    assert (tmp_path / "rel.tif").stat().st_size > 0


def test_errors_carry_gridrs_message_and_code(data_dir, tmp_path):
    with pytest.raises(pygridr.Error) as e:
        pygridr.run(sample_job(data_dir, tmp_path / "x.tif", src=str(tmp_path / "none.tif")))
    assert isinstance(e.value, RuntimeError)
    assert e.value.code == "GRIDR_ENOENT" and e.value.status < 0
    assert "none.tif" in str(e.value) and "job list: job 1" in str(e.value)
    with pytest.raises(pygridr.Error, match="grid_mask.*did you mean 'grid-mask'") as e:
        pygridr.run({"src": "a.tif", "dst": "b.tif", "grid_mask": "c.tif"})
    assert e.value.code == "GRIDR_EINVAL"
    with pytest.raises(TypeError):
        pygridr.run(42)
    with pytest.raises(ValueError, match="^workers"):
        pygridr.run(sample_job(data_dir, tmp_path / "x.tif"), workers=0)
    assert not (tmp_path / "x.tif").exists()


def test_run_while_threads_and_openmp_run(gridr_run, data_dir, tmp_path):
    """The usual state of a pipeline: numpy, OpenMP and Python threads busy in this process."""
    stop = threading.Event()
    img = np.random.default_rng(0).random((300, 300))
    r, c = np.mgrid[0:300, 0:300].astype(np.float64)

    def busy():
        while not stop.is_set():
            pygridr.array_grid_resampling("bspline3", img, r + 0.3, c - 0.2, (1, 1), None,
                                          threads=2)

    ts = [threading.Thread(target=busy) for _ in range(2)]
    for t in ts:
        t.start()
    try:
        pygridr.run(sample_job(data_dir, tmp_path / "out.tif"))
        pygridr.run(sample_job(data_dir, tmp_path / "out2.tif", workers=3))
    finally:
        stop.set()
        for t in ts:
            t.join()
    ref = reference(gridr_run, data_dir, tmp_path)
    assert (tmp_path / "out.tif").read_bytes() == ref
    assert (tmp_path / "out2.tif").read_bytes() == ref

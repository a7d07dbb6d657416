"""pygridr tests: shared fixtures (run by tests/python/run_pytest.sh from make check)."""
import os

import numpy as np
import pytest

import pygridr


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def grid_of(rows, cols):
    """Separate row and column grids of explicit target positions (lists of lists)."""
    return np.array(rows, dtype=np.float64), np.array(cols, dtype=np.float64)


def resample(interp, img, gr, gc, **kw):
    """array_grid_resampling at full resolution; returns (out, mask)."""
    kw.setdefault("array_out_mask", True)
    return pygridr.array_grid_resampling(interp, img, gr, gc, (1, 1), None, **kw)


def at(interp, img, r, c, **kw):
    """(value, valid) of one target at source position (r, c)."""
    out, mask = resample(interp, img, np.array([[r]], float), np.array([[c]], float), **kw)
    return (out[..., 0, 0], int(mask[0, 0]))


@pytest.fixture
def data_dir():
    d = os.environ.get("GRIDR_TEST_DATA") or os.path.join(os.path.dirname(__file__), "..", "..",
                                                          "data")
    return os.path.abspath(d)


@pytest.fixture
def gridr_run():
    b = os.environ.get("GRIDR_BUILDDIR")
    if not b or not os.access(os.path.join(b, "gridr-run"), os.X_OK):
        pytest.skip("GRIDR_BUILDDIR/gridr-run not built")
    return os.path.join(b, "gridr-run")

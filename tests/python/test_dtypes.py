"""pygridr.array_grid_resampling on every native dtype: same dtype out (or array_out's), values
computed in float64, clipped to the type's range and rounded half to even."""
import numpy as np
import pytest

import pygridr

DTYPES = ["uint8", "uint16", "int16", "uint32", "int32", "float32", "float64"]


def source(dtype):
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "ui" else None
    lo, hi = (info.min, info.max) if info else (-1e6, 1e6)
    vals = np.linspace(max(lo, -30000), min(hi, 60000), 64 * 64).reshape(64, 64)
    vals[0, :4] = [lo, hi, lo, hi]
    return vals.astype(dtype)


def grid(rng):
    r, c = np.mgrid[0:64, 0:64].astype(np.float64)
    gr, gc = r + rng.uniform(-1, 1, r.shape), c + rng.uniform(-1, 1, r.shape)
    gr[0, :4], gc[0, :4] = 0.0, [0.5, 0.5, 1.5, 2.5]  # mixes of the extreme values
    return gr, gc


def expected(img, gr, gc, out_dtype):
    ref, mask = pygridr.array_grid_resampling("cubic", img.astype(np.float64), gr, gc, (1, 1),
                                              None, array_out_mask=True)
    if np.dtype(out_dtype).kind in "ui":
        info = np.iinfo(out_dtype)
        ref = np.clip(np.round(ref), info.min, info.max)  # np.round: half to even
    return ref.astype(out_dtype), mask


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_dtype_keeps_its_type(rng, dtype):
    img = source(dtype)
    gr, gc = grid(rng)
    out, mask = pygridr.array_grid_resampling("cubic", img, gr, gc, (1, 1), None,
                                              array_out_mask=True)
    ref, rmask = expected(img, gr, gc, dtype)
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(mask, rmask)
    if dtype == "float32":
        np.testing.assert_allclose(out, ref, rtol=1e-6)
    else:
        np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("out_dtype", ["uint8", "int16", "float32"])
def test_array_out_dtype_decides(rng, out_dtype):
    img = source("float64")
    gr, gc = grid(rng)
    out = np.zeros((64, 64), dtype=out_dtype)
    pygridr.array_grid_resampling("cubic", img, gr, gc, (1, 1), out)
    ref, _ = expected(img, gr, gc, out_dtype)
    np.testing.assert_allclose(out.astype(np.float64), ref.astype(np.float64), rtol=1e-6)


def test_round_half_to_even():
    img = np.array([[0, 1, 2, 3, 4]], dtype=np.uint8).repeat(3, axis=0)
    gr = np.ones((1, 4))
    gc = np.array([[0.5, 1.5, 2.5, 3.5]])
    out, _ = pygridr.array_grid_resampling("linear", img, gr, gc, (1, 1), None)
    np.testing.assert_array_equal(out, [[0, 2, 2, 4]])  # 0.5 1.5 2.5 3.5 -> even


def test_float32_grids_and_mixed_grid_dtypes(rng):
    img = source("float64")
    gr, gc = grid(rng)
    a, _ = pygridr.array_grid_resampling("linear", img, gr.astype(np.float32),
                                         gc.astype(np.float32), (1, 1), None)
    b, _ = pygridr.array_grid_resampling("linear", img, gr.astype(np.float32).astype(np.float64),
                                         gc.astype(np.float32).astype(np.float64), (1, 1), None)
    np.testing.assert_array_equal(a, b)
    c, _ = pygridr.array_grid_resampling("linear", img, gr.astype(np.float32), gc, (1, 1), None)
    assert c.shape == (64, 64)


def test_unsupported_dtypes_raise_type_error():
    g = np.zeros((2, 2))
    for dt in (np.int64, np.int8, np.complex128, np.float16, bool):
        with pytest.raises(TypeError, match="^array_in: dtype"):
            pygridr.array_grid_resampling("linear", np.zeros((4, 4), dt), g, g, (1, 1), None)
    with pytest.raises(TypeError, match="^array_out"):
        pygridr.array_grid_resampling("linear", np.zeros((4, 4)), g, g, (1, 1),
                                      np.zeros((2, 2), np.int64))

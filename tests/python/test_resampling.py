"""pygridr.array_grid_resampling against scipy's map_coordinates, its outputs, its errors, threads."""
import threading

import numpy as np
import pytest

import pygridr
from conftest import resample

ndimage = pytest.importorskip("scipy.ndimage")

N = 96
EDGE = 24  # interior: B-spline boundary effects decay as 0.268^d (< 1e-13 here)


def noisy(rng, n=N, sigma=0.7, dtype=np.float64):
    img = rng.random((n, n)) * 1000.0
    r, c = np.mgrid[0:n, 0:n].astype(dtype)
    return img, r + rng.normal(0, sigma, (n, n)), c + rng.normal(0, sigma, (n, n))


def interior(a):
    return a[..., EDGE:-EDGE, EDGE:-EDGE]


def test_linear_equals_scipy_order1(rng):
    img, gr, gc = noisy(rng)
    out, mask = resample("linear", img, gr, gc)
    ref = ndimage.map_coordinates(img, [gr, gc], order=1)
    assert interior(mask).all()
    assert np.abs(interior(out - ref)).max() < 1e-9


def test_bspline3_equals_scipy_order3_within_epsilon(rng):
    img, gr, gc = noisy(rng)
    out, mask = resample("bspline3", img, gr, gc, interp_kwargs={"epsilon": 1e-6})
    ref = ndimage.map_coordinates(img, [gr, gc], order=3, mode="mirror")
    assert interior(mask).all()
    # gridr's truncated FIR approximates the exact prefilter to epsilon of the data's range
    assert np.abs(interior(out - ref)).max() <= 1e-6 * np.ptp(img)
    out8, _ = resample("bspline3", img, gr, gc, interp_kwargs={"epsilon": 1e-10})
    assert np.abs(interior(out8 - ref)).max() <= 1e-9 * np.ptp(img)


@pytest.mark.parametrize("n", [5])
def test_higher_bsplines_equal_scipy(rng, n):
    img, gr, gc = noisy(rng, sigma=0.3)
    out, _ = resample(f"bspline{n}", img, gr, gc, interp_kwargs={"epsilon": 1e-8})
    ref = ndimage.map_coordinates(img, [gr, gc], order=n, mode="mirror")
    assert np.abs(out - ref)[40:-40, 40:-40].max() <= 1e-7 * np.ptp(img)


def test_integrated_mode_reads_the_callers_coefficients(rng):
    """standalone=False: array_in holds prefiltered coefficients (GridR's un-normalised b3 =
    6 beta3 per axis, so they are scipy's divided by 36); no prefilter, no padding."""
    img, gr, gc = noisy(rng)
    coefs = ndimage.spline_filter(img, order=3, mode="mirror") / 36.0
    out, mask = resample("bspline3", coefs, gr, gc, standalone=False)
    ref = ndimage.map_coordinates(img, [gr, gc], order=3, mode="mirror")
    assert np.abs(interior(out - ref)).max() < 1e-9
    # a target whose taps leave array_in is invalid
    _, m = resample("bspline3", coefs, np.array([[0.4]]), np.array([[50.0]]), standalone=False)
    assert m[0, 0] == 0


def test_cubic_is_keys(rng):
    img = rng.random((12, 12))
    x = 0.3
    w = [-0.5 * x**3 + x**2 - 0.5 * x, 1.5 * x**3 - 2.5 * x**2 + 1,
         -1.5 * x**3 + 2 * x**2 + 0.5 * x, 0.5 * x**3 - 0.5 * x**2]  # taps c-1 .. c+2
    out, mask = resample("cubic", img, np.array([[5.0]]), np.array([[6.0 + x]]))
    assert mask[0, 0] == 1
    assert out[0, 0] == pytest.approx(sum(wi * img[5, 5 + i] for i, wi in enumerate(w)),
                                      rel=1e-12)


def test_oversampled_grid_and_3d(rng):
    img = rng.random((3, 40, 40))
    nr, nc = np.mgrid[0:6, 0:8].astype(np.float64)
    gr, gc = 2.0 + nr * 5.7, 3.0 + nc * 4.2
    out, mask = pygridr.array_grid_resampling("linear", img, gr, gc, (3, 4), None,
                                              array_out_mask=True)
    assert out.shape == (3, 16, 29) and mask.shape == (16, 29)
    i, j = np.mgrid[0:16, 0:29].astype(np.float64)
    rows, cols = 2.0 + i / 3 * 5.7, 3.0 + j / 4 * 4.2
    for b in range(3):
        ref = ndimage.map_coordinates(img[b], [rows, cols], order=1)
        assert np.abs(out[b] - ref).max() < 1e-9


def test_single_node_grid():
    img = np.arange(100.0).reshape(10, 10)
    out, _ = pygridr.array_grid_resampling("linear", img, np.array([[2.5]]), np.array([[4.0]]),
                                           (1, 1), None)
    assert out.shape == (1, 1) and out[0, 0] == pytest.approx(29.0)
    with pytest.raises(ValueError, match="^grid_resolution"):
        pygridr.array_grid_resampling("linear", img, np.array([[2.5]]), np.array([[4.0]]),
                                      (2, 2), None)


def test_given_array_out_is_written_in_place_and_returned(rng):
    img, gr, gc = noisy(rng, n=20)
    ref, _ = resample("linear", img, gr, gc)
    out = np.full((20, 20), -1.0)
    got, mask = pygridr.array_grid_resampling("linear", img, gr, gc, (1, 1), out)
    assert got is out and mask is None
    np.testing.assert_array_equal(out, ref)


def test_errors_name_the_argument():
    img = np.zeros((10, 10))
    g = np.zeros((4, 4))
    cases = [
        (dict(interp="bilinearish"), ValueError, "^interp"),
        (dict(array_in=np.zeros((10, 10), np.int64)), TypeError, "^array_in"),
        (dict(array_in=np.zeros(10)), ValueError, "^array_in"),
        (dict(grid_col=np.zeros((4, 5))), ValueError, "^grid_col"),
        (dict(grid_resolution=(0, 1)), ValueError, "^grid_resolution"),
        (dict(win=((0, 9), (0, 1))), ValueError, "^win"),
        (dict(array_out=np.zeros((3, 3))), ValueError, "^array_out"),
        (dict(array_in_mask=np.ones((9, 10))), ValueError, "^array_in_mask"),
        (dict(grid_mask=np.ones((4, 4), np.uint8), grid_nodata=-1.0), ValueError,
         "^grid_nodata"),
        (dict(boundary_condition="mirror-ish"), ValueError, "^boundary_condition"),
        (dict(boundary_condition="edge", trust_padding=None), ValueError, "^trust_padding"),
        (dict(interp_kwargs={"eps": 1e-3}), TypeError, "^interp_kwargs"),
        (dict(array_out_mask="yes"), TypeError, "^array_out_mask"),
        (dict(threads=0), ValueError, "^threads"),
        (dict(array_out=np.zeros((10, 10)), array_out_win=((0, 2), (0, 3))), ValueError,
         "^array_out_win"),
    ]
    for over, exc, pattern in cases:
        kw = dict(interp="linear", array_in=img, grid_row=g, grid_col=g, grid_resolution=(1, 1),
                  array_out=None)
        kw.update(over)
        with pytest.raises(exc, match=pattern):
            pygridr.array_grid_resampling(**kw)


def test_non_contiguous_and_foreign_layouts_are_copied(rng):
    img, gr, gc = noisy(rng, n=40)
    ref, rmask = resample("cubic", img, gr, gc)
    big = np.zeros((40, 80))
    big[:, ::2] = img
    for variant in (big[:, ::2], np.asfortranarray(img), img.astype(">f8")):
        out, mask = resample("cubic", variant, np.asfortranarray(gr), gc[:, :])
        np.testing.assert_array_equal(out, ref)
        np.testing.assert_array_equal(mask, rmask)
    out = np.zeros((40, 80))
    pygridr.array_grid_resampling("cubic", img, gr, gc, (1, 1), out[:, ::2])
    np.testing.assert_array_equal(out[:, ::2], ref)


def test_two_threads_resample_at_once(rng):
    img, gr, gc = noisy(rng, n=300)
    ref = {k: resample(k, img, gr, gc)[0] for k in ("linear", "bspline3")}
    got = {}

    def work(k):
        for _ in range(3):
            got[k] = resample(k, img, gr, gc, threads=1)[0]

    ts = [threading.Thread(target=work, args=(k,)) for k in ref]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for k in ref:
        np.testing.assert_array_equal(got[k], ref[k])


def test_threads_do_not_change_the_result(rng):
    img, gr, gc = noisy(rng, n=120)
    one = resample("bspline5", img, gr, gc, threads=1)[0]
    two = resample("bspline5", img, gr, gc, threads=2)[0]
    np.testing.assert_array_equal(one, two)

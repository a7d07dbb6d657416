"""pygridr.array_grid_resampling against GridR's documented behaviour (values written from its
documentation and numerics: /work/shared/reference/gridr-numerics.md, docs/numerics.md)."""
import numpy as np
import pytest

import pygridr
from conftest import at, resample

IMG = np.arange(100.0).reshape(10, 10) * 1.5 + 7.0  # img[r, c] = 7 + 15 r + 1.5 c


def test_nearest_rounds_half_up():
    assert at("nearest", IMG, 2.5, 3.5) == (IMG[3, 4], 1)
    assert at("nearest", IMG, 2.49, 3.0) == (IMG[2, 3], 1)
    assert at("nearest", IMG, -0.5, 0.0)[1] == 1  # valid domain [-0.5, n - 0.5)
    assert at("nearest", IMG, 9.5, 0.0)[1] == 0


def test_linear_domain_and_exact_positions():
    assert at("linear", IMG, 0.0, 9.0) == (IMG[0, 9], 1)  # on the last sample: a Dirac
    assert at("linear", IMG, 9.0, 4.25)[1] == 1
    assert at("linear", IMG, 9.0001, 4.0)[1] == 0  # valid domain [0, n - 1]
    v, ok = at("linear", IMG, 2.25, 3.5)
    assert ok and v == pytest.approx(7 + 15 * 2.25 + 1.5 * 3.5)


def test_source_mask_invalidates_taps_with_nonzero_weight():
    m = np.ones((10, 10), np.uint8)
    m[5, 5] = 0
    assert at("linear", IMG, 5.5, 5.0, array_in_mask=m)[1] == 0  # taps (5,5), (6,5)
    assert at("linear", IMG, 5.0, 5.0, array_in_mask=m)[1] == 0
    assert at("linear", IMG, 5.0, 6.0, array_in_mask=m) == (IMG[5, 6], 1)  # weight 0 on (5,5)
    assert at("linear", IMG, 4.0, 5.0, array_in_mask=m) == (IMG[4, 5], 1)
    assert at("cubic", IMG, 5.0, 6.0, array_in_mask=m) == (IMG[5, 6], 1)  # exact: a Dirac
    assert at("cubic", IMG, 5.0, 6.5, array_in_mask=m)[1] == 0  # taps cols 5..8 on row 5
    out, mask = resample("linear", IMG, np.array([[5.5]]), np.array([[5.0]]), array_in_mask=m,
                         nodata_out=-9)
    assert out[0, 0] == -9 and mask[0, 0] == 0


def test_grid_nodata_is_checked_on_the_row_grid_only():
    gr = np.array([[2.0, 3.0], [3.000001, 4.0]])
    gc = np.array([[1.0, 3.0], [2.0, 3.0]])
    out, mask = resample("linear", IMG, gr, gc, grid_nodata=3.0, nodata_out=-1)
    np.testing.assert_array_equal(mask, [[1, 0], [0, 1]])  # |g - nodata| < 1e-5 on rows
    assert out[0, 1] == -1 and out[0, 0] == IMG[2, 1] and out[1, 1] == IMG[4, 3]
    gc2 = np.array([[3.0, 3.0], [3.0, 3.0]])  # nodata in the column grid: ignored
    _, mask = resample("linear", IMG, np.array([[2.0, 2.0], [4.0, 4.0]]), gc2, grid_nodata=3.0)
    assert mask.all()


def test_grid_mask_valid_value_and_mesh_weights():
    """An oversampled mesh is invalid where a node with non-zero bilinear weight is."""
    nr, nc = np.mgrid[0:3, 0:3].astype(np.float64)
    gr, gc = 1.0 + nr * 2, 1.0 + nc * 2
    gmask = np.full((3, 3), 7, np.uint8)
    gmask[1, 2] = 0  # node (1, 2) invalid: output pixel (2, 4)
    out, mask = pygridr.array_grid_resampling("linear", IMG, gr, gc, (2, 2), None,
                                              grid_mask=gmask, grid_mask_valid_value=7,
                                              array_out_mask=True)
    expect = np.ones((5, 5), np.uint8)
    expect[1:4, 3:5] = 0  # every pixel whose mesh has (1, 2) with a non-zero weight
    expect[1:4, 4] = 0
    np.testing.assert_array_equal(mask, expect)
    assert out[0, 4] == IMG[1, 5] and out[4, 4] == IMG[5, 5]
    # the same mask with the default valid value 1: every node invalid
    _, mask = pygridr.array_grid_resampling("linear", IMG, gr, gc, (2, 2), None,
                                            grid_mask=gmask, array_out_mask=True)
    assert not mask.any()


@pytest.mark.parametrize("bc, expect", [
    ("edge", IMG[0, 4]),          # aaa|abcd: position -1 reads row 0
    ("reflect", IMG[1, 4]),       # cb|abcd: row 1
    ("symmetric", IMG[0, 4]),     # ba|abcd: row 0
    ("wrap", IMG[9, 4]),          # cd|abcd: row 9
    ("constant", 0.0),            # zeros
])
def test_boundary_conditions_fill_the_padding(bc, expect):
    v, ok = at("linear", IMG, -1.0, 4.0, boundary_condition=bc, trust_padding=True)
    assert ok == 1 and v == pytest.approx(expect)
    v, ok = at("linear", IMG, -0.5, 4.0, boundary_condition=bc, trust_padding=True)
    assert ok == 1 and v == pytest.approx((expect + IMG[0, 4]) / 2)


def test_boundary_band_is_the_kernel_margin_only():
    # linear's margin is 1 sample: position -1.5 needs row -2, outside the padding band
    assert at("linear", IMG, -1.5, 4.0, boundary_condition="edge", trust_padding=True)[1] == 0
    assert at("linear", IMG, -1.0, 4.0, boundary_condition="edge", trust_padding=True)[1] == 1
    # cubic's is 2: position -0.9 reads rows -2..1, position -1.2 rows -3..0
    assert at("cubic", IMG, -0.9, 4.0, boundary_condition="edge", trust_padding=True)[1] == 1
    assert at("cubic", IMG, -1.2, 4.0, boundary_condition="edge", trust_padding=True)[1] == 0


def test_untrusted_or_no_boundary_condition_is_nodata():
    assert at("linear", IMG, -0.5, 4.0, boundary_condition="edge", trust_padding=False)[1] == 0
    assert at("linear", IMG, -0.5, 4.0)[1] == 0  # None: zero padding, never valid
    assert at("linear", IMG, -0.5, 4.0, boundary_condition=None, trust_padding=True)[1] == 0
    assert at("linear", IMG, 0.0, 4.0, boundary_condition="edge", trust_padding=False)[1] == 1


def test_win_is_a_window_of_the_full_grid(rng):
    gr = rng.uniform(0, 9, (12, 14))
    gc = rng.uniform(0, 9, (12, 14))
    full, fmask = resample("cubic", IMG, gr, gc)
    part, pmask = resample("cubic", IMG, gr, gc, win=np.array([[3, 8], [2, 12]]))
    assert part.shape == (6, 11)
    np.testing.assert_array_equal(part, full[3:9, 2:13])
    np.testing.assert_array_equal(pmask, fmask[3:9, 2:13])


def test_array_out_win_places_the_window(rng):
    gr = rng.uniform(0, 9, (4, 5))
    gc = rng.uniform(0, 9, (4, 5))
    ref, _ = resample("linear", IMG, gr, gc)
    out = np.full((10, 10), -3.0)
    omask = np.full((10, 10), 9, np.uint8)
    got, gmask = pygridr.array_grid_resampling("linear", IMG, gr, gc, (1, 1), out,
                                               array_out_win=((2, 5), (3, 7)),
                                               array_out_mask=omask)
    assert got is out and gmask is omask
    np.testing.assert_array_equal(out[2:6, 3:8], ref)
    out[2:6, 3:8] = -3.0
    assert (out == -3.0).all()  # nothing written outside the window
    assert (omask[2:6, 3:8] == 1).all() and omask.sum() == 9 * 80 + 20


def test_array_in_origin_is_a_bias_on_grid_positions(rng):
    big = rng.random((3, 40, 50))
    gr = rng.uniform(27, 39, (8, 8))
    gc = rng.uniform(37, 49, (8, 8))
    full, _ = resample("bspline3", big, gr, gc, boundary_condition="edge")
    sub = big[:, 10:40, 20:50]
    part, _ = resample("bspline3", np.ascontiguousarray(sub), gr, gc,
                       array_in_origin=(-10.0, -20.0), boundary_condition="edge")
    # targets at least the FIR's reach from the sub-array's edge agree to epsilon
    keep = (gr > 10 + 16) & (gc > 20 + 16)
    assert keep.all()
    assert np.abs(full[:, keep] - part[:, keep]).max() < 1e-5
    lin, _ = resample("linear", big, gr, gc)
    lpart, _ = resample("linear", sub, gr, gc, array_in_origin=(-10.0, -20.0))
    np.testing.assert_allclose(lpart, lin, rtol=0, atol=1e-12)


def test_bspline_border_band_with_no_boundary_condition():
    """GridR: with no boundary condition the padding is zeros and never valid, so a B-spline
    target whose non-zero taps reach outside the array is nodata; interior targets are valid."""
    img = np.ones((30, 30))
    assert at("bspline3", img, 15.3, 15.7) == (pytest.approx(1.0, abs=1e-6), 1)
    assert at("bspline3", img, 0.5, 15.0)[1] == 0  # taps reach row -1
    assert at("bspline3", img, 1.0, 15.0)[1] == 1  # taps rows 0..2 only


@pytest.mark.parametrize("bc", [None, "edge", "reflect"])
@pytest.mark.parametrize("interp", ["bspline3", "bspline5"])
def test_untrusted_bspline_band_fast_path_equals_the_masked_path(rng, bc, interp):
    """Without a source mask, an untrusted B-spline band is computed trusted and clipped to the
    targets whose taps stay inside; with an all-valid mask gridr builds the validity map of the
    band itself: both give the same values and validity."""
    img = rng.uniform(0, 4000, (2, 40, 36)).astype(np.uint16)
    gr = rng.uniform(-6, 46, (30, 30))
    gc = rng.uniform(-6, 42, (30, 30))
    gr[0, :6] = [-1.0, -0.5, 0.0, 0.5, 1.0, 1.5]  # exact positions at the edge
    gc[1, :6] = [33.0, 33.5, 34.0, 34.5, 35.0, 35.5]
    kw = dict(boundary_condition=bc, trust_padding=False, nodata_out=7)
    fast, fmask = resample(interp, img, gr, gc, **kw)
    ref, rmask = resample(interp, img, gr, gc, array_in_mask=np.ones((40, 36), np.uint8), **kw)
    np.testing.assert_array_equal(fmask, rmask)
    np.testing.assert_array_equal(fast, ref)
    assert 0 < fmask.sum() < fmask.size


@pytest.mark.parametrize("rotate", [False, True])
def test_bspline_strips_equal_other_cuts(rng, rotate):
    """A B-spline window of more than a million pixels runs in strips (python/strips.c), each
    from the source part it needs and padded in C; a rotated grid, whose strips would read the
    same source again and again, runs as one. Either way the bytes equal those of windows cut
    elsewhere (each under a million pixels: one strip), masks and a boundary condition
    included."""
    rows, cols = 1300, 900
    img = rng.random((2, rows, cols)) * 1000.0
    r, c = np.mgrid[0:rows, 0:cols].astype(float)
    if rotate:
        t = 0.6
        r, c = (r - rows / 2) * np.cos(t) - (c - cols / 2) * np.sin(t) + rows / 2, \
            (r - rows / 2) * np.sin(t) + (c - cols / 2) * np.cos(t) + cols / 2
    gr, gc = r + rng.normal(0, 0.3, r.shape), c + rng.normal(0, 0.3, c.shape)
    mask = (rng.random((rows, cols)) > 0.001).astype(np.uint8)
    for kw in ({}, {"array_in_mask": mask}, {"boundary_condition": "reflect"}):
        whole, wm = resample("bspline5", img, gr, gc, **kw)
        assert wm.any()
        for r0, r1 in ((0, 500), (500, 1000), (1000, rows)):
            out, m = resample("bspline5", img, gr, gc, win=((r0, r1 - 1), (0, cols - 1)), **kw)
            assert out.tobytes() == whole[:, r0:r1].tobytes()
            assert m.tobytes() == wm[r0:r1].tobytes()

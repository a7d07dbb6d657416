/* pygridr._core: numpy arrays onto gridr's public kernel API, the GIL released while it runs. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gridr/dtype.h"
#include "gridr/grid.h"
#include "gridr/interp.h"
#include "gridr/resample.h"
#include "gridr/status.h"
#include "gridr/version.h"

#include "core.h"

/* Raise the exception matching gridr status `rc`, with gridr's message and code name. */
PyObject *pygridr_fail(int rc)
{
    const char *msg = gridr_last_error();
    PyObject *type = PyExc_RuntimeError;
    if (rc == GRIDR_EINVAL || rc == GRIDR_ERANGE)
        type = PyExc_ValueError;
    else if (rc == GRIDR_ENOMEM)
        type = PyExc_MemoryError;
    PyErr_Format(type, "%s (%s)", msg && *msg ? msg : gridr_strerror(rc), gridr_status_name(rc));
    return NULL;
}

/* gridr's sample type of a numpy array, or GRIDR_DT_UNKNOWN. */
static gridr_dtype dtype_of(PyArrayObject *a)
{
    if (!PyArray_ISNOTSWAPPED(a))
        return GRIDR_DT_UNKNOWN;
    switch (PyArray_TYPE(a)) {
    case NPY_UINT8:
        return GRIDR_DT_U8;
    case NPY_UINT16:
        return GRIDR_DT_U16;
    case NPY_INT16:
        return GRIDR_DT_I16;
    case NPY_UINT32:
        return GRIDR_DT_U32;
    case NPY_INT32:
        return GRIDR_DT_I32;
    case NPY_FLOAT32:
        return GRIDR_DT_F32;
    case NPY_FLOAT64:
        return GRIDR_DT_F64;
    default:
        return GRIDR_DT_UNKNOWN;
    }
}

/* Stride of axis `ax` in samples, or -1 when it is not a non-negative multiple of the item. */
static long stride_of(PyArrayObject *a, int ax)
{
    npy_intp s = PyArray_STRIDE(a, ax), item = PyArray_ITEMSIZE(a);
    return s < 0 || s % item ? -1 : (long)(s / item);
}

/* Borrow numpy array `obj` (2-D or 3-D, as `ndim`) as a gridr_array; `name` names it in errors.
 * Columns must be contiguous, the other axes non-negative multiples of the item size: the
 * Python layer copies arrays that are not so. */
int pygridr_borrow(PyObject *obj, const char *name, int ndim, int writable, gridr_array *out)
{
    if (!PyArray_Check(obj))
        return PyErr_Format(PyExc_TypeError, "%s: expected a numpy array", name), -1;
    PyArrayObject *a = (PyArrayObject *)obj;
    if (PyArray_NDIM(a) != ndim)
        return PyErr_Format(PyExc_ValueError, "%s: expected %d dimensions, got %d", name, ndim,
                            PyArray_NDIM(a)),
               -1;
    gridr_dtype dt = dtype_of(a);
    if (dt == GRIDR_DT_UNKNOWN || !PyArray_ISALIGNED(a))
        return PyErr_Format(PyExc_TypeError, "%s: unsupported or unaligned sample type", name), -1;
    if (writable && !PyArray_ISWRITEABLE(a))
        return PyErr_Format(PyExc_ValueError, "%s: the array is read-only", name), -1;
    int o = ndim - 2;
    long bands = o ? (long)PyArray_DIM(a, 0) : 1, rows = (long)PyArray_DIM(a, o),
         cols = (long)PyArray_DIM(a, o + 1);
    long cs = cols > 1 ? stride_of(a, o + 1) : 1;
    long rs = rows > 1 ? stride_of(a, o) : cols, bs = bands > 1 ? stride_of(a, 0) : rows * rs;
    if (cs != 1 || rs < 0 || bs < 0 || bands > INT32_MAX)
        return PyErr_Format(PyExc_ValueError, "%s: columns must be contiguous", name), -1;
    *out = gridr_array_make(PyArray_DATA(a), dt, (int)bands, rows, cols);
    out->row_stride = rs < cols ? cols : rs;
    out->band_stride = bs < 1 ? 1 : bs;
    return 0;
}

/* Grid nodes (2 bands: row, col) over grid_row and grid_col: one borrowed array when grid_col
 * lies after grid_row at a whole number of samples with the same layout (the two bands of one
 * (2, rows, cols) array), else a copy in *copy (the caller frees it). */
static int grid_nodes(PyObject *grow, PyObject *gcol, gridr_array *nodes, void **copy)
{
    gridr_array r, c;
    *copy = NULL;
    if (pygridr_borrow(grow, "grid_row", 2, 0, &r) || pygridr_borrow(gcol, "grid_col", 2, 0, &c))
        return -1;
    if (r.dtype != GRIDR_DT_F32 && r.dtype != GRIDR_DT_F64)
        return PyErr_Format(PyExc_TypeError, "grid_row: expected float32 or float64"), -1;
    if (c.dtype != r.dtype || c.rows != r.rows || c.cols != r.cols)
        return PyErr_Format(PyExc_ValueError, "grid_col: dtype and shape must equal grid_row's"),
               -1;
    size_t item = gridr_dtype_size(r.dtype);
    ptrdiff_t gap = (const char *)c.data - (const char *)r.data;
    *nodes = r;
    nodes->bands = 2;
    if (c.row_stride == r.row_stride && gap > 0 && gap % (ptrdiff_t)item == 0) {
        nodes->band_stride = (long)(gap / (ptrdiff_t)item);
        return 0;
    }
    size_t plane = (size_t)r.rows * (size_t)r.cols;
    char *buf = malloc(2 * plane * item);
    if (!buf)
        return PyErr_NoMemory(), -1;
    for (long i = 0; i < r.rows; i++) {
        memcpy(buf + (size_t)i * (size_t)r.cols * item, gridr_array_at(&r, 0, i, 0),
               (size_t)r.cols * item);
        memcpy(buf + (plane + (size_t)i * (size_t)r.cols) * item, gridr_array_at(&c, 0, i, 0),
               (size_t)r.cols * item);
    }
    *nodes = gridr_array_make(buf, r.dtype, 2, r.rows, r.cols);
    *copy = buf;
    return 0;
}

/* An optional u8 array (None: absent). */
static int borrow_mask(PyObject *obj, const char *name, int writable, gridr_array *out)
{
    memset(out, 0, sizeof *out);
    if (obj == Py_None)
        return 0;
    if (pygridr_borrow(obj, name, 2, writable, out))
        return -1;
    if (out->dtype != GRIDR_DT_U8)
        return PyErr_Format(PyExc_TypeError, "%s: expected uint8", name), -1;
    return 0;
}

/* The grid of a call: nodes, resolution, mask or nodata, origin bias. */
static int make_grid(const pygridr_call *c, gridr_grid *g, void **copy)
{
    gridr_array nodes, mask;
    if (grid_nodes(c->grid_row, c->grid_col, &nodes, copy))
        return -1;
    if (borrow_mask(c->grid_mask, "grid_mask", 0, &mask))
        return -1;
    int rc = gridr_grid_init_array(g, nodes, c->res_row, c->res_col);
    if (rc)
        return pygridr_fail(rc), -1;
    g->mask = mask;
    g->mask_valid = (uint8_t)c->grid_mask_valid;
    g->has_nodata = c->grid_nodata != Py_None;
    if (g->has_nodata && (g->nodata = PyFloat_AsDouble(c->grid_nodata)) == -1.0 && PyErr_Occurred())
        return -1;
    g->shift_row = c->origin_row;
    g->shift_col = c->origin_col;
    rc = gridr_grid_check(g);
    return rc ? (pygridr_fail(rc), -1) : 0;
}

/* Keyword names (PyArg_ParseTupleAndKeywords wants char *; the literals are never written). */
#define KW(s) ((char *)(s))
static char *resample_kw[] = {KW("interp"),
                              KW("src"),
                              KW("src_mask"),
                              KW("src_origin"),
                              KW("raster"),
                              KW("grid_row"),
                              KW("grid_col"),
                              KW("grid_res"),
                              KW("grid_mask"),
                              KW("grid_mask_valid"),
                              KW("grid_nodata"),
                              KW("origin"),
                              KW("out_win"),
                              KW("out"),
                              KW("out_mask"),
                              KW("eps"),
                              KW("mask_influence"),
                              KW("nodata_out"),
                              KW("boundary"),
                              KW("trust_padding"),
                              KW("threads"),
                              KW("prefiltered"),
                              KW("clip_support"),
                              KW("pad"),
                              NULL};

static int parse_call(PyObject *args, PyObject *kw, pygridr_call *c)
{
    memset(c, 0, sizeof *c);
    return PyArg_ParseTupleAndKeywords(
               args, kw, "iOO(ll)(ll)OO(ii)OiO(dd)(llll)OOdddiiiii|l", resample_kw, &c->interp,
               &c->src, &c->src_mask, &c->src_row0, &c->src_col0, &c->raster_rows, &c->raster_cols,
               &c->grid_row, &c->grid_col, &c->res_row, &c->res_col, &c->grid_mask,
               &c->grid_mask_valid, &c->grid_nodata, &c->origin_row, &c->origin_col, &c->win.row0,
               &c->win.col0, &c->win.rows, &c->win.cols, &c->out, &c->out_mask, &c->eps,
               &c->mask_influence, &c->nodata_out, &c->boundary, &c->trust_padding, &c->threads,
               &c->prefiltered, &c->clip_support, &c->pad)
               ? 0
               : -1;
}

/* Source, output and output mask of a call. */
static int borrow_arrays(const pygridr_call *c, gridr_source *s, gridr_array *out,
                         gridr_array *omask)
{
    memset(s, 0, sizeof *s);
    if (pygridr_borrow(c->src, "array_in", 3, 0, &s->data) ||
        borrow_mask(c->src_mask, "array_in_mask", 0, &s->mask) ||
        pygridr_borrow(c->out, "array_out", 3, 1, out) ||
        borrow_mask(c->out_mask, "array_out_mask", 1, omask))
        return -1;
    s->row0 = c->src_row0;
    s->col0 = c->src_col0;
    s->raster_rows = c->raster_rows;
    s->raster_cols = c->raster_cols;
    return 0;
}

static void fill_opts(const pygridr_call *c, gridr_resample_opts *o)
{
    gridr_resample_opts_init(o);
    o->interp = (gridr_interp_kind)c->interp;
    o->bspline_eps = c->eps;
    o->mask_influence = c->mask_influence;
    o->out_nodata = c->nodata_out;
    o->boundary = (gridr_boundary)c->boundary;
    o->boundary_value = 0;
    o->trust_padding = c->trust_padding;
    o->threads = c->threads;
}

/* resample(...): one gridr_resample_window call (or, prefiltered, the B-spline evaluation of
 * coefficients) over numpy arrays the Python layer prepared. Returns None. */
static PyObject *py_resample(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    pygridr_call c;
    gridr_grid g;
    gridr_source s;
    gridr_array out, omask;
    gridr_resample_opts o;
    void *copy = NULL;
    if (parse_call(args, kw, &c) || borrow_arrays(&c, &s, &out, &omask) ||
        make_grid(&c, &g, &copy)) {
        free(copy);
        return NULL;
    }
    fill_opts(&c, &o);
    int rc;
    Py_BEGIN_ALLOW_THREADS;
    gridr_clear_error();
    if (c.prefiltered)
        rc = pygridr_eval_coefs(&o, &g, c.win, &s, &out, omask.data ? &omask : NULL);
    else if (gridr_interp_is_bspline(o.interp))
        rc = pygridr_resample_strips(&o, &g, c.win, &s, c.pad, &out, omask.data ? &omask : NULL);
    else
        rc = gridr_resample_window(&o, &g, c.win, &s, &out, omask.data ? &omask : NULL);
    if (rc == 0 && c.clip_support)
        rc = pygridr_clip_support(&o, &g, c.win, c.raster_rows, c.raster_cols, &out,
                                  omask.data ? &omask : NULL);
    Py_END_ALLOW_THREADS;
    free(copy);
    if (rc)
        return pygridr_fail(rc);
    Py_RETURN_NONE;
}

/* halo(interp, eps): source pixels a window needs around its targets (gridr_interp_halo). */
static PyObject *py_halo(PyObject *self, PyObject *args)
{
    (void)self;
    int k;
    double eps;
    if (!PyArg_ParseTuple(args, "id", &k, &eps))
        return NULL;
    int h = gridr_interp_halo((gridr_interp_kind)k, eps);
    return h < 0 ? pygridr_fail(h) : PyLong_FromLong(h);
}

/* parse(what, text): gridr's code of an interpolation ("interp") or boundary ("boundary"). */
static PyObject *py_parse(PyObject *self, PyObject *args)
{
    (void)self;
    const char *what, *text;
    if (!PyArg_ParseTuple(args, "ss", &what, &text))
        return NULL;
    int rc;
    if (strcmp(what, "interp") == 0) {
        gridr_interp_kind k;
        rc = gridr_interp_parse(text, &k);
        return rc ? pygridr_fail(rc) : PyLong_FromLong((long)k);
    }
    gridr_boundary bc;
    rc = gridr_boundary_parse(text, &bc);
    return rc ? pygridr_fail(rc) : PyLong_FromLong((long)bc);
}

static PyMethodDef core_methods[] = {
    {"resample", (PyCFunction)(void (*)(void))py_resample, METH_VARARGS | METH_KEYWORDS,
     "resample(...): one window through gridr_resample_window (internal; see pygridr)."},
    {"halo", py_halo, METH_VARARGS, "halo(interp, eps): gridr_interp_halo."},
    {"parse", py_parse, METH_VARARGS, "parse('interp' | 'boundary', text): gridr's code."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef core_module = {PyModuleDef_HEAD_INIT,
                                         "_core",
                                         "gridr's kernels over numpy arrays (internal).",
                                         -1,
                                         core_methods,
                                         NULL,
                                         NULL,
                                         NULL,
                                         NULL};

PyMODINIT_FUNC PyInit__core(void);
PyMODINIT_FUNC PyInit__core(void)
{
    import_array();
    PyObject *m = PyModule_Create(&core_module);
    if (m && PyModule_AddStringConstant(m, "gridr_version", GRIDR_VERSION_STRING) != 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

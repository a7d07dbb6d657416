/* pygridr._core: B-spline resampling in strips of output rows, each from the source part it
 * needs (borrowed, or copied with its share of the padding band). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gridr/dtype.h"
#include "gridr/grid.h"
#include "gridr/resample.h"
#include "gridr/status.h"

#include "core.h"

/* Output pixels per strip: a strip's coefficients (about 8 bytes a pixel) stay in cache while
 * its evaluation reads them. */
#define STRIP_PIXELS (1L << 20)

/* The part of `ext` (raster coordinates) that output window ow needs:
 * gridr_resample_source_window intersected with ext (a tap outside the source is invalid
 * either way); one sample when no target can be valid; all of ext if the call fails (the
 * resampling then reports the fault). */
static gridr_rect strip_rect(const gridr_resample_opts *o, const gridr_grid *g, gridr_rect ow,
                             const gridr_source *s, gridr_rect ext)
{
    gridr_rect sw;
    int empty;
    long r0 = ext.row0, c0 = ext.col0, r1 = r0 + ext.rows, c1 = c0 + ext.cols;
    if (gridr_resample_source_window(o, g, ow, s->raster_rows, s->raster_cols, &sw, &empty))
        return ext;
    if (!empty) {
        r0 = sw.row0 > r0 ? sw.row0 : r0;
        c0 = sw.col0 > c0 ? sw.col0 : c0;
        r1 = sw.row0 + sw.rows < r1 ? sw.row0 + sw.rows : r1;
        c1 = sw.col0 + sw.cols < c1 ? sw.col0 + sw.cols : c1;
    }
    if (empty || r1 <= r0 || c1 <= c0) {
        r1 = r0 + 1;
        c1 = c0 + 1;
    }
    return (gridr_rect){r0, c0, r1 - r0, c1 - c0};
}

/* Source window w of s, borrowed (w lies inside s). */
static void borrowed_part(const gridr_source *s, gridr_rect w, gridr_source *sub)
{
    gridr_rect local = {w.row0 - s->row0, w.col0 - s->col0, w.rows, w.cols};
    *sub = *s;
    if (gridr_array_sub(&s->data, local, &sub->data) ||
        (s->mask.data && gridr_array_sub(&s->mask, local, &sub->mask))) {
        *sub = *s;
        return;
    }
    sub->row0 = w.row0;
    sub->col0 = w.col0;
}

/* Buffers of the padded copies, grown as needed and kept from strip to strip. */
typedef struct strip_buf {
    char *data;
    uint8_t *mask;
    size_t cap, mcap;
} strip_buf;

static int grow(void *p, size_t *cap, size_t need)
{
    void **buf = p;
    if (need <= *cap)
        return 0;
    void *n = realloc(*buf, need);
    if (!n)
        return gridr_set_error(GRIDR_ENOMEM, "out of memory (a strip of %zu bytes)", need);
    *buf = n;
    *cap = need;
    return 0;
}

/* Row i of window w (raster coordinates) of the raster a, item bytes a sample, into d: the
 * raster's samples, zeros elsewhere. */
static void copy_row(const gridr_array *a, int band, gridr_rect w, long i, size_t item, char *d)
{
    long r = w.row0 + i, j0 = w.col0 < 0 ? 0 : w.col0;
    long j1 = w.col0 + w.cols < a->cols ? w.col0 + w.cols : a->cols;
    if (r < 0 || r >= a->rows || j1 <= j0) {
        memset(d, 0, (size_t)w.cols * item);
        return;
    }
    memset(d, 0, (size_t)(j0 - w.col0) * item);
    memcpy(d + (size_t)(j0 - w.col0) * item, gridr_array_at(a, band, r, j0),
           (size_t)(j1 - j0) * item);
    memset(d + (size_t)(j1 - w.col0) * item, 0, (size_t)(w.col0 + w.cols - j1) * item);
}

/* Source window w (inside the raster grown by the padding band) of the raster s (row0 = col0 =
 * 0), copied into b with zeros (and mask 0) in the padding, which gridr fills. */
static int padded_part(const gridr_source *s, gridr_rect w, strip_buf *b, gridr_source *sub)
{
    const gridr_array *a = &s->data;
    size_t item = gridr_dtype_size(a->dtype), plane = (size_t)w.rows * (size_t)w.cols;
    if (grow(&b->data, &b->cap, plane * (size_t)a->bands * item) ||
        (s->mask.data && grow(&b->mask, &b->mcap, plane)))
        return GRIDR_ENOMEM;
    *sub = *s;
    sub->data = gridr_array_make(b->data, a->dtype, a->bands, w.rows, w.cols);
    for (int k = 0; k < a->bands; k++)
        for (long i = 0; i < w.rows; i++)
            copy_row(a, k, w, i, item, b->data + (k * plane + (size_t)i * (size_t)w.cols) * item);
    if (s->mask.data) {
        sub->mask = gridr_array_make(b->mask, GRIDR_DT_U8, 1, w.rows, w.cols);
        for (long i = 0; i < w.rows; i++)
            copy_row(&s->mask, 0, w, i, 1, (char *)b->mask + (size_t)i * (size_t)w.cols);
    }
    sub->row0 = w.row0;
    sub->col0 = w.col0;
    return 0;
}

/* The strips' source windows (n strips of `step` rows) into rect, or one strip over the whole
 * window when the strips' sources add up to more than 1.5 times ext (a grid whose strips read
 * much of the same source, e.g. rotated: the prefilter would run over it several times).
 * Returns the number of strips. */
static long plan_strips(const gridr_resample_opts *o, const gridr_grid *g, gridr_rect win,
                        const gridr_source *s, gridr_rect ext, long step, gridr_rect *rect)
{
    long n = (win.rows + step - 1) / step;
    double sum = 0;
    for (long k = 0; k < n; k++) {
        long r0 = k * step, rows = win.rows - r0 < step ? win.rows - r0 : step;
        rect[k] = strip_rect(o, g, (gridr_rect){win.row0 + r0, win.col0, rows, win.cols}, s, ext);
        sum += (double)rect[k].rows * (double)rect[k].cols;
    }
    if (n > 1 && sum > 1.5 * (double)ext.rows * (double)ext.cols) {
        rect[0] = strip_rect(o, g, win, s, ext);
        n = 1;
    }
    return n;
}

/* Strip k (rows [k step, k step + rows) of the window) from source window w. */
static int run_strip(const gridr_resample_opts *o, const gridr_grid *g, gridr_rect win, long r0,
                     long rows, const gridr_source *src, long pad, gridr_rect w, strip_buf *b,
                     gridr_array *out, gridr_array *om)
{
    gridr_rect ow = {win.row0 + r0, win.col0, rows, win.cols}, oo = {r0, 0, rows, win.cols};
    gridr_source sub;
    gridr_array osub, msub;
    int rc = 0;
    if (pad > 0)
        rc = padded_part(src, w, b, &sub);
    else
        borrowed_part(src, w, &sub);
    if (rc == 0)
        rc = gridr_array_sub(out, oo, &osub);
    if (rc == 0 && om)
        rc = gridr_array_sub(om, oo, &msub);
    return rc ? rc : gridr_resample_window(o, g, ow, &sub, &osub, om ? &msub : NULL);
}

int pygridr_resample_strips(const gridr_resample_opts *o, const gridr_grid *g, gridr_rect win,
                            const gridr_source *src, long pad, gridr_array *out,
                            gridr_array *out_mask)
{
    const gridr_array *a = &src->data;
    gridr_rect ext = {src->row0, src->col0, a->rows, a->cols};
    if (pad > 0)
        ext = (gridr_rect){-pad, -pad, a->rows + 2 * pad, a->cols + 2 * pad};
    long step = win.cols > 0 && STRIP_PIXELS / win.cols > 64 ? STRIP_PIXELS / win.cols : 64;
    gridr_rect *rect = malloc((size_t)((win.rows + step - 1) / step + 1) * sizeof *rect);
    if (!rect)
        return gridr_set_error(GRIDR_ENOMEM, "out of memory (strips of %ld rows)", win.rows);
    long n = plan_strips(o, g, win, src, ext, step, rect);
    if (n == 1)
        step = win.rows;
    strip_buf b = {NULL, NULL, 0, 0};
    int rc = 0;
    for (long k = 0; rc == 0 && k < n; k++)
        rc = run_strip(o, g, win, k * step, win.rows - k * step < step ? win.rows - k * step : step,
                       src, pad, rect[k], &b, out, out_mask);
    free(b.data);
    free(b.mask);
    free(rect);
    return rc;
}

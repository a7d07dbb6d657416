/* gridr: the kernels' private interface: sources, work buffers, kernel tables, setup. */
#ifndef GRIDR_RESAMPLE_IMPL_H
#define GRIDR_RESAMPLE_IMPL_H

#include "base/simd.h"
#include "gridr/grid.h"
#include "gridr/interp.h"
#include "gridr/resample.h"

/* What a kernel reads: the source window (or the B-spline coefficients) and where its samples
 * are available. Coordinates are window-local unless said otherwise. */
typedef struct gridr__rs_src {
    const void *data; /* sample (0, 0, 0) of the window */
    gridr_dtype dtype;
    int bands;
    long bstride, rstride; /* in samples */
    long rows, cols;
    long org_r, org_c;   /* raster coordinates of local (0, 0) */
    double tlo_r, thi_r; /* targets outside [tlo, thi) are invalid (raster coordinates) */
    double tlo_c, thi_c;
    long a_r0, a_r1; /* available rectangle: rows [a_r0, a_r1) x cols [a_c0, a_c1) */
    long a_c0, a_c1;
    const uint8_t *map;    /* NULL, or rows x cols availability (1 = valid), contiguous */
    const uint32_t *integ; /* with map: (rows+1) x (cols+1) prefix sums of invalid samples */
} gridr__rs_src;

/* Below this many samples (or output pixels) a call stays on one thread: a parallel region
 * costs more than it saves, and waiting threads spin. */
#define GRIDR__RS_MIN_PARALLEL 65536

/* Pixels per chunk of an output row, and the widest compact stencil (B-spline 11: 12 taps). */
#define GRIDR__RS_CHUNK 256
#define GRIDR__RS_KBMAX 12

/* Per-thread arrays of one chunk, filled by pass 1 (vectorised): for each pixel the first row
 * and column of its compact box (the taps that can have non-zero weights; window-local, as
 * doubles), their weights, its side flags (x >= 0 puts the box one tap later in the natural
 * stencil), whether its target is usable at all (ok) and whether its box lies in the available
 * rectangle (fast). Nearest: br is the sample's offset in the source, bc in the map. */
typedef struct gridr__rs_work {
    double br[GRIDR__RS_CHUNK], bc[GRIDR__RS_CHUNK];
    double wr[GRIDR__RS_KBMAX][GRIDR__RS_CHUNK], wc[GRIDR__RS_KBMAX][GRIDR__RS_CHUNK];
    int64_t ok[GRIDR__RS_CHUNK], fast[GRIDR__RS_CHUNK], sr[GRIDR__RS_CHUNK], sc[GRIDR__RS_CHUNK];
} gridr__rs_work;

/* Pass 1: targets (tr, tc from gridr_grid_eval_row, n <= GRIDR__RS_CHUNK) -> w. */
typedef void (*gridr__rs_pass1_fn)(const gridr__rs_src *s, const double *tr, const double *tc,
                                   long n, gridr__rs_work *w);

/* Pass 2: w and the grid validity gv -> acc[b * GRIDR__RS_CHUNK + j] (every band; nodata where
 * invalid) and m[j]. */
typedef void (*gridr__rs_pass2_fn)(const gridr__rs_src *s, const gridr__rs_work *w,
                                   const uint8_t *gv, long n, double nodata, double *acc,
                                   uint8_t *m);

/* Store n values of acc into dst (type dt); see gridr__rs_store. */
typedef void (*gridr__rs_store_fn)(void *dst, gridr_dtype dt, const double *acc, long n);

typedef struct gridr__rs_kernel {
    gridr__rs_pass1_fn pass1;
    gridr__rs_pass2_fn pass2;
    gridr__rs_store_fn store; /* set by gridr__rs_get_kernel */
} gridr__rs_kernel;

/* The kernel for an interpolation kind reading samples of type dt (B-splines: f64
 * coefficients only): the AVX2 build when the CPU has it (and GRIDR_NO_AVX2 is unset or 0),
 * else the SSE2/generic one; both give the same bits. Returns 0, or -1 when the pair is not
 * supported. */
int gridr__rs_get_kernel(gridr_interp_kind kind, gridr_dtype dt, gridr__rs_kernel *k);
int gridr__rs_get_kernel_base(gridr_interp_kind kind, gridr_dtype dt, gridr__rs_kernel *k);

#if GRIDR__HAVE_AVX2
#define GRIDR__HAVE_AVX2_KERN 1
int gridr__rs_get_kernel_base_avx2(gridr_interp_kind kind, gridr_dtype dt, gridr__rs_kernel *k);
#else
#define GRIDR__HAVE_AVX2_KERN 0
#endif

/* A window prepared for the kernels: availability, boundary fill, maps, B-spline coefficients. */
typedef struct gridr__rs_setup {
    const gridr_resample_opts *o;
    gridr_source *src;
    int threads; /* opts.threads of the call */
    long halo;
    uint8_t *ax_r, *ax_c; /* per window row / column: exists, has a value, counts as valid */
    uint8_t *map;         /* sample (direct kernels) or coefficient (B-splines) availability */
    uint32_t *integ;      /* prefix sums of the zeros of map */
    double *x, *coef;     /* B-splines: f64 samples, then coefficients */
    gridr__rs_src s;      /* what the kernels read */
} gridr__rs_setup;

/* Prepare `src` for the kernels (may write the padding band of src->data). threads: for the
 * B-spline prefilter; g, ow: the grid and output window (scaled filters' halo). Returns 0,
 * GRIDR_EINVAL or GRIDR_ENOMEM; free with _setup_free. */
int gridr__rs_setup_init(gridr__rs_setup *st, const gridr_resample_opts *o, gridr_source *src,
                         int threads, const gridr_grid *g, const gridr_rect *ow);
void gridr__rs_setup_free(gridr__rs_setup *st);

/* Halo of the availability rule and of source windows (B-splines: also the mask dilation). */
long gridr__rs_halo(const gridr_resample_opts *o);

/* Whether padded samples take mirrored raster values that a window must contain (edge, reflect,
 * symmetric, wrap when the padding is trusted, or always for B-splines, whose prefilter reads
 * them). */
int gridr__rs_mirror_bc(const gridr_resample_opts *o);

/* The raster index whose value padded index r takes (numpy.pad semantics). */
long gridr__rs_bc_map(gridr_boundary bc, long r, long n);

/* Store n values of acc into dst (type dt) with clip and round half to even (gridr_dtype_set
 * semantics). */
void gridr__rs_store(void *dst, gridr_dtype dt, const double *acc, long n);
#if GRIDR__HAVE_AVX2_KERN
/* The same, integer types eight values at a time with AVX2 (same results). */
void gridr__rs_store_avx2(void *dst, gridr_dtype dt, const double *acc, long n);
#endif

/* ---- separable grids (src/resample_sep.c, kernels in src/resample_sepk.c) -------------------- */

/* h[j] = column dot product of f64 source row q at box start bc[j] with weights wc[t * ws + j]
 * (t < kb), for j in [0, n). */
typedef void (*gridr__rs_hrow_fn)(const double *q, const int32_t *bc, const double *wc, long ws,
                                  int kb, long n, double *h);

/* n samples of the source type to f64 (exact). */
typedef void (*gridr__rs_cvt_fn)(const void *src, long n, double *dst);

/* acc[j] = 0 + sum_k wr[k] * h[k][j] (k ascending), for j in [0, n). */
typedef void (*gridr__rs_vrow_fn)(const double *const *h, const double *wr, int kb, long n,
                                  double *acc);

typedef struct gridr__rs_sep_kernel {
    gridr__rs_hrow_fn hrow;
    gridr__rs_cvt_fn cvt; /* NULL for f64 sources, read in place */
    gridr__rs_vrow_fn vrow;
    gridr__rs_store_fn store;
} gridr__rs_sep_kernel;

/* The separable kernels reading samples of type dt with kb-wide boxes (AVX2 build when usable,
 * as gridr__rs_get_kernel). Returns 0, or -1 when the pair is not supported. */
int gridr__rs_get_sep(gridr_dtype dt, int kb, gridr__rs_sep_kernel *k);
int gridr__rs_get_sep_base(gridr_dtype dt, int kb, gridr__rs_sep_kernel *k);
#if GRIDR__HAVE_AVX2_KERN
int gridr__rs_get_sep_base_avx2(gridr_dtype dt, int kb, gridr__rs_sep_kernel *k);
#endif

/* ---- scaled filters: antialiased linear / cubic, lanczos, average, mode (kern_wide.c) -------- */

/* A window's scaled filter: the kind, the scale and taps per source axis (constant over an
 * affine grid; an array grid gives scale 1, or with antialiasing its cells' scales). */
typedef struct gridr__rs_wide {
    int on;       /* the window takes the scaled-filter kernels */
    int cells;    /* antialiased array grid: per cell scales (sr, sc: the window's largest) */
    int point_ok; /* no reduction on either axis keeps the point kernels */
    int snap;     /* cells' scales by gridr_interp_snap_reduction (antialias_snap) */
    gridr_interp_kind kind;
    double sr, sc;
    int nr, nc;
    long clip_r, clip_c; /* gdal_edges: the raster's rows and columns, else 0 */
} gridr__rs_wide;

/* The scaled filter of options o on grid g (on = 0 when the kernel is a point kernel). Returns
 * 0, or GRIDR_EINVAL when a reduction needs more than GRIDR_INTERP_MAX_SCALED taps. */
int gridr__rs_wide_init(const gridr_resample_opts *o, const gridr_grid *g, const gridr_rect *ow,
                        gridr__rs_wide *w);

/* Halo of options o on grid g for output window ow (NULL: none; an antialiased array grid then
 * gives the point kernels' halo): gridr__rs_halo, or the scaled filter's when larger. */
long gridr__rs_halo_grid(const gridr_resample_opts *o, const gridr_grid *g, const gridr_rect *ow);

/* One window's resampling run (src/resample.c). */
typedef struct gridr__rs_run {
    const gridr_grid *g;
    gridr_rect ow;
    const gridr__rs_src *s;
    gridr__rs_kernel k;
    int kb; /* compact box width (0: nearest) */
    double nodata;
    gridr_array *out, *om;
    int direct;        /* one f64 output band: kernels write the output row itself */
    size_t per_thread; /* bytes of generic row scratch per thread */
    /* GDAL's nodata policy (renorm.c) */
    int renorm;                    /* GRIDR_NODATA_RENORMALIZE with a direct kernel */
    gridr_interp_kind interp;      /* the kernel's kind */
    long raster_rows, raster_cols; /* the raster's extent */
    gridr__rs_wide wide;           /* scaled filters (kb = max(nr, nc) rounded up to even) */
    gridr__rs_kernel pk;           /* wide.cells: the point kernel and its box, for cells */
    int pkb;                       /* without reduction */
} gridr__rs_run;

/* Defines NAME, per source type T: band b of the nr x nc box at (br, bc) weighted by wr x wc into
 * acc[b * GRIDR__RS_CHUNK], per row the column dot product from 0, then the row weight; `skip`
 * reads only the taps with non-zero weights (the same bits on finite samples). A macro so that
 * the function is compiled where it is expanded (kern.c also builds for AVX2). */
#define GRIDR__RS_DEFINE_BOX_DOT(NAME, T)                                                          \
    static inline void NAME(const gridr__rs_src *s, long br, long bc, const double *wr, int nr,    \
                            const double *wc, int nc, int skip, double *acc)                       \
    {                                                                                              \
        for (int b = 0; b < s->bands; b++) {                                                       \
            const T *p = (const T *)s->data + b * s->bstride + br * s->rstride + bc;               \
            double a = 0;                                                                          \
            for (int i = 0; i < nr; i++, p += s->rstride) {                                        \
                if (skip && wr[i] == 0)                                                            \
                    continue;                                                                      \
                double d = 0;                                                                      \
                for (int j = 0; j < nc; j++) {                                                     \
                    if (!skip || wc[j] != 0)                                                       \
                        d += wc[j] * (double)p[j];                                                 \
                }                                                                                  \
                a += wr[i] * d;                                                                    \
            }                                                                                      \
            acc[b * GRIDR__RS_CHUNK] = a;                                                          \
        }                                                                                          \
    }

/* Pixels of a chunk (n <= GRIDR__RS_CHUNK) that pass 2 left invalid (m[j] == 0) though their
 * target and grid are usable, recomputed under GRIDR_NODATA_RENORMALIZE from the targets tr, tc:
 * band b of pixel j into acc[j + b * bs], m[j] = 1 when it becomes valid. */
void gridr__rs_renorm(const gridr__rs_run *r, const gridr__rs_work *w, const double *tr,
                      const double *tc, const uint8_t *gv, long n, double *acc, long bs,
                      uint8_t *m);

/* Bytes of per-thread scratch gridr__rs_wide_cols needs. */
size_t gridr__rs_wide_scratch(const gridr__rs_run *r);

/* Output row i, columns [j0, j1), through the scaled filters' generic path (per pixel weights;
 * the same operations, in the same order, as the separable path). */
void gridr__rs_wide_cols(const gridr__rs_run *r, long i, long j0, long j1, char *scr);

/* Output row i (window-local), columns [j0, j1), through the generic path; scr: per_thread
 * bytes, 64-aligned. */
void gridr__rs_run_cols(const gridr__rs_run *r, long i, long j0, long j1, char *scr);

/* Resample the window through the separable path when the grid, kernel and source allow it:
 * 1 when done, 0 when not applicable (nothing written), or a negative GRIDR_E* code. */
int gridr__rs_run_separable(const gridr__rs_run *r, int threads);

#endif

/* gridr: plan a run: output windows, their source windows (halo + padding) and array sizes. */
#ifndef GRIDR_PLAN_H
#define GRIDR_PLAN_H

#include <stddef.h>
#include <stdio.h>

#include "gridr/dtype.h"
#include "gridr/grid.h"
#include "gridr/resample.h"
#include "gridr/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest window side the budget search starts from (rounded down to the block size). */
#define GRIDR_PLAN_MAX_WINDOW 2048

/** Smallest window side the budget search tries before giving up. */
#define GRIDR_PLAN_MIN_WINDOW 16

/** Default block alignment (GTiff tile side). */
#define GRIDR_PLAN_DEFAULT_BLOCK 256

/** The shared-memory arrays of one window. Values index gridr_plan_window.bytes. */
typedef enum gridr_plan_array {
    GRIDR_PLAN_SRC = 0,       /* bands x src rows x src cols, src dtype (padding included) */
    GRIDR_PLAN_SRC_MASK = 1,  /* u8, src rows x src cols (if has_src_mask) */
    GRIDR_PLAN_GRID = 2,      /* 2 x node rows x node cols, grid dtype (array grids) */
    GRIDR_PLAN_GRID_MASK = 3, /* u8, node rows x node cols (if the grid has a mask) */
    GRIDR_PLAN_OUT = 4,       /* bands x out rows x out cols, out dtype */
    GRIDR_PLAN_OUT_MASK = 5,  /* u8, out rows x out cols (if has_out_mask) */
    GRIDR_PLAN_TILES = 6      /* u8, the window's output tiles encoded for the file (if
                                 enc_tile_rows: see gridr_plan_opts) */
} gridr_plan_array;

#define GRIDR_PLAN_NARRAYS 7

/** Short name of an array kind ("src", "src_mask", "grid", ...). Ownership: static string. */
GRIDR_API const char *gridr_plan_array_name(gridr_plan_array kind);

/** Streams the nodes of an array grid the caller does not hold in memory: fill `nodes` (2 bands,
 *  row then column, dtype and shape already set, data allocated by the planner) and, when the
 *  plan has a grid mask, `mask` (u8; NULL otherwise) with the full-grid node window `win`.
 *  Returns 0 or a negative GRIDR_E* code with the message set. */
typedef int (*gridr_plan_node_loader)(void *user, gridr_rect win, gridr_array *nodes,
                                      gridr_array *mask);

/** What to plan. Initialise with gridr_plan_opts_init(), then set at least grid, raster_rows,
 *  raster_cols, src_dtype and out_dtype. New fields are only ever added at the end.
 *  Ownership: `grid` and `resample` are borrowed for the duration of gridr_plan_new() only. */
typedef struct gridr_plan_opts {
    const gridr_grid *grid;              /* the FULL grid (array nodes in memory, or affine) */
    const gridr_resample_opts *resample; /* kernel and options; NULL = defaults */
    long out_rows, out_cols;             /* 0 (default): the grid's output shape */
    int bands;                           /* default 1 */
    gridr_dtype src_dtype;               /* source slice dtype (required) */
    gridr_dtype out_dtype;               /* output dtype (required) */
    gridr_dtype grid_dtype;              /* grid slice dtype; UNKNOWN (default): the grid's */
    long raster_rows, raster_cols;       /* source raster size (required) */
    int has_src_mask;                    /* a u8 source mask slice per window; default 0 */
    int grid_mask;                       /* -1 (default): iff grid->mask.data; 0 no; 1 yes */
    int has_out_mask;                    /* a u8 output mask per window; default 0 */
    size_t mem_budget;                   /* bytes for all windows in flight; 0 = no limit */
    int workers;                         /* default 1 */
    int prefetch;                        /* windows read ahead; default 1 */
    long win_rows, win_cols;             /* user window size; 0 (default) = from the budget */
    long block;                          /* alignment; default GRIDR_PLAN_DEFAULT_BLOCK */
    /* Encoded output tiles (GRIDR_PLAN_TILES, e.g. gridr_raster_tiles_bound): a window covering
     * n tiles of enc_tile_rows x enc_tile_cols output pixels needs enc_head_bytes + n x
     * enc_tile_bytes. enc_tile_rows 0 (default): no such array. */
    long enc_tile_rows, enc_tile_cols;
    size_t enc_tile_bytes, enc_head_bytes;
    long min_windows; /* budget search: keep halving while there are fewer windows than this,
                         never below `block` per side; 0 (default) = off. Ignored for a user
                         window. */
    gridr_plan_node_loader load_nodes; /* NULL (default): `grid` holds every node. Else `grid`
                                          is an array grid without node data (nodes.data and
                                          mask.data NULL; nodes.dtype, full_node_rows/cols, res,
                                          nodata, shift, mask_valid set) and the planner loads
                                          one row of windows' nodes at a time; set grid_mask
                                          0 or 1 (-1 means 0). */
    void *load_user;                   /* passed to load_nodes */
    /* an alpha band (issue 14) */
    int out_extra_bands; /* output bands beyond `bands` (an alpha band); default 0 */
    /* warp: the grid is an approximation of the positions the workers will use, within this
       many source pixels: every window's source window is grown by it (and a window is empty
       only if no target comes within it of the raster's padding band). Default 0. */
    double src_margin;
    /* warp: the margin of output window `out` instead (NULL: src_margin everywhere); a pure
       function of `out` (the planner calls it for every window of every size it tries) */
    double (*src_margin_at)(void *user, gridr_rect out);
    void *src_margin_user; /* passed to src_margin_at */
} gridr_plan_opts;

/** Defaults listed above (grid NULL, dtypes unknown, raster size 0). */
GRIDR_API void gridr_plan_opts_init(gridr_plan_opts *o);

/** One output window. Rectangles are in pixels: `out` in the output raster, `src` and `read` in
 *  the source raster, `nodes` in full-grid node indices. */
typedef struct gridr_plan_window {
    long index;       /* position in the plan (row-major order of windows) */
    gridr_rect out;   /* output pixels of this window */
    int empty;        /* no valid target: write nodata (mask 0), never send to a worker */
    gridr_rect src;   /* source window incl. the padding band (may leave the raster by the
                         halo); zero-sized when empty */
    gridr_rect read;  /* src inside [0, raster_rows) x [0, raster_cols): what to read; may be
                         zero-sized (targets only in the padding band); zero-sized when empty */
    gridr_rect nodes; /* node window for the grid slice (array grids; zero-sized for affine) */
    int halo;         /* the kernel's reach in source pixels for this window's targets (wider
                         where an antialiased grid shrinks the image) */
    size_t bytes[GRIDR_PLAN_NARRAYS]; /* per array kind; 0 = not needed (inputs of an empty
                                         window are 0; outputs are always sized) */
} gridr_plan_window;

/** Plan-wide figures. */
typedef struct gridr_plan_summary {
    long out_rows, out_cols;          /* output size */
    int bands;                        /* bands of source and output */
    gridr_dtype src_dtype, out_dtype; /* as given */
    gridr_dtype grid_dtype;           /* of the grid slices; UNKNOWN for affine grids */
    long raster_rows, raster_cols;    /* source raster size */
    long win_rows, win_cols;          /* window size (edge windows may be smaller) */
    int user_window;                  /* 1: win size given by the user, 0: from the budget */
    long block;                       /* alignment used */
    long count, empty_count;          /* windows, and those with no valid target */
    int halo; /* kernel halo in source pixels: the largest of any window (gridr_plan_window.halo) */
    int in_flight;                        /* workers + prefetch */
    size_t max_bytes[GRIDR_PLAN_NARRAYS]; /* largest array of each kind over all windows */
    long max_src_rows, max_src_cols;      /* largest source window (incl. padding) */
    long max_node_rows, max_node_cols;    /* largest node window */
    size_t window_bytes;                  /* sum of max_bytes: one scheduler slot */
    size_t peak_bytes;                    /* in_flight * window_bytes */
    size_t mem_budget;                    /* as given (0 = no limit) */
} gridr_plan_summary;

/** A computed plan. Opaque; owns its window list. */
typedef struct gridr_plan gridr_plan;

/** Cut the output into windows and size them.
 *  Window size: if o->win_rows/win_cols are given (one given: the other is the same) they are
 *  used as is; windows start at multiples of the size. Otherwise the search starts from a
 *  GRIDR_PLAN_MAX_WINDOW square (a multiple of `block`, at most the output rounded up to the
 *  block) and halves the longer side, rows on a tie (keeping multiples of `block` while the
 *  side is above it) until peak = in_flight x (sum of max array bytes) <= mem_budget (0: no
 *  limit). With o->min_windows > 0 it then keeps halving (same order) while the plan has fewer
 *  windows than that and a side can shrink without going below `block`, so every worker gets
 *  several windows (load balance, pipeline fill). Errors (message says which): GRIDR_EINVAL for bad
 * options, a budget too small for the smallest window (GRIDR_PLAN_MIN_WINDOW square), or a user
 * window whose peak exceeds a non-zero budget; GRIDR_ERANGE for sizes overflowing size_t;
 * GRIDR_ENOMEM; grid and resample errors as they return them. Ownership: *out is the caller's
 * (gridr_plan_free); NULL on failure. */
GRIDR_API int gridr_plan_new(const gridr_plan_opts *o, gridr_plan **out);

/** Free a plan. Accepts NULL. */
GRIDR_API void gridr_plan_free(gridr_plan *p);

/** Number of windows. */
GRIDR_API long gridr_plan_count(const gridr_plan *p);

/** Window i (0 <= i < count), NULL when out of range. Ownership: borrowed from the plan. */
GRIDR_API const gridr_plan_window *gridr_plan_window_at(const gridr_plan *p, long i);

/** Plan-wide figures. Ownership: borrowed from the plan. */
GRIDR_API const gridr_plan_summary *gridr_plan_summary_get(const gridr_plan *p);

/** Largest array of one kind over all windows (what a scheduler slot must hold). */
GRIDR_API size_t gridr_plan_max_bytes(const gridr_plan *p, gridr_plan_array kind);

/** Planned peak: (workers + prefetch) x sum of the max bytes of each kind. */
GRIDR_API size_t gridr_plan_peak_bytes(const gridr_plan *p);

/** Write a human-readable summary and, if `windows` is non-zero, one line per window to `f`
 *  (for `gridr-run --dry-run`). The library prints only into the FILE* the caller gives;
 *  use open_memstream()/fmemopen() for a buffer. Returns 0 or GRIDR_EIO if writing fails. */
GRIDR_API int gridr_plan_dump(const gridr_plan *p, FILE *f, int windows);

#ifdef __cplusplus
}
#endif
#endif

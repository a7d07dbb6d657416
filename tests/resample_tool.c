/* gridr test tool: resample raw f64 arrays (for tests/scipy_check.py), no bindings needed.
 *
 * Usage: resample_tool KERNEL EPS R C N M IMAGE ROWS COLS OUT MASK
 *   IMAGE: R x C f64; ROWS, COLS: N x M f64 (full-resolution grid, absolute source positions);
 *   OUT: N x M f64 written (nodata 0); MASK: N x M u8 written (1 valid). Boundary: none.
 * Exit status 0, 1 on a gridr error (message on stderr), 2 on bad usage or I/O. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "gridr/gridr.h"

static void *load(const char *path, size_t bytes)
{
    FILE *f = fopen(path, "rb");
    void *p = malloc(bytes ? bytes : 1);
    if (!f || !p || fread(p, 1, bytes, f) != bytes) {
        fprintf(stderr, "resample_tool: cannot read %zu bytes from %s\n", bytes, path);
        exit(2);
    }
    fclose(f);
    return p;
}

static void save(const char *path, const void *p, size_t bytes)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, bytes, f) != bytes || fclose(f) != 0) {
        fprintf(stderr, "resample_tool: cannot write %s\n", path);
        exit(2);
    }
}

int main(int argc, char **argv)
{
    gridr_resample_opts o;
    gridr_resample_opts_init(&o);
    if (argc != 12 || gridr_interp_parse(argv[1], &o.interp) != 0) {
        fprintf(stderr, "usage: resample_tool KERNEL EPS R C N M IMAGE ROWS COLS OUT MASK\n");
        return 2;
    }
    o.bspline_eps = atof(argv[2]);
    long R = atol(argv[3]), C = atol(argv[4]), N = atol(argv[5]), M = atol(argv[6]);
    size_t nn = (size_t)(N * M);
    double *img = load(argv[7], (size_t)(R * C) * sizeof(double));
    double *nodes = malloc(2 * nn * sizeof(double) + 1);
    double *rows = load(argv[8], nn * sizeof(double)), *cols = load(argv[9], nn * sizeof(double));
    for (size_t k = 0; k < nn; k++) {
        nodes[k] = rows[k];
        nodes[nn + k] = cols[k];
    }
    double *out = malloc(nn * sizeof(double) + 1), *pad = NULL;
    uint8_t *mask = malloc(nn + 1);
    gridr_grid g;
    gridr_rect ow = {0, 0, N, M}, sw;
    int empty = 0;
    int rc = gridr_grid_init_array(&g, gridr_array_make(nodes, GRIDR_DT_F64, 2, N, M), 1, 1);
    if (rc == 0)
        rc = gridr_resample_source_window(&o, &g, ow, R, C, &sw, &empty);
    if (rc == 0 && !empty) {
        /* A buffer of exactly the source window, raster samples copied in. */
        pad = calloc((size_t)(sw.rows * sw.cols), sizeof *pad);
        for (long i = 0; i < sw.rows; i++)
            for (long j = 0; j < sw.cols; j++) {
                long r = sw.row0 + i, c = sw.col0 + j;
                if (r >= 0 && r < R && c >= 0 && c < C)
                    pad[i * sw.cols + j] = img[r * C + c];
            }
        gridr_source src = {
            gridr_array_make(pad, GRIDR_DT_F64, 1, sw.rows, sw.cols), {0}, sw.row0, sw.col0, R, C};
        gridr_array oa = gridr_array_make(out, GRIDR_DT_F64, 1, N, M);
        gridr_array ma = gridr_array_make(mask, GRIDR_DT_U8, 1, N, M);
        rc = gridr_resample_window(&o, &g, ow, &src, &oa, &ma);
    } else if (rc == 0) {
        for (size_t k = 0; k < nn; k++) {
            out[k] = 0;
            mask[k] = 0;
        }
    }
    if (rc) {
        fprintf(stderr, "resample_tool: %s\n", gridr_last_error());
        return 1;
    }
    save(argv[10], out, nn * sizeof(double));
    save(argv[11], mask, nn);
    free(img);
    free(nodes);
    free(rows);
    free(cols);
    free(out);
    free(mask);
    free(pad);
    return 0;
}

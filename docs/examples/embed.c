/* gridr example: embed the scheduler in a program, with its own work function (a 3x3 filter). */
#include <gridr/gridr.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { W = 1000, H = 700, TILE = 128 };

/* The work context: it must exist before gridr_sched_new() (workers see that memory). */
static const float box3x3[9] = {1 / 9.f, 1 / 9.f, 1 / 9.f, 1 / 9.f, 1 / 9.f,
                                1 / 9.f, 1 / 9.f, 1 / 9.f, 1 / 9.f};

/* Chosen after the workers exist: travels in the run parameter blob (<= 1024 bytes). */
typedef struct run_params {
    float gain;
} run_params;

/* One window: travels in the window parameter blob (<= 256 bytes). */
typedef struct win_params {
    long row0, col0, rows, cols;
} win_params;

typedef struct image {
    float *src, *dst;
    long tiles_x, tiles_y;
} image;

static float filter_at(const float *k, float gain, const float *in, long stride)
{
    float v = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            v += k[3 * i + j] * in[i * stride + j];
    return gain * v;
}

/* Runs in a worker: arrays[0] = input with a 1-pixel halo, arrays[1] = output. */
static int filter_window(void *ctx, const void *runp, const void *winp, gridr_array *a, int n,
                         long k)
{
    const run_params *rp = runp;
    const win_params *w = winp;
    const float *in = a[0].data;
    float *out = a[1].data;
    if (n != 2 || a[0].cols != w->cols + 2 || a[1].rows != w->rows)
        return gridr_set_error(GRIDR_EINVAL, "window %ld: unexpected shapes", k);
    for (long r = 0; r < w->rows; r++)
        for (long c = 0; c < w->cols; c++)
            out[r * w->cols + c] = filter_at(ctx, rp->gain, in + r * a[0].cols + c, a[0].cols);
    return 0;
}

static win_params window_of(const image *im, long k)
{
    win_params w = {k / im->tiles_x * TILE, k % im->tiles_x * TILE, 0, 0};
    w.rows = H - w.row0 < TILE ? H - w.row0 : TILE;
    w.cols = W - w.col0 < TILE ? W - w.col0 : TILE;
    return w;
}

static long clamp(long v, long n)
{
    return v < 0 ? 0 : v >= n ? n - 1 : v;
}

/* Parent: copy the window and its halo (edge pixels repeated) into the slot. */
static int prepare(void *user, long k, gridr_array *a, int n, void *winp)
{
    const image *im = user;
    win_params w = window_of(im, k);
    (void)n;
    memcpy(winp, &w, sizeof w);
    a[0] = gridr_array_make(a[0].data, GRIDR_DT_F32, 1, w.rows + 2, w.cols + 2);
    a[1] = gridr_array_make(a[1].data, GRIDR_DT_F32, 1, w.rows, w.cols);
    float *in = a[0].data;
    for (long r = 0; r < w.rows + 2; r++)
        for (long c = 0; c < w.cols + 2; c++)
            in[r * (w.cols + 2) + c] =
                im->src[clamp(w.row0 + r - 1, H) * W + clamp(w.col0 + c - 1, W)];
    return 0;
}

/* Parent: write the output window into the result image. */
static int finish(void *user, long k, gridr_array *a, int n)
{
    image *im = user;
    win_params w = window_of(im, k);
    (void)n;
    for (long r = 0; r < w.rows; r++)
        memcpy(im->dst + (w.row0 + r) * W + w.col0, (float *)a[1].data + r * w.cols,
               (size_t)w.cols * sizeof(float));
    return 0;
}

static void describe(void *user, long k, char *buf, size_t len)
{
    win_params w = window_of(user, k);
    snprintf(buf, len, "rows %ld..%ld, cols %ld..%ld", w.row0, w.row0 + w.rows - 1, w.col0,
             w.col0 + w.cols - 1);
}

/* The same filter in this process, for comparison. */
static double max_difference(const image *im, float gain)
{
    float in[9];
    double worst = 0;
    for (long r = 0; r < H; r++)
        for (long c = 0; c < W; c++) {
            for (int i = 0; i < 9; i++)
                in[i] = im->src[clamp(r + i / 3 - 1, H) * W + clamp(c + i % 3 - 1, W)];
            double d = fabs(filter_at(box3x3, gain, in, 3) - im->dst[r * W + c]);
            worst = d > worst ? d : worst;
        }
    return worst;
}

int main(void)
{
    /* 1. The scheduler comes first: it forks before we allocate, open files or start threads. */
    gridr_sched_opts o;
    gridr_sched *s;
    gridr_sched_opts_init(&o);
    o.workers = 2;
    o.work = filter_window;
    o.ctx = (void *)box3x3;
    if (gridr_sched_new(&o, &s) != 0) {
        fprintf(stderr, "embed: %s\n", gridr_last_error());
        return 1;
    }
    /* 2. Then the program's own work: an image, parameters, one run. */
    image im = {malloc(sizeof(float) * W * H), calloc((size_t)W * H, sizeof(float)),
                (W + TILE - 1) / TILE, (H + TILE - 1) / TILE};
    for (long i = 0; im.src && i < (long)W * H; i++)
        im.src[i] = (float)((i * 7919) % 1000);
    run_params rp = {.gain = 0.5f};
    gridr_sched_run_desc d;
    gridr_sched_run_desc_init(&d);
    d.windows = im.tiles_x * im.tiles_y;
    d.narrays = 2;
    d.arrays[0] = (gridr_sched_array_desc){GRIDR_DT_F32, 1, TILE + 2, TILE + 2};
    d.arrays[1] = (gridr_sched_array_desc){GRIDR_DT_F32, 1, TILE, TILE};
    d.run_params = &rp;
    d.run_params_size = sizeof rp;
    d.prepare = prepare;
    d.finish = finish;
    d.describe = describe;
    d.user = &im;
    int rc = im.src && im.dst ? gridr_sched_run(s, &d) : GRIDR_ENOMEM;
    int sig = gridr_sched_signal(s);
    printf("embed: run %s, %ld windows on %d workers: %s\n", gridr_sched_run_id(s), d.windows,
           gridr_sched_workers(s), rc ? gridr_last_error() : "done");
    if (!rc)
        printf("embed: largest difference from a single-process filter: %g\n",
               max_difference(&im, rp.gain));
    gridr_sched_free(s);
    free(im.src);
    free(im.dst);
    return sig ? 128 + sig : rc ? 1 : 0; /* 130 after SIGINT, 143 after SIGTERM */
}

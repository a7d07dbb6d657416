/* gridr-run: resample rasters through grids or zooms on a pool of forked workers. */
#include "config.h"
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
    "Usage:\n"
    "  gridr-run [OPTIONS] JOB.json [JOB.json ...]       run job files (one job or a list each)\n"
    "  gridr-run zoom [OPTIONS] (--factor F[,FY] | --size COLSxROWS) SRC DST\n"
    "  gridr-run grid [OPTIONS] --grid GRID [--grid-col GRID2] [--grid-res RR[,RC]] SRC DST\n"
    "  gridr-run warp [OPTIONS] [-t_srs SRS] [-tr XRES YRES] [-te XMIN YMIN XMAX YMAX] SRC DST\n"
    "  gridr-run cleanup [--dry-run] [--all]            remove what killed runs left behind\n"
    "                                                   (--all: also partial outputs kept for\n"
    "                                                   --resume)\n"
    "\n"
    "Zoom jobs:\n"
    "  --factor F[,FY]      scale factor (columns, rows): 2 doubles the size, 0.5 halves it\n"
    "  --size COLSxROWS     output size instead of a factor\n"
    "Grid jobs:\n"
    "  --grid FILE          localisation grid: band 1 source row, band 2 source column\n"
    "  --grid-col FILE      the source columns in a second file (then --grid holds the rows)\n"
    "  --grid-res RR[,RC]   grid oversampling (default: the grid's GRIDR_RES_* metadata, else 1)\n"
    "  --dst-geotransform X0,DX,RX,Y0,RY,DY, --dst-srs SRS  the output's georeferencing\n"
    "                       (default: the grid's GRIDR_DST_GEOTRANSFORM, GRIDR_DST_SRS metadata)\n"
    "Warp jobs (gdalwarp's options and meanings; output grid as gdalwarp's):\n"
    "  -t_srs SRS           output CRS (default: the source's);  -s_srs SRS  source CRS\n"
    "  -tr XRES YRES        output resolution;  -tap  align the extent on it\n"
    "  -te XMIN YMIN XMAX YMAX  output extent (in -te_srs SRS, default the output CRS)\n"
    "  -ts W H              output size (one may be 0)\n"
    "  -et ERROR            largest position error of the generated grid, source pixels\n"
    "                       (default 0.01; measured at every grid cell's midpoints)\n"
    "  -to KEY=VALUE        GDAL transformer option (repeatable); -rpc_dem FILE,\n"
    "                       -rpc_height H (RPC sources), -order 1..3, -tps (GCP sources)\n"
    "  --keep-grid FILE     also write the generated grid (GridR's format, for `grid` jobs)\n"
    "\n"
    "Options (options on the command line override the same keys in job files):\n"
    "  --src FILE, --dst FILE  source and output of a job file holding one job\n"
    "  -r, --resampling K   nearest, linear, cubic, bspline3, bspline5, bspline7, bspline9,\n"
    "                       bspline11, lanczos, average, mode (default linear)\n"
    "  --antialias, --no-antialias  stretch linear/cubic/lanczos by the reduction, as GDAL\n"
    "                       (default on for zoom and warp jobs, off for grid jobs)\n"
    "  -j, --workers N      worker processes, 1..512 (default: usable cores, at most 512;\n"
    "                       the parent keeps one socket per worker: 512 is half the usual\n"
    "                       limit of 1024 open files, the rest is for GDAL's files)\n"
    "  -t, --threads N      OpenMP threads per worker (default 1)\n"
    "  -b, --band B         source band, 1-based (repeatable; default all)\n"
    "  --nodata V|none      output nodata (default: the source's; else none on a zoom, 0 on\n"
    "                       a grid job); none: the output declares no nodata\n"
    "  --src-nodata V|none  source samples equal to V are invalid (default: the source's;\n"
    "                       none: ignore the source's nodata)\n"
    "  --nodata-policy P    exact (GridR: a pixel is nodata if any tap is invalid) or\n"
    "                       renormalize (GDAL: invalid taps dropped, weights renormalised);\n"
    "                       default renormalize on a zoom, exact on a grid job\n"
    "  --mask-bands BOOL    the source's GDAL mask bands (internal, .msk, alpha) mark\n"
    "                       invalid samples (default true)\n"
    "  -dstalpha, --dst-alpha  add an alpha band: 255 valid, 0 nodata\n"
    "  -ot DTYPE            output type: u8 u16 i16 u32 i32 f32 f64 (default: the source's)\n"
    "  -of FORMAT           GDAL driver (default GTiff, tiled 256, BIGTIFF=IF_SAFER)\n"
    "  -co KEY=VALUE        creation option (repeatable)\n"
    "  --overwrite          replace DST when it exists (default: refused)\n"
    "  --tile COLSxROWS     window size (default: from --mem)\n"
    "  --mem MiB            memory budget for the windows in flight (default 1024)\n"
    "  --retries N          retries of a window whose worker died (default 1)\n"
    "  --keep-going         finish the other windows when one fails for good\n"
    "  --timeout SECONDS    kill a worker still on a window after SECONDS and retry the\n"
    "                       window (or fail it) as if the worker had died (default 0: none)\n"
    "  --dry-run            print the plan; write nothing\n"
    "  --resume             continue the interrupted run that wrote DST (only its missing\n"
    "                       windows are computed; the same bytes as an uninterrupted run), and\n"
    "                       make this run resumable (its windows are synced to disk in groups)\n"
    "  --report FILE.json   write timings, windows, bytes and workers\n"
    "  -q, --quiet          no progress bar\n"
    "  --grid-mask FILE, --grid-mask-valid V, --grid-nodata V, --grid-shift ROW,COL,\n"
    "  --src-mask FILE, --boundary none|constant|edge|reflect|symmetric|wrap,\n"
    "  --boundary-value V, --trust-padding, --bspline-eps E, --mask-influence S\n"
    "  -h, --help           this help;  -V, --version  the version\n"
    "\n"
    "Exit status: 0 success, 1 a job failed, 2 usage error, 129/130/143 interrupted by\n"
    "SIGHUP/SIGINT/SIGTERM before the output was renamed: not written (a signal after the\n"
    "rename is too late: 0; a signal ignored at start, e.g. under nohup, stays ignored).\n"
    "Many machines: started by mpirun or srun (a build with Open MPI: see --version), the ranks\n"
    "share each job; rank 0 writes the output (docs/cluster.md).\n"
    "See gridr-run(1) and docs/jobs.md.\n";

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A resumable partial output the sweep keeps (without --all), with its progress. */
static void print_partial(const char *name)
{
    gridr_pipeline_partial pi;
    if (gridr_pipeline_partial_info(name, &pi) == 0)
        printf("kept for --resume: %s: %ld of %ld windows, %.1f GB (partial output %s)\n", pi.dst,
               pi.done, pi.windows, (double)pi.bytes / 1e9, name);
    else
        printf("kept for --resume: partial output %s\n", name);
}

typedef struct sweep_view {
    int dry, all;
} sweep_view;

static void print_swept(void *user, const char *run_id, const char *what, const char *name)
{
    const sweep_view *v = user;
    if (strcmp(what, "unreadable") == 0) /* reported, never removed */
        printf("kept unreadable journal %s (run %s)\n", name, run_id);
    else if (strcmp(what, "partial") == 0)
        print_partial(name);
    else
        printf("%s %s %s (run %s)\n", v->dry ? "would remove" : "removed", what, name, run_id);
}

static int cmd_cleanup(const cli_args *a)
{
    size_t n = 0;
    int dry = a->dry_run;
    sweep_view v = {dry, a->all};
    for (int i = 0; i < a->nsettings; i++)
        if (strcmp(a->settings[i][0], "dry-run") != 0 && strcmp(a->settings[i][0], "quiet") != 0)
            return fprintf(stderr, "gridr-run cleanup: only --dry-run and --all are accepted\n"),
                   GRIDR_CLI_USAGE;
    if (a->npos > 1)
        return fprintf(stderr, "gridr-run cleanup: takes no arguments\n"), GRIDR_CLI_USAGE;
    int rc =
        gridr_registry_sweep(NULL, (dry ? GRIDR_SWEEP_DRY_RUN : 0) | (a->all ? GRIDR_SWEEP_ALL : 0),
                             print_swept, &v, &n);
    if (rc) {
        fprintf(stderr, "gridr-run cleanup: %s\n", gridr_last_error());
        return GRIDR_CLI_FAILED;
    }
    if (!a->quiet)
        printf("%zu object%s %s\n", n, n == 1 ? "" : "s", dry ? "to remove" : "removed");
    return GRIDR_CLI_OK;
}

/* The first of --src/--dst given, or NULL. */
static const char *path_option(const cli_args *a)
{
    for (int i = 0; i < a->nsettings; i++)
        if (strcmp(a->settings[i][0], "src") == 0 || strcmp(a->settings[i][0], "dst") == 0)
            return a->settings[i][0];
    return NULL;
}

/* Build the job of a `zoom`, `grid` or `warp` subcommand. */
static int jobs_from_command(const cli_args *a, gridr_job **jobs, size_t *n)
{
    const char *kind = a->pos[0];
    if (path_option(a))
        return fprintf(stderr, "gridr-run %s: give SRC and DST as arguments, not --%s\n", kind,
                       path_option(a)),
               GRIDR_CLI_USAGE;
    if (a->npos != 3)
        return fprintf(stderr, "gridr-run %s: expected SRC and DST, got %d argument%s\n", kind,
                       a->npos - 1, a->npos == 2 ? "" : "s"),
               GRIDR_CLI_USAGE;
    gridr_job *j = calloc(1, sizeof *j);
    if (!j)
        return fprintf(stderr, "gridr-run: out of memory\n"), GRIDR_CLI_FAILED;
    gridr_job_init(j);
    int rc = gridr_job_set(j, "kind", kind);
    if (rc == 0)
        rc = gridr_job_set(j, "src", a->pos[1]);
    if (rc == 0)
        rc = gridr_job_set(j, "dst", a->pos[2]);
    if (rc) {
        fprintf(stderr, "gridr-run: %s\n", gridr_last_error());
        gridr_job_free_list(j, 1);
        return rc == GRIDR_ENOMEM ? GRIDR_CLI_FAILED : GRIDR_CLI_USAGE; /* not the user's */
    }
    *jobs = j;
    *n = 1;
    return cli_apply(a, j);
}

/* Load every job file, in order, into one list. */
static int jobs_from_files(const cli_args *a, gridr_job **jobs, size_t *n)
{
    *jobs = NULL;
    *n = 0;
    for (int f = 0; f < a->npos; f++) {
        gridr_job *part = NULL;
        size_t k = 0;
        int rc = gridr_job_load(a->pos[f], &part, &k);
        if (rc) {
            fprintf(stderr, "gridr-run: %s\n", gridr_last_error());
            return rc == GRIDR_ENOMEM ? GRIDR_CLI_FAILED : GRIDR_CLI_USAGE; /* not the user's */
        }
        gridr_job *all = realloc(*jobs, (*n + k) * sizeof *all);
        if (!all) {
            gridr_job_free_list(part, k);
            fprintf(stderr, "gridr-run: out of memory loading %s (%zu jobs)\n", a->pos[f], *n + k);
            return GRIDR_CLI_FAILED;
        }
        memcpy(all + *n, part, k * sizeof *part);
        free(part); /* the jobs' contents moved into `all` */
        *jobs = all;
        *n += k;
    }
    /* --src/--dst retarget a single job (e.g. data/sample_job.json to a writable place);
     * applied to a list they would make every job write the same file. */
    if (path_option(a) && *n != 1)
        return fprintf(stderr, "gridr-run: --%s applies to a single job; the job files hold %zu\n",
                       path_option(a), *n),
               GRIDR_CLI_USAGE;
    for (size_t i = 0; i < *n; i++)
        if (cli_apply(a, &(*jobs)[i]))
            return GRIDR_CLI_USAGE;
    return 0;
}

static const char *job_label(const gridr_job *j)
{
    return j->origin ? j->origin : j->dst;
}

/* Two jobs of a batch writing one file: the second would replace the first's output. */
static int same_dst(const gridr_job *jobs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = i + 1; k < n; k++)
            if (gridr_pipeline_same_file(jobs[i].dst, jobs[k].dst))
                return fprintf(stderr, "gridr-run: %s and %s both write '%s'\n",
                               job_label(&jobs[i]), job_label(&jobs[k]), jobs[k].dst),
                       GRIDR_CLI_USAGE;
    return 0;
}

/* Validation says GRIDR_EINVAL for what the user wrote (a missing or conflicting key, an unknown
 * format, dst equal to an input): a usage error, exit 2 like a bad value. Other codes are the
 * state of the files (missing input, unwritable directory): the job fails, exit 1. */
/* Jobs of a batch refused at validation but left out rather than stopping the batch: a job with
 * keep-going whose files are not there (a missing or unreadable input). Its message, or NULL. */
static char **skipped;
static int *skipped_rc;

static int skip_job(size_t i, size_t n, int rc)
{
    if (!skipped && (skipped = calloc(n, sizeof *skipped)) == NULL)
        return -1;
    if (!skipped_rc && (skipped_rc = calloc(n, sizeof *skipped_rc)) == NULL)
        return -1;
    skipped_rc[i] = rc;
    return (skipped[i] = strdup(gridr_last_error())) ? 0 : -1;
}

static void free_skipped(size_t n)
{
    for (size_t i = 0; skipped && i < n; i++)
        free(skipped[i]);
    free(skipped);
    free(skipped_rc);
}

static int validate_all(gridr_job *jobs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rc = gridr_job_validate(&jobs[i]);
        if (rc == 0)
            continue;
        fprintf(stderr, "gridr-run: %s\n", gridr_last_error());
        if (rc == GRIDR_EINVAL || !jobs[i].keep_going || n == 1 || skip_job(i, n, rc))
            return rc == GRIDR_EINVAL ? GRIDR_CLI_USAGE : GRIDR_CLI_FAILED;
        fprintf(stderr, "gridr-run: %s: left out (--keep-going); the other jobs run\n",
                job_label(&jobs[i]));
    }
    return same_dst(jobs, n);
}

/* Checks that open the inputs (after the workers are forked, before the first job): no job's
 * dst and no report is a file some job reads, hidden behind a VRT or not. A batch is refused
 * whole, before any of it runs. */
static int check_outputs(const gridr_job *jobs, size_t n, const char *report)
{
    for (size_t i = 0; i < n; i++) {
        if (skipped && skipped[i])
            continue;
        int rc = gridr_pipeline_check_dst(&jobs[i]);
        if (rc == 0 && report)
            rc = gridr_pipeline_check_output(&jobs[i], report, "report");
        if (rc == 0 && jobs[i].keep_grid) /* a warp's grid file: never one of its inputs */
            rc = gridr_pipeline_check_output(&jobs[i], jobs[i].keep_grid, "keep-grid");
        if (rc) {
            fprintf(stderr, "gridr-run: %s\n", gridr_last_error());
            return rc == GRIDR_EINVAL ? GRIDR_CLI_USAGE : GRIDR_CLI_FAILED;
        }
    }
    return 0;
}

/* ---- report ------------------------------------------------------------------------------- */

static json_t *report_job_common(const gridr_job *j, const gridr_pipeline_report *r, int rc,
                                 const char *msg)
{
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:i, s:I, s:I, s:I, s:i, s:I, s:I, "
        "s:I, s:I, s:f, s:f, s:f, s:f, s:s}",
        "src", j->src, "dst", j->dst, "resampling", gridr_interp_name(j->interp), "status",
        rc ? gridr_status_name(rc) : "ok", "message", rc ? msg : "", "out_rows",
        (json_int_t)r->out_rows, "out_cols", (json_int_t)r->out_cols, "bands", r->bands, "windows",
        (json_int_t)r->windows, "empty_windows", (json_int_t)r->empty_windows, "failed_windows",
        (json_int_t)r->failed_windows, "retried_windows", (json_int_t)r->retried, "workers",
        r->workers, "bytes_read", (json_int_t)r->bytes_read, "bytes_written",
        (json_int_t)r->bytes_written, "shm_peak_bytes", (json_int_t)r->shm_peak, "seconds_setup",
        r->seconds_setup, "seconds_run", r->seconds_run, "seconds_commit", r->seconds_commit,
        "seconds_total", r->seconds_total, "warning", r->warning);
    if (o && (json_object_set_new(o, "windows_resumed", json_integer(r->windows_resumed)) != 0 ||
              json_object_set_new(o, "already_complete", json_boolean(r->already_done)) != 0)) {
        json_decref(o);
        o = NULL;
    }
    return o;
}

/* A warp job's generated grids: the largest error measured (source pixels, at the midpoints of
 * the grid cells), the nodes used, the cells generated, the points transformed, the margin. */
static json_t *report_warp(const gridr_pipeline_report *r)
{
    return json_pack("{s:f, s:I, s:I, s:I, s:f}", "max_error", r->warp_max_error, "nodes",
                     (json_int_t)r->warp_nodes, "cells", (json_int_t)r->warp_cells,
                     "points_transformed", (json_int_t)r->warp_points, "plan_margin",
                     r->warp_margin);
}

static json_t *report_job(const gridr_job *j, const gridr_pipeline_report *r, int rc,
                          const char *msg)
{
    json_t *o = report_job_common(j, r, rc, msg);
    if (o && j->kind == GRIDR_JOB_WARP)
        json_object_set_new(o, "warp", report_warp(r));
    return o;
}

/* The file a report path names: a symbolic link's target (as for outputs), else the path. */
static char *report_target(const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
        return realpath(path, NULL);
    return strdup(path);
}

/* Dump `root` into `tmp` (created, never opened if it exists) and sync it. */
static int dump_new(json_t *root, const char *tmp)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    int bad = json_dumpf(root, f, JSON_INDENT(2)) != 0 || fputc('\n', f) == EOF || fflush(f) != 0 ||
              fsync(fd) != 0;
    return fclose(f) != 0 || bad ? -1 : 0;
}

/* Write the report through `<path>.tmp.<run id>` renamed over the path: a reader never sees half
 * a report, a failure leaves the old one, and the temporary name is in the run's journal while
 * it exists (`gridr-run cleanup` removes it after a kill). */
static int write_report_file(json_t *root, const char *path, gridr_registry *reg)
{
    char tmp[PATH_MAX];
    char *target = report_target(path);
    int err = 0, rc = target ? 0 : -1;
    if (rc == 0 && snprintf(tmp, sizeof tmp, "%s.tmp.%s", target,
                            reg ? gridr_registry_run_id(reg) : "0") >= (int)sizeof tmp)
        rc = -1, errno = ENAMETOOLONG;
    if (rc == 0 && reg && gridr_registry_add_file(reg, tmp) != 0)
        rc = -1;
    if (rc == 0 && (rc = dump_new(root, tmp)) == 0 &&
        gridr_raster_check_replaceable(target, "report") != 0)
        rc = -1, errno = EEXIST; /* something else took the path during the run */
    if (rc == 0)
        rc = rename(tmp, target);
    err = errno;
    if (rc && target)
        unlink(tmp);
    if (reg && target)
        gridr_registry_forget_file(reg, tmp);
    free(target);
    errno = err;
    return rc;
}

/* run_id: the run's registry (its journal, segment and temporary file names), or null when the
 * run never started. Returns 0, or 1 when the report could not be written (said on stderr). */
static int write_report(const char *path, gridr_registry *reg, json_t *list)
{
    json_t *root = json_pack("{s:s, s:s?, s:O}", "gridr_version", GRIDR_VERSION_STRING, "run_id",
                             reg ? gridr_registry_run_id(reg) : NULL, "jobs", list);
    int rc = root ? write_report_file(root, path, reg) : -1;
    if (rc)
        fprintf(stderr, "gridr-run: cannot write the report %s: %s\n", path,
                root ? strerror(errno) : "out of memory");
    json_decref(root);
    return rc ? 1 : 0;
}

/* ---- running ------------------------------------------------------------------------------ */

typedef struct run_state {
    gridr_registry *reg;
    gridr_sched *sched;
    json_t *report;
    int failed, signal;
    void *dist; /* the MPI job's communicator (gridr_dist), or NULL: a run of its own */
} run_state;

static const char *sig_name(int sig)
{
    return sigabbrev_np(sig) ? sigabbrev_np(sig) : "?";
}

static int start_pool(run_state *st, const gridr_job *jobs, size_t n)
{
    gridr_sched_opts o;
    gridr_sched_opts_init(&o);
    for (size_t i = 0; i < n; i++) {
        o.workers = CLI_MAX(o.workers, jobs[i].workers);
        o.threads = CLI_MAX(o.threads, jobs[i].threads);
    }
    o.work = gridr_pipeline_work;
    int rc = gridr_registry_open(NULL, &st->reg);
    if (rc == 0) {
        cli_set_registry(st->reg); /* from now on a forced end removes the journal */
        o.registry = st->reg;
        rc = gridr_sched_new(&o, &st->sched);
    }
    if (rc)
        fprintf(stderr, "gridr-run: cannot start the workers: %s\n", gridr_last_error());
    else /* test hook: hold the run here, the workers started (GRIDR_FAULT hang:phase=start) */
        gridr_config_fault_phase("start", cli_show_progress, NULL);
    return rc;
}

/* A signal stopped job j (or came before it started): its output is not written. */
static void interrupted(run_state *st, const gridr_job *j, int sig)
{
    st->signal = sig;
    const char *kept = strstr(gridr_last_error(), "windows are kept");
    if (kept && j->resume) /* a resumable run keeps what it wrote */
        fprintf(stderr, "gridr-run: %s: interrupted by SIG%s; output not written yet (%s)\n",
                job_label(j), sig_name(sig), strrchr(gridr_last_error(), ';') + 2);
    else
        fprintf(stderr, "gridr-run: %s: interrupted by SIG%s; output not written\n", job_label(j),
                sig_name(sig));
    cli_reported();
}

/* What a job that ended with rc means for the run: a signal before its output was renamed means
 * nothing written (the run stops); a signal after it is too late to stop this job (the run stops
 * after it). */
static void job_outcome(run_state *st, const gridr_job *j, const gridr_pipeline_report *rep, int rc,
                        const char *msg)
{
    int sig = rep->signal ? rep->signal : cli_pending_signal();
    if (rc == GRIDR_ECANCELED && sig) {
        interrupted(st, j, sig);
        return;
    }
    if (rc) {
        st->failed++;
        fprintf(stderr, "gridr-run: %s\n", msg); /* names the job */
        return;
    }
    if (rep->warning[0])
        fprintf(stderr, "gridr-run: warning: %s: %s\n", job_label(j), rep->warning);
    if (!j->quiet && rep->already_done) {
        printf("%s: already complete (--resume: the record says this job wrote it) -> %s\n", j->src,
               j->dst);
        fflush(stdout);
    } else if (!j->quiet && rep->windows_resumed) {
        printf("%s: %ldx%ld, %d band%s, %ld window%s (%ld from the interrupted run), %.2f s -> "
               "%s\n",
               j->src, rep->out_cols, rep->out_rows, rep->bands, rep->bands == 1 ? "" : "s",
               rep->windows, rep->windows == 1 ? "" : "s", rep->windows_resumed, rep->seconds_total,
               j->dst);
        fflush(stdout);
    } else if (!j->quiet) {
        printf("%s: %ldx%ld, %d band%s, %ld window%s, %.2f s -> %s\n", j->src, rep->out_cols,
               rep->out_rows, rep->bands, rep->bands == 1 ? "" : "s", rep->windows,
               rep->windows == 1 ? "" : "s", rep->seconds_total, j->dst);
        fflush(stdout);
    }
    if (sig)
        fprintf(stderr, "gridr-run: %s: SIG%s came after %s was written; the job is complete\n",
                job_label(j), sig_name(sig), j->dst);
}

/* Run job i of n (`spread`: rank 0's own job of a step whose jobs are spread whole over the
 * ranks); its entry of the report, or NULL without a report. */
static json_t *run_one(run_state *st, const gridr_job *j, size_t i, size_t n, int spread)
{
    cli_progress prog = {!j->quiet && isatty(STDERR_FILENO), -1, cli_now(), ""};
    gridr_pipeline_report rep;
    memset(&rep, 0, sizeof rep); /* also when set_retries fails */
    snprintf(prog.label, sizeof prog.label, "%zu/%zu", i + 1, n);
    cli_job_start();
    int rc = cli_job_settings(st->sched, j);
    if (rc == 0 && st->dist)
        rc = cli_dist_run(st->dist, st->sched, st->reg, j, (long)i, spread, &prog, &rep);
    else if (rc == 0)
        rc = gridr_pipeline_run(st->sched, st->reg, j, cli_show_progress, &prog, &rep);
    if (prog.enabled && rc)
        fputc('\n', stderr);
    job_outcome(st, j, &rep, rc, gridr_last_error());
    json_t *o = st->report ? report_job(j, &rep, rc, gridr_last_error()) : NULL;
    if (o && st->dist)
        cli_dist_report(st->dist, o, st->reg, &rep, spread);
    return o;
}

/* The jobs other ranks finished in a spread step: said, and kept for the report (out[k - first]).
 */
static void spread_results(run_state *st, const gridr_job *jobs, size_t first, json_t **out)
{
    cli_dist_job r;
    while (cli_dist_spread_result(st->dist, &r)) {
        const gridr_job *j = &jobs[r.index];
        job_outcome(st, j, &r.rep, r.rc, r.msg);
        json_t *o = st->report ? report_job(j, &r.rep, r.rc, r.msg) : NULL;
        if (o)
            json_object_set_new(o, "ranks", r.ranks);
        else
            json_decref(r.ranks);
        out[r.index - (long)first] = o;
    }
}

/* Jobs [first, end) run whole, each by one rank (rank 0 too), handed out as ranks ask; the
 * report keeps the jobs' order. */
static void run_spread(run_state *st, const gridr_job *jobs, size_t first, size_t end, size_t n)
{
    json_t **out = calloc(end - first, sizeof *out);
    if (!out) {
        fprintf(stderr, "gridr-run: out of memory for the report of jobs %zu to %zu\n", first + 1,
                end);
        st->failed++;
        return;
    }
    cli_dist_spread_begin(st->dist, first, end);
    for (long k; !st->signal && (k = cli_dist_spread_take(st->dist)) >= 0;) {
        out[k - (long)first] = run_one(st, &jobs[k], (size_t)k, n, 1);
        spread_results(st, jobs, first, out);
    }
    for (int over = 0; !over && !st->signal;) {
        over = cli_dist_spread_wait(st->dist);
        spread_results(st, jobs, first, out);
        if (!over && cli_pending_signal())
            st->signal = cli_pending_signal();
    }
    for (size_t k = 0; st->report && k < end - first; k++)
        if (out[k])
            json_array_append_new(st->report, out[k]);
    free(out);
}

/* Run the jobs in order until a signal: the job it stops (or the next one, when it came between
 * jobs) is not written, and neither are the later ones. */
static void run_all(run_state *st, const gridr_job *jobs, size_t n)
{
    size_t i = 0;
    size_t *steps = st->dist ? cli_dist_steps(st->dist, jobs, n, skipped) : NULL;
    for (; i < n && !st->signal; i++) {
        if (cli_pending_signal()) {
            interrupted(st, &jobs[i++], cli_pending_signal());
            break;
        }
        if (steps && steps[i] > i + 1) { /* many jobs: each rank runs whole ones */
            run_spread(st, jobs, i, steps[i], n);
            i = steps[i] - 1;
            continue;
        }
        if (skipped && skipped[i]) { /* refused at validation, left out (--keep-going) */
            gridr_pipeline_report rep;
            memset(&rep, 0, sizeof rep);
            st->failed++;
            if (st->report)
                json_array_append_new(st->report,
                                      report_job(&jobs[i], &rep, skipped_rc[i], skipped[i]));
            continue;
        }
        json_t *o = run_one(st, &jobs[i], i, n, 0);
        if (o)
            json_array_append_new(st->report, o);
    }
    free(steps);
    if (st->signal && i < n)
        fprintf(stderr, "gridr-run: %zu later job%s not run\n", n - i, n - i == 1 ? "" : "s");
}

static int run_jobs(gridr_job *jobs, size_t n, const char *report)
{
    run_state st = {NULL, NULL, report ? json_array() : NULL, 0, 0, NULL};
    /* Fork the workers first: nothing has opened a raster or started OpenMP (or MPI) yet. A
     * signal that came while the jobs were read and checked stops the run before any of that. */
    int refused = 0, member = 0;
    if (cli_pending_signal() || start_pool(&st, jobs, n) == 0) {
        if (!cli_pending_signal() && cli_dist_start(&st.dist) != 0)
            st.failed = 1;
        member = st.dist && cli_dist_member(st.dist);
        if (member) /* another rank of an MPI job: rank 0 leads, this one takes part */
            st.failed = cli_dist_members(st.dist, st.sched, st.reg, jobs, n, &st.signal);
        else if (!st.failed && !cli_pending_signal()) /* inputs open only after the fork */
            refused = check_outputs(jobs, n, report);
        if (!member && !st.failed && !refused)
            run_all(&st, jobs, n);
    } else {
        st.failed = 1;
    }
    gridr_sched_free(st.sched);
    if (!member && !refused && report && write_report(report, st.reg, st.report) && !st.failed)
        st.failed = 1;
    cli_set_registry(NULL);
    gridr_registry_close(st.reg);
    json_decref(st.report);
    int code = refused     ? refused
               : st.signal ? 128 + st.signal
               : st.failed ? GRIDR_CLI_FAILED
                           : GRIDR_CLI_OK;
    cli_dist_finish(st.dist, member, code, st.signal); /* a signal ends every rank */
    return code;
}

static int dry_run_jobs(const gridr_job *jobs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (skipped && skipped[i])
            continue;
        if (gridr_pipeline_dry_run(&jobs[i], jobs[i].workers, stdout)) {
            fprintf(stderr, "gridr-run: %s\n", gridr_last_error()); /* names the job */
            return GRIDR_CLI_FAILED;
        }
    }
    return GRIDR_CLI_OK;
}

/* A first argument that looks like a word (no '/', no '.') and is no file is a mistyped
 * subcommand, not a job file: say so rather than "cannot read job file". */
static int unknown_command(const char *arg)
{
    struct stat st;
    if (strpbrk(arg, "/.") || stat(arg, &st) == 0 || errno != ENOENT)
        return 0;
    fprintf(stderr,
            "gridr-run: '%s' is not a command (zoom, grid, warp, cleanup) nor a job file\n"
            "Try 'gridr-run --help'.\n",
            arg);
    return 1;
}

static int run_command(const cli_args *a)
{
    gridr_job *jobs = NULL;
    size_t n = 0;
    int is_cmd = strcmp(a->pos[0], "zoom") == 0 || strcmp(a->pos[0], "grid") == 0 ||
                 strcmp(a->pos[0], "warp") == 0;
    if (!is_cmd && unknown_command(a->pos[0]))
        return GRIDR_CLI_USAGE;
    int rc = is_cmd ? jobs_from_command(a, &jobs, &n) : jobs_from_files(a, &jobs, &n);
    if (rc == 0 && n == 0) {
        fprintf(stderr, "gridr-run: the job files hold no job\n");
        rc = GRIDR_CLI_USAGE;
    }
    if (rc == 0)
        rc = validate_all(jobs, n);
    if (rc == 0)
        rc = a->dry_run ? dry_run_jobs(jobs, n) : run_jobs(jobs, n, jobs[0].report);
    free_skipped(n);
    gridr_job_free_list(jobs, n);
    return rc;
}

int main(int argc, char **argv)
{
    cli_args a;
    cli_catch_signals(); /* first: a signal in any phase stops the run at its next step */
    int rc = cli_parse(argc, argv, &a);
    if (rc)
        return rc;
    if (a.help) {
        fputs(usage_text, stdout);
        return GRIDR_CLI_OK;
    }
    if (a.version) {
        printf("gridr-run %s\n%s\n", GRIDR_VERSION_STRING, cli_dist_built());
        return GRIDR_CLI_OK;
    }
    if (a.npos == 0) {
        fputs(usage_text, stderr);
        return GRIDR_CLI_USAGE;
    }
    if (strcmp(a.pos[0], "cleanup") == 0)
        return cmd_cleanup(&a);
    if (a.all)
        return fprintf(stderr, "gridr-run: --all is an option of 'gridr-run cleanup'\n"),
               GRIDR_CLI_USAGE;
    return run_command(&a);
}

/* gridr: resumable runs: the record of durably written windows beside the partial output
 * (`<tmp>.resume`), group commits, and taking an interrupted run's windows over. */
#include "base/internal.h"
#include "gridr/config.h"
#include "gridr/raster.h"
#include "gridr/registry.h"
#include "gridr/plan.h"
#include "gridr/job.h"
#include "gridr/pipeline.h"
#include "pipeline_internal.h"
#include "resume_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Seconds between group commits: each one syncs the output's data, then the record. */
#define GROUP_COMMIT_SECONDS 2.0
/* A record larger than this is not one of ours. */
#define RECORD_MAX ((size_t)1 << 28)

struct gridr__resume {
    char *tmp, *path; /* the partial output's temporary name and its record */
    int fd;           /* the record, locked (flock LOCK_EX) while this run owns it */
    char *ident;      /* the record's header: the run's identity */
    char *rec;        /* adopting: the interrupted run's record, until its windows are taken */
    char tag[32];     /* the run id in the partial's name */
    uint64_t base;
    long win_rows, win_cols, windows;
    int out_path;
    unsigned char *taken; /* a byte a window: taken over from the interrupted run */
    long ntaken, durable;
    char *pend; /* window lines not yet durable */
    size_t plen, pcap;
    long npend;
    double last; /* time of the last group commit */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void resume_free(gridr__resume *rs)
{
    if (!rs)
        return;
    if (rs->fd >= 0)
        close(rs->fd); /* releases the lock */
    free(rs->tmp);
    free(rs->path);
    free(rs->ident);
    free(rs->rec);
    free(rs->taken);
    free(rs->pend);
    free(rs);
}

static gridr__resume *resume_new(const char *tmp, char *ident)
{
    gridr__resume *rs = calloc(1, sizeof *rs);
    size_t n = strlen(tmp) + sizeof GRIDR__RESUME_SUFFIX;
    if (rs) {
        rs->fd = -1;
        rs->ident = ident;
        rs->tmp = strdup(tmp);
        rs->path = malloc(n);
    }
    if (!rs || !rs->tmp || !rs->path) {
        if (rs)
            resume_free(rs);
        else
            free(ident);
        return NULL;
    }
    snprintf(rs->path, n, "%s%s", tmp, GRIDR__RESUME_SUFFIX);
    rs->last = now_s();
    return rs;
}

/* ---- finding an interrupted run's record --------------------------------------------------- */

/* Directory and last component of the file dst names (a link's target: what gets replaced). */
static int dst_parts(const char *dst, char *dir, char *base)
{
    struct stat st;
    char *target = lstat(dst, &st) == 0 && S_ISLNK(st.st_mode) ? realpath(dst, NULL) : NULL;
    const char *p = target ? target : dst, *slash = strrchr(p, '/');
    int bad = snprintf(dir, PATH_MAX, "%.*s", slash ? (int)(slash - p) : 1,
                       slash ? (slash == p ? "/" : p) : ".") >= PATH_MAX ||
              snprintf(base, PATH_MAX, "%s", slash ? slash + 1 : p) >= PATH_MAX;
    free(target);
    return bad ? gridr__fail(GRIDR_EINVAL, "output path '%s' is too long", dst) : 0;
}

/* The run id of entry `name` if it is `<base>.tmp.<id>.resume`, into tag. */
static int record_name(const char *name, const char *base, char *tag, size_t n)
{
    size_t lb = strlen(base), ln = strlen(name), ls = strlen(GRIDR__RESUME_SUFFIX);
    if (ln <= lb + 5 + ls || strncmp(name, base, lb) != 0 || strncmp(name + lb, ".tmp.", 5) != 0 ||
        strcmp(name + ln - ls, GRIDR__RESUME_SUFFIX) != 0)
        return 0;
    size_t lt = ln - lb - 5 - ls;
    if (lt == 0 || lt >= n || memchr(name + lb + 5, '.', lt))
        return 0;
    memcpy(tag, name + lb + 5, lt);
    tag[lt] = 0;
    return 1;
}

/* The layout line of a record and where its window lines start. */
static const char *layout_of(const char *rec, const char **lines)
{
    const char *l = strstr(rec, "\nlayout ");
    const char *nl = l ? strchr(l + 1, '\n') : NULL;
    if (!nl)
        return NULL;
    *lines = nl + 1;
    return l + 1;
}

static int parse_layout(gridr__resume *rs, const char *l)
{
    unsigned long long base;
    if (sscanf(l, "layout path=%d base=%llu win=%ldx%ld windows=%ld", &rs->out_path, &base,
               &rs->win_cols, &rs->win_rows, &rs->windows) != 5 ||
        base == 0 || rs->win_rows < 1 || rs->win_cols < 1 || rs->windows < 1)
        return -1;
    rs->base = base;
    return 0;
}

/* Lock the record (an interrupted run's lock died with it; a live one holds it). */
static int lock_record(gridr__resume *rs, const char *dst)
{
    rs->fd = open(rs->path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (rs->fd < 0)
        return gridr__fail_errno(GRIDR_EIO, errno, "cannot open the record '%s' of '%s'", rs->path,
                                 dst);
    if (flock(rs->fd, LOCK_EX | LOCK_NB) != 0)
        return gridr__fail(GRIDR_EINVAL,
                           "cannot resume '%s': another gridr-run is writing it now (its partial "
                           "output '%s')",
                           dst, rs->tmp);
    return 0;
}

/* One candidate record: 0 adopted (*out), 1 not this job's (why in msg), < 0 error. */
static int try_record(const char *dir, const char *name, const char *tag, const char *ident,
                      const gridr_job *j, char *msg, size_t n, gridr__resume **out)
{
    char tmp[PATH_MAX];
    const char *lines = NULL, *layout = NULL;
    if (snprintf(tmp, sizeof tmp, "%s/%s", dir, name) >= (int)sizeof tmp)
        return 1;
    tmp[strlen(tmp) - strlen(GRIDR__RESUME_SUFFIX)] = 0;
    char *id = strdup(ident);
    gridr__resume *rs = id ? resume_new(tmp, id) : NULL;
    if (!rs)
        return gridr__fail(GRIDR_ENOMEM, "no memory to resume '%s'", j->dst);
    snprintf(rs->tag, sizeof rs->tag, "%s", tag);
    struct stat st;
    if (lstat(tmp, &st) != 0 && errno == ENOENT) { /* renamed into place: a stale record */
        unlink(rs->path);
        resume_free(rs);
        return 1;
    }
    int rc = lock_record(rs, j->dst);
    if (rc == 0 && ((rs->rec = gridr__resume_slurp(rs->path, RECORD_MAX)) == NULL ||
                    (layout = layout_of(rs->rec, &lines)) == NULL || parse_layout(rs, layout)))
        rc = 1; /* not a record (or one cut before its header was complete) */
    if (rc == 0 && ((size_t)(layout - rs->rec) != strlen(ident) ||
                    strncmp(rs->rec, ident, strlen(ident)) != 0)) {
        rs->rec[layout - rs->rec] = 0; /* the interrupted run's identity alone */
        rc = gridr__resume_compare(rs->rec, ident, msg, n) ? 1 : 0;
    }
    if (rc == 0 && strstr(lines, "w ") != lines) { /* no window durable: start afresh */
        gridr__temp_remove(rs->tmp);
        rc = 2;
    }
    if (rc == 0) {
        rs->durable = 1; /* windows to keep, whatever happens before they are counted */
        *out = rs;
    } else {
        resume_free(rs);
    }
    return rc == 2 ? 1 : rc;
}

int gridr__resume_find(gridr__pipeline_ctx *c, const gridr_job *j, gridr__resume **out)
{
    char dir[PATH_MAX], base[PATH_MAX], tag[32], msg[1024] = "", *ident = NULL;
    *out = NULL;
    int rc = dst_parts(j->dst, dir, base);
    if (rc == 0)
        rc = gridr__resume_identity(c, j, &ident);
    DIR *d = rc == 0 ? opendir(dir) : NULL;
    for (struct dirent *e; d && rc >= 0 && !*out && (e = readdir(d));)
        if (record_name(e->d_name, base, tag, sizeof tag))
            rc = try_record(dir, e->d_name, tag, ident, j, msg[0] ? NULL : msg,
                            msg[0] ? 0 : sizeof msg, out);
    if (d)
        closedir(d);
    free(ident);
    if (rc < 0)
        return rc;
    if (*out) {
        c->adopt_tag = (*out)->tag;
        c->adopt_base = (*out)->base;
        c->win_rows = (*out)->win_rows;
        c->win_cols = (*out)->win_cols;
        return 0;
    }
    if (msg[0])
        return gridr__fail(GRIDR_EINVAL,
                           "cannot resume '%s': %s; the partial output is kept (run without "
                           "--resume to start afresh; gridr-run cleanup --all removes it)",
                           j->dst, msg);
    return 0;
}

/* ---- taking the windows over, or starting a record ------------------------------------------ */

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Window line `l` ("w K ROW0 COL0 ROWS COLS NOTE"): taken over when it is window K of this plan
 * (and, for appended tiles, the next one). 0 taken, -1 not. */
static int take_line(gridr__resume *rs, gridr__pipeline_ctx *c, char *l)
{
    long k, r0, c0, rows, cols;
    int at = 0;
    if (sscanf(l, "w %ld %ld %ld %ld %ld %n", &k, &r0, &c0, &rows, &cols, &at) != 5 || at == 0 ||
        k < 0 || k >= rs->windows || rs->taken[k] ||
        (rs->out_path == GRIDR__OUT_ENCODED && k != rs->ntaken))
        return -1;
    const gridr_plan_window *w = gridr_plan_window_at(c->plan, k);
    if (w->out.row0 != r0 || w->out.col0 != c0 || w->out.rows != rows || w->out.cols != cols ||
        gridr_raster_tiles_restore(c->dst, w->out, l + at) != 0)
        return -1;
    rs->taken[k] = 1;
    rs->ntaken++;
    return 0;
}

/* Take the record's window lines over, up to the first that does not fit (a torn last line);
 * the record is cut there, the output's unnoted appended tiles too. */
static int take_over(gridr__resume *rs, gridr__pipeline_ctx *c)
{
    const char *lines = rs->rec + strlen(rs->rec);
    layout_of(rs->rec, &lines);
    char *p = (char *)lines;
    for (char *nl; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
        *nl = 0;
        if (take_line(rs, c, p) != 0)
            break;
    }
    rs->durable = rs->ntaken;
    int rc = gridr_raster_tiles_trim(c->dst);
    if (rc == 0 && (ftruncate(rs->fd, (off_t)(p - rs->rec)) != 0 ||
                    lseek(rs->fd, 0, SEEK_END) < 0 || fdatasync(rs->fd) != 0))
        rc = gridr__fail_errno(GRIDR_EIO, errno, "cannot write the record '%s'", rs->path);
    free(rs->rec);
    rs->rec = NULL;
    return rc;
}

static int sync_dir(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) + (slash == path) : 1,
             slash ? path : ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = fd >= 0 && fsync(fd) == 0 ? 0 : -1;
    if (fd >= 0)
        close(fd);
    return rc;
}

/* A new record: the identity and the layout, durable (with the directory entries of the record
 * and of the partial output) before any window is noted. */
static int new_record(gridr__resume *rs, const char *dst)
{
    char layout[160];
    snprintf(layout, sizeof layout, "layout path=%d base=%" PRIu64 " win=%ldx%ld windows=%ld\n",
             rs->out_path, rs->base, rs->win_cols, rs->win_rows, rs->windows);
    rs->fd = open(rs->path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (rs->fd < 0)
        return gridr__fail_errno(GRIDR_EIO, errno, "cannot create the record '%s' of '%s'",
                                 rs->path, dst);
    if (flock(rs->fd, LOCK_EX | LOCK_NB) != 0 ||
        write_all(rs->fd, rs->ident, strlen(rs->ident)) != 0 ||
        write_all(rs->fd, layout, strlen(layout)) != 0 || fdatasync(rs->fd) != 0 ||
        sync_dir(rs->path) != 0)
        return gridr__fail_errno(GRIDR_EIO, errno, "cannot write the record '%s' of '%s'", rs->path,
                                 dst);
    return 0;
}

/* The plan's figures the record keeps; an adopted record must have the same. */
static int plan_layout(gridr__resume *rs, const gridr__pipeline_ctx *c, const gridr_job *j)
{
    const gridr_plan_window *w0 = gridr_plan_window_at(c->plan, 0);
    long windows = gridr_plan_count(c->plan);
    uint64_t base = gridr_raster_tiles_base(c->dst);
    if (rs->rec &&
        (rs->out_path != (int)c->params.out_path || rs->windows != windows || rs->base != base))
        return gridr__fail(GRIDR_EINVAL,
                           "cannot resume '%s': the partial output '%s' is not laid out as this "
                           "run lays it out; run without --resume to start afresh",
                           j->dst, rs->tmp);
    rs->out_path = (int)c->params.out_path;
    rs->windows = windows;
    rs->base = base;
    rs->win_rows = w0->out.rows;
    rs->win_cols = w0->out.cols;
    rs->taken = calloc((size_t)windows, 1);
    return rs->taken ? 0 : gridr__fail(GRIDR_ENOMEM, "no memory to resume '%s'", j->dst);
}

int gridr__resume_start(gridr__pipeline_ctx *c, const gridr_job *j, gridr__resume *found,
                        gridr_registry *reg)
{
    const char *const *tmp = gridr_raster_temp_files(c->dst);
    gridr__resume *rs = found;
    char *ident = NULL;
    if (!gridr_raster_tiles_base(c->dst) || c->params.out_path == GRIDR__OUT_GDAL || !tmp[0]) {
        resume_free(found); /* an adopted partial is always on a tiles path */
        gridr__warn("'%s' is written through GDAL (not as a tiled GeoTIFF): this run cannot be "
                    "resumed if it is interrupted",
                    j->dst);
        return 0;
    }
    int rc = rs ? 0 : gridr__resume_identity(c, j, &ident);
    if (rc == 0 && !rs && (rs = resume_new(tmp[0], ident)) == NULL)
        rc = gridr__fail(GRIDR_ENOMEM, "no memory to resume '%s'", j->dst);
    if (rc == 0)
        rc = plan_layout(rs, c, j);
    if (rc == 0)
        rc = rs->rec ? take_over(rs, c) : new_record(rs, j->dst);
    if (rc == 0)
        rc = gridr_registry_keep_temp(reg, tmp[0]);
    if (rc) {
        if (rs && !found && rs->fd >= 0)
            unlink(rs->path);
        resume_free(rs);
        return rc;
    }
    c->resume = rs;
    return 0;
}

/* ---- during the run ------------------------------------------------------------------------ */

int gridr__resume_taken(const gridr__resume *rs, long k)
{
    return rs && rs->taken[k];
}

long gridr__resume_count(const gridr__resume *rs, long *durable)
{
    if (durable)
        *durable = rs ? rs->durable : 0;
    return rs ? rs->ntaken : 0;
}

static int pend(gridr__resume *rs, const char *text, size_t n)
{
    if (rs->plen + n + 1 > rs->pcap) {
        size_t cap = GRIDR__MAX(2 * rs->pcap, rs->plen + n + 4096);
        char *p = realloc(rs->pend, cap);
        if (!p)
            return gridr__fail(GRIDR_ENOMEM, "no memory for the record '%s'", rs->path);
        rs->pend = p;
        rs->pcap = cap;
    }
    memcpy(rs->pend + rs->plen, text, n);
    rs->plen += n;
    return 0;
}

int gridr__resume_note(gridr__resume *rs, gridr__pipeline_ctx *c, long k)
{
    const gridr_plan_window *w = gridr_plan_window_at(c->plan, k);
    char head[160], *note = NULL;
    int rc = gridr_raster_tiles_note(c->dst, w->out, &note);
    int n = snprintf(head, sizeof head, "w %ld %ld %ld %ld %ld ", k, w->out.row0, w->out.col0,
                     w->out.rows, w->out.cols);
    if (rc == 0 && (rc = pend(rs, head, (size_t)n)) == 0 &&
        (rc = pend(rs, note, strlen(note))) == 0 && (rc = pend(rs, "\n", 1)) == 0)
        rs->npend++;
    free(note);
    return rc ? rc : gridr__resume_sync(rs, c, 0);
}

/* Seconds between group commits; a test build's GRIDR_FAULT may say "group-commit=S" (the
 * kill-point tests commit every window: S = 0). */
static double group_commit_seconds(void)
{
#ifdef GRIDR_FAULT_INJECTION
    const char *spec = gridr__config_fault(), *p = spec ? strstr(spec, "group-commit=") : NULL;
    if (p)
        return atof(p + 13);
#endif
    return GROUP_COMMIT_SECONDS;
}

int gridr__resume_sync(gridr__resume *rs, gridr__pipeline_ctx *c, int force)
{
    double t = now_s();
    if (!rs || rs->npend == 0 || (!force && t - rs->last < group_commit_seconds()))
        return 0;
    int rc = gridr_raster_sync(c->dst); /* the windows' bytes first, then the lines */
    if (rc == 0 && (write_all(rs->fd, rs->pend, rs->plen) != 0 || fdatasync(rs->fd) != 0))
        rc = gridr__fail_errno(GRIDR_EIO, errno, "cannot write the record '%s'", rs->path);
    if (rc)
        return rc;
    gridr_config_fault_phase("synced", NULL, NULL); /* kill-point tests */
    rs->durable += rs->npend;
    rs->npend = 0;
    rs->plen = 0;
    rs->last = now_s();
    return 0;
}

void gridr__resume_renaming(gridr__resume *rs, const gridr_job *j)
{
    if (rs)
        gridr__resume_mark_committed(rs->ident, j, rs->tag[0] ? rs->tag : "done", rs->tmp);
}

void gridr__resume_end(gridr__resume *rs, int committed)
{
    if (!rs)
        return;
    if (!committed && rs->durable == 0)
        unlink(rs->path); /* nothing to resume: the partial output goes too */
    resume_free(rs);
}

/* ---- what cleanup shows ------------------------------------------------------------------ */

int gridr_pipeline_partial_info(const char *tmp, gridr_pipeline_partial *out)
{
    char path[PATH_MAX];
    struct stat st;
    const char *lines, *layout, *dst;
    gridr__resume rs = {.fd = -1};
    memset(out, 0, sizeof *out);
    if (snprintf(path, sizeof path, "%s%s", tmp, GRIDR__RESUME_SUFFIX) >= (int)sizeof path)
        return gridr__fail(GRIDR_EINVAL, "path too long: '%s'", tmp);
    char *rec = gridr__resume_slurp(path, RECORD_MAX);
    int ok = rec && (layout = layout_of(rec, &lines)) != NULL && parse_layout(&rs, layout) == 0;
    if (ok && (dst = strstr(rec, "\njob dst=")) != NULL)
        snprintf(out->dst, sizeof out->dst, "%.*s", (int)strcspn(dst + 9, "\n"), dst + 9);
    for (const char *p = ok ? lines : ""; *p; p++) {
        const char *nl = strchr(p, '\n');
        if (!nl)
            break;
        out->done += p[0] == 'w' && p[1] == ' ';
        p = nl;
    }
    free(rec);
    if (!ok)
        return gridr__fail(GRIDR_EFORMAT, "'%s' is not a record of a resumable run", path);
    out->windows = rs.windows;
    out->bytes = stat(tmp, &st) == 0 ? (uint64_t)st.st_size : 0;
    return 0;
}

/* gridr: stale-run sweep of the registry, plus the state directory and process identity. */
#include "base/internal.h"
#include "gridr/registry.h"

#include "registry_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

/* ---- names, state directory, process identity ------------------------------------------- */

static int is_hex(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    }
    return 1;
}

int gridr__is_run_id(const char *s, size_t len)
{
    return len == 8 && is_hex(s, 8);
}

int gridr__is_run_name(const char *name, const char *run_id)
{
    const size_t plen = sizeof GRIDR__SHM_PREFIX - 1;
    if (strncmp(name, GRIDR__SHM_PREFIX, plen) != 0 || strncmp(name + plen, run_id, 8) != 0 ||
        name[plen + 8] != '.')
        return 0;
    const char *seq = name + plen + 9;
    size_t n = strlen(seq);
    return n >= 1 && n <= 14 && is_hex(seq, n);
}

static int owned_dir(const char *dir)
{
    struct stat st;
    return lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid();
}

static int default_state_dir(char out[PATH_MAX])
{
    const char *xdg = NULL, *tmp = NULL;
    gridr__config_state_env(&xdg, &tmp);
    unsigned long uid = (unsigned long)geteuid();
    int n;
    /* $XDG_RUNTIME_DIR is only used when it is ours (sudo may leave another user's behind). */
    if (xdg && xdg[0] == '/' && owned_dir(xdg))
        n = snprintf(out, PATH_MAX, "%s/gridr", xdg);
    else if (tmp && tmp[0] == '/')
        n = snprintf(out, PATH_MAX, "%s/gridr-%lu", tmp, uid);
    else
        n = snprintf(out, PATH_MAX, "/tmp/gridr-%lu", uid);
    if (n < 0 || n >= PATH_MAX)
        return gridr__fail(GRIDR_EINVAL, "state directory path too long");
    return 0;
}

static int check_state_dir(const char *dir)
{
    struct stat st;
    if (lstat(dir, &st) != 0)
        return gridr__fail_errno(gridr__status_from_errno(errno), errno, "state directory %s", dir);
    if (!S_ISDIR(st.st_mode))
        return gridr__fail(GRIDR_EPERM, "state directory %s is not a directory (a symlink?)", dir);
    if (st.st_uid != geteuid())
        return gridr__fail(GRIDR_EPERM, "state directory %s belongs to uid %lu, not to uid %lu",
                           dir, (unsigned long)st.st_uid, (unsigned long)geteuid());
    if (st.st_mode & 077)
        return gridr__fail(GRIDR_EPERM,
                           "state directory %s has mode %04o: it must be private (0700)", dir,
                           (unsigned)(st.st_mode & 07777));
    return 0;
}

int gridr__state_dir(const char *dir, int create, char **out)
{
    char buf[PATH_MAX];
    *out = NULL;
    if (!dir) {
        int rc = default_state_dir(buf);
        if (rc)
            return rc;
    } else if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf || !buf[0]) {
        return gridr__fail(GRIDR_EINVAL, "state directory path \"%s\" is empty or too long", dir);
    }
    for (size_t n = strlen(buf); n > 1 && buf[n - 1] == '/';)
        buf[--n] = '\0';
    dir = buf;
    if (create) {
        if (mkdir(dir, 0700) == 0) {
            if (chmod(dir, 0700) != 0) /* the umask may have taken bits away */
                return gridr__fail_errno(GRIDR_ESYS, errno, "chmod state directory %s", dir);
        } else if (errno != EEXIST) {
            return gridr__fail_errno(gridr__status_from_errno(errno), errno,
                                     "cannot create state directory %s", dir);
        }
    }
    int rc = check_state_dir(dir);
    if (rc)
        return rc;
    if (!(*out = strdup(dir)))
        return gridr__fail(GRIDR_ENOMEM, "no memory for the state directory path");
    return 0;
}

static ssize_t read_small(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t n = 0;
    while (n + 1 < size) {
        ssize_t r = read(fd, buf + n, size - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) { /* an error, not the end of the file: say so, not "unexpected format" */
            int err = errno;
            close(fd);
            errno = err;
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    return (ssize_t)n;
}

int gridr__proc_start_time(pid_t pid, unsigned long long *start, char *state)
{
    char path[64], buf[1024];
    if (pid == getpid()) /* right even when /proc belongs to another pid namespace */
        snprintf(path, sizeof path, "/proc/self/stat");
    else
        snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    if (read_small(path, buf, sizeof buf) < 0)
        return gridr__fail_errno(errno == ENOENT || errno == ESRCH ? GRIDR_ENOENT : GRIDR_ESYS,
                                 errno, "cannot read %s (is /proc mounted?)", path);
    /* The command name (field 2) may hold spaces and parentheses: count after the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ' || !p[2])
        return gridr__fail(GRIDR_EFORMAT, "unexpected format of %s", path);
    p += 2;
    if (state)
        *state = *p;
    for (int field = 3; field < 22; field++) {
        p = strchr(p, ' ');
        if (!p)
            return gridr__fail(GRIDR_EFORMAT, "%s has fewer than 22 fields", path);
        p++;
    }
    char *end;
    errno = 0;
    *start = strtoull(p, &end, 10);
    if (end == p || errno)
        return gridr__fail(GRIDR_EFORMAT, "bad start time in %s", path);
    return 0;
}

int gridr__boot_id(char out[GRIDR__BOOT_ID_MAX])
{
    static const char path[] = "/proc/sys/kernel/random/boot_id";
    ssize_t n = read_small(path, out, GRIDR__BOOT_ID_MAX);
    if (n < 0)
        return gridr__fail_errno(GRIDR_ESYS, errno, "cannot read %s", path);
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
        out[--n] = '\0';
    if (n == 0 || strchr(out, '\n'))
        return gridr__fail(GRIDR_EFORMAT, "unexpected content of %s", path);
    return 0;
}

/* ---- journal parsing -------------------------------------------------------------------- */

typedef struct strset {
    char **v;
    size_t n, cap;
} strset;

enum { J_UNREADABLE = 1, J_HEADERLESS = 2 };

enum { H_MAGIC = 1, H_PID = 2, H_START = 4, H_BOOT = 8, H_HOST = 16, H_UID = 32, H_ALL = 63 };

typedef struct journal {
    char run_id[9];
    const char *path;
    int have;
    long pid;
    unsigned long long start;
    unsigned long uid;
    char boot[GRIDR__BOOT_ID_MAX];
    char host[sizeof(((struct utsname *)0)->nodename)];
    strset shm, files, temps, keeps;
} journal;

static void strset_free(strset *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
}

static int strset_add(strset *s, const char *str)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        char **v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return gridr__fail(GRIDR_ENOMEM, "no memory to read a journal");
        s->v = v;
        s->cap = cap;
    }
    if (!(s->v[s->n] = strdup(str)))
        return gridr__fail(GRIDR_ENOMEM, "no memory to read a journal");
    s->n++;
    return 0;
}

/* Releases usually follow their registration closely: search from the end. */
static void strset_remove(strset *s, const char *str)
{
    for (size_t i = s->n; i-- > 0;) {
        if (strcmp(s->v[i], str) == 0) {
            free(s->v[i]);
            s->v[i] = s->v[--s->n];
            return;
        }
    }
}

static int parse_number(const char *text, unsigned long long *out)
{
    char *end;
    if (*text < '0' || *text > '9')
        return -1;
    errno = 0;
    *out = strtoull(text, &end, 10);
    return errno || *end ? -1 : 0;
}

static int copy_field(char *dst, size_t size, const char *text)
{
    size_t n = strlen(text);
    if (n == 0 || n >= size)
        return -1;
    memcpy(dst, text, n + 1);
    return 0;
}

/* A header line "key value"; returns 1 if it was one, 0 if not, -1 if malformed. */
static int parse_header(journal *j, const char *line)
{
    unsigned long long v;
    if (strcmp(line, "gridr-journal 1") == 0)
        return j->have ? -1 : (j->have = H_MAGIC, 1);
    if (!(j->have & H_MAGIC))
        return -1;
    int bit = 0, bad = 0;
    if (strncmp(line, "pid ", 4) == 0) {
        bit = H_PID;
        bad = parse_number(line + 4, &v) || v == 0 || v > INT_MAX;
        j->pid = (long)v;
    } else if (strncmp(line, "start ", 6) == 0) {
        bit = H_START;
        bad = parse_number(line + 6, &j->start);
    } else if (strncmp(line, "boot ", 5) == 0) {
        bit = H_BOOT;
        bad = copy_field(j->boot, sizeof j->boot, line + 5);
    } else if (strncmp(line, "host ", 5) == 0) {
        bit = H_HOST;
        bad = copy_field(j->host, sizeof j->host, line + 5);
    } else if (strncmp(line, "uid ", 4) == 0) {
        bit = H_UID;
        bad = parse_number(line + 4, &v) || v > UINT_MAX;
        j->uid = (unsigned long)v;
    }
    if (!bit)
        return 0;
    if (bad || (j->have & bit))
        return -1;
    j->have |= bit;
    return 1;
}

/* A record line; returns 0, 1 if malformed, or a negative GRIDR_E* code. */
static int parse_record(journal *j, const char *line)
{
    if (j->have != H_ALL)
        return 1;
    if (strncmp(line, "+shm ", 5) == 0 || strncmp(line, "-shm ", 5) == 0) {
        if (!gridr__is_run_name(line + 5, j->run_id))
            return 1;
        if (line[0] == '-')
            strset_remove(&j->shm, line + 5);
        return line[0] == '+' ? strset_add(&j->shm, line + 5) : 0;
    }
    if (strncmp(line, "+file /", 7) == 0)
        return strset_add(&j->files, line + 6);
    if (strncmp(line, "-file /", 7) == 0) {
        strset_remove(&j->files, line + 6);
        return 0;
    }
    if (strncmp(line, "+tmp /", 6) == 0)
        return strset_add(&j->temps, line + 5);
    if (strncmp(line, "+keep /", 7) == 0)
        return strset_add(&j->keeps, line + 6);
    if (strncmp(line, "-tmp /", 6) == 0) {
        strset_remove(&j->temps, line + 5);
        return 0;
    }
    return 1;
}

/* Returns 0, J_UNREADABLE if the journal cannot be understood, J_HEADERLESS if it is empty or
 * holds only a part of the header (its owner was stopped between the create and the header's
 * write), or a negative GRIDR_E* code. A last line without its newline is an append that did not
 * complete (nothing was created after it). */
static int parse_journal(journal *j, FILE *f)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] != '\n')
            break;
        line[len - 1] = '\0';
        int h = j->have != H_ALL ? parse_header(j, line) : 0;
        if (h < 0)
            rc = 1;
        else if (h == 0)
            rc = parse_record(j, line);
    }
    free(line);
    if (rc == 0 && ferror(f))
        rc = gridr__fail_errno(GRIDR_EIO, errno, "cannot read journal %s", j->path);
    return rc == 0 && j->have != H_ALL ? J_HEADERLESS : rc;
}

/* ---- the sweep ---------------------------------------------------------------------------- */

typedef struct sweep {
    const char *dir;
    int dry_run, all;
    gridr_sweep_fn fn;
    void *user;
    size_t count;
    int status; /* first failure */
    uid_t uid;
    char boot[GRIDR__BOOT_ID_MAX];
    struct utsname un;
} sweep;

static void note_failure(sweep *sw, int rc)
{
    if (!sw->status)
        sw->status = rc;
}

static void report(sweep *sw, const char *run_id, const char *what, const char *name)
{
    if (sw->fn)
        sw->fn(sw->user, run_id, what, name);
}

/* Remove one object if it exists, is a regular file and is ours (and, when `same` is given, is
 * still that file). Returns 0 when the object is gone or not ours, -1 when it could not be
 * removed. */
static int remove_owned(sweep *sw, const char *run_id, const char *what, const char *path,
                        const char *shown, const struct stat *same)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        note_failure(sw,
                     gridr__fail_errno(GRIDR_ESYS, errno, "stale run %s: stat %s", run_id, path));
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_uid != sw->uid)
        return 0; /* never touch what is not ours */
    if (same && (st.st_dev != same->st_dev || st.st_ino != same->st_ino))
        return 0; /* replaced meanwhile: not the journal this sweep read and locked */
    if (!sw->dry_run && unlink(path) != 0 && errno != ENOENT) {
        note_failure(sw, gridr__fail_errno(gridr__status_from_errno(errno), errno,
                                           "stale run %s: cannot remove %s", run_id, path));
        return -1;
    }
    report(sw, run_id, what, shown);
    sw->count++;
    return 0;
}

/* A run is alive while its pid exists with the start time it journaled and is not a zombie. */
static int run_alive(const journal *j)
{
    if (kill((pid_t)j->pid, 0) != 0 && errno == ESRCH)
        return 0;
    unsigned long long start;
    char state = '?';
    int rc = gridr__proc_start_time((pid_t)j->pid, &start, &state);
    if (rc == GRIDR_ENOENT)
        return 0;
    if (rc)
        return 1; /* cannot tell: leave it alone */
    return start == j->start && state != 'Z' && state != 'X';
}

/* Each file of a temporary name of a dead run (gridr__temp_each), removed by its full path. */
typedef struct temp_ctx {
    sweep *sw;
    const journal *j;
    const char *tmp;
    int failed;
} temp_ctx;

/* The private directory <tmp>.d of an output written by CreateCopy: its files (ours, regular),
 * then the directory when it is ours and empty. */
static void sweep_temp_dir(temp_ctx *t, const char *dir)
{
    struct stat st;
    char path[PATH_MAX];
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != t->sw->uid)
        return;
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < (int)sizeof path)
            t->failed |= remove_owned(t->sw, t->j->run_id, "file", path, path, NULL);
    if (d)
        closedir(d);
    if (!t->sw->dry_run)
        (void)rmdir(dir); /* left when something not ours is inside */
}

static int sweep_temp_file(void *user, int dfd, const char *name)
{
    temp_ctx *t = user;
    char path[PATH_MAX];
    const char *slash = strrchr(t->tmp, '/');
    (void)dfd;
    if (snprintf(path, sizeof path, "%.*s/%s", (int)(slash - t->tmp), t->tmp, name) >=
        (int)sizeof path)
        return 0;
    if (strcmp(name + strlen(slash + 1), GRIDR__TEMP_DIR_SUFFIX) == 0)
        sweep_temp_dir(t, path);
    else
        t->failed |= remove_owned(t->sw, t->j->run_id, "file", path, path, NULL);
    return 0;
}

/* A kept temporary name (a resumable partial output) stays while its record `<tmp>.resume`
 * exists, unless the sweep removes everything; a record locked by a run resuming it is live
 * even then. 1: keep it. */
static int keep_partial(sweep *sw, const journal *j, const char *tmp)
{
    char rec[PATH_MAX];
    struct stat st;
    int kept = 0;
    for (size_t i = 0; i < j->keeps.n && !kept; i++)
        kept = strcmp(j->keeps.v[i], tmp) == 0;
    if (!kept || lstat(tmp, &st) != 0 || !S_ISREG(st.st_mode) ||
        snprintf(rec, sizeof rec, "%s.resume", tmp) >= (int)sizeof rec)
        return 0; /* renamed into place (or never written): its record is litter */
    int fd = open(rec, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 0; /* no record: nothing to resume */
    int live = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd);
    if (!live && sw->all)
        return 0;
    report(sw, j->run_id, "partial", tmp);
    return 1;
}

static int sweep_temps(sweep *sw, const journal *j)
{
    int failed = 0;
    for (size_t i = 0; i < j->temps.n; i++) {
        if (keep_partial(sw, j, j->temps.v[i])) {
            failed = 1; /* the journal stays: it lists the partial output for cleanup */
            continue;
        }
        temp_ctx t = {sw, j, j->temps.v[i], 0};
        if (gridr__temp_each(t.tmp, sweep_temp_file, &t) != 0 && !t.failed) {
            note_failure(sw, gridr__fail_errno(GRIDR_ESYS, errno,
                                               "stale run %s: cannot list the "
                                               "directory of %s",
                                               j->run_id, t.tmp));
            t.failed = -1;
        }
        failed |= t.failed;
    }
    return failed;
}

static void sweep_dead(sweep *sw, const journal *j, int same_boot, const struct stat *st)
{
    int failed = 0;
    char path[GRIDR__SHM_PATH_MAX];
    /* After a reboot the tmpfs is new: the names may belong to someone else by now. */
    for (size_t i = 0; same_boot && i < j->shm.n; i++) {
        snprintf(path, sizeof path, GRIDR__SHM_DIR "%s", j->shm.v[i]);
        failed |= remove_owned(sw, j->run_id, "shm", path, j->shm.v[i], NULL);
    }
    for (size_t i = 0; i < j->files.n; i++)
        failed |= remove_owned(sw, j->run_id, "file", j->files.v[i], j->files.v[i], NULL);
    failed |= sweep_temps(sw, j);
    if (!failed) /* otherwise keep the journal so that a later sweep retries */
        remove_owned(sw, j->run_id, "journal", j->path, j->path, st);
}

/* Try the owner's lock (gridr_registry_open takes it before writing anything and holds it for
 * the run's life): 1 taken (no process holds the journal: its owner is gone), 0 held by a live
 * run, -1 unknown (the file system has no flock: the header decides alone). */
static int take_lock(int fd)
{
    int rc;
    do
        rc = flock(fd, LOCK_EX | LOCK_NB);
    while (rc != 0 && errno == EINTR);
    if (rc == 0)
        return 1;
    return errno == EWOULDBLOCK ? 0 : -1;
}

/* A parsed journal whose lock was not held: decide and sweep. */
static void judge(sweep *sw, journal *j, int rc, int locked, const struct stat *st)
{
    if (rc == J_HEADERLESS && locked == 1)
        sweep_dead(sw, j, 1, st); /* nothing listed yet: only the journal goes */
    else if (rc > 0)
        report(sw, j->run_id, "unreadable", j->path);
    else if (j->uid == (unsigned long)sw->uid && strcmp(j->host, sw->un.nodename) == 0) {
        int same_boot = strcmp(j->boot, sw->boot) == 0;
        if (!same_boot || !run_alive(j))
            sweep_dead(sw, j, same_boot, st);
    }
}

static void sweep_journal(sweep *sw, journal *j, int fd)
{
    struct stat st;
    int locked;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != sw->uid ||
        (locked = take_lock(fd)) == 0) {
        close(fd); /* not ours, or a live run */
        return;
    }
    FILE *f = fdopen(fd, "r");
    if (!f) {
        close(fd);
        note_failure(sw, gridr__fail_errno(GRIDR_ENOMEM, errno, "fdopen %s", j->path));
        return;
    }
    int rc = parse_journal(j, f);
    if (rc < 0)
        note_failure(sw, rc);
    else
        judge(sw, j, rc, locked, &st);
    fclose(f); /* releases the lock, after the removal: no owner can start on this journal */
}

static void sweep_entry(sweep *sw, const char *entry)
{
    size_t len = strlen(entry);
    if (len != 16 || strcmp(entry + 8, ".journal") != 0 || !gridr__is_run_id(entry, 8))
        return;
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", sw->dir, entry) >= (int)sizeof path)
        return;
    journal j = {.path = path};
    memcpy(j.run_id, entry, 8);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT && errno != ELOOP) /* gone meanwhile, or a symlink: not ours */
            note_failure(sw, gridr__fail_errno(GRIDR_ESYS, errno, "cannot open %s", path));
        return;
    }
    sweep_journal(sw, &j, fd);
    strset_free(&j.shm);
    strset_free(&j.files);
    strset_free(&j.temps);
    strset_free(&j.keeps);
}

int gridr_registry_sweep(const char *state_dir, int flags, gridr_sweep_fn fn, void *user,
                         size_t *removed)
{
    sweep sw = {.dry_run = (flags & GRIDR_SWEEP_DRY_RUN) != 0,
                .all = (flags & GRIDR_SWEEP_ALL) != 0,
                .fn = fn,
                .user = user,
                .uid = geteuid()};
    char *dir = NULL;
    if (removed)
        *removed = 0;
    int rc = gridr__state_dir(state_dir, 0, &dir);
    if (rc == GRIDR_ENOENT)
        return 0; /* no state directory: no run ever left anything */
    if (rc || (rc = gridr__boot_id(sw.boot)))
        goto out;
    if (uname(&sw.un) != 0) {
        rc = gridr__fail_errno(GRIDR_ESYS, errno, "uname");
        goto out;
    }
    DIR *d = opendir(dir);
    if (!d) {
        rc = gridr__fail_errno(gridr__status_from_errno(errno), errno, "cannot list %s", dir);
        goto out;
    }
    sw.dir = dir;
    for (struct dirent *e; (e = readdir(d));)
        sweep_entry(&sw, e->d_name);
    closedir(d);
    rc = sw.status;
    if (removed)
        *removed = sw.count;
out:
    free(dir);
    return rc;
}

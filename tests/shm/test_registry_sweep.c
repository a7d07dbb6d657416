/* gridr tests: the registry's stale sweep: dead, live and forged runs, the journal's lock,
 * headerless journals, temporary names and their side files. */
#include "unit.h"
#include "test_registry.h"

#include "shm/registry_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- stale sweep -------------------------------------------------------------------------- */

typedef struct seen {
    int n, shm, file, journal, unreadable, partial;
    char names[32][PATH_MAX];
} seen;

static void collect(void *user, const char *run_id, const char *what, const char *name)
{
    seen *s = user;
    CU_ASSERT_EQUAL(strlen(run_id), 8);
    s->shm += strcmp(what, "shm") == 0;
    s->file += strcmp(what, "file") == 0;
    s->journal += strcmp(what, "journal") == 0;
    s->unreadable += strcmp(what, "unreadable") == 0;
    s->partial += strcmp(what, "partial") == 0;
    if (s->n < 32)
        snprintf(s->names[s->n++], PATH_MAX, "%s", name);
}

static int saw(const seen *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->names[i], name) == 0)
            return 1;
    return 0;
}

/* What the dying child sends back: its run id and names. */
typedef struct dead_run {
    char id[9];
    char names[2][GRIDR_SMA_NAME_MAX];
} dead_run;

static void die_without_closing(const char *dir, const char *tmp, int wfd)
{
    dead_run d;
    memset(&d, 0, sizeof d);
    gridr_registry *reg = NULL;
    gridr_sma *a = NULL;
    if (gridr_registry_open(dir, &reg) != 0)
        _exit(1);
    for (int i = 0; i < 2; i++) {
        if (gridr_sma_create(reg, GRIDR_DT_F32, 1, 16, 16, &a) != 0)
            _exit(2);
        snprintf(d.names[i], sizeof d.names[i], "%s", gridr_sma_name(a));
        gridr_sma_detach(a);
    }
    treg_touch(tmp);
    if (gridr_registry_add_file(reg, tmp) != 0)
        _exit(3);
    snprintf(d.id, sizeof d.id, "%s", gridr_registry_run_id(reg));
    _exit(write(wfd, &d, sizeof d) == (ssize_t)sizeof d ? 0 : 4); /* no close: a crash */
}

static void test_sweep_dead_run(void)
{
    const char *dir = treg_dir("sweep");
    char tmp[PATH_MAX], journal[PATH_MAX];
    gridr_registry *live = NULL;
    gridr_sma *mine = NULL;
    dead_run d;
    memset(&d, 0, sizeof d);
    int fds[2], status = 0;
    snprintf(tmp, sizeof tmp, "%s/dead-output.tmp", dir);
    ASSERT_OK(gridr_registry_open(dir, &live));
    ASSERT_OK(gridr_sma_create(live, GRIDR_DT_U8, 1, 4, 4, &mine));
    CU_ASSERT_FATAL(live && mine && pipe(fds) == 0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        die_without_closing(dir, tmp, fds[1]);
    }
    close(fds[1]);
    CU_ASSERT_EQUAL(read(fds[0], &d, sizeof d), (ssize_t)sizeof d);
    close(fds[0]);
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    snprintf(journal, sizeof journal, "%s/%s.journal", dir, d.id);
    CU_ASSERT(treg_shm_exists(d.names[0]) && treg_shm_exists(d.names[1]) && treg_exists(tmp) &&
              treg_exists(journal));

    seen dry = {0}, wet = {0}, again = {0};
    size_t n = 99;
    ASSERT_OK(gridr_registry_sweep(dir, 1, collect, &dry, &n));
    CU_ASSERT_EQUAL(n, 4);
    CU_ASSERT(dry.shm == 2 && dry.file == 1 && dry.journal == 1 && dry.unreadable == 0);
    CU_ASSERT(saw(&dry, d.names[0]) && saw(&dry, d.names[1]) && saw(&dry, tmp));
    CU_ASSERT(treg_shm_exists(d.names[0]) && treg_shm_exists(d.names[1]) && treg_exists(tmp) &&
              treg_exists(journal));

    ASSERT_OK(gridr_registry_sweep(dir, 0, collect, &wet, &n));
    CU_ASSERT_EQUAL(n, 4);
    CU_ASSERT(wet.shm == 2 && wet.file == 1 && wet.journal == 1);
    CU_ASSERT_EQUAL(gridr_test_count_shm(d.id), 0);
    CU_ASSERT_FALSE(treg_exists(tmp));
    CU_ASSERT_FALSE(treg_exists(journal));
    /* The live run (this process) kept everything. */
    CU_ASSERT_TRUE(treg_shm_exists(gridr_sma_name(mine)));
    CU_ASSERT_TRUE(treg_exists(gridr_registry_journal(live)));
    ASSERT_OK(gridr_registry_sweep(dir, 0, collect, &again, &n));
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(again.n, 0);
    gridr_sma_detach(mine);
    gridr_registry_close(live);
}

/* ---- forged journals -------------------------------------------------------------------- */

static unsigned long long start_of(pid_t pid)
{
    char path[64], *p;
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    p = strrchr(treg_slurp(path), ')');
    for (int field = 2; p && field < 22; field++)
        p = strchr(p + 1, ' ');
    return p ? strtoull(p + 1, NULL, 10) : 0;
}

static void random_id(char id[9])
{
    unsigned v = 0;
    if (getrandom(&v, sizeof v, 0) != sizeof v)
        v = (unsigned)getpid() * 2654435761u;
    snprintf(id, 9, "%08x", v);
}

typedef struct forged {
    char id[9];
    char shm[GRIDR_SMA_NAME_MAX];
    char journal[PATH_MAX];
} forged;

/* A journal for run f->id holding segment <id>.0 (created for real), with the given header. */
static void forge(const char *dir, forged *f, long pid, unsigned long long start, const char *boot,
                  const char *host, unsigned long uid, const char *extra)
{
    char text[4096];
    random_id(f->id);
    snprintf(f->shm, sizeof f->shm, "/gridr.%s.0", f->id);
    snprintf(f->journal, sizeof f->journal, "%s/%s.journal", dir, f->id);
    int n = snprintf(text, sizeof text,
                     "gridr-journal 1\npid %ld\nstart %llu\nboot %s\nhost %s\nuid %lu\n+shm %s\n%s",
                     pid, start, boot, host, uid, f->shm, extra);
    int fd = open(f->journal, O_WRONLY | O_CREAT | O_EXCL, 0600);
    CU_ASSERT(fd >= 0 && write(fd, text, (size_t)n) == n);
    close(fd);
    fd = shm_open(f->shm, O_CREAT | O_EXCL | O_RDWR, 0600);
    CU_ASSERT(fd >= 0);
    close(fd);
}

static void test_sweep_forged_journals(void)
{
    const char *dir = treg_dir("forged");
    char boot[64], tmp[PATH_MAX], extra[PATH_MAX + 16], garbage[PATH_MAX];
    struct utsname un;
    unsigned long uid = (unsigned long)geteuid();
    forged reused, live, other_uid, other_boot, other_host, partial;
    int status;
    snprintf(boot, sizeof boot, "%.40s", treg_slurp("/proc/sys/kernel/random/boot_id"));
    boot[strcspn(boot, "\n")] = '\0';
    CU_ASSERT_FATAL(uname(&un) == 0);
    fflush(NULL);
    pid_t sleeper = fork(); /* a live process whose pid the forged journals use */
    if (sleeper == 0) {
        pause();
        _exit(0);
    }
    pid_t gone = fork(); /* a pid that is dead once reaped */
    if (gone == 0)
        _exit(0);
    CU_ASSERT_EQUAL(waitpid(gone, &status, 0), gone);
    unsigned long long st = 0;
    for (int i = 0; i < 1000 && (st = start_of(sleeper)) == 0; i++)
        usleep(1000);
    CU_ASSERT_FATAL(st != 0);

    forge(dir, &reused, sleeper, st + 1, boot, un.nodename, uid, "");
    forge(dir, &live, sleeper, st, boot, un.nodename, uid, "");
    forge(dir, &other_uid, gone, 1, boot, un.nodename, uid + 1, "");
    snprintf(tmp, sizeof tmp, "%s/other-boot.tmp", dir);
    treg_touch(tmp);
    snprintf(extra, sizeof extra, "+file %s\n", tmp);
    forge(dir, &other_boot, gone, 1, "00000000-0000-0000-0000-000000000000", un.nodename, uid,
          extra);
    forge(dir, &other_host, gone, 1, boot, "elsewhere.invalid", uid, "");
    forge(dir, &partial, gone, 1, boot, un.nodename, uid, "+shm /gridr.");
    snprintf(garbage, sizeof garbage, "%s/0badf00d.journal", dir);
    int fd = open(garbage, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CU_ASSERT(fd >= 0 && write(fd, "hello\n", 6) == 6);
    close(fd);

    seen dry = {0}, wet = {0};
    size_t n = 0;
    ASSERT_OK(gridr_registry_sweep(dir, 1, collect, &dry, &n));
    /* reused: shm + journal; other boot: file + journal (no shm); partial: shm + journal. */
    CU_ASSERT_EQUAL(n, 6);
    CU_ASSERT(dry.shm == 2 && dry.file == 1 && dry.journal == 3 && dry.unreadable == 1);
    CU_ASSERT(saw(&dry, reused.shm) && saw(&dry, partial.shm) && saw(&dry, garbage));
    CU_ASSERT(treg_shm_exists(reused.shm) && treg_exists(reused.journal) && treg_exists(tmp));

    ASSERT_OK(gridr_registry_sweep(dir, 0, collect, &wet, &n));
    CU_ASSERT_EQUAL(n, 6);
    CU_ASSERT_EQUAL(wet.unreadable, 1);
    CU_ASSERT(!treg_shm_exists(reused.shm) && !treg_exists(reused.journal)); /* pid reused: dead */
    CU_ASSERT(!treg_shm_exists(partial.shm) && !treg_exists(partial.journal));
    CU_ASSERT(treg_shm_exists(live.shm) && treg_exists(live.journal)); /* live: untouched */
    CU_ASSERT(treg_shm_exists(other_uid.shm) && treg_exists(other_uid.journal));
    CU_ASSERT(treg_shm_exists(other_host.shm) && treg_exists(other_host.journal));
    CU_ASSERT(!treg_exists(other_boot.journal) && !treg_exists(tmp));
    CU_ASSERT_TRUE(treg_shm_exists(other_boot.shm)); /* another boot's names are not looked at */
    CU_ASSERT_TRUE(treg_exists(garbage));            /* unreadable: reported, kept */

    kill(sleeper, SIGKILL);
    CU_ASSERT_EQUAL(waitpid(sleeper, &status, 0), sleeper);
    forged *left[] = {&live, &other_uid, &other_host, &other_boot};
    for (size_t i = 0; i < sizeof left / sizeof left[0]; i++) {
        shm_unlink(left[i]->shm);
        unlink(left[i]->journal);
    }
    unlink(garbage);
}

/* The sweep never touches the caller's own run, nor the run of the parent of a forked child. */
static void test_sweep_spares_own_run(void)
{
    const char *dir = treg_dir("own");
    gridr_registry *reg = NULL;
    gridr_sma *a = NULL;
    size_t n = 99;
    ASSERT_OK(gridr_registry_open(dir, &reg));
    ASSERT_OK(gridr_sma_create(reg, GRIDR_DT_U8, 1, 4, 4, &a));
    CU_ASSERT_FATAL(reg && a);
    ASSERT_OK(gridr_registry_sweep(dir, 0, NULL, NULL, &n));
    CU_ASSERT_EQUAL(n, 0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        size_t k = 99;
        int rc = gridr_registry_sweep(dir, 0, NULL, NULL, &k);
        _exit(rc == 0 && k == 0 ? 0 : 1);
    }
    int status = 0;
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CU_ASSERT_TRUE(treg_shm_exists(gridr_sma_name(a)));
    CU_ASSERT_TRUE(treg_exists(gridr_registry_journal(reg)));
    char missing[PATH_MAX];
    snprintf(missing, sizeof missing, "%s/no-such-dir", dir);
    ASSERT_OK(gridr_registry_sweep(missing, 0, NULL, NULL, &n));
    CU_ASSERT_EQUAL(n, 0);
    gridr_sma_detach(a);
    gridr_registry_close(reg);
}

/* ---- the journal's lock and headerless journals ----------------------------------------- */

/* A pid that no process has any more (reaped). */
static pid_t dead_pid(void)
{
    int status;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    return pid;
}

static void write_new(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    CU_ASSERT(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    if (fd >= 0)
        close(fd);
}

/* A live process holding flock(LOCK_EX) on each path, as a run's owner does; returns its pid
 * once the locks are taken. */
static pid_t hold_locks(const char *a, const char *b)
{
    int fds[2];
    char ok = 0;
    CU_ASSERT_FATAL(pipe(fds) == 0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int fa = open(a, O_WRONLY | O_APPEND), fb = open(b, O_WRONLY | O_APPEND);
        if (fa < 0 || fb < 0 || flock(fa, LOCK_EX) != 0 || flock(fb, LOCK_EX) != 0)
            _exit(1);
        if (write(fds[1], "k", 1) != 1)
            _exit(2);
        pause();
        _exit(0);
    }
    close(fds[1]);
    CU_ASSERT_EQUAL(read(fds[0], &ok, 1), 1);
    close(fds[0]);
    CU_ASSERT_EQUAL(ok, 'k');
    return pid;
}

/* The owner holds its journal's lock from before the header to the close, and closing another
 * descriptor of the file (a sweep of this process) does not release it. */
static void test_registry_holds_lock(void)
{
    gridr_registry *reg = NULL;
    char journal[PATH_MAX];
    ASSERT_OK(gridr_registry_open(treg_dir("lock"), &reg));
    CU_ASSERT_FATAL(reg != NULL);
    snprintf(journal, sizeof journal, "%s", gridr_registry_journal(reg));
    for (int i = 0; i < 2; i++) {
        int fd = open(journal, O_RDONLY);
        CU_ASSERT(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK);
        close(fd);
    }
    size_t n = 99;
    ASSERT_OK(gridr_registry_sweep(treg_dir("lock"), 0, NULL, NULL, &n));
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_TRUE(treg_exists(journal));
    gridr_registry_close(reg);
    CU_ASSERT_FALSE(treg_exists(journal));
}

/* Headerless journals (empty, header cut short) of dead owners go; with their owner alive and
 * holding the lock they stay, and so does a complete journal whose pid is dead but whose lock is
 * held. */
static void test_sweep_headerless(void)
{
    const char *dir = treg_dir("headerless");
    char empty[PATH_MAX], cut[PATH_MAX], held[PATH_MAX], boot[64], garbage[PATH_MAX];
    struct utsname un;
    forged full;
    int status;
    snprintf(boot, sizeof boot, "%.40s", treg_slurp("/proc/sys/kernel/random/boot_id"));
    boot[strcspn(boot, "\n")] = '\0';
    CU_ASSERT_FATAL(uname(&un) == 0);
    snprintf(empty, sizeof empty, "%s/0e0e0e01.journal", dir);
    snprintf(cut, sizeof cut, "%s/0e0e0e02.journal", dir);
    snprintf(held, sizeof held, "%s/0e0e0e03.journal", dir);
    snprintf(garbage, sizeof garbage, "%s/0e0e0e04.journal", dir);
    write_new(empty, "");
    write_new(cut, "gridr-journal 1\npid 4");
    write_new(held, "");
    write_new(garbage, "hello\n");
    forge(dir, &full, dead_pid(), 1, boot, un.nodename, (unsigned long)geteuid(), "");
    pid_t owner = hold_locks(held, full.journal);

    seen dry = {0}, wet = {0}, after = {0};
    size_t n = 0;
    ASSERT_OK(gridr_registry_sweep(dir, 1, collect, &dry, &n));
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT(dry.journal == 2 && dry.shm == 0 && dry.unreadable == 1);
    CU_ASSERT(saw(&dry, empty) && saw(&dry, cut) && saw(&dry, garbage));
    CU_ASSERT(treg_exists(empty) && treg_exists(cut));
    ASSERT_OK(gridr_registry_sweep(dir, 0, collect, &wet, &n));
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT(wet.journal == 2 && !saw(&wet, held) && !saw(&wet, full.shm));
    CU_ASSERT(!treg_exists(empty) && !treg_exists(cut));
    CU_ASSERT(treg_exists(held) && treg_exists(full.journal) && treg_shm_exists(full.shm));
    CU_ASSERT_TRUE(treg_exists(garbage)); /* not a journal gridr wrote: reported, kept */

    kill(owner, SIGKILL); /* the owner dies: its locks go with it */
    CU_ASSERT_EQUAL(waitpid(owner, &status, 0), owner);
    ASSERT_OK(gridr_registry_sweep(dir, 0, collect, &after, &n));
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT(after.journal == 2 && after.shm == 1 && saw(&after, held));
    CU_ASSERT(!treg_exists(held) && !treg_exists(full.journal) && !treg_shm_exists(full.shm));
    unlink(garbage);
}

/* ---- temporary names ---------------------------------------------------------------------- */

static void header(char *buf, size_t size, long pid)
{
    char boot[64];
    struct utsname un;
    snprintf(boot, sizeof boot, "%.40s", treg_slurp("/proc/sys/kernel/random/boot_id"));
    boot[strcspn(boot, "\n")] = '\0';
    CU_ASSERT_FATAL(uname(&un) == 0);
    snprintf(buf, size, "gridr-journal 1\npid %ld\nstart 1\nboot %s\nhost %s\nuid %lu\n", pid, boot,
             un.nodename, (unsigned long)geteuid());
}

/* A dead run's temporary name: <tmp> and every regular <tmp>.<suffix> go, nothing else. */
static void test_sweep_temp_names(void)
{
    const char *dir = treg_dir("temps");
    char out[1024], tmp[1100], text[4 * PATH_MAX], journal[PATH_MAX], p[PATH_MAX];
    const char *mine[] = {"", ".ovr.tmp", ".aux.xml", ".stage.tif"};
    const char *others[] = {"other.tif.tmp.0f0f0f0f", "dst.tif",
                            "dst.tif.tmp.0a0a0a0a0",  "dst.tif.tmp.0a0a0a0.x",
                            "old.tif.tmp.0a0a0a0a",   "target"};
    snprintf(out, sizeof out, "%s/out", dir);
    mkdir(out, 0700);
    snprintf(tmp, sizeof tmp, "%s/dst.tif.tmp.0a0a0a0a", out);
    snprintf(journal, sizeof journal, "%s/0a0a0a0a.journal", dir);
    header(text, sizeof text, (long)dead_pid());
    size_t len = strlen(text);
    snprintf(text + len, sizeof text - len,
             "+tmp %s\n+tmp %s/old.tif.tmp.0a0a0a0a\n-tmp %s/old.tif.tmp.0a0a0a0a\n", tmp, out,
             out);
    write_new(journal, text);
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", tmp, mine[i]);
        treg_touch(p);
    }
    for (size_t i = 0; i < 6; i++) {
        snprintf(p, sizeof p, "%s/%s", out, others[i]);
        treg_touch(p);
    }
    char link[1200], sub[1200], copy[1200], in_copy[1300];
    snprintf(p, sizeof p, "%s/target", out);
    snprintf(link, sizeof link, "%s.lnk", tmp);
    snprintf(sub, sizeof sub, "%s.dir", tmp);
    CU_ASSERT(symlink(p, link) == 0 && mkdir(sub, 0700) == 0);
    /* The copy's directory <tmp>.d of a driver written by CreateCopy: its files go, then it. */
    snprintf(copy, sizeof copy, "%s.d", tmp);
    snprintf(in_copy, sizeof in_copy, "%s/old.hdr", copy);
    CU_ASSERT(mkdir(copy, 0700) == 0);
    treg_touch(in_copy);

    seen dry = {0}, wet = {0};
    struct stat st;
    size_t n = 0;
    ASSERT_OK(gridr_registry_sweep(dir, 1, collect, &dry, &n));
    CU_ASSERT_EQUAL(n, 6);
    CU_ASSERT(dry.file == 5 && dry.journal == 1 && dry.unreadable == 0);
    CU_ASSERT(saw(&dry, in_copy) && treg_exists(in_copy));
    snprintf(p, sizeof p, "%s.ovr.tmp", tmp);
    CU_ASSERT(saw(&dry, tmp) && saw(&dry, p) && treg_exists(p) && treg_exists(tmp));
    ASSERT_OK(gridr_registry_sweep(dir, 0, collect, &wet, &n));
    CU_ASSERT_EQUAL(n, 6);
    CU_ASSERT(lstat(copy, &st) != 0 && errno == ENOENT); /* the copy's directory is gone */
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", tmp, mine[i]);
        CU_ASSERT_FALSE(treg_exists(p));
    }
    for (size_t i = 0; i < 6; i++) {
        snprintf(p, sizeof p, "%s/%s", out, others[i]);
        CU_ASSERT_TRUE(treg_exists(p));
        unlink(p);
    }
    CU_ASSERT(lstat(link, &st) == 0 && S_ISLNK(st.st_mode)); /* a symlink is never followed */
    CU_ASSERT(lstat(sub, &st) == 0 && S_ISDIR(st.st_mode));
    CU_ASSERT_FALSE(treg_exists(journal));
    unlink(link);
    rmdir(sub);
}

/* A run that keeps two temporary names (resumable partial outputs) and ends unfinished: its
 * close leaves both and the journal. */
static void keep_and_close(const char *dir, const char *a, const char *b)
{
    gridr_registry *reg = NULL;
    if (gridr_registry_open(dir, &reg) != 0)
        _exit(1);
    for (int i = 0; i < 2; i++) {
        const char *t = i ? b : a;
        if (gridr_registry_add_temp(reg, t) != 0 || gridr_registry_keep_temp(reg, t) != 0)
            _exit(2);
        treg_touch(t);
    }
    gridr_registry_close(reg);
    _exit(0);
}

static void test_sweep_keeps_partials(void)
{
    const char *dir = treg_dir("keep");
    char a[PATH_MAX], b[PATH_MAX], rec[PATH_MAX + 16];
    int status;
    snprintf(a, sizeof a, "%s/a.tif.tmp.kept", dir);
    snprintf(b, sizeof b, "%s/b.tif.tmp.kept", dir);
    snprintf(rec, sizeof rec, "%s.resume", a);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        keep_and_close(dir, a, b);
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT_FATAL(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CU_ASSERT(treg_exists(a) && treg_exists(b)); /* close kept them */
    treg_touch(rec);                             /* a has a record: resumable; b has none */
    seen one = {0}, two = {0}, all = {0};
    size_t n = 0;
    ASSERT_OK(gridr_registry_sweep(dir, 0, collect, &one, &n));
    CU_ASSERT(one.partial == 1 && saw(&one, a) && one.file == 1 && saw(&one, b));
    CU_ASSERT(treg_exists(a) && treg_exists(rec) && !treg_exists(b) && one.journal == 0);
    int fd = open(rec, O_RDONLY); /* a run resuming it holds its record's lock: kept by --all */
    CU_ASSERT_FATAL(fd >= 0 && flock(fd, LOCK_EX) == 0);
    ASSERT_OK(gridr_registry_sweep(dir, GRIDR_SWEEP_ALL, collect, &two, &n));
    CU_ASSERT(two.partial == 1 && treg_exists(a) && two.journal == 0);
    close(fd);
    ASSERT_OK(gridr_registry_sweep(dir, GRIDR_SWEEP_ALL, collect, &all, &n));
    CU_ASSERT(all.partial == 0 && all.file == 2 && all.journal == 1);
    CU_ASSERT(!treg_exists(a) && !treg_exists(rec));
}

static CU_TestInfo tests[] = {
    {"a crashed run is removed, a live one kept", test_sweep_dead_run},
    {"pid reuse, other uid/boot/host, bad journals", test_sweep_forged_journals},
    {"never the caller's own run", test_sweep_spares_own_run},
    {"the owner holds its journal's lock until close", test_registry_holds_lock},
    {"headerless journals: dead owner removed, locked kept", test_sweep_headerless},
    {"temporary names: <tmp> and <tmp>.* only", test_sweep_temp_names},
    {"kept temporary names: resumable partials until --all", test_sweep_keeps_partials},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo gridr_test_registry_sweep_suite = {"registry_sweep", NULL, NULL, NULL, NULL, tests};

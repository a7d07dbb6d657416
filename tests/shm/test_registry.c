/* gridr tests: the run registry: journal, close and fork, temp files, emergency, stale sweep. */
#include "unit.h"

#include "shm/registry_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

/* A private 0700 state directory for one test. Ownership: static buffer, reused per call. */
static const char *state_dir(const char *tag)
{
    static char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/reg-%s", gridr_test_tmpdir(), tag);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        perror(dir);
    return dir;
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static int shm_exists(const char *name)
{
    char path[64];
    snprintf(path, sizeof path, "/dev/shm%s", name);
    return exists(path);
}

static char *slurp(const char *path)
{
    static char buf[16384];
    int fd = open(path, O_RDONLY);
    ssize_t n = fd < 0 ? 0 : read(fd, buf, sizeof buf - 1);
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static void touch(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0)
        close(fd);
}

static void test_journal_lifecycle(void)
{
    gridr_registry *reg = NULL;
    gridr_sma *a[3] = {NULL};
    char path[PATH_MAX], expect[256], *j;
    const char *dir = state_dir("life");
    ASSERT_OK(gridr_registry_open(dir, &reg));
    if (!reg)
        return;
    const char *id = gridr_registry_run_id(reg);
    snprintf(path, sizeof path, "%s/%s.journal", dir, id);
    CU_ASSERT_STRING_EQUAL(gridr_registry_journal(reg), path);
    struct stat st;
    CU_ASSERT(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600 && st.st_uid == geteuid());
    j = slurp(path);
    snprintf(expect, sizeof expect, "gridr-journal 1\npid %ld\nstart ", (long)getpid());
    CU_ASSERT_EQUAL(strncmp(j, expect, strlen(expect)), 0);
    snprintf(expect, sizeof expect, "\nuid %lu\n", (unsigned long)geteuid());
    CU_ASSERT_PTR_NOT_NULL(strstr(j, expect));
    char boot[64];
    snprintf(boot, sizeof boot, "boot %.40s", slurp("/proc/sys/kernel/random/boot_id"));
    j = slurp(path);
    CU_ASSERT_PTR_NOT_NULL(strstr(j, boot)); /* boot_id ends with '\n' like the record */

    for (int i = 0; i < 3; i++)
        ASSERT_OK(gridr_sma_create(reg, GRIDR_DT_U8, 1, 64, 64, &a[i]));
    CU_ASSERT_EQUAL(gridr_registry_count(reg), 3);
    CU_ASSERT_EQUAL(gridr_test_count_shm(id), 3);
    ASSERT_OK(gridr_registry_release(reg, gridr_sma_name(a[1])));
    CU_ASSERT_EQUAL(gridr_registry_count(reg), 2);
    CU_ASSERT_FALSE(shm_exists(gridr_sma_name(a[1])));
    j = slurp(path);
    for (int i = 0; i < 3; i++) {
        snprintf(expect, sizeof expect, "+shm %s\n", gridr_sma_name(a[i]));
        CU_ASSERT_PTR_NOT_NULL(strstr(j, expect));
    }
    snprintf(expect, sizeof expect, "-shm %s\n", gridr_sma_name(a[1]));
    CU_ASSERT_PTR_NOT_NULL(strstr(j, expect));
    for (int i = 0; i < 3; i++)
        gridr_sma_detach(a[i]);
    char keep[9];
    snprintf(keep, sizeof keep, "%s", id);
    gridr_registry_close(reg);
    CU_ASSERT_EQUAL(gridr_test_count_shm(keep), 0);
    CU_ASSERT_FALSE(exists(path));
    gridr_registry_close(NULL);
}

static void test_release_rules(void)
{
    gridr_registry *reg = NULL;
    gridr_sma *a = NULL;
    char name[GRIDR_SMA_NAME_MAX];
    ASSERT_OK(gridr_registry_open(state_dir("release"), &reg));
    if (!reg)
        return;
    ASSERT_OK(gridr_sma_create(reg, GRIDR_DT_U8, 1, 1, 1, &a));
    snprintf(name, sizeof name, "%s", gridr_sma_name(a));
    gridr_sma_detach(a);
    ASSERT_OK(gridr_sma_unlink(name));
    ASSERT_OK(gridr_registry_release(reg, name)); /* already gone: fine */
    ASSERT_OK(gridr_registry_release(reg, name)); /* released before: fine */
    CU_ASSERT_EQUAL(gridr_registry_count(reg), 0);
    /* Names this registry never handed out are refused, and not unlinked. */
    ASSERT_STATUS(gridr_registry_release(reg, "/gridr.00000000.1"), GRIDR_EINVAL);
    name[strlen(name) - 1] = 'f'; /* a future sequence number of this run */
    ASSERT_STATUS(gridr_registry_release(reg, name), GRIDR_EINVAL);
    ASSERT_STATUS(gridr_registry_release(reg, NULL), GRIDR_EINVAL);
    gridr_registry_close(reg);
}

static void test_temp_files(void)
{
    gridr_registry *reg = NULL;
    char kept[PATH_MAX], gone[PATH_MAX], rel[PATH_MAX], cwd[PATH_MAX];
    const char *dir = state_dir("files");
    snprintf(kept, sizeof kept, "%s/kept.tif", dir);
    snprintf(gone, sizeof gone, "%s/gone.tif.tmp", dir);
    ASSERT_OK(gridr_registry_open(dir, &reg));
    if (!reg)
        return;
    touch(kept);
    touch(gone);
    ASSERT_OK(gridr_registry_add_file(reg, kept));
    ASSERT_OK(gridr_registry_add_file(reg, gone));
    ASSERT_OK(gridr_registry_add_file(reg, gone)); /* twice: held once */
    ASSERT_OK(gridr_registry_forget_file(reg, kept));
    ASSERT_STATUS(gridr_registry_forget_file(reg, kept), GRIDR_ENOENT);
    ASSERT_STATUS(gridr_registry_add_file(reg, "bad\nname"), GRIDR_EINVAL);
    ASSERT_STATUS(gridr_registry_add_file(reg, ""), GRIDR_EINVAL);
    /* A relative path is journaled absolute. */
    CU_ASSERT_FATAL(getcwd(cwd, sizeof cwd) != NULL);
    CU_ASSERT_FATAL(chdir(dir) == 0);
    ASSERT_OK(gridr_registry_add_file(reg, "relative.tmp"));
    touch("relative.tmp");
    CU_ASSERT_FATAL(chdir(cwd) == 0);
    snprintf(rel, sizeof rel, "+file %s/relative.tmp\n", dir);
    CU_ASSERT_PTR_NOT_NULL(strstr(slurp(gridr_registry_journal(reg)), rel));
    CU_ASSERT(gridr_registry_count(reg) == 0); /* files are not names */
    gridr_registry_close(reg);
    CU_ASSERT_TRUE(exists(kept));
    CU_ASSERT_FALSE(exists(gone));
    snprintf(rel, sizeof rel, "%s/relative.tmp", dir);
    CU_ASSERT_FALSE(exists(rel));
    unlink(kept);
}

static gridr_registry *atexit_reg;

static void close_at_exit(void)
{
    gridr_registry_close(atexit_reg); /* what a careless embedding program would do */
}

/* A child that inherits the registry must not clean the parent's run, whatever it calls. */
static void test_child_never_cleans(void)
{
    static int registered;
    gridr_registry *reg = NULL;
    gridr_sma *a = NULL, *b = NULL;
    ASSERT_OK(gridr_registry_open(state_dir("child"), &reg));
    if (!reg)
        return;
    ASSERT_OK(gridr_sma_create(reg, GRIDR_DT_U8, 1, 8, 8, &a));
    ASSERT_OK(gridr_sma_create(reg, GRIDR_DT_U8, 1, 8, 8, &b));
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        gridr_sma *c = NULL;
        char name[GRIDR_SMA_NAME_MAX];
        int bad = gridr_sma_create(reg, GRIDR_DT_U8, 1, 1, 1, &c) != GRIDR_EINVAL ||
                  gridr_registry_new_name(reg, name) != GRIDR_EINVAL ||
                  gridr_registry_release(reg, gridr_sma_name(a)) != GRIDR_EINVAL;
        gridr_registry_emergency_unlink(reg);
        gridr_registry_close(reg);
        _exit(bad ? 1 : 0);
    }
    int status = 0;
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CU_ASSERT(shm_exists(gridr_sma_name(a)) && shm_exists(gridr_sma_name(b)));
    CU_ASSERT_TRUE(exists(gridr_registry_journal(reg)));

    /* exit() in a child runs the parent's atexit handlers: still nothing is removed. */
    if (!registered++)
        atexit(close_at_exit);
    atexit_reg = reg;
    fflush(NULL);
    pid = fork();
    if (pid == 0)
        exit(0);
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    atexit_reg = NULL;
    CU_ASSERT(shm_exists(gridr_sma_name(a)) && shm_exists(gridr_sma_name(b)));
    CU_ASSERT_TRUE(exists(gridr_registry_journal(reg)));
    CU_ASSERT_EQUAL(gridr_registry_count(reg), 2);
    char id[9];
    snprintf(id, sizeof id, "%s", gridr_registry_run_id(reg));
    gridr_sma_detach(a);
    gridr_sma_detach(b);
    gridr_registry_close(reg);
    CU_ASSERT_EQUAL(gridr_test_count_shm(id), 0);
}

static gridr_registry *signal_reg;

static void on_fatal(int sig)
{
    gridr_registry_emergency_unlink(signal_reg);
    _exit(100 + sig);
}

/* A child opens a run, then dies on a signal whose handler does the emergency unlink. */
static void test_emergency_unlink_in_handler(void)
{
    int fds[2];
    char tmp[PATH_MAX], id[9] = {0}, journal[PATH_MAX];
    const char *dir = state_dir("emergency");
    snprintf(tmp, sizeof tmp, "%s/out.tif.tmp", dir);
    CU_ASSERT_FATAL(pipe(fds) == 0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        gridr_sma *a[40];
        close(fds[0]);
        if (gridr_registry_open(dir, &signal_reg) != 0)
            _exit(1);
        for (int i = 0; i < 40; i++) /* enough to grow the slot array twice */
            if (gridr_sma_create(signal_reg, GRIDR_DT_U8, 1, 1, 1, &a[i]) != 0)
                _exit(2);
        gridr_registry_release(signal_reg, gridr_sma_name(a[7]));
        touch(tmp);
        if (gridr_registry_add_file(signal_reg, tmp) != 0 ||
            write(fds[1], gridr_registry_run_id(signal_reg), 8) != 8)
            _exit(3);
        signal(SIGUSR1, on_fatal);
        raise(SIGUSR1);
        _exit(4);
    }
    close(fds[1]);
    CU_ASSERT_EQUAL(read(fds[0], id, 8), 8);
    close(fds[0]);
    int status = 0;
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 100 + SIGUSR1);
    CU_ASSERT_EQUAL(strlen(id), 8);
    CU_ASSERT_EQUAL(gridr_test_count_shm(id), 0);
    CU_ASSERT_FALSE(exists(tmp));
    snprintf(journal, sizeof journal, "%s/%s.journal", dir, id);
    CU_ASSERT_FALSE(exists(journal));
}

static void test_state_dir_checks(void)
{
    gridr_registry *reg = (gridr_registry *)&reg;
    char bad[PATH_MAX], link[PATH_MAX], fresh[PATH_MAX], env[PATH_MAX];
    const char *base = gridr_test_tmpdir();
    struct stat st;
    snprintf(bad, sizeof bad, "%s/reg-open-dir", base);
    snprintf(link, sizeof link, "%s/reg-link-dir", base);
    snprintf(fresh, sizeof fresh, "%s/reg-fresh/", base);
    mkdir(bad, 0755);
    CU_ASSERT_EQUAL(chmod(bad, 0755), 0);
    ASSERT_STATUS(gridr_registry_open(bad, &reg), GRIDR_EPERM);
    CU_ASSERT_PTR_NULL(reg);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "0755"));
    CU_ASSERT_EQUAL(symlink(state_dir("target"), link), 0);
    ASSERT_STATUS(gridr_registry_open(link, &reg), GRIDR_EPERM);
    ASSERT_STATUS(gridr_registry_sweep(link, 0, NULL, NULL, NULL), GRIDR_EPERM);
    /* Created 0700 even under a umask that would take the owner's bits away. */
    mode_t old = umask(0277);
    ASSERT_OK(gridr_registry_open(fresh, &reg));
    umask(old);
    CU_ASSERT(stat(fresh, &st) == 0 && (st.st_mode & 07777) == 0700);
    CU_ASSERT(reg && !strstr(gridr_registry_journal(reg), "//"));
    gridr_registry_close(reg);

    /* Defaults: $XDG_RUNTIME_DIR/gridr when it is ours, else $TMPDIR/gridr-<uid>. */
    char *save_xdg = getenv("XDG_RUNTIME_DIR"), *save_tmp = getenv("TMPDIR");
    save_xdg = save_xdg ? strdup(save_xdg) : NULL;
    save_tmp = save_tmp ? strdup(save_tmp) : NULL;
    setenv("XDG_RUNTIME_DIR", state_dir("xdg"), 1);
    ASSERT_OK(gridr_registry_open(NULL, &reg));
    snprintf(env, sizeof env, "%s/gridr/", state_dir("xdg"));
    CU_ASSERT(reg && strncmp(gridr_registry_journal(reg), env, strlen(env)) == 0);
    gridr_registry_close(reg);
    unsetenv("XDG_RUNTIME_DIR");
    setenv("TMPDIR", state_dir("tmpdir"), 1);
    ASSERT_OK(gridr_registry_open(NULL, &reg));
    snprintf(env, sizeof env, "%s/gridr-%lu/", state_dir("tmpdir"), (unsigned long)geteuid());
    CU_ASSERT(reg && strncmp(gridr_registry_journal(reg), env, strlen(env)) == 0);
    gridr_registry_close(reg);
    if (save_xdg)
        setenv("XDG_RUNTIME_DIR", save_xdg, 1);
    if (save_tmp)
        setenv("TMPDIR", save_tmp, 1);
    else
        unsetenv("TMPDIR");
    free(save_xdg);
    free(save_tmp);
}

/* ---- stale sweep -------------------------------------------------------------------------- */

typedef struct seen {
    int n, shm, file, journal, unreadable;
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
    touch(tmp);
    if (gridr_registry_add_file(reg, tmp) != 0)
        _exit(3);
    snprintf(d.id, sizeof d.id, "%s", gridr_registry_run_id(reg));
    _exit(write(wfd, &d, sizeof d) == (ssize_t)sizeof d ? 0 : 4); /* no close: a crash */
}

static void test_sweep_dead_run(void)
{
    const char *dir = state_dir("sweep");
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
    CU_ASSERT(shm_exists(d.names[0]) && shm_exists(d.names[1]) && exists(tmp) && exists(journal));

    seen dry = {0}, wet = {0}, again = {0};
    size_t n = 99;
    ASSERT_OK(gridr_registry_sweep(dir, 1, collect, &dry, &n));
    CU_ASSERT_EQUAL(n, 4);
    CU_ASSERT(dry.shm == 2 && dry.file == 1 && dry.journal == 1 && dry.unreadable == 0);
    CU_ASSERT(saw(&dry, d.names[0]) && saw(&dry, d.names[1]) && saw(&dry, tmp));
    CU_ASSERT(shm_exists(d.names[0]) && shm_exists(d.names[1]) && exists(tmp) && exists(journal));

    ASSERT_OK(gridr_registry_sweep(dir, 0, collect, &wet, &n));
    CU_ASSERT_EQUAL(n, 4);
    CU_ASSERT(wet.shm == 2 && wet.file == 1 && wet.journal == 1);
    CU_ASSERT_EQUAL(gridr_test_count_shm(d.id), 0);
    CU_ASSERT_FALSE(exists(tmp));
    CU_ASSERT_FALSE(exists(journal));
    /* The live run (this process) kept everything. */
    CU_ASSERT_TRUE(shm_exists(gridr_sma_name(mine)));
    CU_ASSERT_TRUE(exists(gridr_registry_journal(live)));
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
    p = strrchr(slurp(path), ')');
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
    const char *dir = state_dir("forged");
    char boot[64], tmp[PATH_MAX], extra[PATH_MAX + 16], garbage[PATH_MAX];
    struct utsname un;
    unsigned long uid = (unsigned long)geteuid();
    forged reused, live, other_uid, other_boot, other_host, partial;
    int status;
    snprintf(boot, sizeof boot, "%.40s", slurp("/proc/sys/kernel/random/boot_id"));
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
    touch(tmp);
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
    CU_ASSERT(shm_exists(reused.shm) && exists(reused.journal) && exists(tmp));

    ASSERT_OK(gridr_registry_sweep(dir, 0, collect, &wet, &n));
    CU_ASSERT_EQUAL(n, 6);
    CU_ASSERT_EQUAL(wet.unreadable, 1);
    CU_ASSERT(!shm_exists(reused.shm) && !exists(reused.journal)); /* pid reused: dead */
    CU_ASSERT(!shm_exists(partial.shm) && !exists(partial.journal));
    CU_ASSERT(shm_exists(live.shm) && exists(live.journal)); /* live: untouched */
    CU_ASSERT(shm_exists(other_uid.shm) && exists(other_uid.journal));
    CU_ASSERT(shm_exists(other_host.shm) && exists(other_host.journal));
    CU_ASSERT(!exists(other_boot.journal) && !exists(tmp));
    CU_ASSERT_TRUE(shm_exists(other_boot.shm)); /* another boot's names are not looked at */
    CU_ASSERT_TRUE(exists(garbage));            /* unreadable: reported, kept */

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
    const char *dir = state_dir("own");
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
    CU_ASSERT_TRUE(shm_exists(gridr_sma_name(a)));
    CU_ASSERT_TRUE(exists(gridr_registry_journal(reg)));
    char missing[PATH_MAX];
    snprintf(missing, sizeof missing, "%s/no-such-dir", dir);
    ASSERT_OK(gridr_registry_sweep(missing, 0, NULL, NULL, &n));
    CU_ASSERT_EQUAL(n, 0);
    gridr_sma_detach(a);
    gridr_registry_close(reg);
}

static CU_TestInfo tests[] = {
    {"journal header, records, close removes all", test_journal_lifecycle},
    {"release: gone, twice, not ours", test_release_rules},
    {"temporary files: add, forget, close removes", test_temp_files},
    {"a forked child never cleans the parent's run", test_child_never_cleans},
    {"emergency unlink from a signal handler", test_emergency_unlink_in_handler},
    {"state directory: private, no symlink, defaults", test_state_dir_checks},
    {"sweep: a crashed run is removed, a live one kept", test_sweep_dead_run},
    {"sweep: pid reuse, other uid/boot/host, bad journals", test_sweep_forged_journals},
    {"sweep: never the caller's own run", test_sweep_spares_own_run},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo gridr_test_registry_suite = {"registry", NULL, NULL, NULL, NULL, tests};

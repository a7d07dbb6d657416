/* gridr tests: the run registry: journal, close and fork, temp files, emergency, stale sweep. */
#include "unit.h"
#include "test_registry.h"

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

const char *treg_dir(const char *tag)
{
    static char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/reg-%s", gridr_test_tmpdir(), tag);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        perror(dir);
    return dir;
}

int treg_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

int treg_shm_exists(const char *name)
{
    char path[64];
    snprintf(path, sizeof path, "/dev/shm%s", name);
    return treg_exists(path);
}

char *treg_slurp(const char *path)
{
    static char buf[16384];
    int fd = open(path, O_RDONLY);
    ssize_t n = fd < 0 ? 0 : read(fd, buf, sizeof buf - 1);
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

void treg_touch(const char *path)
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
    const char *dir = treg_dir("life");
    ASSERT_OK(gridr_registry_open(dir, &reg));
    if (!reg)
        return;
    const char *id = gridr_registry_run_id(reg);
    snprintf(path, sizeof path, "%s/%s.journal", dir, id);
    CU_ASSERT_STRING_EQUAL(gridr_registry_journal(reg), path);
    struct stat st;
    CU_ASSERT(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600 && st.st_uid == geteuid());
    j = treg_slurp(path);
    snprintf(expect, sizeof expect, "gridr-journal 1\npid %ld\nstart ", (long)getpid());
    CU_ASSERT_EQUAL(strncmp(j, expect, strlen(expect)), 0);
    snprintf(expect, sizeof expect, "\nuid %lu\n", (unsigned long)geteuid());
    CU_ASSERT_PTR_NOT_NULL(strstr(j, expect));
    char boot[64];
    snprintf(boot, sizeof boot, "boot %.40s", treg_slurp("/proc/sys/kernel/random/boot_id"));
    j = treg_slurp(path);
    CU_ASSERT_PTR_NOT_NULL(strstr(j, boot)); /* boot_id ends with '\n' like the record */

    for (int i = 0; i < 3; i++)
        ASSERT_OK(gridr_sma_create(reg, GRIDR_DT_U8, 1, 64, 64, &a[i]));
    CU_ASSERT_EQUAL(gridr_registry_count(reg), 3);
    CU_ASSERT_EQUAL(gridr_test_count_shm(id), 3);
    ASSERT_OK(gridr_registry_release(reg, gridr_sma_name(a[1])));
    CU_ASSERT_EQUAL(gridr_registry_count(reg), 2);
    CU_ASSERT_FALSE(treg_shm_exists(gridr_sma_name(a[1])));
    j = treg_slurp(path);
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
    CU_ASSERT_FALSE(treg_exists(path));
    gridr_registry_close(NULL);
}

static void test_release_rules(void)
{
    gridr_registry *reg = NULL;
    gridr_sma *a = NULL;
    char name[GRIDR_SMA_NAME_MAX];
    ASSERT_OK(gridr_registry_open(treg_dir("release"), &reg));
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
    const char *dir = treg_dir("files");
    snprintf(kept, sizeof kept, "%s/kept.tif", dir);
    snprintf(gone, sizeof gone, "%s/gone.tif.tmp", dir);
    ASSERT_OK(gridr_registry_open(dir, &reg));
    if (!reg)
        return;
    treg_touch(kept);
    treg_touch(gone);
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
    treg_touch("relative.tmp");
    CU_ASSERT_FATAL(chdir(cwd) == 0);
    snprintf(rel, sizeof rel, "+file %s/relative.tmp\n", dir);
    CU_ASSERT_PTR_NOT_NULL(strstr(treg_slurp(gridr_registry_journal(reg)), rel));
    CU_ASSERT(gridr_registry_count(reg) == 0); /* files are not names */
    gridr_registry_close(reg);
    CU_ASSERT_TRUE(treg_exists(kept));
    CU_ASSERT_FALSE(treg_exists(gone));
    snprintf(rel, sizeof rel, "%s/relative.tmp", dir);
    CU_ASSERT_FALSE(treg_exists(rel));
    unlink(kept);
}

/* A temporary name: close removes <tmp> and its regular <tmp>.* files, nothing else. */
static void test_temp_names(void)
{
    gridr_registry *reg = NULL;
    char tmp[1024], p[PATH_MAX], rec[PATH_MAX + 16];
    const char *dir = treg_dir("names");
    const char *mine[] = {"", ".aux.xml", ".ovr.tmp", ".msk", ".stage.tif"};
    const char *kept[] = {"out.tif.tmp.0b0b0b0b0", "out.tif", "other.tif.tmp.0c0c0c0c"};
    ASSERT_OK(gridr_registry_open(dir, &reg));
    CU_ASSERT_FATAL(reg != NULL);
    snprintf(tmp, sizeof tmp, "%s/out.tif.tmp.0b0b0b0b", dir);
    ASSERT_OK(gridr_registry_add_temp(reg, tmp));
    ASSERT_OK(gridr_registry_add_temp(reg, tmp)); /* twice: held once */
    ASSERT_STATUS(gridr_registry_add_file(reg, tmp), GRIDR_EINVAL);
    snprintf(rec, sizeof rec, "+tmp %s\n", tmp);
    CU_ASSERT_PTR_NOT_NULL(strstr(treg_slurp(gridr_registry_journal(reg)), rec));
    for (size_t i = 0; i < 5; i++) {
        snprintf(p, sizeof p, "%s%s", tmp, mine[i]);
        treg_touch(p);
    }
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, kept[i]);
        treg_touch(p);
    }
    gridr_registry_close(reg);
    for (size_t i = 0; i < 5; i++) {
        snprintf(p, sizeof p, "%s%s", tmp, mine[i]);
        CU_ASSERT_FALSE(treg_exists(p));
    }
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, kept[i]);
        CU_ASSERT_TRUE(treg_exists(p));
        unlink(p);
    }
    /* Forgotten (the output was committed): journaled, kept. */
    ASSERT_OK(gridr_registry_open(dir, &reg));
    CU_ASSERT_FATAL(reg != NULL);
    treg_touch(tmp);
    ASSERT_OK(gridr_registry_add_temp(reg, tmp));
    ASSERT_OK(gridr_registry_forget_file(reg, tmp));
    snprintf(rec, sizeof rec, "-tmp %s\n", tmp);
    CU_ASSERT_PTR_NOT_NULL(strstr(treg_slurp(gridr_registry_journal(reg)), rec));
    gridr_registry_close(reg);
    CU_ASSERT_TRUE(treg_exists(tmp));
    unlink(tmp);
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
    ASSERT_OK(gridr_registry_open(treg_dir("child"), &reg));
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
    CU_ASSERT(treg_shm_exists(gridr_sma_name(a)) && treg_shm_exists(gridr_sma_name(b)));
    CU_ASSERT_TRUE(treg_exists(gridr_registry_journal(reg)));

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
    CU_ASSERT(treg_shm_exists(gridr_sma_name(a)) && treg_shm_exists(gridr_sma_name(b)));
    CU_ASSERT_TRUE(treg_exists(gridr_registry_journal(reg)));
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
    char tmp[1024], id[9] = {0}, journal[PATH_MAX], name[1024], side[1100];
    const char *dir = treg_dir("emergency");
    snprintf(tmp, sizeof tmp, "%s/out.tif.tmp", dir);
    snprintf(name, sizeof name, "%s/cog.tif.tmp.0d0d0d0d", dir);
    snprintf(side, sizeof side, "%s.ovr.tmp", name); /* written by GDAL: never journaled */
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
        treg_touch(tmp);
        treg_touch(side);
        if (gridr_registry_add_file(signal_reg, tmp) != 0 ||
            gridr_registry_add_temp(signal_reg, name) != 0 ||
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
    CU_ASSERT_FALSE(treg_exists(tmp));
    CU_ASSERT_FALSE(treg_exists(side));
    snprintf(journal, sizeof journal, "%s/%s.journal", dir, id);
    CU_ASSERT_FALSE(treg_exists(journal));
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
    CU_ASSERT_EQUAL(symlink(treg_dir("target"), link), 0);
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
    setenv("XDG_RUNTIME_DIR", treg_dir("xdg"), 1);
    ASSERT_OK(gridr_registry_open(NULL, &reg));
    snprintf(env, sizeof env, "%s/gridr/", treg_dir("xdg"));
    CU_ASSERT(reg && strncmp(gridr_registry_journal(reg), env, strlen(env)) == 0);
    gridr_registry_close(reg);
    unsetenv("XDG_RUNTIME_DIR");
    setenv("TMPDIR", treg_dir("tmpdir"), 1);
    ASSERT_OK(gridr_registry_open(NULL, &reg));
    snprintf(env, sizeof env, "%s/gridr-%lu/", treg_dir("tmpdir"), (unsigned long)geteuid());
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

static CU_TestInfo tests[] = {
    {"journal header, records, close removes all", test_journal_lifecycle},
    {"release: gone, twice, not ours", test_release_rules},
    {"temporary files: add, forget, close removes", test_temp_files},
    {"temporary names: close removes <tmp> and <tmp>.* only", test_temp_names},
    {"a forked child never cleans the parent's run", test_child_never_cleans},
    {"emergency unlink from a signal handler", test_emergency_unlink_in_handler},
    {"state directory: private, no symlink, defaults", test_state_dir_checks},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo gridr_test_registry_suite = {"registry", NULL, NULL, NULL, NULL, tests};

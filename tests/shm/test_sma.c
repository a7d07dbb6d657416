/* gridr tests: shared-memory arrays: round trips, names, squatting, modes, fork, full /dev/shm. */
#include "unit.h"

#include "shm/registry_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* A private 0700 state directory for one test. Ownership: static buffer, reused per call. */
static const char *state_dir(const char *tag)
{
    static char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/sma-%s", gridr_test_tmpdir(), tag);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        perror(dir);
    return dir;
}

/* "/gridr." + 8 lowercase hex (the run id) + "." + 1..14 lowercase hex, at most 30 chars. */
static int valid_name(const char *name, const char *run_id)
{
    size_t n = strlen(name);
    if (n > 30 || strncmp(name, "/gridr.", 7) != 0 || strncmp(name + 7, run_id, 8) != 0 ||
        name[15] != '.' || n < 17)
        return 0;
    for (size_t i = 7; i < n; i++) {
        if (i == 15)
            continue;
        if (!strchr("0123456789abcdef", name[i]))
            return 0;
    }
    return 1;
}

static double pattern(int b, long r, long c)
{
    return (double)(b * 50 + r * 7 + c);
}

static void fill(const gridr_array *a)
{
    for (int b = 0; b < a->bands; b++)
        for (long r = 0; r < a->rows; r++)
            for (long c = 0; c < a->cols; c++)
                gridr_dtype_set(gridr_array_at(a, b, r, c), a->dtype, 0, pattern(b, r, c));
}

static int same_as_pattern(const gridr_array *a, long r0, long c0)
{
    for (int b = 0; b < a->bands; b++)
        for (long r = 0; r < a->rows; r++)
            for (long c = 0; c < a->cols; c++)
                if (gridr_dtype_get(gridr_array_at(a, b, r, c), a->dtype, 0) !=
                    pattern(b, r + r0, c + c0))
                    return 0;
    return 1;
}

static void roundtrip_one(gridr_registry *reg, gridr_dtype dt)
{
    gridr_sma *a = NULL, *b = NULL;
    ASSERT_OK(gridr_sma_create(reg, dt, 2, 5, 7, &a));
    if (!a)
        return;
    gridr_array arr = gridr_sma_array(a);
    CU_ASSERT_EQUAL(arr.dtype, dt);
    CU_ASSERT_EQUAL(arr.bands, 2);
    CU_ASSERT_EQUAL(arr.rows, 5);
    CU_ASSERT_EQUAL(arr.cols, 7);
    CU_ASSERT_EQUAL(arr.band_stride, 35);
    CU_ASSERT_EQUAL(arr.row_stride, 7);
    CU_ASSERT(gridr_sma_bytes(a) >= gridr_sma_bytes_for(dt, 2, 5, 7));
    CU_ASSERT_EQUAL(gridr_sma_bytes(a) % (size_t)sysconf(_SC_PAGESIZE), 0);
    CU_ASSERT_EQUAL(gridr_dtype_get(arr.data, dt, 69), 0.0); /* zero-filled */
    fill(&arr);
    ASSERT_OK(gridr_sma_attach(gridr_sma_name(a), dt, 2, 5, 7, &b));
    if (b) {
        gridr_array back = gridr_sma_array(b), v;
        CU_ASSERT_PTR_NOT_EQUAL(back.data, arr.data); /* a second mapping of the same pages */
        CU_ASSERT(same_as_pattern(&back, 0, 0));
        ASSERT_OK(gridr_sma_view(b, (gridr_rect){1, 2, 3, 4}, &v));
        CU_ASSERT_EQUAL(v.rows, 3);
        CU_ASSERT_EQUAL(v.cols, 4);
        CU_ASSERT_EQUAL(v.row_stride, 7);
        CU_ASSERT(same_as_pattern(&v, 1, 2));
        /* Writing through a view of one mapping shows in the other. */
        gridr_dtype_set(gridr_array_at(&v, 1, 2, 3), dt, 0, 99);
        CU_ASSERT_EQUAL(gridr_dtype_get(gridr_array_at(&arr, 1, 3, 5), dt, 0), 99.0);
        gridr_sma_detach(b);
    }
    char name[GRIDR_SMA_NAME_MAX];
    snprintf(name, sizeof name, "%s", gridr_sma_name(a));
    gridr_sma_detach(a);
    ASSERT_OK(gridr_registry_release(reg, name));
    ASSERT_STATUS(gridr_sma_attach(name, dt, 2, 5, 7, &b), GRIDR_ENOENT);
    CU_ASSERT_PTR_NULL(b);
}

static void test_roundtrip_every_dtype(void)
{
    gridr_registry *reg = NULL;
    ASSERT_OK(gridr_registry_open(state_dir("roundtrip"), &reg));
    if (!reg)
        return;
    for (int dt = 1; dt < GRIDR_DT_COUNT; dt++)
        roundtrip_one(reg, (gridr_dtype)dt);
    CU_ASSERT_EQUAL(gridr_registry_count(reg), 0);
    CU_ASSERT_EQUAL(gridr_test_count_shm(gridr_registry_run_id(reg)), 0);
    gridr_registry_close(reg);
}

static void test_name_format(void)
{
    gridr_registry *reg = NULL;
    char name[GRIDR_SMA_NAME_MAX];
    ASSERT_OK(gridr_registry_open(state_dir("names"), &reg));
    if (!reg)
        return;
    char id[16]; /* a copy: the registry's string is freed by its close, checked after it */
    snprintf(id, sizeof id, "%s", gridr_registry_run_id(reg));
    CU_ASSERT_EQUAL(strlen(id), 8);
    CU_ASSERT_EQUAL(strspn(id, "0123456789abcdef"), 8);
    for (int i = 0; i < 20; i++) {
        gridr_sma *a = NULL;
        ASSERT_OK(gridr_sma_create(reg, GRIDR_DT_U8, 1, 1, 1, &a));
        CU_ASSERT(a && valid_name(gridr_sma_name(a), id));
        gridr_sma_detach(a);
    }
    CU_ASSERT_EQUAL(gridr_test_count_shm(id), 20);
    ASSERT_OK(gridr__registry_set_seq(reg, GRIDR__SEQ_MAX - 1));
    gridr_sma *big = NULL;
    ASSERT_OK(gridr_sma_create(reg, GRIDR_DT_U8, 1, 1, 1, &big));
    CU_ASSERT(big && valid_name(gridr_sma_name(big), id));
    CU_ASSERT(big && strlen(gridr_sma_name(big)) == 30);
    gridr_sma_detach(big);
    ASSERT_OK(gridr_registry_new_name(reg, name)); /* the last one */
    CU_ASSERT_STRING_EQUAL(name + 16, "ffffffffffffff");
    CU_ASSERT(valid_name(name, id));
    ASSERT_STATUS(gridr_registry_new_name(reg, name), GRIDR_ERANGE);
    gridr_sma *none = NULL;
    ASSERT_STATUS(gridr_sma_create(reg, GRIDR_DT_U8, 1, 1, 1, &none), GRIDR_ERANGE);
    CU_ASSERT_PTR_NULL(none);
    CU_ASSERT_EQUAL(gridr_registry_count(reg), 22);
    gridr_registry_close(reg);
    CU_ASSERT_EQUAL(gridr_test_count_shm(id), 0);
}

static int read_file(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return n < 0 ? -1 : 0;
}

static void check_foreign(const char *name, const char *what)
{
    struct stat st;
    char buf[16] = {0};
    int fd = shm_open(name, O_RDONLY, 0);
    CU_ASSERT(fd >= 0);
    if (fd < 0)
        return;
    CU_ASSERT_EQUAL(fstat(fd, &st), 0);
    CU_ASSERT_EQUAL(st.st_size, 8192);
    CU_ASSERT_EQUAL(st.st_mode & 07777, 0640);
    CU_ASSERT_EQUAL(pread(fd, buf, 8, 0), 8);
    if (strcmp(buf, "foreign!") != 0)
        fprintf(stderr, "\nforeign segment %s changed %s\n", name, what);
    CU_ASSERT_STRING_EQUAL(buf, "foreign!");
    close(fd);
}

static void test_foreign_segment_untouched(void)
{
    gridr_registry *reg = NULL;
    ASSERT_OK(gridr_registry_open(state_dir("foreign"), &reg));
    if (!reg)
        return;
    char foreign[GRIDR_SMA_NAME_MAX], mine[GRIDR_SMA_NAME_MAX], rec[128], journal[4096];
    const char *id = gridr_registry_run_id(reg);
    snprintf(foreign, sizeof foreign, "/gridr.%s.5", id);
    snprintf(mine, sizeof mine, "/gridr.%s.6", id);
    int fd = shm_open(foreign, O_CREAT | O_EXCL | O_RDWR, 0640);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(fchmod(fd, 0640), 0);
    CU_ASSERT_EQUAL(ftruncate(fd, 8192), 0);
    CU_ASSERT_EQUAL(pwrite(fd, "foreign!", 8, 0), 8);
    close(fd);

    ASSERT_OK(gridr__registry_set_seq(reg, 5));
    gridr_sma *a = NULL;
    ASSERT_OK(gridr_sma_create(reg, GRIDR_DT_F32, 1, 100, 100, &a));
    CU_ASSERT(a && strcmp(gridr_sma_name(a), mine) == 0);
    CU_ASSERT_EQUAL(gridr_registry_count(reg), 1);
    check_foreign(foreign, "after create");
    /* Journal: the foreign name was registered first (intent), then given up. */
    CU_ASSERT_EQUAL(read_file(gridr_registry_journal(reg), journal, sizeof journal), 0);
    snprintf(rec, sizeof rec, "+shm %s\n-shm %s\n+shm %s\n", foreign, foreign, mine);
    CU_ASSERT_PTR_NOT_NULL(strstr(journal, rec));
    /* Releasing the foreign name is a no-op, not an unlink. */
    ASSERT_OK(gridr_registry_release(reg, foreign));
    gridr_sma_detach(a);
    gridr_registry_close(reg);
    check_foreign(foreign, "after close");
    CU_ASSERT_EQUAL(shm_unlink(mine) != 0 && errno == ENOENT, 1);
    CU_ASSERT_EQUAL(shm_unlink(foreign), 0);
}

static mode_t seg_mode(const char *name, uid_t *uid)
{
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, "/dev/shm%s", name);
    if (stat(path, &st) != 0)
        return 0;
    *uid = st.st_uid;
    return st.st_mode & 07777;
}

static void test_mode_0600_any_umask(void)
{
    static const mode_t masks[] = {0, 0277, 022};
    gridr_registry *reg = NULL;
    mode_t old = umask(0);
    ASSERT_OK(gridr_registry_open(state_dir("umask"), &reg));
    for (size_t i = 0; reg && i < sizeof masks / sizeof masks[0]; i++) {
        gridr_sma *a = NULL;
        uid_t uid = (uid_t)-1;
        struct stat st;
        umask(masks[i]);
        ASSERT_OK(gridr_sma_create(reg, GRIDR_DT_U16, 1, 10, 10, &a));
        CU_ASSERT(a && seg_mode(gridr_sma_name(a), &uid) == 0600);
        CU_ASSERT_EQUAL(uid, geteuid());
        CU_ASSERT(stat(gridr_registry_journal(reg), &st) == 0 && (st.st_mode & 07777) == 0600);
        gridr_sma_detach(a);
    }
    umask(old);
    gridr_registry_close(reg);
}

static void test_fork_child_writes_view(void)
{
    gridr_registry *reg = NULL;
    gridr_sma *a = NULL;
    ASSERT_OK(gridr_registry_open(state_dir("fork"), &reg));
    if (!reg)
        return;
    ASSERT_OK(gridr_sma_create(reg, GRIDR_DT_F32, 2, 8, 8, &a));
    if (!a) {
        gridr_registry_close(reg);
        return;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) { /* worker: attach by name, write a window through a view, _exit */
        gridr_sma *w = NULL;
        gridr_array v;
        int rc = gridr_sma_attach(gridr_sma_name(a), GRIDR_DT_F32, 2, 8, 8, &w);
        if (!rc)
            rc = gridr_sma_view(w, (gridr_rect){2, 3, 4, 4}, &v);
        for (int b = 0; !rc && b < 2; b++)
            for (long r = 0; r < 4; r++)
                for (long c = 0; c < 4; c++)
                    *(float *)gridr_array_at(&v, b, r, c) = (float)(1000 * b + 10 * r + c + 1);
        gridr_sma_detach(w);
        _exit(rc ? 1 : 0);
    }
    int status = 0;
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    gridr_array arr = gridr_sma_array(a);
    int bad = 0;
    for (int b = 0; b < 2; b++)
        for (long r = 0; r < 8; r++)
            for (long c = 0; c < 8; c++) {
                int in = r >= 2 && r < 6 && c >= 3 && c < 7;
                float want = in ? (float)(1000 * b + 10 * (r - 2) + (c - 3) + 1) : 0.0f;
                bad += *(float *)gridr_array_at(&arr, b, r, c) != want;
            }
    CU_ASSERT_EQUAL(bad, 0);
    gridr_sma_detach(a);
    gridr_registry_close(reg);
}

static void test_attach_errors(void)
{
    gridr_registry *reg = NULL;
    gridr_sma *a = NULL, *b = (gridr_sma *)&b;
    ASSERT_OK(gridr_registry_open(state_dir("attach"), &reg));
    if (!reg)
        return;
    ASSERT_STATUS(gridr_sma_attach("/gridr.00000000.0", GRIDR_DT_U8, 1, 1, 1, &b), GRIDR_ENOENT);
    CU_ASSERT_PTR_NULL(b);
    ASSERT_STATUS(gridr_sma_attach("noslash", GRIDR_DT_U8, 1, 1, 1, &b), GRIDR_EINVAL);
    ASSERT_STATUS(gridr_sma_attach("/a/b", GRIDR_DT_U8, 1, 1, 1, &b), GRIDR_EINVAL);
    ASSERT_STATUS(
        gridr_sma_attach("/gridr.0123456789abcdef0123456789abcdef", GRIDR_DT_U8, 1, 1, 1, &b),
        GRIDR_EINVAL);
    ASSERT_OK(gridr_sma_create(reg, GRIDR_DT_U8, 1, 4, 4, &a));
    if (a) {
        const char *name = gridr_sma_name(a);
        ASSERT_STATUS(gridr_sma_attach(name, GRIDR_DT_F64, 1, 100, 100, &b), GRIDR_EFORMAT);
        CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), name));
        ASSERT_STATUS(gridr_sma_attach(name, GRIDR_DT_UNKNOWN, 1, 4, 4, &b), GRIDR_EINVAL);
        char path[64];
        snprintf(path, sizeof path, "/dev/shm%s", name);
        if (geteuid() == 0 && chown(path, 4242, (gid_t)-1) == 0) {
            ASSERT_STATUS(gridr_sma_attach(name, GRIDR_DT_U8, 1, 4, 4, &b), GRIDR_EPERM);
            CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "uid 4242"));
        } else {
            fprintf(stderr, "SKIPPED: foreign-owner attach check needs root\n");
        }
        gridr_sma_detach(a);
    }
    const char *id = gridr_registry_run_id(reg);
    CU_ASSERT_EQUAL(gridr_test_count_shm(id), 1);
    gridr_registry_close(reg);
}

static void test_zero_size(void)
{
    gridr_registry *reg = NULL;
    gridr_sma *a = NULL, *b = NULL, *c = NULL;
    gridr_array v;
    ASSERT_OK(gridr_registry_open(state_dir("zero"), &reg));
    if (!reg)
        return;
    ASSERT_OK(gridr_sma_create(reg, GRIDR_DT_I16, 1, 0, 5, &a));
    if (a) {
        CU_ASSERT_PTR_NOT_NULL(gridr_sma_array(a).data);
        CU_ASSERT_EQUAL(gridr_sma_array(a).rows, 0);
        CU_ASSERT_EQUAL(gridr_sma_bytes(a), (size_t)sysconf(_SC_PAGESIZE));
        ASSERT_OK(gridr_sma_attach(gridr_sma_name(a), GRIDR_DT_I16, 1, 0, 5, &b));
        ASSERT_OK(gridr_sma_view(a, (gridr_rect){0, 0, 0, 5}, &v));
        CU_ASSERT_EQUAL(v.rows, 0);
        ASSERT_STATUS(gridr_sma_view(a, (gridr_rect){0, 0, 1, 1}, &v), GRIDR_ERANGE);
    }
    ASSERT_OK(gridr_sma_create(reg, GRIDR_DT_F64, 0, 3, 3, &c));
    CU_ASSERT_EQUAL(gridr_registry_count(reg), 2);
    gridr_sma_detach(a);
    gridr_sma_detach(b);
    gridr_sma_detach(c);
    gridr_registry_close(reg);
}

static void test_bytes_and_shapes(void)
{
    CU_ASSERT_EQUAL(gridr_sma_bytes_for(GRIDR_DT_U16, 3, 100, 200), 120000);
    CU_ASSERT_EQUAL(gridr_sma_bytes_for(GRIDR_DT_F64, 1, 1, 1), 8);
    CU_ASSERT_EQUAL(gridr_sma_bytes_for(GRIDR_DT_U8, 1, LONG_MAX, 2), 0);
    CU_ASSERT_EQUAL(gridr_sma_bytes_for(GRIDR_DT_U8, 2, LONG_MAX / 2, 1), 0);
    CU_ASSERT_EQUAL(gridr_sma_bytes_for(GRIDR_DT_F64, INT_MAX, 1L << 20, 1L << 20), 0);
    CU_ASSERT_EQUAL(gridr_sma_bytes_for(GRIDR_DT_U8, 0, LONG_MAX, LONG_MAX), 0);
    CU_ASSERT_EQUAL(gridr_sma_bytes_for(GRIDR_DT_U8, 1, -1, 1), 0);
    CU_ASSERT_EQUAL(gridr_sma_bytes_for(GRIDR_DT_UNKNOWN, 1, 1, 1), 0);

    gridr_registry *reg = NULL;
    gridr_sma *a = (gridr_sma *)&a;
    ASSERT_OK(gridr_registry_open(state_dir("shapes"), &reg));
    ASSERT_STATUS(gridr_sma_create(reg, GRIDR_DT_F64, 4, LONG_MAX / 4, 8, &a), GRIDR_ERANGE);
    CU_ASSERT_PTR_NULL(a);
    ASSERT_STATUS(gridr_sma_create(reg, GRIDR_DT_F64, -1, 4, 4, &a), GRIDR_EINVAL);
    ASSERT_STATUS(gridr_sma_create(NULL, GRIDR_DT_F64, 1, 4, 4, &a), GRIDR_EINVAL);
    CU_ASSERT_EQUAL(gridr_registry_count(reg), 0);
    ASSERT_OK(gridr_sma_create(reg, GRIDR_DT_U8, 1, 10, 10, &a));
    gridr_array v;
    ASSERT_STATUS(gridr_sma_view(a, (gridr_rect){LONG_MAX, 0, LONG_MAX, 1}, &v), GRIDR_ERANGE);
    ASSERT_STATUS(gridr_sma_view(a, (gridr_rect){5, 5, 6, 1}, &v), GRIDR_ERANGE);
    ASSERT_STATUS(gridr_sma_view(a, (gridr_rect){-1, 0, 1, 1}, &v), GRIDR_ERANGE);
    ASSERT_OK(gridr_sma_view(a, (gridr_rect){5, 5, 5, 5}, &v));
    CU_ASSERT_EQUAL((char *)v.data - (char *)gridr_sma_array(a).data, 55);
    ASSERT_OK(gridr_sma_unlink(gridr_sma_name(a)));
    ASSERT_OK(gridr_sma_unlink(gridr_sma_name(a))); /* already gone */
    gridr_sma_detach(a);
    gridr_sma_detach(NULL);
    gridr_registry_close(reg);
}

/* What the full-/dev/shm child sends back. */
typedef struct full_report {
    int skipped;
    int status;
    size_t held;
    int entries;
    char msg[512];
} full_report;

static void full_devshm_child(int wfd)
{
    full_report r = {0};
    gridr_registry *reg = NULL;
    gridr_sma *a = NULL;
    if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=1777") != 0) {
        r.skipped = 1;
    } else {
        r.status = gridr_registry_open(state_dir("full"), &reg);
        if (!r.status)
            r.status = gridr_sma_create(reg, GRIDR_DT_F64, 1, 512, 1024, &a); /* 4 MiB */
        snprintf(r.msg, sizeof r.msg, "%s", gridr_last_error());
        r.held = gridr_registry_count(reg);
        r.entries = gridr_test_count_shm(NULL);
        gridr_sma_detach(a);
        gridr_registry_close(reg);
    }
    _exit(write(wfd, &r, sizeof r) == (ssize_t)sizeof r ? 0 : 1);
}

static void test_full_devshm_enospc(void)
{
    int fds[2];
    full_report r = {0};
    CU_ASSERT_FATAL(pipe(fds) == 0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        full_devshm_child(fds[1]);
    }
    close(fds[1]);
    ssize_t n = read(fds[0], &r, sizeof r);
    close(fds[0]);
    int status = 0;
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT(!(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS));
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CU_ASSERT_EQUAL(n, (ssize_t)sizeof r);
    if (r.skipped) {
        fprintf(stderr, "SKIPPED: full /dev/shm test needs root and unshare\n");
        return;
    }
    ASSERT_STATUS(r.status, GRIDR_ENOSPC);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.msg, "need 4.0 MiB in /dev/shm, 1.0 MiB free"));
    CU_ASSERT_EQUAL(r.held, 0);
    CU_ASSERT_EQUAL(r.entries, 0);
}

static CU_TestInfo tests[] = {
    {"create/attach/view round trip, every dtype", test_roundtrip_every_dtype},
    {"names: format, length, last sequence number", test_name_format},
    {"a pre-existing segment is never adopted", test_foreign_segment_untouched},
    {"segments are 0600 whatever the umask", test_mode_0600_any_umask},
    {"a forked child writes through a view", test_fork_child_writes_view},
    {"attach: missing, too small, bad name, other owner", test_attach_errors},
    {"zero-size arrays", test_zero_size},
    {"byte counts, overflow, view bounds", test_bytes_and_shapes},
    {"full /dev/shm gives GRIDR_ENOSPC, not SIGBUS", test_full_devshm_enospc},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo gridr_test_sma_suite = {"sma", NULL, NULL, NULL, NULL, tests};

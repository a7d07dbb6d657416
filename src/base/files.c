/* gridr: file helpers shared by modules: descriptors forked helpers must not inherit, and the
 * files of a temporary name (`<name>` and its `<name>.<suffix>` siblings). */
#include "base/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- descriptors the fork server must not inherit ---------------------------------------- */

/* Room for every channel of the largest pools (4096 workers a scheduler, gridr_sched_new) of a
 * few schedulers in one process, plus their journals and pipes: 1024 silently stopped tracking
 * past a 1000-worker pool, leaking channel ends into another fork server. */
#define TRACK_MAX 16384
static int tracked[TRACK_MAX];
static int ntracked;
static pthread_mutex_t track_lock = PTHREAD_MUTEX_INITIALIZER;

void gridr__fd_track(int fd)
{
    pthread_mutex_lock(&track_lock);
    if (ntracked < TRACK_MAX)
        tracked[ntracked++] = fd;
    pthread_mutex_unlock(&track_lock);
}

void gridr__fd_untrack(int fd)
{
    pthread_mutex_lock(&track_lock);
    for (int i = 0; i < ntracked; i++)
        if (tracked[i] == fd) {
            tracked[i] = tracked[--ntracked];
            break;
        }
    pthread_mutex_unlock(&track_lock);
}

void gridr__fd_close_tracked(int keep)
{
    /* In a fresh child: one thread, no lock (another parent thread may have held it). */
    for (int i = 0; i < ntracked; i++)
        if (tracked[i] != keep)
            close(tracked[i]);
}

/* ---- the files of a temporary name ------------------------------------------------------ */

/* The record getdents64 fills (the kernel's struct linux_dirent64). */
typedef struct dirent64_rec {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
} dirent64_rec;

/* `name` is `base` or `base.<suffix>`. */
static int is_sibling(const char *name, const char *base, size_t blen)
{
    return strncmp(name, base, blen) == 0 && (name[blen] == '\0' || name[blen] == '.');
}

/* Open the directory of `path` (its part before the last '/', "." without one). */
static int open_dir_of(const char *path, const char **base)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (n >= sizeof dir)
        return -1;
    if (!slash)
        dir[n++] = '.';
    else if (n == 0)
        dir[n++] = '/';
    else
        memcpy(dir, path, n);
    dir[n] = '\0';
    *base = slash ? slash + 1 : path;
    return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int gridr__temp_each(const char *path, gridr__temp_fn fn, void *user)
{
    _Alignas(8) char buf[4096];
    const char *base = NULL;
    int dfd = open_dir_of(path, &base), failed = 0;
    if (dfd < 0)
        return errno == ENOENT ? 0 : -1;
    size_t blen = strlen(base);
    long n;
    while ((n = syscall(SYS_getdents64, dfd, buf, sizeof buf)) > 0) {
        for (long off = 0; off < n;) {
            const dirent64_rec *e = (const dirent64_rec *)(buf + off);
            off += e->d_reclen;
            if (blen && is_sibling(e->d_name, base, blen) && fn(user, dfd, e->d_name) != 0)
                failed = 1;
        }
    }
    close(dfd);
    return n < 0 || failed ? -1 : 0;
}

int gridr__unlink_regular(int dfd, const char *name)
{
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISREG(st.st_mode))
        return 0; /* never a symlink (nor what it points to), a directory... */
    return unlinkat(dfd, name, 0) == 0 || errno == ENOENT ? 0 : -1;
}

/* The private directory <tmp>.d of an output written by CreateCopy (src/raster/stage.c): its
 * files, then itself. One level; unlinkat never follows a link. */
static int remove_dir(int dfd, const char *name)
{
    _Alignas(8) char buf[4096];
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), failed = 0;
    if (fd < 0)
        return errno == ENOTDIR || errno == ELOOP ? gridr__unlink_regular(dfd, name)
               : errno == ENOENT                  ? 0
                                                  : -1;
    long n;
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
        for (long off = 0; off < n;) {
            const dirent64_rec *e = (const dirent64_rec *)(buf + off);
            off += e->d_reclen;
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                failed |= unlinkat(fd, e->d_name, 0) != 0 && errno != ENOENT;
        }
    close(fd);
    if (unlinkat(dfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
        return -1;
    return n < 0 || failed ? -1 : 0;
}

static int unlink_cb(void *user, int dfd, const char *name)
{
    size_t blen = strlen(user);
    if (strcmp(name + blen, GRIDR__TEMP_DIR_SUFFIX) == 0)
        return remove_dir(dfd, name);
    return gridr__unlink_regular(dfd, name);
}

int gridr__temp_remove(const char *path)
{
    const char *slash = strrchr(path, '/');
    return gridr__temp_each(path, unlink_cb, (void *)(uintptr_t)(slash ? slash + 1 : path));
}

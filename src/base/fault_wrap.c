/* gridr: the call-failure wrappers of test builds (--enable-fault-injection): gridr's own object
 * files are linked with -Wl,--wrap=X for the calls below, so that GRIDR_FAULT_CALL can fail the
 * Nth call of one class in one process with its usual errno (docs/testing.md). */
#include "base/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

/* The real functions, as the linker's --wrap names them. */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__real_aligned_alloc(size_t align, size_t n);
char *__real_realpath(const char *path, char *resolved);
int __real_shm_open(const char *name, int flags, mode_t mode);
int __real_posix_fallocate(int fd, off_t off, off_t len);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
pid_t __real_fork(void);
ssize_t __real_read(int fd, void *buf, size_t n);
ssize_t __real_pread(int fd, void *buf, size_t n, off_t off);
ssize_t __real_preadv(int fd, const struct iovec *iov, int cnt, off_t off);
ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __real_pwrite(int fd, const void *buf, size_t n, off_t off);
int __real_fsync(int fd);
int __real_fdatasync(int fd);
int __real_sync_file_range(int fd, off_t off, off_t n, unsigned int flags);
int __real_rename(const char *from, const char *to);
int __real_open(const char *path, int flags, ...);

/* Calls of the armed class made by this process since it started (or was forked), and its fork
 * depth (0 the program, 1 the fork server, 2 a worker). */
static long calls;
static int depth;

/* Tell stderr, in one write, that call `k` of class `cls` fails with `err` here: the fault loop
 * (tests/faults/loop.sh) tells a run whose fault never fired from one that survived it. */
static void tell(int cls, long k, const char *fn, int err)
{
    static const char *const who[] = {"parent", "server", "worker"};
    char line[160];
    int len = snprintf(line, sizeof line, "gridr-fault: %s pid %ld: %s call %ld (%s) fails: %s\n",
                       who[depth > 2 ? 2 : depth], (long)getpid(), gridr__fault_call_name(cls), k,
                       fn, strerrorname_np(err));
    if (len > 0 && __real_write(STDERR_FILENO, line, (size_t)len) < 0)
        return;
}

/* 1 (errno set to `err`) when this call of class `cls` is the armed one. */
static int fail_now(int cls, const char *fn, int err)
{
    int bad;
    const gridr__fault_call *f = gridr__config_fault_call(&bad);
    if (bad) {
        static int told;
        static const char msg[] = "gridr-fault: GRIDR_FAULT_CALL does not parse: nothing armed\n";
        if (!__atomic_exchange_n(&told, 1, __ATOMIC_RELAXED) &&
            __real_write(STDERR_FILENO, msg, sizeof msg - 1) < 0)
            return 0;
        return 0;
    }
    if (f->cls != cls || GRIDR__MIN(depth, 2) != f->depth)
        return 0;
    long k = __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
    if (k != f->n)
        return 0;
    tell(cls, k, fn, err);
    errno = err;
    return 1;
}

void *__wrap_malloc(size_t n);
void *__wrap_malloc(size_t n)
{
    return fail_now(GRIDR__FC_ALLOC, "malloc", ENOMEM) ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size)
{
    return fail_now(GRIDR__FC_ALLOC, "calloc", ENOMEM) ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n)
{
    return fail_now(GRIDR__FC_ALLOC, "realloc", ENOMEM) ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s);
char *__wrap_strdup(const char *s)
{
    return fail_now(GRIDR__FC_ALLOC, "strdup", ENOMEM) ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n);
char *__wrap_strndup(const char *s, size_t n)
{
    return fail_now(GRIDR__FC_ALLOC, "strndup", ENOMEM) ? NULL : __real_strndup(s, n);
}

void *__wrap_aligned_alloc(size_t align, size_t n);
void *__wrap_aligned_alloc(size_t align, size_t n)
{
    return fail_now(GRIDR__FC_ALLOC, "aligned_alloc", ENOMEM) ? NULL
                                                              : __real_aligned_alloc(align, n);
}

char *__wrap_realpath(const char *path, char *resolved);
char *__wrap_realpath(const char *path, char *resolved)
{
    if (!resolved && fail_now(GRIDR__FC_ALLOC, "realpath", ENOMEM))
        return NULL; /* only the allocating form */
    return __real_realpath(path, resolved);
}

int __wrap_shm_open(const char *name, int flags, mode_t mode);
int __wrap_shm_open(const char *name, int flags, mode_t mode)
{
    return fail_now(GRIDR__FC_SHM_OPEN, "shm_open", EMFILE) ? -1
                                                            : __real_shm_open(name, flags, mode);
}

int __wrap_posix_fallocate(int fd, off_t off, off_t len);
int __wrap_posix_fallocate(int fd, off_t off, off_t len)
{
    /* posix_fallocate returns the error number; errno is left alone */
    int e = errno;
    if (fail_now(GRIDR__FC_FALLOCATE, "posix_fallocate", ENOSPC)) {
        errno = e;
        return ENOSPC;
    }
    return __real_posix_fallocate(fd, off, len);
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (fail_now(GRIDR__FC_MMAP, "mmap", ENOMEM))
        return MAP_FAILED;
    return __real_mmap(addr, len, prot, flags, fd, off);
}

pid_t __wrap_fork(void);
pid_t __wrap_fork(void)
{
    if (fail_now(GRIDR__FC_FORK, "fork", EAGAIN))
        return -1;
    pid_t pid = __real_fork();
    if (pid == 0) { /* a new process: its own count, one level deeper */
        depth++;
        calls = 0;
    }
    return pid;
}

ssize_t __wrap_read(int fd, void *buf, size_t n);
ssize_t __wrap_read(int fd, void *buf, size_t n)
{
    return fail_now(GRIDR__FC_READ, "read", EIO) ? -1 : __real_read(fd, buf, n);
}

ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off);
ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off)
{
    return fail_now(GRIDR__FC_READ, "pread", EIO) ? -1 : __real_pread(fd, buf, n, off);
}

ssize_t __wrap_preadv(int fd, const struct iovec *iov, int cnt, off_t off);
ssize_t __wrap_preadv(int fd, const struct iovec *iov, int cnt, off_t off)
{
    return fail_now(GRIDR__FC_READ, "preadv", EIO) ? -1 : __real_preadv(fd, iov, cnt, off);
}

ssize_t __wrap_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
    return fail_now(GRIDR__FC_WRITE, "write", ENOSPC) ? -1 : __real_write(fd, buf, n);
}

ssize_t __wrap_pwrite(int fd, const void *buf, size_t n, off_t off);
ssize_t __wrap_pwrite(int fd, const void *buf, size_t n, off_t off)
{
    return fail_now(GRIDR__FC_WRITE, "pwrite", ENOSPC) ? -1 : __real_pwrite(fd, buf, n, off);
}

int __wrap_fsync(int fd);
int __wrap_fsync(int fd)
{
    return fail_now(GRIDR__FC_SYNC, "fsync", EIO) ? -1 : __real_fsync(fd);
}

int __wrap_fdatasync(int fd);
int __wrap_fdatasync(int fd)
{
    return fail_now(GRIDR__FC_SYNC, "fdatasync", EIO) ? -1 : __real_fdatasync(fd);
}

int __wrap_sync_file_range(int fd, off_t off, off_t n, unsigned int flags);
int __wrap_sync_file_range(int fd, off_t off, off_t n, unsigned int flags)
{
    if (fail_now(GRIDR__FC_SYNC, "sync_file_range", EIO))
        return -1;
    return __real_sync_file_range(fd, off, n, flags);
}

int __wrap_rename(const char *from, const char *to);
int __wrap_rename(const char *from, const char *to)
{
    return fail_now(GRIDR__FC_RENAME, "rename", ENOSPC) ? -1 : __real_rename(from, to);
}

int __wrap_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    return fail_now(GRIDR__FC_OPEN, "open", EMFILE) ? -1 : __real_open(path, flags, mode);
}

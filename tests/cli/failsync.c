/* Test shim (LD_PRELOAD): fsync of a directory fails with EIO, as on a failing disk or an NFS
 * server gone away; fsync of anything else works. Lets run_commit_sync.sh reach the one failure
 * that can come after an output was renamed into place. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

int fsync(int fd)
{
    static int (*real_fsync)(int);
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        errno = EIO;
        return -1;
    }
    if (!real_fsync)
        real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    return real_fsync ? real_fsync(fd) : -1;
}

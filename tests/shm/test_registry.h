/* gridr tests: helpers shared by the registry suites (tests/test_registry*.c). */
#ifndef GRIDR_TESTS_TEST_REGISTRY_H
#define GRIDR_TESTS_TEST_REGISTRY_H

/** A private 0700 state directory for one test. Ownership: static buffer, reused per call. */
const char *treg_dir(const char *tag);

/** The path exists (lstat: a dangling symlink exists). */
int treg_exists(const char *path);

/** /dev/shm/<name> exists (name starts with '/'). */
int treg_shm_exists(const char *name);

/** The first 16 KiB of a file, NUL-terminated ("" when unreadable). Ownership: static buffer. */
char *treg_slurp(const char *path);

/** Create or truncate a file, mode 0600. */
void treg_touch(const char *path);

#endif

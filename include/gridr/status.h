/* gridr: error codes and the thread-local last-error message. */
#ifndef GRIDR_STATUS_H
#define GRIDR_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

#define GRIDR_API __attribute__((visibility("default")))

/* X(name, value, text): the one table every code comes from. */
#define GRIDR_STATUS_MAP(X)                                                                        \
    X(OK, 0, "success")                                                                            \
    X(EINVAL, -1, "invalid argument")                                                              \
    X(ENOMEM, -2, "out of memory")                                                                 \
    X(EIO, -3, "input/output error")                                                               \
    X(EFORMAT, -4, "bad or unsupported data format")                                               \
    X(ESYS, -5, "system call failed")                                                              \
    X(ENOSPC, -6, "no space left on device")                                                       \
    X(EEXIST, -7, "object already exists")                                                         \
    X(ENOENT, -8, "no such file or object")                                                        \
    X(EPERM, -9, "permission denied")                                                              \
    X(ERANGE, -10, "value out of range")                                                           \
    X(ECHILD, -11, "worker process failed")                                                        \
    X(ECANCELED, -12, "operation cancelled")                                                       \
    X(EWORK, -13, "work function failed")                                                          \
    X(EPARTIAL, -14, "some windows failed")

/** Status codes: 0 on success, negative on failure. */
typedef enum gridr_status {
#define GRIDR__STATUS_ENUM(name, value, text) GRIDR_##name = (value),
    GRIDR_STATUS_MAP(GRIDR__STATUS_ENUM)
#undef GRIDR__STATUS_ENUM
} gridr_status;

/** Text describing a status code. Ownership: static string, never freed. */
GRIDR_API const char *gridr_strerror(int status);

/** Symbolic name of a status code ("GRIDR_EINVAL"). Ownership: static string. */
GRIDR_API const char *gridr_status_name(int status);

/** Message of the last failure on this thread, with its context ("" if none).
 *  Ownership: borrowed, valid until the next failing gridr call on this thread. */
GRIDR_API const char *gridr_last_error(void);

/** Forget the last message of this thread. */
GRIDR_API void gridr_clear_error(void);

/** The last warning of this thread: something went wrong after the work was done and did not
 *  undo it (an output committed whose directory could not be synced), "" if none. Calls that can
 *  warn say so; the warning stays until gridr_clear_warning() or the next warning.
 *  Ownership: borrowed, valid until the next warning on this thread. */
GRIDR_API const char *gridr_last_warning(void);

/** Forget the last warning of this thread. */
GRIDR_API void gridr_clear_warning(void);

/** Set the thread's last message (for work functions and embedding code) and return `status`. */
GRIDR_API int gridr_set_error(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif
#endif

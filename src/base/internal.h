/* gridr: helpers shared inside the library (never installed). */
#ifndef GRIDR_INTERNAL_H
#define GRIDR_INTERNAL_H

#include "config.h"
#include "gridr/dtype.h"
#include "gridr/status.h"

#include <stddef.h>

/** Store a formatted message as the thread's last error and return `status`. */
int gridr__fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Same, appending ": strerror(err)". */
int gridr__fail_errno(int status, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Store a formatted warning as the thread's last warning (gridr_last_warning()). */
void gridr__warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Map an errno value to the nearest gridr status. */
int gridr__status_from_errno(int err);

#define GRIDR__MIN(a, b) ((a) < (b) ? (a) : (b))
#define GRIDR__MAX(a, b) ((a) > (b) ? (a) : (b))

#endif

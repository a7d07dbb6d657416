/* gridr: helpers shared inside the library (never installed). */
#ifndef GRIDR_INTERNAL_H
#define GRIDR_INTERNAL_H

#include "config.h"
#include "gridr/gridr.h"

#include <stddef.h>

/** Store a formatted message as the thread's last error and return `status`. */
int gridr__fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Same, appending ": strerror(err)". */
int gridr__fail_errno(int status, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Map an errno value to the nearest gridr status. */
int gridr__status_from_errno(int err);

/** Test hook (GRIDR_FAULT "hang:phase=NAME" or "stuck:phase=NAME"): at step `phase` of a run in
 *  the parent, hang (polling `progress` every 10 ms, at most 60 s, until it returns 0) or block
 *  for good ignoring cancellation, as a long GDAL call does. No-op otherwise. */
void gridr__fault_phase(const char *phase, int (*progress)(double, const char *, void *),
                        void *arg);

#define GRIDR__MIN(a, b) ((a) < (b) ? (a) : (b))
#define GRIDR__MAX(a, b) ((a) > (b) ? (a) : (b))

#endif

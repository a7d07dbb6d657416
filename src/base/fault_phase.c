/* gridr: the fault-injection test hook's phase points: hold the parent in a step of a run
 * (builds configured with --enable-fault-injection; a no-op in others). */
#include "base/internal.h"
#include "gridr/config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef GRIDR_FAULT_INJECTION
/* The action GRIDR_FAULT gives phase `phase` ("hang:phase=NAME" or "stuck:phase=NAME" among its
 * comma-separated items): 1 hang, 2 stuck, 0 none. */
static int phase_action(const char *phase)
{
    static const char *const actions[] = {"hang", "stuck"};
    const char *spec = gridr__config_fault();
    for (const char *p = spec; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        for (int a = 0; a < 2; a++) {
            size_t n = strlen(actions[a]);
            if (len == n + 7 + strlen(phase) && strncmp(p, actions[a], n) == 0 &&
                strncmp(p + n, ":phase=", 7) == 0 && strncmp(p + n + 7, phase, len - n - 7) == 0)
                return a + 1;
        }
        p = end ? end + 1 : NULL;
    }
    return 0;
}
#endif

#ifdef GRIDR_FAULT_INJECTION
/* "kill:phase=NAME@N" (or without @N: the first time): SIGKILL this process at the Nth time it
 * passes phase NAME, as a crash, the OOM killer or a node loss would (the kill-point tests). */
static void maybe_kill(const char *phase)
{
    static long seen;
    const char *spec = gridr__config_fault(), *p = spec ? strstr(spec, "kill:phase=") : NULL;
    if (!p)
        return;
    p += 11;
    size_t len = strcspn(p, ",@");
    long nth = p[len] == '@' ? atol(p + len + 1) : 1;
    if (len == strlen(phase) && strncmp(p, phase, len) == 0 && ++seen == nth)
        raise(SIGKILL);
}
#endif

void gridr_config_fault_phase(const char *phase, int (*progress)(double, const char *, void *),
                              void *arg)
{
#ifdef GRIDR_FAULT_INJECTION
    const struct timespec tick = {0, 10 * 1000 * 1000};
    maybe_kill(phase);
    int action = phase_action(phase);
    if (action == 2) /* a call that never looks at cancellation (a long GDAL call) */
        for (;;)
            pause();
    for (int i = 0; action == 1 && i < 6000; i++) { /* a long step that does (at most 60 s) */
        if (progress && !progress(0.0, phase, arg))
            return;
        nanosleep(&tick, NULL);
    }
#else
    (void)phase;
    (void)progress;
    (void)arg;
#endif
}

/* gridr: the scheduler's signals: SIGINT/SIGTERM/SIGHUP caught during a run, into a self-pipe. */
#include "base/internal.h"
#include "sched_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

/* The signals that cancel a run: Ctrl-C, kill/systemd, a terminal hang-up (ssh dropped). */
static const int caught[] = {SIGINT, SIGTERM, SIGHUP};

/* ---- catching them during a run
 * ----------------------------------------------------------------------------- */

static volatile sig_atomic_t sig_fd = -1;
static atomic_int sig_owner;

static void on_signal(int sig)
{
    int saved = errno;
    unsigned char c = (unsigned char)sig;
    if (sig_fd >= 0)
        (void)!write(sig_fd, &c, 1);
    errno = saved;
}

static int catch_one(int sig, struct sigaction *old)
{
    struct sigaction sa;
    if (sigaction(sig, NULL, old) != 0 || old->sa_handler == SIG_IGN)
        return 0; /* an ignored signal stays ignored (nohup, background jobs) */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART; /* callbacks' reads and writes go on; our poll() still wakes */
    sigemptyset(&sa.sa_mask);
    return sigaction(sig, &sa, NULL) == 0;
}

void gridr__catch_signals(gridr_sched *s, gridr__sigsave *sv)
{
    int expected = 0, any = 0;
    unsigned char c;
    while (read(s->sigpipe[0], &c, 1) == 1)
        ;
    /* One run per process owns the signals; a concurrent run in another thread does not. */
    if (!atomic_compare_exchange_strong(&sig_owner, &expected, 1))
        return;
    sig_fd = s->sigpipe[1];
    for (int i = 0; i < GRIDR__NCAUGHT; i++)
        any |= sv->have[i] = catch_one(caught[i], &sv->old[i]);
    if (!any) {
        sig_fd = -1;
        atomic_store(&sig_owner, 0);
    }
}

void gridr__restore_signals(gridr__sigsave *sv)
{
    int any = 0;
    for (int i = 0; i < GRIDR__NCAUGHT; i++)
        if (sv->have[i]) {
            sigaction(caught[i], &sv->old[i], NULL);
            any = 1;
        }
    if (!any)
        return;
    sig_fd = -1;
    atomic_store(&sig_owner, 0);
}

int gridr__read_signal(gridr_sched *s)
{
    unsigned char c;
    int sig = 0;
    while (read(s->sigpipe[0], &c, 1) == 1)
        sig = c;
    return sig;
}

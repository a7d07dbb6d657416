/* gridr-run: the command line: parse options and job files, run the jobs, report, exit codes. */
#include "config.h"
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* One command-line option: its spellings and the job key it sets (NULL: handled here). */
typedef struct cli_opt {
    const char *lng;  /* "--name" without dashes */
    const char *shrt; /* "-x" or GDAL-style "-ot" without the dash, or NULL */
    const char *key;  /* gridr_job_set key */
    int has_arg;      /* arguments taken: 0, 1, or more (gdalwarp's -te: 4), joined by ',' */
} cli_opt;

static const cli_opt opts[] = {
    {"src", NULL, "src", 1}, /* job files holding one job only (checked by the caller) */
    {"dst", NULL, "dst", 1},
    {"resampling", "r", "resampling", 1},
    {"workers", "j", "workers", 1},
    {"threads", "t", "threads", 1},
    {"band", "b", "band", 1},
    {"nodata", NULL, "nodata", 1},
    {"src-nodata", NULL, "src-nodata", 1},
    {"out-type", "ot", "out-type", 1},
    {"format", "of", "format", 1},
    {"co", "co", "co", 1},
    {"tile", NULL, "tile", 1},
    {"mem", NULL, "mem", 1},
    {"retries", NULL, "retries", 1},
    {"keep-going", NULL, "keep-going", 0},
    {"timeout", NULL, "timeout", 1},
    {"dry-run", NULL, "dry-run", 0},
    {"resume", NULL, "resume", 0},
    {"all", NULL, NULL, 0}, /* cleanup's */
    {"report", NULL, "report", 1},
    {"quiet", "q", "quiet", 0},
    {"factor", NULL, "factor", 1},
    {"size", NULL, "size", 1},
    {"grid", NULL, "grid", 1},
    {"grid-col", NULL, "grid-col", 1},
    {"grid-res", NULL, "grid-res", 1},
    {"grid-mask", NULL, "grid-mask", 1},
    {"grid-mask-valid", NULL, "grid-mask-valid", 1},
    {"grid-nodata", NULL, "grid-nodata", 1},
    {"grid-shift", NULL, "grid-shift", 1},
    {"src-mask", NULL, "src-mask", 1},
    {"boundary", NULL, "boundary", 1},
    {"boundary-value", NULL, "boundary-value", 1},
    {"trust-padding", NULL, "trust-padding", 0},
    {"bspline-eps", NULL, "bspline-eps", 1},
    {"mask-influence", NULL, "mask-influence", 1},
    /* existing outputs (issue 14) */
    {"overwrite", NULL, "overwrite", 0},
    /* nodata, masks and edges like GDAL (issue 14) */
    {"nodata-policy", NULL, "nodata-policy", 1},
    {"dst-alpha", "dstalpha", "dst-alpha", 0},
    {"mask-bands", NULL, "mask-bands", 1},
    /* antialiasing (issue 14) */
    {"antialias", NULL, "antialias", 0},
    {"no-antialias", NULL, "antialias", 0}, /* "no-" options set their key to false */
    /* warp: gdalwarp's spellings (-t_srs) and gridr's (--t-srs) */
    {"t-srs", "t_srs", "t-srs", 1},
    {"s-srs", "s_srs", "s-srs", 1},
    {"tr", "tr", "tr", 2},
    {"te", "te", "te", 4},
    {"te-srs", "te_srs", "te-srs", 1},
    {"ts", "ts", "ts", 2},
    {"tap", "tap", "tap", 0},
    {"et", "et", "et", 1},
    {"to", "to", "to", 1},
    {"rpc-dem", "rpc_dem", "rpc-dem", 1},
    {"rpc-height", "rpc_height", "rpc-height", 1},
    {"order", "order", "order", 1},
    {"tps", "tps", "tps", 0},
    {"keep-grid", NULL, "keep-grid", 1},
    /* georeferenced grid outputs */
    {"dst-geotransform", NULL, "dst-geotransform", 1},
    {"dst-srs", NULL, "dst-srs", 1},
    {"help", "h", NULL, 0},
    {"version", "V", NULL, 0},
};

#define NOPTS (sizeof opts / sizeof opts[0])

static const cli_opt *find_opt(const char *arg, const char **inline_val)
{
    *inline_val = NULL;
    if (arg[0] != '-' || arg[1] == '\0')
        return NULL;
    if (arg[1] == '-') {
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        for (size_t i = 0; i < NOPTS; i++) {
            if (strlen(opts[i].lng) == len && strncmp(opts[i].lng, name, len) == 0) {
                *inline_val = eq ? eq + 1 : NULL;
                return &opts[i];
            }
        }
        return NULL;
    }
    for (size_t i = 0; i < NOPTS; i++)
        if (opts[i].shrt && strcmp(opts[i].shrt, arg + 1) == 0)
            return &opts[i];
    return NULL;
}

/* "gridr-run: <what> '<arg>'" and a hint; returns the usage exit code. */
static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "gridr-run: %s '%s'\nTry 'gridr-run --help'.\n", what, arg);
    return GRIDR_CLI_USAGE;
}

/* An unknown option, with the closest option when there is one (--src_nodata: --src-nodata). */
static int unknown_option(const char *arg)
{
    char name[64];
    const char *eq = strchr(arg, '='), *a = arg + (arg[1] == '-' ? 2 : 1);
    snprintf(name, sizeof name, "%.*s", (int)(eq ? eq - a : (long)strlen(a)), a);
    const char *s = gridr_job_suggest(name);
    if (!s) {
        for (size_t i = 0; i < NOPTS && !s; i++) /* the options that are not job keys */
            if (!opts[i].key && strcmp(name, opts[i].lng) != 0 &&
                strncmp(name, opts[i].lng, 3) == 0)
                s = opts[i].lng;
    }
    if (!s)
        return usage_error("unknown option", arg);
    fprintf(stderr,
            "gridr-run: unknown option '%s' (did you mean '--%s'?)\nTry 'gridr-run --help'.\n", arg,
            s);
    return GRIDR_CLI_USAGE;
}

/* Record option `o` with value `v` (NULL for flags) in the command line. */
static int add_setting(cli_args *a, const cli_opt *o, const char *v)
{
    if (!o->key) {
        if (strcmp(o->lng, "help") == 0)
            a->help = 1;
        else if (strcmp(o->lng, "all") == 0)
            a->all = 1;
        else
            a->version = 1;
        return 0;
    }
    if (a->nsettings >= CLI_MAX_SETTINGS)
        return usage_error("too many options at", o->lng);
    a->settings[a->nsettings][0] = o->key;
    a->settings[a->nsettings][1] = v ? v : strncmp(o->lng, "no-", 3) == 0 ? "false" : "true";
    a->nsettings++;
    if (strcmp(o->key, "dry-run") == 0)
        a->dry_run = 1;
    if (strcmp(o->key, "quiet") == 0)
        a->quiet = 1;
    return 0;
}

/* The n values of an option (-te XMIN YMIN XMAX YMAX) as one "a,b,c,d"; NULL when too long. */
static const char *join_values(cli_args *a, char **v, int n)
{
    if (a->njoined >= (int)(sizeof a->joined / sizeof a->joined[0]))
        return NULL;
    char *buf = a->joined[a->njoined];
    size_t at = 0;
    for (int k = 0; k < n; k++) {
        int w = snprintf(buf + at, sizeof a->joined[0] - at, "%s%s", k ? "," : "", v[k]);
        if (w < 0 || (size_t)w >= sizeof a->joined[0] - at)
            return NULL;
        at += (size_t)w;
    }
    a->njoined++;
    return buf;
}

int cli_parse(int argc, char **argv, cli_args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *val = NULL;
        if (strcmp(arg, "--") == 0) {
            while (++i < argc && a->npos < CLI_MAX_POS)
                a->pos[a->npos++] = argv[i];
            break;
        }
        const cli_opt *o = find_opt(arg, &val);
        if (!o && arg[0] == '-' && arg[1] != '\0')
            return unknown_option(arg);
        if (!o) {
            if (a->npos >= CLI_MAX_POS)
                return usage_error("too many arguments at", arg);
            a->pos[a->npos++] = arg;
            continue;
        }
        if (o->has_arg > 1 && !val) {
            if (i + o->has_arg >= argc)
                return usage_error("missing values for option", arg);
            if (!(val = join_values(a, argv + i + 1, o->has_arg)))
                return usage_error("too many or too long values for option", arg);
            i += o->has_arg;
        } else if (o->has_arg && !val) {
            if (i + 1 >= argc)
                return usage_error("missing value for option", arg);
            val = argv[++i];
        } else if (!o->has_arg && val) {
            return usage_error("no value is taken by option", arg);
        }
        int rc = add_setting(a, o, val);
        if (rc)
            return rc;
    }
    return 0;
}

/* Apply the command line's settings to a job; errors name the option. */
int cli_apply(const cli_args *a, gridr_job *j)
{
    for (int i = 0; i < a->nsettings; i++) {
        int rc = gridr_job_set(j, a->settings[i][0], a->settings[i][1]);
        if (rc) {
            fprintf(stderr, "gridr-run: %s\n", gridr_last_error());
            return rc == GRIDR_ENOMEM ? GRIDR_CLI_FAILED : GRIDR_CLI_USAGE; /* not the user's */
        }
    }
    return 0;
}

/* ---- signals: caught from the start of main; a run stops at its next step ----------------- */

/* How long a run may take to stop by itself after a signal before it is ended by force. */
#define STOP_GRACE_NS 500000000L

static volatile sig_atomic_t pending_signal;
static volatile sig_atomic_t past_rename; /* the job's output is being renamed: too late to stop */
static volatile sig_atomic_t reported;    /* the interruption has been reported */
static gridr_registry *volatile run_reg;  /* what an ending by force removes */
static timer_t watchdog;
static int have_watchdog;

static void say(const char *s)
{
    (void)!write(STDERR_FILENO, s, strlen(s)); /* strlen and write are async-signal-safe */
}

/* The run did not stop by itself within the grace, or a second signal came: remove what the
 * run holds (journal, temporary output, segments) and die of the signal, as if it had not been
 * caught. Async-signal-safe. */
static void force_end(int sig)
{
    struct sigaction dfl;
    sigset_t set;
    gridr_registry_emergency_unlink((gridr_registry *)run_reg);
    if (!reported) {
        say(sig == SIGINT   ? "gridr-run: interrupted by SIGINT"
            : sig == SIGHUP ? "gridr-run: interrupted by SIGHUP"
                            : "gridr-run: interrupted by SIGTERM");
        say(" while busy; stopped by force, output not written\n");
    }
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
}

static void on_signal(int sig)
{
    int saved = errno;
    if (pending_signal && !past_rename)
        force_end(pending_signal);
    if (!pending_signal) {
        pending_signal = sig;
        struct itimerspec t = {{0, 0}, {0, STOP_GRACE_NS}};
        if (have_watchdog)
            timer_settime(watchdog, 0, &t, NULL);
    }
    errno = saved;
}

static void on_watchdog(int sig)
{
    (void)sig;
    if (pending_signal && !past_rename)
        force_end(pending_signal);
}

/* A signal this process ignores stays ignored: `nohup`, and SIGINT for `gridr-run ... &` in a
 * script (the shell ignores it there), as the scheduler does during its runs. Catching it anyway
 * made a background gridr-run die of a Ctrl-C meant for the foreground. */
static void catch_one(int sig, const struct sigaction *sa)
{
    struct sigaction old;
    if (sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_IGN)
        return;
    sigaction(sig, sa, NULL);
}

void cli_catch_signals(void)
{
    struct sigaction sa;
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGALRM;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_watchdog;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    have_watchdog = timer_create(CLOCK_MONOTONIC, &ev, &watchdog) == 0;
    sa.sa_handler = on_signal;
    catch_one(SIGINT, &sa);
    catch_one(SIGTERM, &sa);
    catch_one(SIGHUP, &sa); /* a terminal hang-up (ssh dropped) stops the run like SIGTERM */
}

int cli_pending_signal(void)
{
    return pending_signal;
}

void cli_set_registry(gridr_registry *reg)
{
    run_reg = reg;
}

void cli_job_start(void)
{
    past_rename = 0;
}

void cli_reported(void)
{
    reported = 1;
}

/* The job's last chance to stop before its output is renamed into place. */
static int rename_point(void)
{
    past_rename = 1; /* first: a signal from now on finds the job past stopping */
    if (!pending_signal)
        return 1;
    past_rename = 0;
    return 0;
}

/* ---- terminal progress -------------------------------------------------------------------- */

int cli_show_progress(double complete, const char *msg, void *arg)
{
    cli_progress *p = arg;
    if (msg && strcmp(msg, GRIDR_RASTER_STEP_RENAME) == 0)
        return rename_point();
    if (pending_signal)
        return 0;
    if (msg || !p || !p->enabled) /* msg: a step of the job, not a fraction of its windows */
        return 1;
    double t = cli_now() - p->t0;
    int pct = (int)(complete * 100.0 + 1e-9);
    if (pct == p->last_pct && complete < 1.0)
        return 1;
    p->last_pct = pct;
    char bar[31];
    int filled = (int)(complete * 30.0);
    for (int i = 0; i < 30; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[30] = '\0';
    double eta = complete > 0.01 ? t * (1.0 - complete) / complete : 0;
    fprintf(stderr, "\r%s [%s] %3d%%  %.1f s, ETA %.1f s ", p->label, bar, pct, t, eta);
    if (complete >= 1.0)
        fprintf(stderr, "- done.\n");
    fflush(stderr);
    return 1;
}

int cli_job_settings(gridr_sched *s, const gridr_job *j)
{
    int rc = gridr_sched_set_retries(s, j->retries);
    if (rc == 0)
        rc = gridr_sched_set_keep_going(s, j->keep_going);
    return rc ? rc : gridr_sched_set_timeout(s, j->timeout);
}

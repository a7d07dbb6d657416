/* gridr: every GRIDR_* switch read once, in one place, into one struct (include/gridr/config.h). */
#include "base/internal.h"
#include "gridr/config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static gridr_config cfg;
#ifdef GRIDR_FAULT_INJECTION
/* GRIDR_FAULT (test builds only). A spec too long for the buffer is kept cut, still too long
 * for the scheduler's parser, which refuses it. */
static char fault[1024];
static int fault_set;

static void store_fault(const char *spec)
{
    fault_set = spec != NULL;
    snprintf(fault, sizeof fault, "%s", spec ? spec : "");
}

/* GRIDR_FAULT_CALL (test builds only): CLASS:N[:parent|:server|:worker]. */
static gridr__fault_call fault_call = {-1, 0, 0};
static int fault_call_bad;
static const char *const call_names[GRIDR__FC_COUNT] = {
    "alloc", "shm_open", "fallocate", "mmap", "fork", "read", "write", "sync", "rename", "open"};
static const char *const depth_names[] = {"parent", "server", "worker"};

const char *gridr__fault_call_name(int cls)
{
    return cls >= 0 && cls < GRIDR__FC_COUNT ? call_names[cls] : NULL;
}

/* Index of the name that `s` starts with, followed by `end` (':' or '\0'), or -1. */
static int name_at(const char *s, const char *const *names, int n, const char **end)
{
    for (int i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        if (strncmp(s, names[i], len) == 0 && (s[len] == ':' || s[len] == '\0')) {
            *end = s + len;
            return i;
        }
    }
    return -1;
}

static int parse_fault_call(const char *spec, gridr__fault_call *out)
{
    const char *p;
    char *end;
    out->cls = name_at(spec, call_names, GRIDR__FC_COUNT, &p);
    if (out->cls < 0 || *p != ':')
        return -1;
    out->n = strtol(p + 1, &end, 10);
    if (end == p + 1 || out->n < 1)
        return -1;
    out->depth = 0;
    if (*end == ':')
        out->depth = name_at(end + 1, depth_names, 3, &p);
    return out->depth < 0 || (*end == ':' ? *p : *end) != '\0' ? -1 : 0;
}

static void store_fault_call(const char *spec)
{
    gridr__fault_call f;
    fault_call_bad = spec && *spec && parse_fault_call(spec, &f) != 0;
    if (spec && *spec && !fault_call_bad)
        fault_call = f;
}
#endif

/* 1 when the variable is set to anything but empty or "0", else 0. */
static int env_on(const char *name)
{
    const char *v = getenv(name);
    return v && *v && strcmp(v, "0") != 0;
}

/* 0 only when the variable is "0" (a switch that is on unless turned off). */
static int env_not_off(const char *name)
{
    const char *v = getenv(name);
    return !(v && strcmp(v, "0") == 0);
}

static void read_env(void)
{
    cfg.avx2 = !env_on("GRIDR_NO_AVX2");
    cfg.separable = !env_on("GRIDR_NO_SEPARABLE");
    cfg.gdal_only = env_on("GRIDR_RASTER_GDAL_ONLY");
    cfg.worker_reads = env_not_off("GRIDR_WORKER_READS");
    cfg.worker_writes = env_not_off("GRIDR_WORKER_WRITES");
    const char *p = getenv("GRIDR_RASTER_PREADV");
    cfg.preadv = p && strcmp(p, "never") == 0 ? 0 : p && strcmp(p, "always") == 0 ? 1 : 2;
#ifdef GRIDR_FAULT_INJECTION
    store_fault(getenv("GRIDR_FAULT"));
    store_fault_call(getenv("GRIDR_FAULT_CALL"));
#endif
}

void gridr__config_state_env(const char **xdg, const char **tmp)
{
    /* Not GRIDR_* switches but the platform's directories: read at each resolution of the
     * state directory, like any program's TMPDIR (an embedding program may change them). */
    *xdg = getenv("XDG_RUNTIME_DIR");
    *tmp = getenv("TMPDIR");
}

int gridr__config_mpi_launched(void)
{
    /* Not a switch either: whether an MPI launcher started this process (Open MPI's mpirun and
     * its PMIx, MPICH-style PMI, Slurm's srun with PMI or PMIx), for gridr-run's MPI layer. */
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE",
                                       NULL};
    for (int i = 0; vars[i]; i++)
        if (getenv(vars[i]))
            return 1;
    return 0;
}

const gridr_config *gridr__config(void)
{
    pthread_once(&once, read_env);
    return &cfg;
}

void gridr_config_get(gridr_config *out)
{
    *out = *gridr__config();
}

void gridr_config_set(const gridr_config *c)
{
    pthread_once(&once, read_env); /* the environment never overrides a value set here */
    cfg = *c;
}

#ifdef GRIDR_FAULT_INJECTION
const char *gridr__config_fault(void)
{
    pthread_once(&once, read_env);
    return fault_set ? fault : NULL;
}

void gridr__config_set_fault(const char *spec)
{
    pthread_once(&once, read_env); /* the environment never overrides a value set here */
    store_fault(spec);
}

const gridr__fault_call *gridr__config_fault_call(int *bad)
{
    pthread_once(&once, read_env);
    *bad = fault_call_bad;
    return &fault_call;
}
#endif

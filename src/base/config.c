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
#endif
}

void gridr__config_state_env(const char **xdg, const char **tmp)
{
    /* Not GRIDR_* switches but the platform's directories: read at each resolution of the
     * state directory, like any program's TMPDIR (an embedding program may change them). */
    *xdg = getenv("XDG_RUNTIME_DIR");
    *tmp = getenv("TMPDIR");
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
#endif

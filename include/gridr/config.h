/* gridr: the library's run-time switches, read once from the environment or set by the caller. */
#ifndef GRIDR_CONFIG_H
#define GRIDR_CONFIG_H

#include "gridr/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Switches that choose between code paths giving the same results: debugging and comparison
 *  aids, not product options (outputs are the same pixels whatever they say; docs/gridr-run.1,
 *  ENVIRONMENT, Debugging switches). Each is read from its GRIDR_* environment variable once,
 *  at the first gridr_config_get() of the process (or the first call that needs it), and never
 *  again. */
typedef struct gridr_config {
    int avx2;      /* 1: AVX2 builds of the kernels where the CPU has AVX2 (GRIDR_NO_AVX2=1: 0) */
    int separable; /* 1: the row-by-row path for separable grids (GRIDR_NO_SEPARABLE=1: 0) */
    int gdal_only; /* 1: every raster read and write through GDAL (GRIDR_RASTER_GDAL_ONLY=1) */
    int worker_reads;  /* 1: workers read one-band uncompressed sources (GRIDR_WORKER_READS=0: 0) */
    int worker_writes; /* 1: workers write uncompressed tiles (GRIDR_WORKER_WRITES=0: 0) */
    int preadv;        /* direct reads of wide chunk rows with preadv: 2 rows of 4 KiB or more
                          (default), 1 always, 0 never (GRIDR_RASTER_PREADV=always|never) */
} gridr_config;

/** The switches in force (the environment's, unless gridr_config_set() replaced them).
 *  Thread-safe. */
GRIDR_API void gridr_config_get(gridr_config *out);

/** Replace the switches for this process from now on (and for workers forked after). Call it
 *  before starting runs; a run in progress may see either value. */
GRIDR_API void gridr_config_set(const gridr_config *c);

/** Test hook of builds configured with --enable-fault-injection (a no-op in others): when the
 *  GRIDR_FAULT variable (read once per process) names `phase` ("hang:phase=NAME": wait up to
 *  60 s, asking `progress` every 10 ms and returning when it says 0; "stuck:phase=NAME": block
 *  for good, as a long GDAL call does), hold the calling process there. The library calls it at
 *  the steps of a run (setup, plan, commit, committed); gridr-run at start. */
GRIDR_API void gridr_config_fault_phase(const char *phase,
                                        int (*progress)(double, const char *, void *), void *arg);

#ifdef __cplusplus
}
#endif
#endif

/* gridr tests: shared fixtures and assertion helpers for the CUnit binary. */
#ifndef GRIDR_TESTS_UNIT_H
#define GRIDR_TESTS_UNIT_H

#include "config.h" /* _GNU_SOURCE and friends, before any system header */

#include <CUnit/CUnit.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gridr/gridr.h"
#include "gridr/config.h"

/** Assert that `expr` returns `code`; on mismatch print the code and gridr_last_error(). */
#define ASSERT_STATUS(expr, code)                                                                  \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        if (rc_ != (code))                                                                         \
            fprintf(stderr, "\n%s:%d: %s returned %s (%s), expected %s\n", __FILE__, __LINE__,     \
                    #expr, gridr_status_name(rc_), gridr_last_error(), gridr_status_name(code));   \
        CU_ASSERT_EQUAL(rc_, (code));                                                              \
    } while (0)

#define ASSERT_OK(expr) ASSERT_STATUS(expr, 0)

/** A fresh private temporary directory for this test binary (created on first use, removed at
 *  exit by the runner). Ownership: static string. */
const char *gridr_test_tmpdir(void);

/** `name` inside gridr_test_tmpdir(). Ownership: one of 4 static buffers, reused in turn. */
const char *gridr_test_path(const char *name);

/** Deterministic pseudo-random number in [0, 1) (xorshift64 on *state), independent of libc. */
double gridr_test_urand(uint64_t *state);

/** Number of /dev/shm entries whose name starts with "gridr." and contains `run_id` (NULL: any
 *  gridr entry). */
int gridr_test_count_shm(const char *run_id);

/** Path of a data file in the source tree's data/ directory. Ownership: static buffer. */
const char *gridr_test_data(const char *name);

/* One suite per module, defined in tests/test_<module>.c. */
extern CU_SuiteInfo gridr_test_status_suite;
extern CU_SuiteInfo gridr_test_dtype_suite;
extern CU_SuiteInfo gridr_test_sma_suite;
extern CU_SuiteInfo gridr_test_registry_suite;
extern CU_SuiteInfo gridr_test_registry_sweep_suite; /* tests/test_registry_sweep.c */
extern CU_SuiteInfo gridr_test_grid_suite;
extern CU_SuiteInfo gridr_test_interp_suite;
extern CU_SuiteInfo gridr_test_resample_suite;
extern CU_SuiteInfo gridr_test_resample_kernels_suite; /* tests/kernel/test_resample_kernels.c */
extern CU_SuiteInfo gridr_test_resample_sep_suite;
extern CU_SuiteInfo gridr_test_resample_renorm_suite; /* tests/kernel/test_resample_renorm.c */
extern CU_SuiteInfo gridr_test_grid_aa_suite;         /* tests/kernel/test_grid_aa.c */
extern CU_SuiteInfo gridr_test_raster_worker_suite;
extern CU_SuiteInfo gridr_test_plan_suite;
extern CU_SuiteInfo gridr_test_plan_budget_suite; /* tests/pipeline/test_plan_budget.c */
extern CU_SuiteInfo gridr_test_sched_suite;
extern CU_SuiteInfo gridr_test_sched_embed_suite;   /* tests/sched/test_sched_embed.c */
extern CU_SuiteInfo gridr_test_sched_retries_suite; /* tests/test_sched_retries.c */
extern CU_SuiteInfo gridr_test_sched_safety_suite;  /* tests/test_sched_safety.c */
extern CU_SuiteInfo gridr_test_raster_suite;
extern CU_SuiteInfo gridr_test_raster_outputs_suite; /* tests/raster/test_raster_outputs.c */
extern CU_SuiteInfo gridr_test_raster_errors_suite;  /* tests/raster/test_raster_errors.c */
extern CU_SuiteInfo gridr_test_job_suite;
extern CU_SuiteInfo gridr_test_pipeline_suite;      /* tests/pipeline/test_pipeline.c */
extern CU_SuiteInfo gridr_test_raster_tiles_suite;  /* tests/test_raster_tiles.c */
extern CU_SuiteInfo gridr_test_raster_codecs_suite; /* tests/raster/test_raster_codecs.c */

/* Turn one switch of gridr_config (the field at byte offset `off`) to `on`; returns the old value.
 */
int gridr_test_switch(size_t off, int on);
#define GRIDR_TEST_SWITCH(field, on) gridr_test_switch(offsetof(gridr_config, field), (on))

#endif

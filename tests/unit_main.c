/* gridr tests: the CUnit runner: one suite per module; argv[1] picks one suite by name. */
#include "unit.h"
#include "base/internal.h" /* gridr__config_set_fault (fault-injection builds) */

#include <CUnit/Basic.h>
#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[PATH_MAX];
static pid_t runner_pid;

const char *gridr_test_tmpdir(void)
{
    if (!tmpdir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(tmpdir, sizeof tmpdir, "%s/gridr-test.XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            abort();
        }
    }
    return tmpdir;
}

double gridr_test_urand(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return (double)(*state >> 11) / 9007199254740992.0;
}

const char *gridr_test_path(const char *name)
{
    static char buf[4][PATH_MAX];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", gridr_test_tmpdir(), name);
    return buf[k];
}

int gridr_test_count_shm(const char *run_id)
{
    DIR *d = opendir("/dev/shm");
    int n = 0;
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d));) {
        if (strncmp(e->d_name, "gridr.", 6) == 0 && (!run_id || strstr(e->d_name, run_id)))
            n++;
    }
    closedir(d);
    return n;
}

const char *gridr_test_data(const char *name)
{
    static char path[PATH_MAX];
    const char *dir = getenv("GRIDR_TEST_DATA");
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "data", name);
    return path;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void remove_tmpdir(void)
{
    /* Only the runner cleans up: a forked child must never delete the parent's files. */
    if (tmpdir[0] && getpid() == runner_pid)
        nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int gridr_test_switch(size_t off, int on)
{
    gridr_config c;
    gridr_config_get(&c);
    int *f = (int *)((char *)&c + off), old = *f;
    *f = on;
    gridr_config_set(&c);
    return old;
}

int main(int argc, char **argv)
{
    CU_SuiteInfo suites[] = {
        gridr_test_status_suite,
        gridr_test_dtype_suite,
        gridr_test_sma_suite,
        gridr_test_registry_suite,
        gridr_test_grid_suite,
        gridr_test_interp_suite,
        gridr_test_resample_suite,
        gridr_test_resample_kernels_suite,
        gridr_test_resample_sep_suite,
        gridr_test_resample_renorm_suite,
        gridr_test_grid_aa_suite,
        gridr_test_plan_suite,
        gridr_test_plan_budget_suite,
        gridr_test_sched_suite,
        gridr_test_sched_embed_suite,
        gridr_test_raster_suite,
        gridr_test_raster_outputs_suite,
        gridr_test_raster_errors_suite,
        gridr_test_job_suite,
        gridr_test_pipeline_suite,
        gridr_test_raster_tiles_suite,
        gridr_test_raster_codecs_suite,
        gridr_test_raster_worker_suite,
        gridr_test_sched_retries_suite,
        gridr_test_registry_sweep_suite,
        gridr_test_sched_safety_suite,
        CU_SUITE_INFO_NULL,
    };
    runner_pid = getpid();
    atexit(remove_tmpdir);
#ifdef GRIDR_FAULT_INJECTION
    gridr__config_set_fault(NULL); /* the tests choose their faults, never the environment */
#endif
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    if (CU_register_suites(suites) != CUE_SUCCESS) {
        fprintf(stderr, "suite registration failed: %s\n", CU_get_error_msg());
        return 1;
    }
    if (argc > 1) {
        CU_pSuite s = CU_get_suite(argv[1]);
        if (!s) {
            fprintf(stderr, "no suite named %s\n", argv[1]);
            return 2;
        }
        CU_basic_set_mode(CU_BRM_VERBOSE);
        CU_basic_run_suite(s);
    } else {
        CU_basic_set_mode(CU_BRM_VERBOSE);
        CU_basic_run_tests();
    }
    unsigned failed = CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}

/* gridr fuzz target: the input as a JSON job file through gridr_job_load (no validation, which
 * would look at the files the job names), then each job copied, compared and freed. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "gridr/gridr.h"

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* A loaded job is complete (src, dst; a grid job has its grid) and its copy equals it. */
static void check_job(const gridr_job *j)
{
    if (!j->src || !j->dst || (j->kind == GRIDR_JOB_GRID && !j->grid))
        abort();
    if (j->nbands > 0 && !j->bands)
        abort();
    for (size_t i = 0; i < j->ncreation_options; i++)
        if (!j->creation_options || !j->creation_options[i])
            abort();
    gridr_job c;
    gridr_job_init(&c);
    if (gridr_job_copy(&c, j) == 0) {
        if (!same_str(c.src, j->src) || !same_str(c.dst, j->dst) || !same_str(c.grid, j->grid) ||
            c.nbands != j->nbands || c.ncreation_options != j->ncreation_options ||
            (c.nbands && memcmp(c.bands, j->bands, c.nbands * sizeof *c.bands) != 0))
            abort();
        (void)gridr_job_kind_name(c.kind);
    }
    gridr_job_clear(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = gridr_fuzz_memfile(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    gridr_job *jobs = NULL;
    size_t n = 0;
    if (gridr_job_load(path, &jobs, &n) == 0) {
        if (n == 0 || !jobs)
            abort();
        for (size_t i = 0; i < n; i++)
            check_job(&jobs[i]);
    } else if (jobs || n || !*gridr_last_error()) {
        abort(); /* a failure leaves nothing behind and says why */
    }
    gridr_job_free_list(jobs, n);
    gridr_clear_error();
    close(fd);
    return 0;
}

/* gridr fuzz target: the input split on NUL bytes into key=value pairs (a pair without '=' is
 * the key alone: value NULL, the key's default) fed to gridr_job_set, as gridr-run's options are;
 * the job is then copied and freed. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "gridr/gridr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    gridr_job j;
    gridr_job_init(&j);
    for (size_t at = 0; at <= size;) {
        char *key = buf + at;
        size_t len = strlen(key);
        at += len + 1;
        if (len == 0)
            continue;
        char *eq = strchr(key, '=');
        if (eq)
            *eq = '\0';
        int rc = gridr_job_set(&j, key, eq ? eq + 1 : NULL);
        if (rc != 0 && (rc > 0 || !*gridr_last_error()))
            abort(); /* failures are negative codes with a message */
    }
    if (j.nbands > 0 && !j.bands)
        abort();
    gridr_job c;
    gridr_job_init(&c);
    if (gridr_job_copy(&c, &j) == 0 && c.nbands != j.nbands)
        abort();
    gridr_job_clear(&c);
    gridr_job_clear(&j);
    gridr_clear_error();
    free(buf);
    return 0;
}

/* gridr: compressed windows written in window order whatever order the workers finish in, so
 * that a compressed output's bytes do not depend on timing (and a resumed run can continue it). */
#include "base/internal.h"
#include "pipeline_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct held {
    long k;
    void *buf; /* NULL: nothing to write for the window */
    size_t size;
} held;

struct gridr__order {
    long next, windows;
    gridr__order_fn fn;
    void *user;
    held *v;
    size_t n, cap;
};

int gridr__order_new(long windows, gridr__order_fn fn, void *user, gridr__order **out)
{
    gridr__order *o = calloc(1, sizeof *o);
    *out = o;
    if (!o)
        return gridr__fail(GRIDR_ENOMEM, "no memory to order the windows");
    o->windows = windows;
    o->fn = fn;
    o->user = user;
    return 0;
}

static int hold(gridr__order *o, long k, const void *buf, size_t size)
{
    if (o->n == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 8;
        held *v = realloc(o->v, cap * sizeof *v);
        if (!v)
            return gridr__fail(GRIDR_ENOMEM, "no memory to hold window %ld", k);
        o->v = v;
        o->cap = cap;
    }
    void *copy = NULL;
    if (buf && (copy = malloc(size ? size : 1)) == NULL)
        return gridr__fail(GRIDR_ENOMEM, "no memory to hold window %ld (%zu bytes)", k, size);
    if (copy)
        memcpy(copy, buf, size);
    o->v[o->n++] = (held){k, copy, size};
    return 0;
}

/* Write the held windows that are next, in order. */
static int drain(gridr__order *o)
{
    for (size_t i = 0; i < o->n;) {
        if (o->v[i].k != o->next) {
            i++;
            continue;
        }
        held h = o->v[i];
        o->v[i] = o->v[--o->n];
        int rc = h.buf ? o->fn(o->user, h.k, h.buf, h.size) : 0;
        free(h.buf);
        if (rc)
            return rc;
        o->next++;
        i = 0;
    }
    return 0;
}

int gridr__order_put(gridr__order *o, long k, const void *buf, size_t size)
{
    if (k < o->next || k >= o->windows)
        return gridr__fail(GRIDR_EINVAL, "window %ld written twice or out of the plan", k);
    if (k != o->next)
        return hold(o, k, buf, size);
    int rc = buf ? o->fn(o->user, k, buf, size) : 0;
    if (rc)
        return rc;
    o->next++;
    return drain(o);
}

long gridr__order_left(const gridr__order *o)
{
    return o ? o->windows - o->next : 0;
}

void gridr__order_free(gridr__order *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->n; i++)
        free(o->v[i].buf);
    free(o->v);
    free(o);
}

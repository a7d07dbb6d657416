/* gridr: what src/job/job.c (keys, parsing, validation), job_warp.c and job_load.c share. */
#ifndef GRIDR_JOB_INTERNAL_H
#define GRIDR_JOB_INTERNAL_H

#include "gridr/job.h"

#include <stddef.h>

/** The JSON shapes a key accepts (its text form always works through gridr_job_set). */
typedef enum gridr__jtype {
    GRIDR__J_STRING, /* string */
    GRIDR__J_PATH,   /* string, relative to the job file's directory */
    GRIDR__J_INT,    /* integer */
    GRIDR__J_NUM,    /* number */
    GRIDR__J_NODATA, /* number, or a string ("nan", "inf") */
    GRIDR__J_BOOL,   /* true / false */
    GRIDR__J_INTS,   /* integer or array of integers (a list key) */
    GRIDR__J_PAIR,   /* number or array of 1 or 2 numbers */
    GRIDR__J_IPAIR,  /* integer or array of 1 or 2 integers */
    GRIDR__J_SIZE,   /* "COLSxROWS", an integer (square) or [cols, rows] */
    GRIDR__J_KV      /* "KEY=VALUE", array of them, or an object {KEY: value} (a list key) */
} gridr__jtype;

/** The JSON shape of `key`; -1 when the key does not exist. */
int gridr__job_key_type(const char *key);

/** " (did you mean 'x'?)" for a misspelt key, or "". Ownership: static buffer. */
const char *gridr__job_suggest(const char *key);

/** Required and forbidden keys of the job's kind, and option consistency (no file access). */
int gridr__job_check_structure(const gridr_job *j);

/* ---- the key table (job.c) and the warp keys' setters and checks (job_warp.c) ---- */

typedef struct gridr__job_key gridr__job_key;

/** Sets the key from its text form `v`; NULL `v` puts the key back to its default. */
typedef int (*gridr__job_setter)(gridr_job *j, const gridr__job_key *k, const char *v);

/** One row of the key table. */
struct gridr__job_key {
    const char *name;
    gridr__jtype jtype;
    gridr__job_setter set;
    size_t off;  /* field (generic setters); flag field for nodata keys */
    size_t off2; /* value field of nodata keys */
    double lo, hi, def;
};

/** Fails with GRIDR_EINVAL: "bad value `v` for key `key` (expected `expected`)". */
int gridr__job_bad_value(const char *key, const char *v, const char *expected);

/** A finite double; `nonfinite` also lets nan / inf / -inf through (nodata values). */
int gridr__job_parse_double(const char *key, const char *v, int nonfinite, double *out);

/** "a" or "a,b" into two parts (b = a when absent). Ownership: the caller's buffers. */
int gridr__job_split_pair(const char *key, const char *v, char *a, char *b, size_t n,
                          const char *expected);

/** Where the job comes from, for messages ("job" when not known). */
const char *gridr__job_origin(const gridr_job *j);

/** Fails when `present`: key `key` does not apply to this kind of job. */
int gridr__job_forbid(const gridr_job *j, int present, const char *key);

/** Fails when a key of grid jobs (grid, grid-col, grid-res, grid-mask, grid-nodata, grid-shift)
 * is set. */
int gridr__job_forbid_grid(const gridr_job *j);

/** A list key of KEY=VALUE items ("co", "to"): `v` appended to the NULL-terminated `*list` of `*n`
 * (copied), or the list freed when `v` is NULL; `example` for the message on a bad item. */
int gridr__job_set_kv_list(const gridr__job_key *k, const char *v, char ***list, size_t *n,
                           const char *example);

/* Warp keys (gdalwarp's names): "tr", "te", "dst-geotransform", "ts", "to". */
int gridr__job_set_tr(gridr_job *j, const gridr__job_key *k, const char *v);
int gridr__job_set_te(gridr_job *j, const gridr__job_key *k, const char *v);
int gridr__job_set_dst_gt(gridr_job *j, const gridr__job_key *k, const char *v);
int gridr__job_set_ts(gridr_job *j, const gridr__job_key *k, const char *v);
int gridr__job_set_to(gridr_job *j, const gridr__job_key *k, const char *v);

/** The keys of a warp job on another kind of job. */
int gridr__job_forbid_warp(const gridr_job *j);

/** A warp job's keys: none of the other kinds', and consistent with each other. */
int gridr__job_check_warp(const gridr_job *j);

#endif

/* gridr: what src/job.c (keys, parsing, validation) and src/job_load.c (JSON files) share. */
#ifndef GRIDR_JOB_INTERNAL_H
#define GRIDR_JOB_INTERNAL_H

#include "gridr/job.h"

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

#endif

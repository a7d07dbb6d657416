/* gridr: what the two files of resumable runs (resume.c, resume_id.c) share (never installed). */
#ifndef GRIDR_RESUME_INTERNAL_H
#define GRIDR_RESUME_INTERNAL_H

#include "pipeline_internal.h"

#include <stddef.h>

/* First line of a record (the partial output's `<tmp>.resume`, a committed job's
 * `<dst>.gridr-resume`). */
#define GRIDR__RESUME_MAGIC "gridr-resume 1"
#define GRIDR__RESUME_SUFFIX ".resume"
#define GRIDR__RESUME_DONE ".gridr-resume"

/* The identity of job j as the record's header lines (magic, version, job keys, output shape,
 * every input file). Ownership: *text malloc'ed. */
int gridr__resume_identity(const gridr__pipeline_ctx *c, const gridr_job *j, char **text);

/* 0 when the identities are equal; else 1 and the first difference in words in msg. */
int gridr__resume_compare(const char *then, const char *now, char *msg, size_t n);

/* The contents of a regular file of ours of at most `max` bytes (not through a link), or NULL.
 * Ownership: malloc'ed. */
char *gridr__resume_slurp(const char *path, size_t max);

/* Right before the partial output `out` (every byte on disk) is renamed to j->dst:
 * `<dst>.gridr-resume` says this job wrote the file of out's identity (a rename keeps it), so
 * that a rerun with --resume skips the job once the rename happened (best effort). */
void gridr__resume_mark_committed(const char *ident, const gridr_job *j, const char *tag,
                                  const char *out);

#endif

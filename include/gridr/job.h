/* gridr: job (interface being written; see docs/design.md). */
#ifndef GRIDR_JOB_H
#define GRIDR_JOB_H

#include "gridr/status.h"

#endif

/* gridr: sched (interface being written; see docs/design.md). */
#ifndef GRIDR_SCHED_H
#define GRIDR_SCHED_H

#include "gridr/status.h"

#endif

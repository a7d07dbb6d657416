/* gridr: plan (interface being written; see docs/design.md). */
#ifndef GRIDR_PLAN_H
#define GRIDR_PLAN_H

#include "gridr/status.h"

#endif

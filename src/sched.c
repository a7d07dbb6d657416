/* gridr: sched (being written). */
#include "internal.h"

/* gridr: plan (being written). */
#include "internal.h"

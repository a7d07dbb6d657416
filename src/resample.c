/* gridr: resample (being written). */
#include "internal.h"

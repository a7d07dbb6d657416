/* gridr: interp (being written). */
#include "internal.h"

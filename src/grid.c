/* gridr: grid (being written). */
#include "internal.h"

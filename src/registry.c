/* gridr: registry (being written). */
#include "internal.h"

/* gridr: job (being written). */
#include "internal.h"

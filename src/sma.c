/* gridr: sma (being written). */
#include "internal.h"

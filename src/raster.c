/* gridr: raster (being written). */
#include "internal.h"

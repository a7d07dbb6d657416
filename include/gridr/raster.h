/* gridr: raster (interface being written; see docs/design.md). */
#ifndef GRIDR_RASTER_H
#define GRIDR_RASTER_H

#include "gridr/status.h"

#endif

/* gridr: umbrella header; the only one embedding programs need to include. */
#ifndef GRIDR_GRIDR_H
#define GRIDR_GRIDR_H

#include "gridr/version.h"
#include "gridr/status.h"
#include "gridr/config.h"
#include "gridr/dtype.h"
#include "gridr/sma.h"
#include "gridr/registry.h"
#include "gridr/grid.h"
#include "gridr/interp.h"
#include "gridr/resample.h"
#include "gridr/plan.h"
#include "gridr/sched.h"
#include "gridr/raster.h"
#include "gridr/transform.h"
#include "gridr/job.h"
#include "gridr/pipeline.h"

#endif

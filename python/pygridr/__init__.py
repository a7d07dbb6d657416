"""pygridr: gridr's resampling kernels and scheduler from Python.

- ``array_grid_resampling(...)``: CNES GridR's function of the same name (same signature,
  names, defaults and results) on gridr's C kernels, native dtypes, the GIL released;
- ``run(job, *, workers=None, progress=None)``: run gridr jobs (job-file keys) on the full
  scheduler (forked workers over named shared memory) and get the report;
- ``Error``: what ``run`` raises when gridr fails (a ``RuntimeError`` with gridr's code).

A GridR user switches by changing one import::

    from pygridr import array_grid_resampling
    # was: from gridr.core.grid.grid_resampling import array_grid_resampling

See docs/python.md.
"""

from ._core import gridr_version
from ._resampling import array_grid_resampling
from ._run import Error, run

__version__ = gridr_version
__all__ = ["array_grid_resampling", "run", "Error", "__version__"]

#!/usr/bin/python3
# gridr-run grid --antialias against gdal_translate -r bilinear|cubic at /2, /3, /4 of
# data/sample.tif through an array grid that is exactly the reduction (docs/numerics.md,
# "Antialiased grids"). Run from the source tree with the build in ./build; writes in the cwd.
import os, subprocess, numpy as np
from osgeo import gdal
gdal.UseExceptions()
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(TOP, 'data', 'sample.tif')
GR = os.environ.get('GRIDR_RUN', os.path.join(TOP, 'build', 'gridr-run'))
sds = gdal.Open(SRC); nd = sds.GetRasterBand(1).GetNoDataValue()
for f, m, res in ((2, 256, 15), (3, 170, 13), (4, 128, 127)):
    n = (m - 1) // res + 1
    oi = np.arange(n) * res
    ds = gdal.GetDriverByName('GTiff').Create('g.tif', n, n, 2, gdal.GDT_Float64)
    ds.GetRasterBand(1).WriteArray(np.repeat((f * oi + (f - 1) / 2)[:, None], n, 1))
    ds.GetRasterBand(2).WriteArray(np.repeat((f * oi + (f - 1) / 2)[None, :], n, 0))
    ds.SetMetadata({'GRIDR_RES_ROW': str(res), 'GRIDR_RES_COL': str(res)}); ds = None
    for k, gk in (('linear', 'bilinear'), ('cubic', 'cubic')):
        gdal.Translate('ref.tif', SRC, srcWin=[0, 0, f * m, f * m], width=m, height=m, resampleAlg=gk)
        ref = gdal.Open('ref.tif').ReadAsArray().astype(float)
        for aa in ('--antialias', '--no-antialias'):
            subprocess.run([GR, 'grid', '-q', '--overwrite', '-r', k, aa, '--grid', 'g.tif', SRC, 'o.tif'], check=True)
            o = gdal.Open('o.tif').ReadAsArray().astype(float)
            ok = (o != nd) & (ref != nd)
            d = np.abs(o - ref)[ok]
            print('/%d %s %s: %d of %d samples valid in both, p99 %.0f max %.0f DN' % (f, k, aa, ok.sum(), o.size, np.percentile(d, 99), d.max()))

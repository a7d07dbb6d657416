/* gridr fuzz target: the input as a (Geo)TIFF opened with gridr_raster_open and read in a few
 * windows with gridr_raster_read, through GDAL (/vsimem/, GRIDR_RASTER_GDAL_ONLY on) and through
 * the direct libtiff reader (an in-memory file, the switch off). Rasters whose header asks for
 * more than 4096 x 4096 x 16 bands, or chunks over 64 MiB, are opened but not read. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* GDAL's headers test undefined macros (__clang_major__): keep -Wundef for our code only. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wundef"
#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <gdal.h>
#pragma GCC diagnostic pop

#include "fuzz.h"
#include "gridr/gridr.h"

#define MAX_SIDE 4096
#define MAX_BANDS 16
#define MAX_CHUNK_BYTES ((size_t)64 << 20)

static void read_window(gridr_raster *r, gridr_rect win, const int *bands, int nbands,
                        gridr_dtype dt)
{
    size_t n = (size_t)nbands * (size_t)win.rows * (size_t)win.cols;
    void *buf = calloc(n ? n : 1, gridr_dtype_size(dt));
    if (!buf)
        return;
    gridr_array a = gridr_array_make(buf, dt, nbands, win.rows, win.cols);
    int rc = gridr_raster_read(r, win, bands, nbands, &a);
    if (rc > 0 || (rc && !*gridr_last_error()))
        abort(); /* failures are negative codes with a message */
    free(buf);
}

/* Open `path` and read a few windows: a corner block of every band as band 1's type, the last
 * pixel and a middle row as f64, a window past the end (refused). */
static void exercise(const char *path)
{
    gridr_raster *r = NULL;
    if (gridr_raster_open(path, &r) != 0) {
        if (r || !*gridr_last_error())
            abort();
        return;
    }
    gridr_raster_info info;
    gridr_raster_get_info(r, &info);
    if (info.rows < 1 || info.cols < 1 || info.bands < 1)
        goto done; /* GDAL opens some rasters without bands */
    if (info.rows > MAX_SIDE || info.cols > MAX_SIDE || info.bands > MAX_BANDS ||
        info.block_rows > MAX_SIDE || info.block_cols > MAX_SIDE ||
        (size_t)info.block_rows * (size_t)info.block_cols * (size_t)info.bands * 8 >
            MAX_CHUNK_BYTES)
        goto done;
    gridr_dtype dt;
    if (gridr_raster_band_dtype(r, 1, &dt) != 0)
        goto done;
    int has;
    double nodata;
    (void)gridr_raster_band_nodata(r, 1, &has, &nodata);
    (void)gridr_raster_metadata(r, GRIDR_RASTER_MD_RES_ROW);
    int all[MAX_BANDS];
    for (int b = 0; b < info.bands; b++)
        all[b] = b + 1;
    int last[2] = {info.bands, 1};
    long rows = info.rows < 32 ? info.rows : 32, cols = info.cols < 32 ? info.cols : 32;
    read_window(r, (gridr_rect){0, 0, rows, cols}, NULL, info.bands, dt);
    read_window(r, (gridr_rect){info.rows - 1, info.cols - 1, 1, 1}, last, 2, GRIDR_DT_F64);
    read_window(r, (gridr_rect){info.rows / 2, 0, 1, info.cols}, all, info.bands, GRIDR_DT_F64);
    read_window(r, (gridr_rect){info.rows, 0, 1, 1}, NULL, 1, dt);
done:
    gridr_raster_close(r);
    gridr_clear_error();
}

static void set_gdal_only(int on)
{
    gridr_config c;
    gridr_config_get(&c);
    c.gdal_only = on;
    gridr_config_set(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        /* No sibling-file listing of /proc/self/fd or /vsimem/ on every open. */
        CPLSetConfigOption("GDAL_DISABLE_READDIR_ON_OPEN", "EMPTY_DIR");
        GDALSetCacheMax64((GIntBig)64 << 20); /* GDAL's block cache: 64 MiB, not 5 % of RAM */
        init = 1;
    }
    char vsi[64];
    snprintf(vsi, sizeof vsi, "/vsimem/gridr-fuzz-%ld.tif", (long)getpid());
    VSILFILE *f = VSIFileFromMemBuffer(vsi, (GByte *)(uintptr_t)data, (vsi_l_offset)size, FALSE);
    if (f) {
        VSIFCloseL(f);
        set_gdal_only(1);
        exercise(vsi);
        VSIUnlink(vsi);
    }
    char path[64];
    int fd = gridr_fuzz_memfile(data, size, path, sizeof path);
    if (fd >= 0) {
        set_gdal_only(0);
        exercise(path);
        close(fd);
    }
    return 0;
}

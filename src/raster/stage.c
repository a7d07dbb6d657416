/* gridr: outputs of drivers other than GTiff: written to a staging GTiff, copied at commit
 * (GDALCreateCopy, as gdal_translate does) into a private directory, probed before any work. */
#include "base/internal.h"
#include "gridr/raster.h"

#include "raster_internal.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Drivers name side files after the output (ENVI's out.hdr, SAGA's out.sgrd) and some want
 * their own extension (GPKG, SAGA), so the copy is written under the output's own name, in a
 * private directory <tmp>.d beside it; commit renames each file it holds into the output's
 * directory, the main file last. The journal's temporary name covers the directory. */

static const char *base_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int gridr__stage_names(gridr_raster *r)
{
    size_t n = strlen(r->tmp) + strlen(GRIDR__TEMP_DIR_SUFFIX) + 1;
    r->copy_dir = malloc(n);
    if (!r->copy_dir)
        return gridr__fail(GRIDR_ENOMEM, "out of memory creating '%s'", r->path);
    snprintf(r->copy_dir, n, "%s%s", r->tmp, GRIDR__TEMP_DIR_SUFFIX);
    n += strlen(base_of(r->path)) + 1;
    r->copy_path = malloc(n);
    if (!r->copy_path)
        return gridr__fail(GRIDR_ENOMEM, "out of memory creating '%s'", r->path);
    snprintf(r->copy_path, n, "%s/%s", r->copy_dir, base_of(r->path));
    return 0;
}

/* `name` (a file of the copy's directory) at its place beside the output, into buf[n]. */
static int final_name(const gridr_raster *r, const char *name, char *buf, size_t n)
{
    char dir[PATH_MAX];
    gridr__dir_of(r->path, dir, sizeof dir);
    if (snprintf(buf, n, "%s/%s", dir, name) >= (int)n)
        return gridr__fail(GRIDR_EINVAL, "output path '%s/%s' is too long", dir, name);
    return 0;
}

typedef int (*entry_fn)(gridr_raster *r, const char *name, int is_dir);

/* Call fn on every entry of the copy's directory but `.`, `..` and (when last) the main file,
 * then on the main file when `last`. */
static int each_entry(gridr_raster *r, entry_fn fn, int last)
{
    DIR *d = opendir(r->copy_dir);
    if (!d)
        return gridr__fail_errno(GRIDR_EIO, errno, "cannot read '%s'", r->copy_dir);
    const char *main_name = base_of(r->path);
    int rc = 0, seen_main = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (last && strcmp(e->d_name, main_name) == 0) {
            seen_main = 1;
            continue;
        }
        rc = fn(r, e->d_name, e->d_type == DT_DIR);
    }
    closedir(d);
    if (rc == 0 && last && seen_main)
        rc = fn(r, main_name, 0);
    return rc;
}

/* ---- the probe, before any work ----------------------------------------------------------- */

/* A file the probe's copy wrote: the driver must write files (not directories), and what they
 * would replace beside the output must be replaceable. Then the probe's file goes. */
static int remove_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static int probe_entry(gridr_raster *r, const char *name, int is_dir)
{
    char to[PATH_MAX], from[PATH_MAX];
    snprintf(from, sizeof from, "%s/%s", r->copy_dir, name);
    if (is_dir) {
        nftw(from, remove_cb, 8, FTW_DEPTH | FTW_PHYS); /* the probe's own files only */
        return gridr__fail(GRIDR_EINVAL,
                           "output format %s writes a directory ('%s'), which gridr cannot "
                           "replace atomically; use a file format such as GTiff",
                           GDALGetDriverShortName(r->final_drv), name);
    }
    int rc = final_name(r, name, to, sizeof to);
    if (rc == 0)
        rc = gridr_raster_check_replaceable(to, "output side file");
    unlink(from);
    return rc;
}

/* A small in-memory raster of the output's bands and type, georeferenced (GPKG needs it). */
static GDALDatasetH probe_source(long rows, long cols, int bands, gridr_dtype dt)
{
    double gt[6] = {0, 1, 0, 0, 0, -1};
    GDALDriverH mem = GDALGetDriverByName("MEM");
    int h = (int)GRIDR__MIN(rows, 8), w = (int)GRIDR__MIN(cols, 8);
    GDALDatasetH ds = mem ? GDALCreate(mem, "", w, h, bands, gridr__gdal_type(dt), NULL) : NULL;
    if (ds)
        GDALSetGeoTransform(ds, gt);
    return ds;
}

int gridr__stage_probe(gridr_raster *r, long rows, long cols, int bands, gridr_dtype dt)
{
    gridr__gdal_capture c;
    if (mkdir(r->copy_dir, 0700) != 0)
        return gridr__fail_errno(gridr__status_from_errno(errno), errno,
                                 "cannot create the directory '%s' of output '%s'", r->copy_dir,
                                 r->path);
    gridr__gdal_begin(&c);
    GDALDatasetH src = probe_source(rows, cols, bands, dt), copy = NULL;
    if (src)
        copy = GDALCreateCopy(r->final_drv, r->copy_path, src, FALSE, r->copy_opts, NULL, NULL);
    if (copy)
        GDALClose(copy);
    if (src)
        GDALClose(src);
    gridr__gdal_end(&c);
    if (!copy || c.failed)
        return gridr__fail(GRIDR_EINVAL,
                           "output format %s cannot write '%s' (%d band%s of %s, these creation "
                           "options): %s",
                           GDALGetDriverShortName(r->final_drv), r->path, bands,
                           bands == 1 ? "" : "s", gridr_dtype_name(dt), gridr__gdal_msg(&c));
    return each_entry(r, probe_entry, 0);
}

/* ---- commit ------------------------------------------------------------------------------- */

static int sync_entry(gridr_raster *r, const char *name, int is_dir)
{
    char from[PATH_MAX];
    (void)is_dir;
    snprintf(from, sizeof from, "%s/%s", r->copy_dir, name);
    return gridr__output_fsync(from);
}

int gridr__stage_sync(gridr_raster *r)
{
    return each_entry(r, sync_entry, 0);
}

static int place_entry(gridr_raster *r, const char *name, int is_dir)
{
    char from[PATH_MAX], to[PATH_MAX];
    snprintf(from, sizeof from, "%s/%s", r->copy_dir, name);
    int rc = final_name(r, name, to, sizeof to);
    if (rc == 0 && is_dir)
        rc = gridr__fail(GRIDR_EINVAL, "driver %s wrote a directory '%s'; nothing was renamed",
                         GDALGetDriverShortName(r->final_drv), from);
    return rc ? rc : gridr__output_move(from, to);
}

/* Without an .aux.xml of its own, a <path>.aux.xml left by the file being replaced is stale. */
static int drop_stale_aux(gridr_raster *r)
{
    char mine[PATH_MAX], old[PATH_MAX];
    snprintf(mine, sizeof mine, "%s.aux.xml", r->copy_path);
    snprintf(old, sizeof old, "%s.aux.xml", r->path);
    if (access(mine, F_OK) == 0)
        return 0;
    struct stat st;
    if (lstat(old, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    return unlink(old) == 0 || errno == ENOENT
               ? 0
               : gridr__fail_errno(GRIDR_EIO, errno, "cannot remove stale '%s'", old);
}

int gridr__stage_place(gridr_raster *r)
{
    int rc = drop_stale_aux(r);
    return rc ? rc : each_entry(r, place_entry, 1);
}

/* gridr tests: job options from text and JSON files: defaults, every key, errors, validation. */
#include "unit.h"

#include <limits.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void write_file(const char *name, const char *text)
{
    FILE *f = fopen(gridr_test_path(name), "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs(text, f);
    fclose(f);
}

static int has(const char *needle)
{
    int found = strstr(gridr_last_error(), needle) != NULL;
    if (!found)
        fprintf(stderr, "\n  message '%s' lacks '%s'\n", gridr_last_error(), needle);
    return found;
}

/* ---- defaults and text options ------------------------------------------------------------ */

static void test_defaults(void)
{
    gridr_job j;
    cpu_set_t set;
    gridr_job_init(&j);
    CU_ASSERT_EQUAL(j.kind, GRIDR_JOB_GRID);
    CU_ASSERT_PTR_NULL(j.src);
    CU_ASSERT_PTR_NULL(j.bands);
    CU_ASSERT_EQUAL(j.interp, GRIDR_INTERP_LINEAR);
    CU_ASSERT_EQUAL(j.bspline_eps, GRIDR_BSPLINE_DEFAULT_EPS);
    CU_ASSERT_EQUAL(j.mask_influence, 1.0);
    CU_ASSERT_EQUAL(j.boundary, GRIDR_BC_NONE);
    CU_ASSERT_EQUAL(j.antialias, -1);
    CU_ASSERT(!j.has_src_nodata && !j.has_nodata && !j.has_grid_nodata);
    CU_ASSERT_EQUAL(j.out_dtype, GRIDR_DT_UNKNOWN);
    CU_ASSERT_PTR_NULL(j.format);
    CU_ASSERT(j.tile_rows == 0 && j.tile_cols == 0);
    CU_ASSERT_EQUAL(j.mem_mib, GRIDR_JOB_DEFAULT_MEM_MIB);
    CU_ASSERT(sched_getaffinity(0, sizeof set, &set) == 0);
    CU_ASSERT_EQUAL(j.workers, CPU_COUNT(&set));
    CU_ASSERT_EQUAL(j.threads, 1);
    CU_ASSERT_EQUAL(j.retries, 1);
    CU_ASSERT(!j.keep_going && !j.dry_run && !j.quiet && !j.trust_padding);
    CU_ASSERT(j.zoom_fx == 0 && j.size_rows == 0);
    CU_ASSERT(j.grid_res_row == 0 && j.grid_mask_valid == 1);
    gridr_job_clear(&j);
    gridr_job_clear(NULL);
    CU_ASSERT_STRING_EQUAL(gridr_job_kind_name(GRIDR_JOB_ZOOM), "zoom");
}

static void test_every_key(void)
{
    gridr_job j;
    gridr_job_init(&j);
    const char *kv[][2] = {
        {"kind", "zoom"},
        {"src", "in.tif"},
        {"dst", "out.tif"},
        {"band", "3"},
        {"band", "1,2"},
        {"resampling", "bspline5"},
        {"bspline-eps", "1e-4"},
        {"mask-influence", "0.5"},
        {"boundary", "constant"},
        {"boundary-value", "-2.5"},
        {"trust-padding", "yes"},
        {"src-nodata", "nan"},
        {"nodata", "-9999"},
        {"out-type", "Float32"},
        {"format", "COG"},
        {"co", "COMPRESS=DEFLATE"},
        {"co", "LEVEL=9"},
        {"tile", "512x256"},
        {"mem", "2048"},
        {"workers", "3"},
        {"threads", "2"},
        {"retries", "0"},
        {"keep-going", "true"},
        {"timeout", "2.5"},
        {"dry-run", "1"},
        {"quiet", "on"},
        {"report", "r.json"},
        {"factor", "2,0.5"},
        {"size", "300x200"},
        {"grid", "g.tif"},
        {"grid-col", "gc.tif"},
        {"grid-res", "10,5"},
        {"grid-mask", "m.tif"},
        {"grid-mask-valid", "255"},
        {"grid-nodata", "-1e9"},
        {"grid-shift", "-0.5,0.25"},
        {"src-mask", "sm.tif"},
        /* warp, georeferenced grid outputs */
        {"t-srs", "EPSG:4326"},
        {"s-srs", "EPSG:32631"},
        {"tr", "10,20"},
        {"te", "1,2,3,4"},
        {"te-srs", "EPSG:3857"},
        {"ts", "100,0"},
        {"tap", "true"},
        {"et", "0.5"},
        {"to", "RPC_HEIGHT=10"},
        {"rpc-dem", "dem.tif"},
        {"rpc-height", "12.5"},
        {"order", "2"},
        {"tps", "false"},
        {"dst-geotransform", "1,2,0,3,0,-2"},
        {"dst-srs", "EPSG:2154"},
        {"keep-grid", "kg.tif"},
        {"resume", "yes"},
        {"overwrite", "yes"},
        {"nodata-policy", "renormalize"},
        {"dst-alpha", "true"},
        {"mask-bands", "false"},
        {"antialias", "false"},
    };
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        ASSERT_OK(gridr_job_set(&j, kv[i][0], kv[i][1]));
    CU_ASSERT_EQUAL(j.kind, GRIDR_JOB_ZOOM);
    CU_ASSERT_STRING_EQUAL(j.src, "in.tif");
    CU_ASSERT_STRING_EQUAL(j.dst, "out.tif");
    CU_ASSERT_FATAL(j.nbands == 3);
    CU_ASSERT(j.bands[0] == 3 && j.bands[1] == 1 && j.bands[2] == 2);
    CU_ASSERT_EQUAL(j.interp, GRIDR_INTERP_BSPLINE5);
    CU_ASSERT_EQUAL(j.bspline_eps, 1e-4);
    CU_ASSERT_EQUAL(j.mask_influence, 0.5);
    CU_ASSERT(j.boundary == GRIDR_BC_CONSTANT && j.boundary_value == -2.5 && j.trust_padding);
    CU_ASSERT(j.has_src_nodata && isnan(j.src_nodata));
    CU_ASSERT(j.has_nodata && j.nodata == -9999);
    CU_ASSERT_EQUAL(j.out_dtype, GRIDR_DT_F32);
    CU_ASSERT_STRING_EQUAL(j.format, "COG");
    CU_ASSERT_FATAL(j.ncreation_options == 2);
    CU_ASSERT_STRING_EQUAL(j.creation_options[1], "LEVEL=9");
    CU_ASSERT_PTR_NULL(j.creation_options[2]);
    CU_ASSERT(j.tile_cols == 512 && j.tile_rows == 256);
    CU_ASSERT(j.mem_mib == 2048 && j.workers == 3 && j.threads == 2 && j.retries == 0);
    CU_ASSERT(j.keep_going && j.dry_run && j.quiet);
    CU_ASSERT_EQUAL(j.timeout, 2.5);
    CU_ASSERT_STRING_EQUAL(j.report, "r.json");
    CU_ASSERT(j.zoom_fx == 2 && j.zoom_fy == 0.5);
    CU_ASSERT(j.size_cols == 300 && j.size_rows == 200);
    CU_ASSERT_STRING_EQUAL(j.grid, "g.tif");
    CU_ASSERT_STRING_EQUAL(j.grid_col, "gc.tif");
    CU_ASSERT(j.grid_res_row == 10 && j.grid_res_col == 5);
    CU_ASSERT_STRING_EQUAL(j.grid_mask, "m.tif");
    CU_ASSERT_EQUAL(j.grid_mask_valid, 255);
    CU_ASSERT(j.has_grid_nodata && j.grid_nodata == -1e9);
    CU_ASSERT(j.grid_shift_row == -0.5 && j.grid_shift_col == 0.25);
    CU_ASSERT_STRING_EQUAL(j.src_mask, "sm.tif");
    CU_ASSERT_TRUE(j.resume);
    CU_ASSERT_EQUAL(j.overwrite, 1);
    CU_ASSERT(j.nodata_policy == GRIDR_NODATA_RENORMALIZE && j.dst_alpha && !j.src_mask_bands);
    CU_ASSERT(!j.nodata_none && !j.src_nodata_none);
    CU_ASSERT_EQUAL(j.antialias, 0);
    CU_ASSERT(j.tr_x == 10 && j.tr_y == 20 && j.has_te && j.te[0] == 1 && j.te[3] == 4);
    CU_ASSERT(j.ts_cols == 100 && j.ts_rows == 0 && j.tap && j.et == 0.5 && j.gcp_order == 2);
    CU_ASSERT(j.has_rpc_height && j.rpc_height == 12.5 && !j.tps);
    CU_ASSERT_FATAL(j.ntransform_options == 1);
    CU_ASSERT_STRING_EQUAL(j.transform_options[0], "RPC_HEIGHT=10");
    CU_ASSERT(j.has_dst_geotransform && j.dst_geotransform[5] == -2);
    CU_ASSERT_STRING_EQUAL(j.keep_grid, "kg.tif");
    /* Every key in the table was exercised above. */
    size_t nkeys = 0;
    for (const char *const *k = gridr_job_keys(); *k; k++, nkeys++) {
        int seen = 0;
        for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
            seen |= strcmp(kv[i][0], *k) == 0;
        CU_ASSERT(seen);
    }
    CU_ASSERT_EQUAL(nkeys, 57);
    /* A copy is deep; NULL restores defaults. */
    gridr_job c;
    ASSERT_OK(gridr_job_copy(&c, &j));
    ASSERT_OK(gridr_job_set(&j, "band", NULL));
    ASSERT_OK(gridr_job_set(&j, "co", NULL));
    ASSERT_OK(gridr_job_set(&j, "src", NULL));
    ASSERT_OK(gridr_job_set(&j, "workers", NULL));
    ASSERT_OK(gridr_job_set(&j, "timeout", NULL));
    ASSERT_OK(gridr_job_set(&j, "nodata", NULL));
    ASSERT_OK(gridr_job_set(&j, "tile", "0"));
    CU_ASSERT(j.nbands == 0 && j.bands == NULL && j.creation_options == NULL);
    CU_ASSERT(j.src == NULL && !j.has_nodata && j.tile_rows == 0 && j.timeout == 0);
    CU_ASSERT(j.workers >= 1 && j.workers <= GRIDR_JOB_MAX_WORKERS);
    CU_ASSERT(c.nbands == 3 && c.bands[2] == 2 && c.ncreation_options == 2);
    CU_ASSERT_STRING_EQUAL(c.src, "in.tif");
    CU_ASSERT_STRING_EQUAL(c.creation_options[0], "COMPRESS=DEFLATE");
    CU_ASSERT_FATAL(c.ntransform_options == 1 && c.transform_options != j.transform_options);
    CU_ASSERT_STRING_EQUAL(c.transform_options[0], "RPC_HEIGHT=10");
    CU_ASSERT_STRING_EQUAL(c.t_srs, "EPSG:4326");
    gridr_job_clear(&c);
    gridr_job_clear(&j);
}

static void test_bad_values(void)
{
    gridr_job j;
    gridr_job_init(&j);
    const char *bad[][3] = {
        /* key, value, a word the message must contain */
        {"tile", "12x", "COLSxROWS"},
        {"tile", "x12", "COLSxROWS"},
        {"tile", "-5", "COLSxROWS"},
        {"size", "0x5", "COLSxROWS"},
        {"factor", "0", "> 0"},
        {"factor", "2,", "FX,FY"},
        {"factor", "-1,2", "> 0"},
        {"tr", "0,1", "XRES,YRES"},
        {"te", "3,2,1,4", "XMIN < XMAX"},
        {"ts", "0,0", "not both 0"},
        {"dst-geotransform", "1,2,3", "X0,DX"},
        {"resampling", "foo", "bspline3"},
        {"boundary", "mirror", "reflect"},
        {"workers", "0", "[1, 512]"},
        {"workers", "513", "one socket per worker"},
        {"timeout", "-1", "[0, 1e+07]"},
        {"timeout", "nan", "finite"},
        {"workers", "four", "integer"},
        {"threads", "2.5", "integer"},
        {"retries", "-1", "[0, 100]"},
        {"mem", "0", "[1, "},
        {"band", "0", "band numbers"},
        {"band", "1,,2", "band numbers"},
        {"band", "", "band numbers"},
        {"co", "COMPRESS", "KEY=VALUE"},
        {"keep-going", "maybe", "true or false"},
        {"grid-shift", "1", "ROW,COL"},
        {"grid-res", "0", ">= 1"},
        {"grid-mask-valid", "256", "[0, 255]"},
        {"bspline-eps", "0", "(0, 0.1]"},
        {"mask-influence", "1.5", "(0, 1]"},
        {"nodata", "abc", "nan"},
        {"boundary-value", "inf", "finite"},
        {"out-type", "u17", "f64"},
        {"kind", "affine", "grid, zoom or warp"},
        {"src", "", "non-empty"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = gridr_job_set(&j, bad[i][0], bad[i][1]);
        char key[64], value[64];
        snprintf(key, sizeof key, "'%s'", bad[i][0]);
        snprintf(value, sizeof value, "'%s'", bad[i][1]);
        CU_ASSERT(rc == GRIDR_EINVAL || rc == GRIDR_ERANGE);
        CU_ASSERT(has(key) && has(value) && has(bad[i][2]));
    }
    /* The job still holds its defaults. */
    CU_ASSERT(j.tile_rows == 0 && j.zoom_fx == 0 && j.workers >= 1 && j.nbands == 0);
    ASSERT_STATUS(gridr_job_set(&j, "src_nodata", "0"), GRIDR_EINVAL);
    CU_ASSERT(has("unknown key 'src_nodata'") && has("did you mean 'src-nodata'"));
    ASSERT_STATUS(gridr_job_set(&j, "resampline", "cubic"), GRIDR_EINVAL);
    CU_ASSERT(has("did you mean 'resampling'"));
    ASSERT_STATUS(gridr_job_set(&j, "zzzzzz", "1"), GRIDR_EINVAL);
    CU_ASSERT_PTR_NULL(strstr(gridr_last_error(), "did you mean"));
    gridr_job_clear(&j);
}

/* ---- job files ---------------------------------------------------------------------------- */

static void test_list_file(void)
{
    gridr_job *jobs = NULL;
    size_t n = 0;
    mkdir(gridr_test_path("jobs"), 0700);
    write_file("jobs/list.json",
               "[\n"
               " {\"src\": \"a.tif\", \"dst\": \"out/a.tif\", \"grid\": \"/abs/g.tif\",\n"
               "  \"band\": [2, 1], \"resampling\": \"cubic\", \"co\": {\"COMPRESS\": "
               "\"DEFLATE\", \"ZLEVEL\": 9},\n"
               "  \"grid-res\": [10, 5], \"grid-shift\": [-0.5, -0.5], \"nodata\": \"nan\",\n"
               "  \"trust-padding\": true, \"boundary\": \"edge\", \"tile\": [512, 256]},\n"
               " {\"kind\": \"zoom\", \"src\": \"b.tif\", \"dst\": \"b_out.tif\", \"factor\": "
               "[2, 4],\n"
               "  \"co\": [\"TILED=YES\"], \"workers\": 2, \"mask-influence\": 0.25, "
               "\"src-nodata\": 0},\n"
               " {\"src\": \"c.tif\", \"dst\": \"c_out.tif\", \"size\": \"100x50\", \"band\": 3,\n"
               "  \"tile\": null, \"factor\": null, \"dry-run\": false}\n"
               "]\n");
    ASSERT_OK(gridr_job_load(gridr_test_path("jobs/list.json"), &jobs, &n));
    CU_ASSERT_FATAL(n == 3 && jobs != NULL);
    char want[PATH_MAX];
    snprintf(want, sizeof want, "%s/jobs/a.tif", gridr_test_tmpdir());
    CU_ASSERT_STRING_EQUAL(jobs[0].src, want);
    snprintf(want, sizeof want, "%s/jobs/out/a.tif", gridr_test_tmpdir());
    CU_ASSERT_STRING_EQUAL(jobs[0].dst, want);
    CU_ASSERT_STRING_EQUAL(jobs[0].grid, "/abs/g.tif");
    CU_ASSERT(jobs[0].nbands == 2 && jobs[0].bands[0] == 2 && jobs[0].bands[1] == 1);
    CU_ASSERT_EQUAL(jobs[0].interp, GRIDR_INTERP_CUBIC);
    CU_ASSERT_FATAL(jobs[0].ncreation_options == 2);
    CU_ASSERT_STRING_EQUAL(jobs[0].creation_options[0], "COMPRESS=DEFLATE");
    CU_ASSERT_STRING_EQUAL(jobs[0].creation_options[1], "ZLEVEL=9");
    CU_ASSERT(jobs[0].grid_res_row == 10 && jobs[0].grid_res_col == 5);
    CU_ASSERT(jobs[0].grid_shift_row == -0.5 && jobs[0].grid_shift_col == -0.5);
    CU_ASSERT(jobs[0].has_nodata && isnan(jobs[0].nodata));
    CU_ASSERT(jobs[0].trust_padding && jobs[0].boundary == GRIDR_BC_EDGE);
    CU_ASSERT(jobs[0].tile_cols == 512 && jobs[0].tile_rows == 256);
    CU_ASSERT(jobs[0].origin && strstr(jobs[0].origin, "list.json: job 1"));
    CU_ASSERT_EQUAL(jobs[1].kind, GRIDR_JOB_ZOOM);
    CU_ASSERT(jobs[1].zoom_fx == 2 && jobs[1].zoom_fy == 4);
    CU_ASSERT(jobs[1].workers == 2 && jobs[1].mask_influence == 0.25);
    CU_ASSERT(jobs[1].has_src_nodata && jobs[1].src_nodata == 0);
    CU_ASSERT_STRING_EQUAL(jobs[1].creation_options[0], "TILED=YES");
    /* No "kind" but a size: inferred zoom. */
    CU_ASSERT_EQUAL(jobs[2].kind, GRIDR_JOB_ZOOM);
    CU_ASSERT(jobs[2].size_cols == 100 && jobs[2].size_rows == 50);
    CU_ASSERT(jobs[2].nbands == 1 && jobs[2].bands[0] == 3);
    CU_ASSERT(jobs[2].tile_rows == 0 && jobs[2].zoom_fx == 0 && !jobs[2].dry_run);
    gridr_job_free_list(jobs, n);
    gridr_job_free_list(NULL, 0);
}

/* Load `text` as a job file; expect `code` and every needle in the message. */
static void expect_load_error(const char *text, int code, const char *n1, const char *n2,
                              const char *n3)
{
    gridr_job *jobs = (gridr_job *)1;
    size_t n = 7;
    write_file("bad.json", text);
    ASSERT_STATUS(gridr_job_load(gridr_test_path("bad.json"), &jobs, &n), code);
    CU_ASSERT(jobs == NULL && n == 0);
    CU_ASSERT(has("bad.json"));
    CU_ASSERT(has(n1) && (!n2 || has(n2)) && (!n3 || has(n3)));
}

#define GOOD "\"src\": \"a.tif\", \"dst\": \"b.tif\", \"grid\": \"g.tif\""

static void test_file_errors(void)
{
    expect_load_error("[{" GOOD "}, {" GOOD ", \"tiel\": \"512\"}]", GRIDR_EINVAL, "job 2",
                      "unknown key 'tiel'", "did you mean 'tile'");
    expect_load_error("{" GOOD ", \"workers\": \"4\"}", GRIDR_EINVAL, "job 1", "'workers'",
                      "expected an integer, got a string");
    expect_load_error("{\"src\": 3, \"dst\": \"b.tif\", \"grid\": \"g.tif\"}", GRIDR_EINVAL,
                      "key 'src'", "expected a string (a path), got an integer", NULL);
    expect_load_error("{" GOOD ", \"quiet\": 1}", GRIDR_EINVAL, "'quiet'", "true or false", NULL);
    expect_load_error("{" GOOD ", \"band\": [1, \"2\"]}", GRIDR_EINVAL, "'band'",
                      "array of integers", NULL);
    expect_load_error("{" GOOD ", \"factor\": 2}", GRIDR_EINVAL, "job 1", "'factor'", "grid job");
    expect_load_error("{" GOOD ", \"tile\": [1, 2, 3]}", GRIDR_EINVAL, "'tile'", NULL, NULL);
    expect_load_error("{" GOOD ", \"tile\": \"12x\"}", GRIDR_EINVAL, "job 1", "'tile'", "'12x'");
    expect_load_error("{" GOOD ", \"co\": {\"A\": [1]}}", GRIDR_EINVAL, "'co'", NULL, NULL);
    expect_load_error("{\n  \"src\": \"a.tif\",\n  \"dst\": \"b.tif\",,\n}", GRIDR_EFORMAT,
                      "bad.json:3:", "invalid JSON", NULL);
    expect_load_error("{" GOOD ", \"src\": \"x.tif\"}", GRIDR_EFORMAT, "duplicate", NULL, NULL);
    expect_load_error("[{" GOOD "}, {\"dst\": \"c.tif\", \"grid\": \"g.tif\"}]", GRIDR_EINVAL,
                      "job 2", "missing key 'src'", NULL);
    expect_load_error("{\"src\": \"a.tif\", \"grid\": \"g.tif\"}", GRIDR_EINVAL,
                      "missing key 'dst'", NULL, NULL);
    expect_load_error("{\"src\": \"a.tif\", \"dst\": \"b.tif\"}", GRIDR_EINVAL, "needs key 'grid'",
                      NULL, NULL);
    expect_load_error("{\"kind\": \"zoom\", \"src\": \"a.tif\", \"dst\": \"b.tif\"}", GRIDR_EINVAL,
                      "'factor'", "'size'", NULL);
    expect_load_error("{\"kind\": \"zoom\", \"factor\": 2, \"size\": 5, \"src\": \"a\", "
                      "\"dst\": \"b\"}",
                      GRIDR_EINVAL, "exclude", NULL, NULL);
    expect_load_error("{\"kind\": \"zoom\", \"factor\": 2, " GOOD "}", GRIDR_EINVAL, "'grid'",
                      "zoom job", NULL);
    expect_load_error("{" GOOD ", \"trust-padding\": true}", GRIDR_EINVAL, "'boundary'", NULL,
                      NULL);
    expect_load_error("[{" GOOD "}, {" GOOD "}]", GRIDR_EINVAL, "jobs 1 and 2", NULL, NULL);
    expect_load_error("[{" GOOD "}, 3]", GRIDR_EFORMAT, "job 2", "expected an object", NULL);
    expect_load_error("[]", GRIDR_EFORMAT, "empty", NULL, NULL);
    expect_load_error("42", GRIDR_EFORMAT, "invalid JSON", NULL, NULL);
    gridr_job *jobs = NULL;
    size_t n = 0;
    write_file("aa.json", "{" GOOD ", \"antialias\": true}"); /* grid jobs antialias: issue 14 */
    ASSERT_OK(gridr_job_load(gridr_test_path("aa.json"), &jobs, &n));
    CU_ASSERT(n == 1 && jobs && jobs[0].antialias == 1);
    gridr_job_free_list(jobs, n);
    jobs = NULL;
    n = 0;
    ASSERT_STATUS(gridr_job_load(gridr_test_path("nope.json"), &jobs, &n), GRIDR_ENOENT);
    CU_ASSERT(has("nope.json"));
}

/* The sample job of data/: loads, resolves paths next to the file and validates. */
static void test_sample_job_validate(void)
{
    gridr_job *jobs = NULL;
    size_t n = 0;
    ASSERT_OK(gridr_job_load(gridr_test_data("sample_job.json"), &jobs, &n));
    CU_ASSERT_FATAL(n == 1 && jobs != NULL);
    gridr_job *j = &jobs[0];
    CU_ASSERT_STRING_EQUAL(j->src, gridr_test_data("sample.tif"));
    CU_ASSERT_STRING_EQUAL(j->grid_mask, gridr_test_data("sample_grid_mask.tif"));
    CU_ASSERT_EQUAL(j->interp, GRIDR_INTERP_CUBIC);
    ASSERT_OK(gridr_job_set(j, "dst", gridr_test_path("sample_out.tif")));
    ASSERT_OK(gridr_job_validate(j));
    /* dst == an input */
    ASSERT_OK(gridr_job_set(j, "dst", gridr_test_data("sample_grid.tif")));
    ASSERT_STATUS(gridr_job_validate(j), GRIDR_EINVAL);
    CU_ASSERT(has("sample_job.json: job 1") && has("grid input"));
    /* Output directory missing */
    ASSERT_OK(gridr_job_set(j, "dst", gridr_test_path("no/such/dir/out.tif")));
    ASSERT_STATUS(gridr_job_validate(j), GRIDR_ENOENT);
    CU_ASSERT(has("output directory") && has("no/such/dir"));
    /* Unknown output format */
    ASSERT_OK(gridr_job_set(j, "dst", gridr_test_path("sample_out.tif")));
    ASSERT_OK(gridr_job_set(j, "format", "NoSuchFormat"));
    ASSERT_STATUS(gridr_job_validate(j), GRIDR_EINVAL);
    CU_ASSERT(has("NoSuchFormat"));
    ASSERT_OK(gridr_job_set(j, "format", NULL));
    /* Missing inputs name the key and the file */
    ASSERT_OK(gridr_job_set(j, "src-mask", gridr_test_path("missing_mask.tif")));
    ASSERT_STATUS(gridr_job_validate(j), GRIDR_ENOENT);
    CU_ASSERT(has("src-mask") && has("missing_mask.tif"));
    ASSERT_OK(gridr_job_set(j, "src-mask", NULL));
    ASSERT_OK(gridr_job_set(j, "src", "missing_src.tif"));
    ASSERT_STATUS(gridr_job_validate(j), GRIDR_ENOENT);
    CU_ASSERT(has("src 'missing_src.tif'") && has("No such file"));
    gridr_job_free_list(jobs, n);
    /* A job built from options: no origin, messages say "job". */
    gridr_job o;
    gridr_job_init(&o);
    ASSERT_OK(gridr_job_set(&o, "kind", "zoom"));
    ASSERT_OK(gridr_job_set(&o, "src", gridr_test_data("sample.tif")));
    ASSERT_OK(gridr_job_set(&o, "dst", gridr_test_path("zoom.tif")));
    ASSERT_STATUS(gridr_job_validate(&o), GRIDR_EINVAL);
    CU_ASSERT(has("job: a zoom job needs key 'factor'"));
    ASSERT_OK(gridr_job_set(&o, "factor", "2"));
    ASSERT_OK(gridr_job_validate(&o));
    gridr_job_clear(&o);
}

/* docs/jobs.md documents every key. */
static void test_keys_documented(void)
{
    const char *srcdir = getenv("GRIDR_SRCDIR");
    char path[PATH_MAX], *text = NULL;
    if (!srcdir) {
        fprintf(stderr, "\n  [skipped: GRIDR_SRCDIR unset (run through make check)] ");
        return;
    }
    snprintf(path, sizeof path, "%s/docs/jobs.md", srcdir);
    FILE *f = fopen(path, "r");
    CU_ASSERT_FATAL(f != NULL);
    text = calloc(1, 1 << 17);
    size_t got = fread(text, 1, (1 << 17) - 1, f);
    fclose(f);
    CU_ASSERT(got > 0);
    for (const char *const *k = gridr_job_keys(); *k; k++) {
        char row[64];
        snprintf(row, sizeof row, "| `%s` |", *k);
        if (!strstr(text, row))
            fprintf(stderr, "\n  docs/jobs.md has no row for key '%s'\n", *k);
        CU_ASSERT_PTR_NOT_NULL(strstr(text, row));
    }
    free(text);
}

static CU_TestInfo tests[] = {
    {"defaults", test_defaults},
    {"every key from text, copy, reset", test_every_key},
    {"bad values name key and value", test_bad_values},
    {"list file, JSON types, relative paths", test_list_file},
    {"file errors name file, job and key", test_file_errors},
    {"sample job and validation", test_sample_job_validate},
    {"every key documented", test_keys_documented},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo gridr_test_job_suite = {"job", NULL, NULL, NULL, NULL, tests};

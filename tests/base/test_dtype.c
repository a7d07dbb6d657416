/* gridr tests: dtype sizes, names, parsing, clip-and-round conversion and array views. */
#include "unit.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static void test_sizes_names(void)
{
    CU_ASSERT_EQUAL(gridr_dtype_size(GRIDR_DT_U8), 1);
    CU_ASSERT_EQUAL(gridr_dtype_size(GRIDR_DT_I16), 2);
    CU_ASSERT_EQUAL(gridr_dtype_size(GRIDR_DT_U32), 4);
    CU_ASSERT_EQUAL(gridr_dtype_size(GRIDR_DT_F64), 8);
    CU_ASSERT_EQUAL(gridr_dtype_size(GRIDR_DT_UNKNOWN), 0);
    CU_ASSERT_STRING_EQUAL(gridr_dtype_name(GRIDR_DT_F32), "f32");
    CU_ASSERT(gridr_dtype_is_integer(GRIDR_DT_I32));
    CU_ASSERT(!gridr_dtype_is_integer(GRIDR_DT_F32));
    CU_ASSERT_EQUAL(gridr_dtype_max(GRIDR_DT_U16), 65535.0);
    CU_ASSERT_EQUAL(gridr_dtype_min(GRIDR_DT_I16), -32768.0);
}

static void test_parse(void)
{
    gridr_dtype dt;
    ASSERT_OK(gridr_dtype_parse("u16", &dt));
    CU_ASSERT_EQUAL(dt, GRIDR_DT_U16);
    ASSERT_OK(gridr_dtype_parse("UInt16", &dt));
    CU_ASSERT_EQUAL(dt, GRIDR_DT_U16);
    ASSERT_OK(gridr_dtype_parse("Byte", &dt));
    CU_ASSERT_EQUAL(dt, GRIDR_DT_U8);
    ASSERT_OK(gridr_dtype_parse("float64", &dt));
    CU_ASSERT_EQUAL(dt, GRIDR_DT_F64);
    ASSERT_STATUS(gridr_dtype_parse("u17", &dt), GRIDR_EINVAL);
    CU_ASSERT_EQUAL(dt, GRIDR_DT_UNKNOWN);
    CU_ASSERT_PTR_NOT_NULL(strstr(gridr_last_error(), "'u17'"));
}

static void test_round_even(void)
{
    CU_ASSERT_EQUAL(gridr_round_even(2.5), 2.0);
    CU_ASSERT_EQUAL(gridr_round_even(3.5), 4.0);
    CU_ASSERT_EQUAL(gridr_round_even(-2.5), -2.0);
    CU_ASSERT_EQUAL(gridr_round_even(-3.5), -4.0);
    CU_ASSERT_EQUAL(gridr_round_even(2.4999999), 2.0);
    CU_ASSERT_EQUAL(gridr_round_even(1e300), 1e300);
}

static void test_convert_clip_round(void)
{
    double src[] = {-3.7, 0.5, 1.5, 254.5, 255.49, 300, NAN, 65535.6};
    uint8_t u8[8];
    int16_t i16[8];
    uint16_t u16[8];
    ASSERT_OK(gridr_dtype_convert(src, GRIDR_DT_F64, u8, GRIDR_DT_U8, 8));
    uint8_t e8[] = {0, 0, 2, 254, 255, 255, 0, 255};
    CU_ASSERT_EQUAL(memcmp(u8, e8, 8), 0);
    ASSERT_OK(gridr_dtype_convert(src, GRIDR_DT_F64, i16, GRIDR_DT_I16, 8));
    int16_t e16[] = {-4, 0, 2, 254, 255, 300, 0, 32767};
    CU_ASSERT_EQUAL(memcmp(i16, e16, sizeof e16), 0);
    ASSERT_OK(gridr_dtype_convert(src, GRIDR_DT_F64, u16, GRIDR_DT_U16, 8));
    CU_ASSERT_EQUAL(u16[7], 65535);
    float f[2];
    double big[] = {1e40, -1e40};
    ASSERT_OK(gridr_dtype_convert(big, GRIDR_DT_F64, f, GRIDR_DT_F32, 2));
    CU_ASSERT(f[0] > 3.4e38f && f[1] < -3.4e38f && isfinite(f[0]));
    ASSERT_STATUS(gridr_dtype_convert(src, GRIDR_DT_F64, f, GRIDR_DT_UNKNOWN, 1), GRIDR_EINVAL);
}

static void test_convert_all_pairs(void)
{
    /* 0..100 survives every pair of types unchanged. */
    for (int s = 1; s < GRIDR_DT_COUNT; s++) {
        for (int d = 1; d < GRIDR_DT_COUNT; d++) {
            double v[101], back[101];
            char a[101 * 8], b[101 * 8];
            for (int i = 0; i <= 100; i++)
                v[i] = i;
            ASSERT_OK(gridr_dtype_convert(v, GRIDR_DT_F64, a, (gridr_dtype)s, 101));
            ASSERT_OK(gridr_dtype_convert(a, (gridr_dtype)s, b, (gridr_dtype)d, 101));
            ASSERT_OK(gridr_dtype_convert(b, (gridr_dtype)d, back, GRIDR_DT_F64, 101));
            CU_ASSERT_EQUAL(memcmp(v, back, sizeof v), 0);
        }
    }
}

static void test_array_views(void)
{
    uint16_t buf[2 * 4 * 5];
    for (int i = 0; i < 40; i++)
        buf[i] = (uint16_t)i;
    gridr_array a = gridr_array_make(buf, GRIDR_DT_U16, 2, 4, 5), v;
    CU_ASSERT_EQUAL(a.band_stride, 20);
    CU_ASSERT_EQUAL(*(uint16_t *)gridr_array_at(&a, 1, 2, 3), 33);
    ASSERT_OK(gridr_array_sub(&a, (gridr_rect){1, 2, 3, 3}, &v));
    CU_ASSERT_EQUAL(*(uint16_t *)gridr_array_at(&v, 0, 0, 0), 7);
    CU_ASSERT_EQUAL(*(uint16_t *)gridr_array_at(&v, 1, 2, 2), 20 + 3 * 5 + 4);
    ASSERT_STATUS(gridr_array_sub(&a, (gridr_rect){2, 0, 3, 5}, &v), GRIDR_ERANGE);
}

static CU_TestInfo tests[] = {
    {"sizes_names", test_sizes_names},
    {"parse", test_parse},
    {"round_even", test_round_even},
    {"convert_clip_round", test_convert_clip_round},
    {"convert_all_pairs", test_convert_all_pairs},
    {"array_views", test_array_views},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo gridr_test_dtype_suite = {"dtype", NULL, NULL, NULL, NULL, tests};

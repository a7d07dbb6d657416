/* gridr: sample data types, their names and clip-and-round conversion. */
#include "base/internal.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

typedef struct dtype_info {
    const char *name;
    size_t size;
    int is_int;
    double min, max;
    const char *aliases[3];
} dtype_info;

static const dtype_info infos[GRIDR_DT_COUNT] = {
    [GRIDR_DT_UNKNOWN] = {"unknown", 0, 0, 0, 0, {NULL, NULL, NULL}},
    [GRIDR_DT_U8] = {"u8", 1, 1, 0, 255, {"uint8", "byte", NULL}},
    [GRIDR_DT_U16] = {"u16", 2, 1, 0, 65535, {"uint16", NULL, NULL}},
    [GRIDR_DT_I16] = {"i16", 2, 1, -32768, 32767, {"int16", NULL, NULL}},
    [GRIDR_DT_U32] = {"u32", 4, 1, 0, 4294967295.0, {"uint32", NULL, NULL}},
    [GRIDR_DT_I32] = {"i32", 4, 1, -2147483648.0, 2147483647.0, {"int32", NULL, NULL}},
    [GRIDR_DT_F32] = {"f32", 4, 0, -FLT_MAX, FLT_MAX, {"float32", NULL, NULL}},
    [GRIDR_DT_F64] = {"f64", 8, 0, -DBL_MAX, DBL_MAX, {"float64", "double", NULL}},
};

static int valid(gridr_dtype dt)
{
    return dt > GRIDR_DT_UNKNOWN && dt < GRIDR_DT_COUNT;
}

size_t gridr_dtype_size(gridr_dtype dt)
{
    return valid(dt) ? infos[dt].size : 0;
}

const char *gridr_dtype_name(gridr_dtype dt)
{
    return valid(dt) ? infos[dt].name : "unknown";
}

int gridr_dtype_is_integer(gridr_dtype dt)
{
    return valid(dt) && infos[dt].is_int;
}

double gridr_dtype_min(gridr_dtype dt)
{
    return valid(dt) ? infos[dt].min : 0;
}

double gridr_dtype_max(gridr_dtype dt)
{
    return valid(dt) ? infos[dt].max : 0;
}

int gridr_dtype_parse(const char *text, gridr_dtype *out)
{
    *out = GRIDR_DT_UNKNOWN;
    if (!text)
        return gridr__fail(GRIDR_EINVAL, "data type: none given");
    for (int dt = 1; dt < GRIDR_DT_COUNT; dt++) {
        if (strcasecmp(text, infos[dt].name) == 0) {
            *out = (gridr_dtype)dt;
            return 0;
        }
        for (int k = 0; k < 3 && infos[dt].aliases[k]; k++) {
            if (strcasecmp(text, infos[dt].aliases[k]) == 0) {
                *out = (gridr_dtype)dt;
                return 0;
            }
        }
    }
    return gridr__fail(
        GRIDR_EINVAL, "unknown data type '%s' (expected u8, u16, i16, u32, i32, f32 or f64)", text);
}

double gridr_dtype_get(const void *buf, gridr_dtype dt, size_t i)
{
    switch (dt) {
    case GRIDR_DT_U8:
        return ((const uint8_t *)buf)[i];
    case GRIDR_DT_U16:
        return ((const uint16_t *)buf)[i];
    case GRIDR_DT_I16:
        return ((const int16_t *)buf)[i];
    case GRIDR_DT_U32:
        return ((const uint32_t *)buf)[i];
    case GRIDR_DT_I32:
        return ((const int32_t *)buf)[i];
    case GRIDR_DT_F32:
        return ((const float *)buf)[i];
    case GRIDR_DT_F64:
        return ((const double *)buf)[i];
    default:
        return 0;
    }
}

/* Clip to [lo, hi] and round half to even; NaN -> 0. */
static double clip_round(double v, double lo, double hi)
{
    if (!(v == v))
        return 0;
    if (v <= lo)
        return lo;
    if (v >= hi)
        return hi;
    return gridr_round_even(v);
}

static float to_f32(double v)
{
    if (v > FLT_MAX)
        return isinf(v) ? (float)v : FLT_MAX;
    if (v < -FLT_MAX)
        return isinf(v) ? (float)v : -FLT_MAX;
    return (float)v;
}

void gridr_dtype_set(void *buf, gridr_dtype dt, size_t i, double v)
{
    switch (dt) {
    case GRIDR_DT_U8:
        ((uint8_t *)buf)[i] = (uint8_t)clip_round(v, 0, 255);
        break;
    case GRIDR_DT_U16:
        ((uint16_t *)buf)[i] = (uint16_t)clip_round(v, 0, 65535);
        break;
    case GRIDR_DT_I16:
        ((int16_t *)buf)[i] = (int16_t)clip_round(v, -32768, 32767);
        break;
    case GRIDR_DT_U32:
        ((uint32_t *)buf)[i] = (uint32_t)clip_round(v, 0, 4294967295.0);
        break;
    case GRIDR_DT_I32:
        ((int32_t *)buf)[i] = (int32_t)clip_round(v, -2147483648.0, 2147483647.0);
        break;
    case GRIDR_DT_F32:
        ((float *)buf)[i] = to_f32(v);
        break;
    case GRIDR_DT_F64:
        ((double *)buf)[i] = v;
        break;
    default:
        break;
    }
}

int gridr_dtype_convert(const void *src, gridr_dtype sdt, void *dst, gridr_dtype ddt, size_t n)
{
    if (!valid(sdt) || !valid(ddt))
        return gridr__fail(GRIDR_EINVAL, "dtype_convert: unknown data type (%d -> %d)", (int)sdt,
                           (int)ddt);
    if (sdt == ddt) {
        if (src != dst)
            memmove(dst, src, n * infos[sdt].size);
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        gridr_dtype_set(dst, ddt, i, gridr_dtype_get(src, sdt, i));
    return 0;
}

gridr_array gridr_array_make(void *data, gridr_dtype dt, int bands, long rows, long cols)
{
    gridr_array a = {data, dt, bands, rows, cols, rows * cols, cols};
    return a;
}

int gridr_array_sub(const gridr_array *a, gridr_rect win, gridr_array *out)
{
    if (win.row0 < 0 || win.col0 < 0 || win.rows < 0 || win.cols < 0 ||
        win.row0 + win.rows > a->rows || win.col0 + win.cols > a->cols)
        return gridr__fail(GRIDR_ERANGE,
                           "sub-window rows %ld+%ld cols %ld+%ld outside array %ldx%ld", win.row0,
                           win.rows, win.col0, win.cols, a->rows, a->cols);
    *out = *a;
    out->data = a->data ? gridr_array_at(a, 0, win.row0, win.col0) : NULL;
    out->rows = win.rows;
    out->cols = win.cols;
    return 0;
}

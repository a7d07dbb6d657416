/* gridr: sample data types and clip-and-round conversion between them. */
#ifndef GRIDR_DTYPE_H
#define GRIDR_DTYPE_H

#include <stddef.h>
#include <stdint.h>

#include "gridr/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Sample types. Values are stable (they travel in worker messages). */
typedef enum gridr_dtype {
    GRIDR_DT_UNKNOWN = 0,
    GRIDR_DT_U8 = 1,
    GRIDR_DT_U16 = 2,
    GRIDR_DT_I16 = 3,
    GRIDR_DT_U32 = 4,
    GRIDR_DT_I32 = 5,
    GRIDR_DT_F32 = 6,
    GRIDR_DT_F64 = 7
} gridr_dtype;

#define GRIDR_DT_COUNT 8

/** Bytes per sample; 0 for an unknown type. */
GRIDR_API size_t gridr_dtype_size(gridr_dtype dt);

/** Short name ("u16"). Ownership: static string. */
GRIDR_API const char *gridr_dtype_name(gridr_dtype dt);

/** Parse a type name: u8 u16 i16 u32 i32 f32 f64, numpy names (uint16, float32...) or GDAL
 *  names (Byte, UInt16, Int16, UInt32, Int32, Float32, Float64), any case.
 *  Returns 0 or GRIDR_EINVAL (message names the text). */
GRIDR_API int gridr_dtype_parse(const char *text, gridr_dtype *out);

/** Non-zero for the integer types. */
GRIDR_API int gridr_dtype_is_integer(gridr_dtype dt);

/** Smallest and largest representable value (±DBL_MAX for f64, ±FLT_MAX for f32). */
GRIDR_API double gridr_dtype_min(gridr_dtype dt);
GRIDR_API double gridr_dtype_max(gridr_dtype dt);

/** Round half to even, as numpy.round and GridR's output conversion (2.5 -> 2, 3.5 -> 4). */
static inline double gridr_round_even(double v)
{
    double a = v < 0 ? -v : v;
    if (a < 4503599627370496.0) { /* 2^52: adding it rounds to an integer, ties to even */
        volatile double t = a + 4503599627370496.0;
        double r = t - 4503599627370496.0;
        return v < 0 ? -r : r;
    }
    return v;
}

/** Read sample i of a buffer as double. */
GRIDR_API double gridr_dtype_get(const void *buf, gridr_dtype dt, size_t i);

/** Write v into sample i, clipped to the type's range and, for integer types, rounded half to
 *  even; NaN becomes 0 in integer types. */
GRIDR_API void gridr_dtype_set(void *buf, gridr_dtype dt, size_t i, double v);

/** Convert n samples from src (type sdt) to dst (type ddt) with the rules of gridr_dtype_set.
 *  Buffers must not overlap unless src == dst and both types have the same size.
 *  Returns 0 or GRIDR_EINVAL (unknown type). */
GRIDR_API int gridr_dtype_convert(const void *src, gridr_dtype sdt, void *dst, gridr_dtype ddt,
                                  size_t n);

/** A pixel rectangle: rows [row0, row0 + rows) x cols [col0, col0 + cols). */
typedef struct gridr_rect {
    long row0, col0;
    long rows, cols;
} gridr_rect;

/** A borrowed, typed, strided 3-D buffer (bands, rows, cols); cols are contiguous.
 *  Strides count samples, not bytes. data == NULL means "absent" where a buffer is optional.
 *  Ownership: never owns its data; valid as long as the memory it points to. */
typedef struct gridr_array {
    void *data;
    gridr_dtype dtype;
    int bands;
    long rows, cols;
    long band_stride; /* samples between bands */
    long row_stride;  /* samples between rows */
} gridr_array;

/** A contiguous (bands, rows, cols) array over `data`. */
GRIDR_API gridr_array gridr_array_make(void *data, gridr_dtype dt, int bands, long rows, long cols);

/** The sub-window `win` of `a` (same bands), sharing its memory. Returns 0 or GRIDR_ERANGE
 *  when `win` is not inside `a`. */
GRIDR_API int gridr_array_sub(const gridr_array *a, gridr_rect win, gridr_array *out);

/** Address of sample (band, row, col). */
static inline void *gridr_array_at(const gridr_array *a, int band, long row, long col)
{
    size_t off =
        (size_t)band * (size_t)a->band_stride + (size_t)row * (size_t)a->row_stride + (size_t)col;
    return (char *)a->data + off * gridr_dtype_size(a->dtype);
}

#ifdef __cplusplus
}
#endif
#endif

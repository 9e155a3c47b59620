// int8 weights: per-row (output channel) symmetric quantization of f32 rows, laid out as panels for
// ck_gemm_weights. Load-time work, so plain C serves every instruction set.
#include "internal.h"

#include <math.h>

#define I8_LARGEST 127

size_t ck_i8_packed_bytes(long n, long k) {
    size_t panels = (size_t)ck_panel_count(n);
    return panels * CK_PANEL_WIDTH * sizeof(float) + ck_packed_floats(n, k);
}

/// max |w| / 127 over a row; 0 for a row of zeros (or one with no finite value), whose codes are then 0.
static float row_scale(const float *row, long k) {
    float largest = 0;
    for (long i = 0; i < k; i++) {
        float magnitude = fabsf(row[i]);
        if (magnitude > largest && isfinite(magnitude)) largest = magnitude;
    }
    return largest / I8_LARGEST;
}

static signed char code(float value, float scale) {
    if (scale == 0) return 0;
    float q = value / scale;
    if (!(q == q)) return 0;  // NaN
    q = q > I8_LARGEST ? I8_LARGEST : q < -I8_LARGEST ? -I8_LARGEST : q;
    return (signed char)lrintf(q);  // the default rounding mode: to nearest, ties to even
}

void ck_i8_pack_rows(const float *const *rows, long n, long k, void *dst) {
    long panels = ck_panel_count(n);
    float *scales = dst;
    signed char *codes = (signed char *)dst + (size_t)panels * CK_PANEL_WIDTH * sizeof(float);
    for (long column = 0; column < panels * CK_PANEL_WIDTH; column++) scales[column] = column < n ? row_scale(rows[column], k) : 0;
    for (long panel = 0; panel < panels; panel++) {
        for (long i = 0; i < k; i++) {
            signed char *line = codes + ck_packed_offset(panels, k, panel, i);
            for (long j = 0; j < CK_PANEL_WIDTH; j++) {
                long column = panel * CK_PANEL_WIDTH + j;
                line[j] = column < n ? code(rows[column][i], scales[column]) : 0;
            }
        }
    }
}

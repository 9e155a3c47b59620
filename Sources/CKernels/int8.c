// int8 weights: per-row (output channel) symmetric quantization of f32 rows, laid out as panels for
// ck_gemm_weights. Load-time work, so plain C serves every instruction set.
#include "internal.h"

#include <math.h>
#include <string.h>

#define I8_LARGEST 127

/// Bytes of the scales, and of the scales and sums, that precede the codes.
static size_t scales_bytes(long n) { return (size_t)ck_panel_count(n) * CK_PANEL_WIDTH * sizeof(float); }
static size_t header_bytes(long n, long k) {
    return scales_bytes(n) + (size_t)ck_panel_count(n) * (size_t)ck_depth_blocks(k) * CK_PANEL_WIDTH * sizeof(int);
}

size_t ck_i8_packed_bytes(long n, long k) { return header_bytes(n, k) + ck_packed_floats(n, ck_grouped_depth(k, CK_I8_GROUP)); }

const int *ck_i8_sums(const void *packed, long n) { return (const int *)((const char *)packed + scales_bytes(n)); }

const signed char *ck_i8_codes(const void *packed, long n, long k) {
    return (const signed char *)packed + header_bytes(n, k);
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
    const long panels = ck_panel_count(n), depth = ck_grouped_depth(k, CK_I8_GROUP);
    memset(dst, 0, ck_i8_packed_bytes(n, k));  // the columns past n, the depths past k
    float *scales = dst;
    int *sums = (int *)ck_i8_sums(dst, n);
    signed char *codes = (signed char *)ck_i8_codes(dst, n, k);
    for (long column = 0; column < n; column++) scales[column] = row_scale(rows[column], k);
    for (long panel = 0; panel < panels; panel++) {
        for (long i = 0; i < k; i++) {
            signed char *line = codes + ck_packed_offset(panels, depth, panel, i - i % CK_I8_GROUP);
            int *block_sums = sums + (i / CK_DEPTH_BLOCK * panels + panel) * CK_PANEL_WIDTH;
            for (long j = 0; j < CK_PANEL_WIDTH && panel * CK_PANEL_WIDTH + j < n; j++) {
                long column = panel * CK_PANEL_WIDTH + j;
                signed char value = code(rows[column][i], scales[column]);
                line[j * CK_I8_GROUP + i % CK_I8_GROUP] = value;
                block_sums[j] += value;
            }
        }
    }
}

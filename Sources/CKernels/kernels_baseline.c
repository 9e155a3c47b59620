// Portable kernels: plain C for the target's baseline instruction set, and libm's expf and erff.
// They define the results the vector variants are tested against.
#include "internal.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define BASELINE_TILE_ROWS 4

static inline void tile(const int rows, long depth, const float *a, const float *b, float *c, long ldc, int accumulate) {
    // Sums start from zero and C is added at the end, as in the vector variants.
    float sums[BASELINE_TILE_ROWS][CK_PANEL_WIDTH];
    for (int r = 0; r < rows; r++) {
        for (int j = 0; j < CK_PANEL_WIDTH; j++) sums[r][j] = 0;
    }
    for (long i = 0; i < depth; i++) {
        const float *line = b + i * CK_PANEL_WIDTH;
        for (int r = 0; r < rows; r++) {
            float x = a[i * CK_MAX_TILE_ROWS + r];
            for (int j = 0; j < CK_PANEL_WIDTH; j++) sums[r][j] += x * line[j];
        }
    }
    for (int r = 0; r < rows; r++) {
        for (int j = 0; j < CK_PANEL_WIDTH; j++) c[r * ldc + j] = accumulate ? c[r * ldc + j] + sums[r][j] : sums[r][j];
    }
}

static void microkernel(int rows, int panels, long depth, const float *a, const float *b, float *c, long ldc, int accumulate,
                        const float *prefetch, long prefetch_lines) {
    (void)panels, (void)prefetch, (void)prefetch_lines;  // one panel (f32_panels); prefetch left to the hardware
    // A constant row count per call lets the compiler keep the sums in registers.
    switch (rows) {
    case 4: tile(4, depth, a, b, c, ldc, accumulate); break;
    case 3: tile(3, depth, a, b, c, ldc, accumulate); break;
    case 2: tile(2, depth, a, b, c, ldc, accumulate); break;
    default: tile(1, depth, a, b, c, ldc, accumulate); break;
    }
}

static void pack_panel(const float *const *rows, long columns, long depth, float *dst) {
    for (long j = 0; j < columns; j++) {
        for (long i = 0; i < depth; i++) dst[i * CK_PANEL_WIDTH + j] = rows[j][i];
    }
    for (long j = columns; j < CK_PANEL_WIDTH; j++) {
        for (long i = 0; i < depth; i++) dst[i * CK_PANEL_WIDTH + j] = 0;
    }
}

static void pack_a(const float *a, long lda, int rows, long depth, float *dst) {
    for (int r = 0; r < rows; r++) {
        for (long i = 0; i < depth; i++) dst[i * CK_MAX_TILE_ROWS + r] = a[r * lda + i];
    }
}

static void expand_q4_panel(const unsigned char *src, long depth, float *dst) {
    for (long block = 0; block < depth; block += CK_Q4_BLOCK, src += CK_Q4_PANEL_BLOCK_BYTES) {
        const float *scales = (const float *)src;
        const unsigned char *codes = src + CK_Q4_PANEL_SCALES_BYTES;
        for (long i = 0; i < CK_Q4_BLOCK; i++) {
            float *line = dst + (block + i) * CK_PANEL_WIDTH;
            for (int j = 0; j < CK_PANEL_WIDTH / 2; j++) {
                unsigned char byte = codes[i * (CK_PANEL_WIDTH / 2) + j];
                line[j] = (float)((byte & 0x0f) - 8) * scales[j];
                line[j + 8] = (float)((byte >> 4) - 8) * scales[j + 8];
            }
        }
    }
}

static void expand_bf16_panel(const unsigned short *src, long depth, float *dst) {
    for (long i = 0; i < depth; i++) {
        const unsigned short *line = src + (i - i % CK_BF16_GROUP) * CK_PANEL_WIDTH;
        for (int j = 0; j < CK_PANEL_WIDTH; j++) {
            uint32_t bits = (uint32_t)line[j * CK_BF16_GROUP + i % CK_BF16_GROUP] << 16;
            memcpy(dst + i * CK_PANEL_WIDTH + j, &bits, sizeof bits);
        }
    }
}

static void expand_i8_panel(const signed char *src, const float *scales, long depth, float *dst) {
    for (long i = 0; i < depth; i++) {
        const signed char *line = src + (i - i % CK_I8_GROUP) * CK_PANEL_WIDTH;
        for (int j = 0; j < CK_PANEL_WIDTH; j++) dst[i * CK_PANEL_WIDTH + j] = (float)line[j * CK_I8_GROUP + i % CK_I8_GROUP] * scales[j];
    }
}

static inline float gelu_one(float x) { return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f)); }

static void epilogue(float *c, long ldc, long rows, long cols, const float *bias, int gelu,
                     const float *residual, long residual_ld) {
    for (long r = 0; r < rows; r++) {
        float *row = c + r * ldc;
        for (long j = 0; j < cols; j++) {
            float x = row[j];
            if (bias) x += bias[j];
            if (gelu) x = gelu_one(x);
            if (residual) x += residual[r * residual_ld + j];
            row[j] = x;
        }
    }
}

static void layer_norm_row(float *x, long n, const float *scale, const float *shift, float epsilon) {
    float sum = 0;
    for (long i = 0; i < n; i++) sum += x[i];
    float mean = sum / (float)n;
    float squares = 0;
    for (long i = 0; i < n; i++) {
        float centred = x[i] - mean;
        squares += centred * centred;
    }
    float inverse = 1.0f / sqrtf(squares / (float)n + epsilon);
    for (long i = 0; i < n; i++) x[i] = (x[i] - mean) * inverse * scale[i] + shift[i];
}

static void softmax_row(float *x, long n, float scale) {
    float maximum = -INFINITY;
    for (long i = 0; i < n; i++) maximum = x[i] > maximum ? x[i] : maximum;
    float sum = 0;
    for (long i = 0; i < n; i++) {
        x[i] = expf((x[i] - maximum) * scale);
        sum += x[i];
    }
    float inverse = 1.0f / sum;
    for (long i = 0; i < n; i++) x[i] *= inverse;
}

static void gelu(float *x, long count) {
    for (long i = 0; i < count; i++) x[i] = gelu_one(x[i]);
}

const struct ck_ops ck_baseline_ops = {
    .name = "baseline",
    .tile_rows = BASELINE_TILE_ROWS,
    .f32_panels = 1,
    .pack_panel = pack_panel,
    .pack_a = pack_a,
    .microkernel = microkernel,
    .epilogue = epilogue,
    .expand_q4_panel = expand_q4_panel,
    .expand_bf16_panel = expand_bf16_panel,
    .expand_i8_panel = expand_i8_panel,
    .layer_norm_row = layer_norm_row,
    .softmax_row = softmax_row,
    .gelu = gelu,
};

// Q4_0 weights: decoding file blocks, and re-laying them out as 4-bit panels for ck_gemm_q4. Load-time
// work (and a few embedding rows per pass), so plain C serves every instruction set.
#include "internal.h"

#include <stdint.h>
#include <string.h>

/// IEEE binary16 to f32, exactly, subnormals included (Q4_0 scales of tiny weights are subnormal).
static float half_to_float(uint16_t half) {
    uint32_t sign = (uint32_t)(half & 0x8000u) << 16;
    uint32_t exponent = (half >> 10) & 0x1fu, mantissa = half & 0x3ffu;
    if (exponent == 0) {
        float magnitude = (float)mantissa * (1.0f / 16777216.0f);  // mantissa · 2^-24, exact
        return sign ? -magnitude : magnitude;
    }
    uint32_t bits = sign | (exponent == 31 ? 0x7f800000u | (mantissa << 13) : ((exponent + 112) << 23) | (mantissa << 13));
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

static float block_scale(const unsigned char *block) { return half_to_float((uint16_t)(block[0] | block[1] << 8)); }

/// The 4-bit code of element i (0..<32) of a file block.
static int block_code(const unsigned char *block, int i) {
    unsigned char byte = block[2 + i % 16];
    return i < 16 ? byte & 0x0f : byte >> 4;
}

void ck_q4_dequantize(const void *blocks, long count, float *dst) {
    const unsigned char *block = blocks;
    for (long start = 0; start < count; start += CK_Q4_BLOCK, block += CK_Q4_BLOCK_BYTES) {
        float scale = block_scale(block);
        for (int i = 0; i < CK_Q4_BLOCK; i++) dst[start + i] = (float)(block_code(block, i) - 8) * scale;
    }
}

size_t ck_q4_packed_bytes(long n, long k) {
    return (size_t)ck_panel_count(n) * (size_t)(k / CK_Q4_BLOCK) * CK_Q4_PANEL_BLOCK_BYTES;
}

void ck_q4_pack_rows(const void *const *rows, long n, long k, void *dst) {
    unsigned char *out = dst;
    long blocks = k / CK_Q4_BLOCK;
    for (long panel = 0; panel < ck_panel_count(n); panel++) {
        for (long b = 0; b < blocks; b++, out += CK_Q4_PANEL_BLOCK_BYTES) {
            // Columns past n: scale 0 and code 8, so they expand to zeros.
            const unsigned char *source[CK_PANEL_WIDTH];
            float scales[CK_PANEL_WIDTH];
            for (long j = 0; j < CK_PANEL_WIDTH; j++) {
                long column = panel * CK_PANEL_WIDTH + j;
                source[j] = column < n ? (const unsigned char *)rows[column] + b * CK_Q4_BLOCK_BYTES : NULL;
                scales[j] = source[j] ? block_scale(source[j]) : 0.0f;
            }
            memcpy(out, scales, sizeof scales);
            unsigned char *codes = out + CK_Q4_PANEL_SCALES_BYTES;
            for (int i = 0; i < CK_Q4_BLOCK; i++) {
                for (int j = 0; j < CK_PANEL_WIDTH / 2; j++) {
                    int low = source[j] ? block_code(source[j], i) : 8;
                    int high = source[j + 8] ? block_code(source[j + 8], i) : 8;
                    codes[i * (CK_PANEL_WIDTH / 2) + j] = (unsigned char)(low | high << 4);
                }
            }
        }
    }
}

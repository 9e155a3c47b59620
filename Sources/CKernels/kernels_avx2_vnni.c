// int8 products on AVX-VNNI (x86-64 only): vpdpbusd in its VEX form on YMM, for CPUs that have it without
// AVX-512 (Intel's client cores from Alder Lake on; Zen 5 has it too, but runs its AVX-512 sets). The same
// arithmetic as the AVX-512 dot-product kernels (ck_weights): inputs quantized per row to u8 with a zero
// point, quads of products summed exactly in int32, the zero point taken out with the weights' code sums.
// Unlike AVX2's vpmaddubsw there is no 16-bit intermediate, so nothing saturates. ck_ops_for checks CPUID
// and XCR0 before this code runs; compiled with AVX2, FMA and AVX-VNNI for these functions alone.
//
// The layouts are the dot-product kernels' (kernels_avx512_dot.c): weight panels with depth quads
// interleaved, one 64-byte line of 16 columns = two YMM vectors; A's tile as lines of 8 rows' quads. A tile
// is AVX2's 6 rows by one panel: 12 sums, with the two weight vectors and a broadcast 15 of the 16 registers.
#if defined(__x86_64__) || defined(_M_X64)

#include "internal.h"

#include <immintrin.h>
#include <math.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,avxvnni"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma,avxvnni")
#endif

#define INLINE static inline __attribute__((always_inline))
#define AVX2_TILE_ROWS 6

void ck_avx2_row_range(const float *x, long n, float *lowest, float *highest) {
    __m256 low = _mm256_setzero_ps(), high = _mm256_setzero_ps(), nan = _mm256_setzero_ps();
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        low = _mm256_min_ps(low, v);
        high = _mm256_max_ps(high, v);
        nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    }
    float lows[8], highs[8];
    _mm256_storeu_ps(lows, low);
    _mm256_storeu_ps(highs, high);
    float smallest = 0, largest = 0;
    for (int lane = 0; lane < 8; lane++) {
        smallest = lows[lane] < smallest ? lows[lane] : smallest;
        largest = highs[lane] > largest ? highs[lane] : largest;
    }
    // min and max drop a NaN operand, so NaNs are looked for apart and make the range NaN.
    int unordered = _mm256_movemask_ps(nan) != 0;
    for (; i < n; i++) {
        smallest = x[i] < smallest ? x[i] : smallest;
        largest = x[i] > largest ? x[i] : largest;
        unordered |= x[i] != x[i];
    }
    *lowest = smallest;
    *highest = unordered ? NAN : largest;
}

void ck_avx2_pack_a_u8(const float *a, long lda, int rows, long depth, const float *scales, const int *zeros,
                       unsigned char *dst) {
    const long stride = ck_grouped_depth(depth, CK_I8_GROUP);
    const __m256i top = _mm256_set1_epi32(255);
    for (int r = 0; r < rows; r++, a += lda) {
        const __m256 inverse = _mm256_set1_ps(scales[r] > 0 ? 1.0f / scales[r] : 0.0f);
        const __m256i zero = _mm256_set1_epi32(zeros[r]);
        for (long i = 0; i < stride; i += 8) {
            float values[8] = {0};
            for (long j = 0; j < 8 && i + j < depth; j++) values[j] = a[i + j];
            // cvtps rounds to nearest even (the default MXCSR mode); NaN gives INT_MIN, clamped to 0.
            __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(values), inverse)), zero);
            q = _mm256_min_epi32(_mm256_max_epi32(q, _mm256_setzero_si256()), top);
            int codes[8];
            _mm256_storeu_si256((__m256i *)codes, q);
            // Two quads, each to its line of the tile.
            for (long w = 0; w < 2 && i + CK_I8_GROUP * w < stride; w++) {
                unsigned char *group = dst + ((i / CK_I8_GROUP + w) * CK_MAX_TILE_ROWS + r) * CK_I8_GROUP;
                for (int j = 0; j < CK_I8_GROUP; j++) group[j] = (unsigned char)codes[CK_I8_GROUP * w + j];
            }
        }
    }
}

INLINE void u8i8_tile(const int rows, long quads, const unsigned char *a, const float *a_scales, const int *a_zeros,
                      const signed char *b, const float *b_scales, const int *b_sums, float *c, long ldc, int accumulate,
                      const void *prefetch, long prefetch_lines) {
    __m256i low[AVX2_TILE_ROWS], high[AVX2_TILE_ROWS];
    ck_prefetch_c(c, ldc, rows, 1);
    for (int r = 0; r < rows; r++) {
        low[r] = _mm256_setzero_si256();
        high[r] = _mm256_setzero_si256();
    }
#define STEP(q, chain)                                                                                  \
    do {                                                                                                \
        __m256i b0 = _mm256_loadu_si256((const __m256i *)(b + (q) * CK_I8_GROUP * CK_PANEL_WIDTH));      \
        __m256i b1 = _mm256_loadu_si256((const __m256i *)(b + (q) * CK_I8_GROUP * CK_PANEL_WIDTH + 32)); \
        for (int r = 0; r < rows; r++) {                                                                \
            __m256i group = _mm256_set1_epi32(ck_group_bits(a + ((q) * CK_MAX_TILE_ROWS + r) * CK_I8_GROUP)); \
            low[r] = _mm256_dpbusd_avx_epi32(low[r], group, b0);                                        \
            high[r] = _mm256_dpbusd_avx_epi32(high[r], group, b1);                                      \
        }                                                                                               \
    } while (0)
    ck_prefetcher next = {prefetch, prefetch_lines, quads / CK_GROUP_STEPS, 0};
    CK_GROUPED_STEPS(quads, 1, &next, STEP);
#undef STEP
    const __m256i sums_low = _mm256_loadu_si256((const __m256i *)b_sums);
    const __m256i sums_high = _mm256_loadu_si256((const __m256i *)(b_sums + 8));
    const __m256 scales_low = _mm256_loadu_ps(b_scales), scales_high = _mm256_loadu_ps(b_scales + 8);
    for (int r = 0; r < rows; r++) {
        // Σ (code - zero) · w = Σ code · w - zero · Σ w, exact in int32 (|each| < 2^24 over a depth block).
        const __m256i zero = _mm256_set1_epi32(a_zeros[r]);
        const __m256 row_scale = _mm256_set1_ps(a_scales[r]);
        __m256 x0 = _mm256_cvtepi32_ps(_mm256_sub_epi32(low[r], _mm256_mullo_epi32(zero, sums_low)));
        __m256 x1 = _mm256_cvtepi32_ps(_mm256_sub_epi32(high[r], _mm256_mullo_epi32(zero, sums_high)));
        __m256 s0 = _mm256_mul_ps(scales_low, row_scale), s1 = _mm256_mul_ps(scales_high, row_scale);
        float *out = c + r * ldc;
        x0 = accumulate ? _mm256_fmadd_ps(x0, s0, _mm256_loadu_ps(out)) : _mm256_mul_ps(x0, s0);
        x1 = accumulate ? _mm256_fmadd_ps(x1, s1, _mm256_loadu_ps(out + 8)) : _mm256_mul_ps(x1, s1);
        _mm256_storeu_ps(out, x0);
        _mm256_storeu_ps(out + 8, x1);
    }
}

void ck_avx2_microkernel_u8i8(int rows, int panels, long quads, const unsigned char *a, const float *a_scales,
                              const int *a_zeros, const signed char *b, const float *b_scales, const int *b_sums, float *c,
                              long ldc, int accumulate, const void *prefetch, long prefetch_lines) {
    // Two panels are two single ones: YMM has no room for both panels' sums. The second panel's slice,
    // scales and sums follow the first's; the prefetch of the next slices is the second's to make.
    for (int w = 0; w < panels; w++) {
        const signed char *slice = b + w * quads * CK_I8_GROUP * CK_PANEL_WIDTH;
        const float *scales = b_scales + w * CK_PANEL_WIDTH;
        const int *sums = b_sums + w * CK_PANEL_WIDTH;
        float *out = c + w * CK_PANEL_WIDTH;
        long lines = w == panels - 1 ? prefetch_lines : 0;
        switch (rows) {
#define CASE(n) \
    case n: u8i8_tile(n, quads, a, a_scales, a_zeros, slice, scales, sums, out, ldc, accumulate, prefetch, lines); break
        CASE(6); CASE(5); CASE(4); CASE(3); CASE(2);
        default: u8i8_tile(1, quads, a, a_scales, a_zeros, slice, scales, sums, out, ldc, accumulate, prefetch, lines); break;
#undef CASE
        }
    }
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#endif

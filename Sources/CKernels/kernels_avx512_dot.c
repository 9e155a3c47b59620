// bf16 and int8 products on AVX-512 dot-product instructions (x86-64 only): vdpbf16ps (AVX512_BF16)
// multiplies pairs of bf16 values and adds both products to an f32 lane; vpdpbusd (AVX512_VNNI) multiplies
// quads of u8 by s8 and adds the four products to an int32 lane. One instruction does the work of two
// (bf16) or four (int8) f32 FMAs, and the weights are read at half or a quarter of f32's bytes.
// ck_ops_for checks CPUID and XCR0 before this code runs (CK_ISA_AVX512_DOT); compiled with those features
// for these functions alone, so the rest of the binary stays baseline.
//
// The weight panels keep the f32 layout's 16 columns, with depth pairs (bf16) or quads (int8) interleaved,
// so one 64-byte line is one instruction's weight operand. A's tile is stored as lines of 8 rows' pairs or
// quads, and each row's is broadcast from memory into the instruction (at a constant offset in the line:
// no address arithmetic in the loop, which measured 17% faster for int8 than row-major tiles). The tile is the f32 kernel's 8 rows × 16 columns,
// with two or more partial sums per row over alternating depth groups, so at least 12 sums are in flight
// to cover the instructions' latency on two pipes.
#if defined(__x86_64__) || defined(_M_X64)

#include "internal.h"

#include <immintrin.h>
#include <math.h>
#include <string.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512bf16,avx512vnni,avx2,fma"))), \
                             apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx512bf16,avx512vnni,avx2,fma")
#endif

#define INLINE static inline __attribute__((always_inline))
/// Most partial sums per row, and depth groups per unrolled step.
#define MOST_CHAINS 4

/// Lanes [0, count) of a 16-lane vector and of a 32-lane one (count within the width).
INLINE __mmask16 lanes16(long count) { return (__mmask16)((1u << count) - 1); }
INLINE __mmask32 lanes32(long count) { return count >= 32 ? 0xffffffffu : (__mmask32)((1u << count) - 1); }

/// The 32 bits at p (a row's pair or quad), as every lane of a vector.
INLINE __m512i broadcast_group(const void *p) {
    int bits;
    memcpy(&bits, p, sizeof bits);
    return _mm512_set1_epi32(bits);
}

/// Spreads the prefetch of `lines` 64-byte lines from `next` evenly over `groups` steps (Bresenham, as the
/// f32 microkernel does): call once per step.
typedef struct {
    const char *next;
    long lines, groups, due;
} prefetcher;

INLINE void prefetch_step(prefetcher *p) {
    for (p->due += p->lines; p->due >= p->groups && p->groups > 0; p->due -= p->groups, p->next += 64) {
        _mm_prefetch(p->next, _MM_HINT_T0);
    }
}

/// Partial sums per row for a tile of `rows`: 12 or more in all where rows allow.
#define CHAINS_FOR(rows) ((rows) >= 5 ? 2 : (rows) == 4 ? 3 : 4)

// MARK: bf16

void ck_avx512_pack_a_bf16(const float *a, long lda, int rows, long depth, unsigned short *dst) {
    const long stride = ck_grouped_depth(depth, CK_BF16_GROUP);
    for (int r = 0; r < rows; r++, a += lda) {
        for (long i = 0; i < depth; i += 32) {
            long left = depth - i;
            __m512 low = _mm512_maskz_loadu_ps(lanes16(left < 16 ? left : 16), a + i);
            __m512 high = _mm512_maskz_loadu_ps(left > 16 ? lanes16(left - 16 < 16 ? left - 16 : 16) : 0, a + i + 16);
            // Rounded to nearest even; 16 pairs, each to its line of the tile.
            int pairs[16];
            _mm512_storeu_si512(pairs, (__m512i)_mm512_cvtne2ps_pbh(high, low));
            for (long p = 0; p < 16 && i + CK_BF16_GROUP * p < stride; p++) {
                memcpy(dst + ((i / CK_BF16_GROUP + p) * CK_MAX_TILE_ROWS + r) * CK_BF16_GROUP, &pairs[p], sizeof pairs[p]);
            }
        }
    }
}

INLINE void bf16_tile(const int rows, const int chains, long pairs, const unsigned short *a, const unsigned short *b,
                      float *c, long ldc, int accumulate, const void *prefetch, long prefetch_lines) {
    __m512 sums[CK_MAX_TILE_ROWS * MOST_CHAINS];
    for (int r = 0; r < rows; r++) {
        _mm_prefetch((const char *)(c + r * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + r * ldc + 15), _MM_HINT_T0);
        for (int s = 0; s < chains; s++) sums[r * chains + s] = _mm512_setzero_ps();
    }
#define STEP(p, chain)                                                                                           \
    do {                                                                                                         \
        __m512bh line = (__m512bh)_mm512_loadu_si512(b + (p) * CK_BF16_GROUP * CK_PANEL_WIDTH);                   \
        for (int r = 0; r < rows; r++) {                                                                         \
            __m512bh group = (__m512bh)broadcast_group(a + ((p) * CK_MAX_TILE_ROWS + r) * CK_BF16_GROUP);       \
            sums[r * chains + (chain)] = _mm512_dpbf16_ps(sums[r * chains + (chain)], group, line);              \
        }                                                                                                        \
    } while (0)
    prefetcher next = {prefetch, prefetch_lines, pairs / MOST_CHAINS, 0};
    long p = 0;
    for (; p + MOST_CHAINS <= pairs; p += MOST_CHAINS) {
        prefetch_step(&next);
        STEP(p, 0);
        STEP(p + 1, 1 % chains);
        STEP(p + 2, 2 % chains);
        STEP(p + 3, 3 % chains);
    }
    for (; p < pairs; p++) STEP(p, 0);
#undef STEP
    for (int r = 0; r < rows; r++) {
        __m512 sum = sums[r * chains];
        for (int s = 1; s < chains; s++) sum = _mm512_add_ps(sum, sums[r * chains + s]);
        if (accumulate) sum = _mm512_add_ps(sum, _mm512_loadu_ps(c + r * ldc));
        _mm512_storeu_ps(c + r * ldc, sum);
    }
}

void ck_avx512_microkernel_bf16(int rows, long pairs, const unsigned short *a, const unsigned short *b, float *c, long ldc,
                                int accumulate, const void *prefetch, long prefetch_lines) {
    // A constant row and chain count per call keeps the sums in registers.
    switch (rows) {
#define CASE(n) case n: bf16_tile(n, CHAINS_FOR(n), pairs, a, b, c, ldc, accumulate, prefetch, prefetch_lines); break
    CASE(8); CASE(7); CASE(6); CASE(5); CASE(4); CASE(3); CASE(2);
    default: bf16_tile(1, CHAINS_FOR(1), pairs, a, b, c, ldc, accumulate, prefetch, prefetch_lines); break;
#undef CASE
    }
}

// MARK: int8

void ck_avx512_row_range(const float *x, long n, float *lowest, float *highest) {
    // Lanes past n load as 0, which the range includes anyway. min and max drop a NaN operand, so NaNs
    // are looked for apart and make the range NaN (the row's scale is then NaN).
    __m512 low = _mm512_setzero_ps(), high = _mm512_setzero_ps();
    __mmask16 nan = 0;
    for (long i = 0; i < n; i += 16) {
        __m512 v = _mm512_maskz_loadu_ps(lanes16(n - i < 16 ? n - i : 16), x + i);
        low = _mm512_min_ps(low, v);
        high = _mm512_max_ps(high, v);
        nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    }
    *lowest = _mm512_reduce_min_ps(low);
    *highest = nan ? NAN : _mm512_reduce_max_ps(high);
}

void ck_avx512_pack_a_u8(const float *a, long lda, int rows, long depth, const float *scales, const int *zeros,
                         unsigned char *dst) {
    const long stride = ck_grouped_depth(depth, CK_I8_GROUP);
    for (int r = 0; r < rows; r++, a += lda) {
        const __m512 inverse = _mm512_set1_ps(scales[r] > 0 ? 1.0f / scales[r] : 0.0f);
        const __m512i zero = _mm512_set1_epi32(zeros[r]);
        for (long i = 0; i < stride; i += 16) {
            long left = depth - i;
            __m512 v = _mm512_maskz_loadu_ps(lanes16(left <= 0 ? 0 : left < 16 ? left : 16), a + i);
            // cvtps rounds to nearest even (the default MXCSR mode); NaN gives INT_MIN, clamped to 0.
            __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(v, inverse)), zero);
            q = _mm512_max_epi32(q, _mm512_setzero_si512());
            __m128i codes = _mm512_cvtusepi32_epi8(q);
            // Four quads, each to its line of the tile.
            int words[4];
            _mm_storeu_si128((__m128i *)words, codes);
            for (long w = 0; w < 4 && i + 4 * w < stride; w++) {
                memcpy(dst + ((i / CK_I8_GROUP + w) * CK_MAX_TILE_ROWS + r) * CK_I8_GROUP, &words[w], sizeof words[w]);
            }
        }
    }
}

INLINE void u8i8_tile(const int rows, const int chains, long quads, const unsigned char *a, const float *a_scales,
                      const int *a_zeros, const signed char *b, const float *b_scales,
                      const int *b_sums, float *c, long ldc, int accumulate, const void *prefetch, long prefetch_lines) {
    __m512i sums[CK_MAX_TILE_ROWS * MOST_CHAINS];
    for (int r = 0; r < rows; r++) {
        _mm_prefetch((const char *)(c + r * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + r * ldc + 15), _MM_HINT_T0);
        for (int s = 0; s < chains; s++) sums[r * chains + s] = _mm512_setzero_si512();
    }
#define STEP(q, chain)                                                                                             \
    do {                                                                                                           \
        __m512i line = _mm512_loadu_si512(b + (q) * CK_I8_GROUP * CK_PANEL_WIDTH);                                  \
        for (int r = 0; r < rows; r++) {                                                                           \
            __m512i group = broadcast_group(a + ((q) * CK_MAX_TILE_ROWS + r) * CK_I8_GROUP);                      \
            sums[r * chains + (chain)] = _mm512_dpbusd_epi32(sums[r * chains + (chain)], group, line);             \
        }                                                                                                          \
    } while (0)
    prefetcher next = {prefetch, prefetch_lines, quads / MOST_CHAINS, 0};
    long q = 0;
    for (; q + MOST_CHAINS <= quads; q += MOST_CHAINS) {
        prefetch_step(&next);
        STEP(q, 0);
        STEP(q + 1, 1 % chains);
        STEP(q + 2, 2 % chains);
        STEP(q + 3, 3 % chains);
    }
    for (; q < quads; q++) STEP(q, 0);
#undef STEP
    const __m512i code_sums = _mm512_loadu_si512(b_sums);
    const __m512 weight_scales = _mm512_loadu_ps(b_scales);
    for (int r = 0; r < rows; r++) {
        __m512i sum = sums[r * chains];
        for (int s = 1; s < chains; s++) sum = _mm512_add_epi32(sum, sums[r * chains + s]);
        // Σ (code - zero) · w = Σ code · w - zero · Σ w, exact in int32 (|each| < 2^24 over a depth block).
        sum = _mm512_sub_epi32(sum, _mm512_mullo_epi32(_mm512_set1_epi32(a_zeros[r]), code_sums));
        __m512 scale = _mm512_mul_ps(weight_scales, _mm512_set1_ps(a_scales[r]));
        __m512 value = _mm512_cvtepi32_ps(sum);
        value = accumulate ? _mm512_fmadd_ps(value, scale, _mm512_loadu_ps(c + r * ldc)) : _mm512_mul_ps(value, scale);
        _mm512_storeu_ps(c + r * ldc, value);
    }
}

void ck_avx512_microkernel_u8i8(int rows, long quads, const unsigned char *a, const float *a_scales,
                                const int *a_zeros, const signed char *b, const float *b_scales, const int *b_sums,
                                float *c, long ldc, int accumulate, const void *prefetch, long prefetch_lines) {
    switch (rows) {
#define CASE(n)                                                                                                        \
    case n:                                                                                                            \
        u8i8_tile(n, CHAINS_FOR(n), quads, a, a_scales, a_zeros, b, b_scales, b_sums, c, ldc, accumulate,   \
                  prefetch, prefetch_lines);                                                                          \
        break
    CASE(8); CASE(7); CASE(6); CASE(5); CASE(4); CASE(3); CASE(2);
    default:
        u8i8_tile(1, CHAINS_FOR(1), quads, a, a_scales, a_zeros, b, b_scales, b_sums, c, ldc, accumulate, prefetch,
                  prefetch_lines);
        break;
#undef CASE
    }
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#endif

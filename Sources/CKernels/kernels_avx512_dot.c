// bf16 and int8 products on AVX-512 dot-product instructions (x86-64 only): vdpbf16ps (AVX512_BF16)
// multiplies pairs of bf16 values and adds both products to an f32 lane; vpdpbusd (AVX512_VNNI) multiplies
// quads of u8 by s8 and adds the four products to an int32 lane. One instruction does the work of two
// (bf16) or four (int8) f32 FMAs, and the weights are read at half or a quarter of f32's bytes.
// ck_ops_for checks CPUID and XCR0 before this code runs (CK_ISA_AVX512_DOT; CK_ISA_AVX512_VNNI for the int8
// part alone); compiled with those features for these functions alone, so the rest of the binary stays
// baseline.
//
// The weight panels keep the f32 layout's 16 columns, with depth pairs (bf16) or quads (int8) interleaved,
// so one 64-byte line is one instruction's weight operand. A's tile is stored as lines of 8 rows' pairs or
// quads, and each row's is broadcast from memory into the instruction (at a constant offset in the line:
// no address arithmetic in the loop, which measured 17% faster for int8 than row-major tiles). A tile is up
// to 8 rows by one or two panels: the driver passes two adjacent full panels where it can, so one broadcast
// feeds two instructions and a step loads 10 values for 16 products instead of 9 for 8. Each row and panel
// keeps one or more partial sums over alternating depth groups (CHAINS_FOR), so enough are in flight to
// cover the instructions' latency on two pipes.
#if defined(__x86_64__) || defined(_M_X64)

#include "internal.h"
#include "avx512_tiles.h"

#include <immintrin.h>
#include <math.h>

// Three regions: the helpers with AVX-512's base features (so both others can inline them), the bf16
// kernels with AVX512_BF16, the int8 kernels with VNNI (which run on CPUs without BF16 too).
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")
#endif

#define INLINE static inline __attribute__((always_inline))

/// Lanes [0, count) of a 16-lane vector and of a 32-lane one (count within the width).
INLINE __mmask16 lanes16(long count) { return (__mmask16)((1u << count) - 1); }
INLINE __mmask32 lanes32(long count) { return count >= 32 ? 0xffffffffu : (__mmask32)((1u << count) - 1); }


#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,avx512bf16"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,avx512bf16")
#endif

// MARK: bf16

void ck_avx512_pack_a_bf16(const float *a, long lda, int rows, long depth, unsigned short *dst) {
    const long stride = ck_grouped_depth(depth, CK_BF16_GROUP);
    for (long i = 0; i < depth; i += 32, dst += 16 * CK_MAX_TILE_ROWS * CK_BF16_GROUP) {
        long left = depth - i;
        __mmask16 low_lanes = lanes16(left < 16 ? left : 16), high_lanes = left > 16 ? lanes16(left - 16 < 16 ? left - 16 : 16) : 0;
        // Each row's 32 values rounded to nearest even: 16 pairs (dwords), pair 4l + d in 128-bit lane l.
        __m512i row[CK_MAX_TILE_ROWS];
        for (int r = 0; r < CK_MAX_TILE_ROWS; r++) {
            row[r] = r < rows ? (__m512i)_mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(high_lanes, a + r * lda + i + 16),
                                                             _mm512_maskz_loadu_ps(low_lanes, a + r * lda + i))
                              : _mm512_setzero_si512();
        }
        // Per lane, 4 × 4 transposes of rows 0-3 and 4-7: quarter[h][d] lane l = pair 4l + d of rows 4h ... 4h + 3.
        __m512i quarter[2][4];
        for (int h = 0; h < 2; h++) {
            const __m512i *r = row + 4 * h;
            __m512i t0 = _mm512_unpacklo_epi32(r[0], r[1]), t1 = _mm512_unpackhi_epi32(r[0], r[1]);
            __m512i t2 = _mm512_unpacklo_epi32(r[2], r[3]), t3 = _mm512_unpackhi_epi32(r[2], r[3]);
            quarter[h][0] = _mm512_unpacklo_epi64(t0, t2);
            quarter[h][1] = _mm512_unpackhi_epi64(t0, t2);
            quarter[h][2] = _mm512_unpacklo_epi64(t1, t3);
            quarter[h][3] = _mm512_unpackhi_epi64(t1, t3);
        }
        // Tile lines 2k and 2k + 1 (k = 2l + e: pairs 4l + 2e and 4l + 2e + 1) as one vector: lane l of each quarter.
        const long pairs = (stride - i) / CK_BF16_GROUP < 16 ? (stride - i) / CK_BF16_GROUP : 16;
#define LINES(k, l, e)                                                                                                 \
    do {                                                                                                               \
        if (2 * (k) < pairs) {                                                                                         \
            __m512i even = _mm512_shuffle_i32x4(quarter[0][2 * (e)], quarter[1][2 * (e)], (l) * 0x55);               \
            __m512i odd = _mm512_shuffle_i32x4(quarter[0][2 * (e) + 1], quarter[1][2 * (e) + 1], (l) * 0x55);        \
            _mm512_mask_storeu_epi32(dst + (k) * 2 * CK_MAX_TILE_ROWS * CK_BF16_GROUP, lanes16(2 * (k) + 1 < pairs ? 16 : 8), \
                                     _mm512_shuffle_i32x4(even, odd, _MM_SHUFFLE(2, 0, 2, 0)));                        \
        }                                                                                                              \
    } while (0)
        LINES(0, 0, 0); LINES(1, 0, 1); LINES(2, 1, 0); LINES(3, 1, 1);
        LINES(4, 2, 0); LINES(5, 2, 1); LINES(6, 3, 0); LINES(7, 3, 1);
#undef LINES
    }
}

/// The bf16 microkernel for constant rows, panels and chains; the second panel's slice follows the first's.
INLINE void bf16_tile(const int rows, const int panels, const int chains, long pairs, const unsigned short *a,
                      const unsigned short *b, float *c, long ldc, int accumulate, const void *prefetch, long prefetch_lines) {
    __m512 sums[CK_MAX_TILE_ROWS * CK_GROUP_STEPS];
    ck_prefetch_c(c, ldc, rows, panels);
    for (int i = 0; i < rows * panels * chains; i++) sums[i] = _mm512_setzero_ps();
    const unsigned short *b1 = b + pairs * CK_BF16_GROUP * CK_PANEL_WIDTH;
#define STEP(p, chain)                                                                                           \
    do {                                                                                                         \
        __m512bh line0 = (__m512bh)_mm512_loadu_si512(b + (p) * CK_BF16_GROUP * CK_PANEL_WIDTH);                  \
        __m512bh line1 = panels == 2 ? (__m512bh)_mm512_loadu_si512(b1 + (p) * CK_BF16_GROUP * CK_PANEL_WIDTH) : line0; \
        for (int r = 0; r < rows; r++) {                                                                         \
            __m512bh group = (__m512bh)_mm512_set1_epi32(ck_group_bits(a + ((p) * CK_MAX_TILE_ROWS + r) * CK_BF16_GROUP)); \
            SUM(r, 0, chain) = _mm512_dpbf16_ps(SUM(r, 0, chain), group, line0);                                 \
            if (panels == 2) SUM(r, 1, chain) = _mm512_dpbf16_ps(SUM(r, 1, chain), group, line1);                \
        }                                                                                                        \
    } while (0)
    ck_prefetcher next = {prefetch, prefetch_lines, pairs / CK_GROUP_STEPS, 0};
    CK_GROUPED_STEPS(pairs, chains, &next, STEP);
#undef STEP
    STORE_TILE(rows, c, ldc, accumulate);
}

void ck_avx512_microkernel_bf16(int rows, int panels, long pairs, const unsigned short *a, const unsigned short *b, float *c,
                                long ldc, int accumulate, const void *prefetch, long prefetch_lines) {
#define TILE(n, w, chains) bf16_tile(n, w, chains, pairs, a, b, c, ldc, accumulate, prefetch, prefetch_lines)
    DISPATCH_TILE(TILE, CHAINS_FOR, rows, panels);
#undef TILE
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,avx512vnni"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,avx512vnni")
#endif

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
    __m512 inverse[CK_MAX_TILE_ROWS];
    __m512i zero[CK_MAX_TILE_ROWS];
    for (int r = 0; r < rows; r++) {
        inverse[r] = _mm512_set1_ps(scales[r] > 0 ? 1.0f / scales[r] : 0.0f);
        zero[r] = _mm512_set1_epi32(zeros[r]);
    }
    // Dword w of row r's 16 codes sits at r·4 + w in [rows 0-3 | rows 4-7] (16 + ... for the second vector):
    // the tile's lines 2 and 3 of a chunk are the rows' dwords 2 and 3, lines 0 and 1 their dwords 0 and 1.
    const __m512i first_lines = _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29);
    const __m512i last_lines = _mm512_add_epi32(first_lines, _mm512_set1_epi32(2));
    for (long i = 0; i < stride; i += 16, dst += 4 * CK_MAX_TILE_ROWS * CK_I8_GROUP) {
        long left = depth - i;
        __mmask16 loaded = lanes16(left <= 0 ? 0 : left < 16 ? left : 16);
        __m128i codes[CK_MAX_TILE_ROWS];
        for (int r = 0; r < CK_MAX_TILE_ROWS; r++) {
            if (r >= rows) {
                codes[r] = _mm_setzero_si128();
                continue;
            }
            __m512 v = _mm512_maskz_loadu_ps(loaded, a + r * lda + i);
            // cvtps rounds to nearest even (the default MXCSR mode); NaN gives INT_MIN, clamped to 0.
            __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(v, inverse[r])), zero[r]);
            codes[r] = _mm512_cvtusepi32_epi8(_mm512_max_epi32(q, _mm512_setzero_si512()));
        }
        // Eight rows of four quads to four lines of eight rows' quads: two dword permutes.
        __m512i low = _mm512_inserti64x2(_mm512_castsi128_si512(codes[0]), codes[1], 1);
        low = _mm512_inserti64x4(low, _mm256_inserti128_si256(_mm256_castsi128_si256(codes[2]), codes[3], 1), 1);
        __m512i high = _mm512_inserti64x2(_mm512_castsi128_si512(codes[4]), codes[5], 1);
        high = _mm512_inserti64x4(high, _mm256_inserti128_si256(_mm256_castsi128_si256(codes[6]), codes[7], 1), 1);
        long lines = (stride - i) / CK_I8_GROUP < 4 ? (stride - i) / CK_I8_GROUP : 4;  // 1-4 quads left
        _mm512_mask_storeu_epi32(dst, lanes16(lines >= 2 ? 16 : 8), _mm512_permutex2var_epi32(low, first_lines, high));
        if (lines > 2) _mm512_mask_storeu_epi32(dst + 64, lanes16(lines == 4 ? 16 : 8), _mm512_permutex2var_epi32(low, last_lines, high));
    }
}

/// The int8 microkernel for constant rows, panels and chains; the second panel's slice follows the
/// first's, its scales and code sums the first's.
INLINE void u8i8_tile(const int rows, const int panels, const int chains, long quads, const unsigned char *a,
                      const float *a_scales, const int *a_zeros, const signed char *b, const float *b_scales,
                      const int *b_sums, float *c, long ldc, int accumulate, const void *prefetch, long prefetch_lines) {
    __m512i sums[CK_MAX_TILE_ROWS * CK_GROUP_STEPS];
    ck_prefetch_c(c, ldc, rows, panels);
    for (int i = 0; i < rows * panels * chains; i++) sums[i] = _mm512_setzero_si512();
    const signed char *b1 = b + quads * CK_I8_GROUP * CK_PANEL_WIDTH;
#define STEP(q, chain)                                                                                             \
    do {                                                                                                           \
        __m512i line0 = _mm512_loadu_si512(b + (q) * CK_I8_GROUP * CK_PANEL_WIDTH);                                 \
        __m512i line1 = panels == 2 ? _mm512_loadu_si512(b1 + (q) * CK_I8_GROUP * CK_PANEL_WIDTH) : line0;          \
        for (int r = 0; r < rows; r++) {                                                                           \
            __m512i group = _mm512_set1_epi32(ck_group_bits(a + ((q) * CK_MAX_TILE_ROWS + r) * CK_I8_GROUP));   \
            SUM(r, 0, chain) = _mm512_dpbusd_epi32(SUM(r, 0, chain), group, line0);                                \
            if (panels == 2) SUM(r, 1, chain) = _mm512_dpbusd_epi32(SUM(r, 1, chain), group, line1);               \
        }                                                                                                          \
    } while (0)
    ck_prefetcher next = {prefetch, prefetch_lines, quads / CK_GROUP_STEPS, 0};
    CK_GROUPED_STEPS(quads, chains, &next, STEP);
#undef STEP
    for (int w = 0; w < panels; w++) {
        const __m512i code_sums = _mm512_loadu_si512(b_sums + w * CK_PANEL_WIDTH);
        const __m512 weight_scales = _mm512_loadu_ps(b_scales + w * CK_PANEL_WIDTH);
        for (int r = 0; r < rows; r++) {
            float *out = c + r * ldc + w * CK_PANEL_WIDTH;
            __m512i sum = SUM(r, w, 0);
            for (int s = 1; s < chains; s++) sum = _mm512_add_epi32(sum, SUM(r, w, s));
            // Σ (code - zero) · w = Σ code · w - zero · Σ w, exact in int32 (|each| < 2^24 over a depth block).
            sum = _mm512_sub_epi32(sum, _mm512_mullo_epi32(_mm512_set1_epi32(a_zeros[r]), code_sums));
            __m512 scale = _mm512_mul_ps(weight_scales, _mm512_set1_ps(a_scales[r]));
            __m512 value = _mm512_cvtepi32_ps(sum);
            value = accumulate ? _mm512_fmadd_ps(value, scale, _mm512_loadu_ps(out)) : _mm512_mul_ps(value, scale);
            _mm512_storeu_ps(out, value);
        }
    }
}

void ck_avx512_microkernel_u8i8(int rows, int panels, long quads, const unsigned char *a, const float *a_scales,
                                const int *a_zeros, const signed char *b, const float *b_scales, const int *b_sums,
                                float *c, long ldc, int accumulate, const void *prefetch, long prefetch_lines) {
#define TILE(n, w, chains) \
    u8i8_tile(n, w, chains, quads, a, a_scales, a_zeros, b, b_scales, b_sums, c, ldc, accumulate, prefetch, prefetch_lines)
    DISPATCH_TILE(TILE, CHAINS_FOR, rows, panels);
#undef TILE
}

#undef SUM

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#endif

// AVX-512 kernels (x86-64 only). Requires AVX-512 F, BW, DQ and VL (the Skylake-SP set, which Ice Lake,
// Sapphire Rapids, Zen 4 and Zen 5 all have) with the OS saving the ZMM and opmask state, plus AVX2 + FMA
// for the packing it shares with kernels_avx2.c; ck_ops_for checks all of it before this code runs.
// Compiled with those features for these functions alone, so the rest of the binary stays baseline.
//
// The packed layouts are the AVX2 variant's: a 16-column panel line is one ZMM vector, so a tile row
// needs one accumulator and a tile of 8 rows (CK_MAX_TILE_ROWS, the packed A line) uses 8 of the 32
// registers. The arithmetic of exp, GELU and Q4_0 expansion is the AVX2 variant's, 16 lanes wide. bf16
// and int8 panels are expanded by the AVX2 variant's own code, except in the tables below for CPUs that
// also have AVX512_BF16 and VNNI, or VNNI alone, which multiply them on those instructions
// (kernels_avx512_dot.c).
#if defined(__x86_64__) || defined(_M_X64)

#include "internal.h"
#include "avx512_tiles.h"

#include <immintrin.h>
#include <math.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")
#endif

#define AVX512_TILE_ROWS CK_MAX_TILE_ROWS
#define INLINE static inline __attribute__((always_inline))

// MARK: Matrix product

/// rows × 16 panels tile, one vector per row, panel and depth step: each B line loaded once for all rows and
/// each A value broadcast once for both panels. Two panels give 16 products for 10 loads (one panel: 8 for
/// 9), which a core with two full-width FMA pipes needs to keep both busy (Ice Lake: 93 -> 150 GFLOP/s of
/// its 186 on 128 x 3072 x 768, one core). Meanwhile prefetches prefetch_lines lines of the slice read next.
INLINE void tile(const int rows, const int panels, const int chains, long depth, const float *a, const float *b, float *c,
                 long ldc, int accumulate, const float *prefetch, long prefetch_lines) {
    // The sums start from zero and C is added at the end, so reading C (often not in cache) overlaps
    // with the whole loop instead of stalling before it.
    __m512 sums[CK_MAX_TILE_ROWS * CK_GROUP_STEPS];
    ck_prefetch_c(c, ldc, rows, panels);
    for (int i = 0; i < rows * panels * chains; i++) sums[i] = _mm512_setzero_ps();
    const float *b1 = b + depth * CK_PANEL_WIDTH;
#define STEP(i, chain)                                                                                  \
    do {                                                                                                \
        __m512 line0 = _mm512_loadu_ps(b + (i) * CK_PANEL_WIDTH);                                        \
        __m512 line1 = panels == 2 ? _mm512_loadu_ps(b1 + (i) * CK_PANEL_WIDTH) : line0;                 \
        for (int r = 0; r < rows; r++) {                                                                \
            __m512 x = _mm512_set1_ps(a[(i) * CK_MAX_TILE_ROWS + r]);                                   \
            SUM(r, 0, chain) = _mm512_fmadd_ps(x, line0, SUM(r, 0, chain));                              \
            if (panels == 2) SUM(r, 1, chain) = _mm512_fmadd_ps(x, line1, SUM(r, 1, chain));             \
        }                                                                                               \
    } while (0)
    ck_prefetcher next = {(const char *)prefetch, prefetch_lines, depth / CK_GROUP_STEPS, 0};
    CK_GROUPED_STEPS(depth, chains, &next, STEP);
#undef STEP
    STORE_TILE(rows, c, ldc, accumulate);
}

/// Partial sums per row and panel: at least 8 in all where rows allow (two FMA pipes × latency 4), and the
/// same for one panel as for two, so a column's sum is added in one order whichever step computes it (the
/// products of differently split panel ranges, or worker counts, are equal bit for bit).
#define F32_CHAINS(rows, panels) ((rows) >= 6 ? 1 : (rows) >= 3 ? 2 : 4)

static void microkernel(int rows, int panels, long depth, const float *a, const float *b, float *c, long ldc, int accumulate,
                        const float *prefetch, long prefetch_lines) {
#define TILE(n, w, chains) tile(n, w, chains, depth, a, b, c, ldc, accumulate, prefetch, prefetch_lines)
    DISPATCH_TILE(TILE, F32_CHAINS, rows, panels);
#undef TILE
}

/// Each line: 8 code bytes -> 16 codes -> (code - 8) · scale as fma(code, scale, -8 · scale), which is
/// exact (the product has at most 15 significant bits), so it equals the baseline's values.
static void expand_q4_panel(const unsigned char *src, long depth, float *dst) {
    const __m128i nibble = _mm_set1_epi8(0x0f);
    for (long block = 0; block < depth; block += CK_Q4_BLOCK, src += CK_Q4_PANEL_BLOCK_BYTES) {
        const __m512 scale = _mm512_loadu_ps((const float *)src);
        const __m512 offset = _mm512_mul_ps(scale, _mm512_set1_ps(-8.0f));
        const unsigned char *codes = src + CK_Q4_PANEL_SCALES_BYTES;
        float *line = dst + block * CK_PANEL_WIDTH;
        for (int i = 0; i < CK_Q4_BLOCK; i += 2, codes += CK_PANEL_WIDTH, line += 2 * CK_PANEL_WIDTH) {
            // Two lines per 16-byte load: bytes 0-7 are line i, 8-15 line i + 1; a line's low nibbles are
            // columns 0-7, its high nibbles columns 8-15.
            __m128i bytes = _mm_loadu_si128((const __m128i *)codes);
            __m128i low = _mm_and_si128(bytes, nibble), high = _mm_and_si128(_mm_srli_epi16(bytes, 4), nibble);
            __m512 first = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_unpacklo_epi64(low, high)));
            __m512 second = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_unpackhi_epi64(low, high)));
            _mm512_store_ps(line, _mm512_fmadd_ps(first, scale, offset));
            _mm512_store_ps(line + CK_PANEL_WIDTH, _mm512_fmadd_ps(second, scale, offset));
        }
    }
}

/// A bf16 panel slice's pair lines (ck_bf16_pack_rows) as f32 lines, one 64-byte line at a time: each
/// 32-bit word's low half is depth 2g (bits << 16), its high half depth 2g + 1 (the low bits cleared).
/// Half the AVX2 variant's instructions, which shows where few tiles share the expansion (1x32).
static void expand_bf16_panel(const unsigned short *src, long depth, float *dst) {
    const __m512i high_half = _mm512_set1_epi32((int)0xffff0000u);
    for (long i = 0; i < depth; i += CK_BF16_GROUP, src += CK_BF16_GROUP * CK_PANEL_WIDTH, dst += CK_BF16_GROUP * CK_PANEL_WIDTH) {
        __m512i pairs = _mm512_loadu_si512(src);
        _mm512_store_ps(dst, _mm512_castsi512_ps(_mm512_slli_epi32(pairs, 16)));
        if (i + 1 < depth) _mm512_store_ps(dst + CK_PANEL_WIDTH, _mm512_castsi512_ps(_mm512_and_si512(pairs, high_half)));
    }
}

// MARK: exp, erf

/// Lanes [0, count) of a 16-lane vector (count in 0...16).
INLINE __mmask16 lanes(long count) { return (__mmask16)((1u << count) - 1); }

/// e^x within 2 ulp for x <= 88 (see CK_EXP_LOWEST in internal.h).
INLINE __m512 exp_ps(__m512 x) {
    const __m512 lowest = _mm512_set1_ps(CK_EXP_LOWEST);
    __mmask16 underflow = _mm512_cmp_ps_mask(x, lowest, _CMP_LT_OQ);
    x = _mm512_min_ps(_mm512_max_ps(x, lowest), _mm512_set1_ps(CK_EXP_HIGHEST));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(CK_LOG2_E)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(CK_LN2_HIGH), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(CK_LN2_LOW), r);
    __m512 p = _mm512_set1_ps(ck_exp_taylor[0]);
    for (int i = 1; i < 8; i++) p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(ck_exp_taylor[i]));
    __m512i exponent = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
    return _mm512_maskz_mul_ps((__mmask16)~underflow, p, _mm512_castsi512_ps(exponent));
}

/// x Φ(x) = 0.5 x (1 + erf(x / √2)), erfc(|z|) as CK_ERFC_P in internal.h says; 1 + erf(z) is taken as
/// 2 - erfc(|z|) or erfc(|z|) by sign, so the negative tail has no cancellation.
INLINE __m512 gelu_ps(__m512 x) {
    __m512 z = _mm512_mul_ps(x, _mm512_set1_ps(0.70710678118654752f));
    __m512 magnitude = _mm512_abs_ps(z);
    __m512 t = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_fmadd_ps(magnitude, _mm512_set1_ps(CK_ERFC_P), _mm512_set1_ps(1.0f)));
    __m512 p = _mm512_set1_ps(ck_erfc_polynomial[0]);
    for (int i = 1; i < 5; i++) p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(ck_erfc_polynomial[i]));
    p = _mm512_mul_ps(p, t);
    __m512 complement = _mm512_mul_ps(p, exp_ps(_mm512_fnmadd_ps(magnitude, magnitude, _mm512_setzero_ps())));
    __mmask16 negative = _mm512_cmp_ps_mask(z, _mm512_setzero_ps(), _CMP_LT_OQ);
    __m512 one_plus_erf = _mm512_mask_blend_ps(negative, _mm512_sub_ps(_mm512_set1_ps(2.0f), complement), complement);
    return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), x), one_plus_erf);
}

// MARK: Row kernels

static void epilogue(float *c, long ldc, long rows, long cols, const float *bias, int gelu,
                     const float *residual, long residual_ld) {
    for (long r = 0; r < rows; r++) {
        float *row = c + r * ldc;
        const float *add = residual ? residual + r * residual_ld : NULL;
        for (long j = 0; j < cols; j += 16) {
            __mmask16 mask = lanes(cols - j < 16 ? cols - j : 16);
            __m512 x = _mm512_maskz_loadu_ps(mask, row + j);
            if (bias) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(mask, bias + j));
            if (gelu) x = gelu_ps(x);
            if (add) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(mask, add + j));
            _mm512_mask_storeu_ps(row + j, mask, x);
        }
    }
}

static void layer_norm_row(float *x, long n, const float *scale, const float *shift, float epsilon) {
    __m512 sum = _mm512_setzero_ps();
    for (long i = 0; i < n; i += 16) sum = _mm512_add_ps(sum, _mm512_maskz_loadu_ps(lanes(n - i < 16 ? n - i : 16), x + i));
    float mean = _mm512_reduce_add_ps(sum) / (float)n;
    const __m512 centre = _mm512_set1_ps(mean);
    __m512 squares = _mm512_setzero_ps();
    for (long i = 0; i < n; i += 16) {
        __mmask16 mask = lanes(n - i < 16 ? n - i : 16);
        __m512 d = _mm512_maskz_sub_ps(mask, _mm512_maskz_loadu_ps(mask, x + i), centre);
        squares = _mm512_fmadd_ps(d, d, squares);
    }
    float inverse = 1.0f / sqrtf(_mm512_reduce_add_ps(squares) / (float)n + epsilon);
    const __m512 factor = _mm512_set1_ps(inverse);
    for (long i = 0; i < n; i += 16) {
        __mmask16 mask = lanes(n - i < 16 ? n - i : 16);
        __m512 normalised = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(mask, x + i), centre), factor);
        __m512 y = _mm512_fmadd_ps(normalised, _mm512_maskz_loadu_ps(mask, scale + i), _mm512_maskz_loadu_ps(mask, shift + i));
        _mm512_mask_storeu_ps(x + i, mask, y);
    }
}

static void softmax_row(float *x, long n, float scale) {
    const __m512 negative_infinity = _mm512_set1_ps(-INFINITY);
    __m512 highest = negative_infinity;
    for (long i = 0; i < n; i += 16) {
        highest = _mm512_max_ps(highest, _mm512_mask_loadu_ps(negative_infinity, lanes(n - i < 16 ? n - i : 16), x + i));
    }
    const __m512 maximum = _mm512_set1_ps(_mm512_reduce_max_ps(highest));
    const __m512 factor = _mm512_set1_ps(scale);
    __m512 sum = _mm512_setzero_ps();
    for (long i = 0; i < n; i += 16) {
        __mmask16 mask = lanes(n - i < 16 ? n - i : 16);
        __m512 e = _mm512_maskz_mov_ps(mask, exp_ps(_mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(mask, x + i), maximum), factor)));
        _mm512_mask_storeu_ps(x + i, mask, e);
        sum = _mm512_add_ps(sum, e);
    }
    const __m512 inverse = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum));
    for (long i = 0; i < n; i += 16) {
        __mmask16 mask = lanes(n - i < 16 ? n - i : 16);
        _mm512_mask_storeu_ps(x + i, mask, _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, x + i), inverse));
    }
}

static void gelu(float *x, long count) {
    for (long i = 0; i < count; i += 16) {
        __mmask16 mask = lanes(count - i < 16 ? count - i : 16);
        _mm512_mask_storeu_ps(x + i, mask, gelu_ps(_mm512_maskz_loadu_ps(mask, x + i)));
    }
}

#define AVX512_F32_KERNELS                                                                                  \
    .tile_rows = AVX512_TILE_ROWS, .f32_panels = 2, .pack_panel = ck_avx2_pack_panel, .pack_a = ck_avx2_pack_a, .microkernel = microkernel, \
    .epilogue = epilogue, .expand_q4_panel = expand_q4_panel, .expand_bf16_panel = expand_bf16_panel,            \
    .expand_i8_panel = ck_avx2_expand_i8_panel, .layer_norm_row = layer_norm_row, .softmax_row = softmax_row, .gelu = gelu

const struct ck_ops ck_avx512_ops = {.name = "AVX-512", AVX512_F32_KERNELS};

#define AVX512_INT8_KERNELS \
    .row_range = ck_avx512_row_range, .pack_a_u8 = ck_avx512_pack_a_u8, .microkernel_u8i8 = ck_avx512_microkernel_u8i8

const struct ck_ops ck_avx512_dot_ops = {
    .name = "AVX-512+BF16+VNNI",
    AVX512_F32_KERNELS,
    AVX512_INT8_KERNELS,
    .pack_a_bf16 = ck_avx512_pack_a_bf16,
    .microkernel_bf16 = ck_avx512_microkernel_bf16,
};

const struct ck_ops ck_avx512_vnni_ops = {.name = "AVX-512+VNNI", AVX512_F32_KERNELS, AVX512_INT8_KERNELS};

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#endif

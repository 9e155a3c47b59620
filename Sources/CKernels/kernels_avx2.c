// AVX2 + FMA kernels (x86-64 only). Compiled with those features enabled for these functions alone,
// so the rest of the binary stays baseline and this code runs only after ck_ops_for checked the CPU.
#if defined(__x86_64__) || defined(_M_X64)

#include "internal.h"

#include <immintrin.h>
#include <math.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif

#define AVX2_TILE_ROWS 6
#define INLINE static inline __attribute__((always_inline))

// MARK: Matrix product

/// v[r] = row r of an 8 × 8 block -> v[j] = column j.
INLINE void transpose8(__m256 v[8]) {
    __m256 t0 = _mm256_unpacklo_ps(v[0], v[1]), t1 = _mm256_unpackhi_ps(v[0], v[1]);
    __m256 t2 = _mm256_unpacklo_ps(v[2], v[3]), t3 = _mm256_unpackhi_ps(v[2], v[3]);
    __m256 t4 = _mm256_unpacklo_ps(v[4], v[5]), t5 = _mm256_unpackhi_ps(v[4], v[5]);
    __m256 t6 = _mm256_unpacklo_ps(v[6], v[7]), t7 = _mm256_unpackhi_ps(v[6], v[7]);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)), s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)), s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    v[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
    v[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    v[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
    v[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    v[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
    v[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    v[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
    v[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

/// One tile of A (rows <= 8) as lines of 8 floats, one per column: 8 × 8 blocks transposed in registers.
void ck_avx2_pack_a(const float *a, long lda, int rows, long depth, float *dst) {
    long i = 0;
    for (; i + 8 <= depth; i += 8) {
        __m256 v[8];
        for (int r = 0; r < 8; r++) v[r] = r < rows ? _mm256_loadu_ps(a + r * lda + i) : _mm256_setzero_ps();
        transpose8(v);
        for (int j = 0; j < 8; j++) _mm256_storeu_ps(dst + (i + j) * 8, v[j]);
    }
    for (; i < depth; i++) {
        for (int r = 0; r < rows; r++) dst[i * 8 + r] = a[r * lda + i];
    }
}

/// A panel slice from `columns` (<= 16) source rows of `depth` values: line i = column i of them.
void ck_avx2_pack_panel(const float *const *rows, long columns, long depth, float *dst) {
    long i = 0;
    for (; i + 8 <= depth; i += 8) {
        for (long half = 0; half < CK_PANEL_WIDTH; half += 8) {
            __m256 v[8];
            for (long r = 0; r < 8; r++) v[r] = half + r < columns ? _mm256_loadu_ps(rows[half + r] + i) : _mm256_setzero_ps();
            transpose8(v);
            for (int j = 0; j < 8; j++) _mm256_storeu_ps(dst + (i + j) * CK_PANEL_WIDTH + half, v[j]);
        }
    }
    for (; i < depth; i++) {
        for (long j = 0; j < CK_PANEL_WIDTH; j++) dst[i * CK_PANEL_WIDTH + j] = j < columns ? rows[j][i] : 0;
    }
}

/// rows × 16 tile: 2 vectors per row, so 6 rows use 12 accumulators, 2 for B and 1 for A's broadcast.
/// Meanwhile prefetches prefetch_lines lines of the slice read next.
INLINE void tile(const int rows, long depth, const float *a, const float *b, float *c, long ldc, int accumulate,
                 const float *prefetch, long prefetch_lines) {
    // The sums start from zero and C is added at the end, so reading C (often not in cache) overlaps
    // with the whole loop instead of stalling before it.
    __m256 low[AVX2_TILE_ROWS], high[AVX2_TILE_ROWS];
    ck_prefetch_c(c, ldc, rows, 1);
    for (int r = 0; r < rows; r++) {
        low[r] = _mm256_setzero_ps();
        high[r] = _mm256_setzero_ps();
    }
#define STEP(i)                                                         \
    do {                                                                \
        __m256 b0 = _mm256_loadu_ps(b + (i) * CK_PANEL_WIDTH);          \
        __m256 b1 = _mm256_loadu_ps(b + (i) * CK_PANEL_WIDTH + 8);      \
        for (int r = 0; r < rows; r++) {                                \
            __m256 x = _mm256_broadcast_ss(a + (i) * 8 + r);            \
            low[r] = _mm256_fmadd_ps(x, b0, low[r]);                    \
            high[r] = _mm256_fmadd_ps(x, b1, high[r]);                  \
        }                                                               \
    } while (0)
    long i = 0;
    if (prefetch_lines > 0) {
        // Spread evenly over the tile's steps: bursts of prefetches would fill the miss buffers and
        // stall, and the memory would idle between them.
        long every = depth / prefetch_lines > 1 ? depth / prefetch_lines : 1;
        const float *line = prefetch;
        for (; i + every <= depth && prefetch_lines > 0; i += every, prefetch_lines--, line += CK_PANEL_WIDTH) {
            _mm_prefetch((const char *)line, _MM_HINT_T0);
            for (long j = 0; j < every; j++) STEP(i + j);
        }
    }
    for (; i + 4 <= depth; i += 4) {
        STEP(i);
        STEP(i + 1);
        STEP(i + 2);
        STEP(i + 3);
    }
    for (; i < depth; i++) STEP(i);
#undef STEP
    for (int r = 0; r < rows; r++) {
        if (accumulate) {
            low[r] = _mm256_add_ps(low[r], _mm256_loadu_ps(c + r * ldc));
            high[r] = _mm256_add_ps(high[r], _mm256_loadu_ps(c + r * ldc + 8));
        }
        _mm256_storeu_ps(c + r * ldc, low[r]);
        _mm256_storeu_ps(c + r * ldc + 8, high[r]);
    }
}

static void microkernel(int rows, int panels, long depth, const float *a, const float *b, float *c, long ldc, int accumulate,
                        const float *prefetch, long prefetch_lines) {
    (void)panels;  // one (f32_panels): 6 rows of two YMM sums already take 12 of the 16 registers
    switch (rows) {
    case 6: tile(6, depth, a, b, c, ldc, accumulate, prefetch, prefetch_lines); break;
    case 5: tile(5, depth, a, b, c, ldc, accumulate, prefetch, prefetch_lines); break;
    case 4: tile(4, depth, a, b, c, ldc, accumulate, prefetch, prefetch_lines); break;
    case 3: tile(3, depth, a, b, c, ldc, accumulate, prefetch, prefetch_lines); break;
    case 2: tile(2, depth, a, b, c, ldc, accumulate, prefetch, prefetch_lines); break;
    default: tile(1, depth, a, b, c, ldc, accumulate, prefetch, prefetch_lines); break;
    }
}

/// Each line: 8 code bytes -> 16 codes -> (code - 8) · scale as fma(code, scale, -8 · scale), which is
/// exact (the product has at most 15 significant bits), so it equals the baseline's values.
static void expand_q4_panel(const unsigned char *src, long depth, float *dst) {
    const __m128i nibble = _mm_set1_epi8(0x0f);
    for (long block = 0; block < depth; block += CK_Q4_BLOCK, src += CK_Q4_PANEL_BLOCK_BYTES) {
        const __m256 scale_low = _mm256_loadu_ps((const float *)src), scale_high = _mm256_loadu_ps((const float *)src + 8);
        const __m256 offset_low = _mm256_mul_ps(scale_low, _mm256_set1_ps(-8.0f));
        const __m256 offset_high = _mm256_mul_ps(scale_high, _mm256_set1_ps(-8.0f));
        const unsigned char *codes = src + CK_Q4_PANEL_SCALES_BYTES;
        float *line = dst + block * CK_PANEL_WIDTH;
        for (int i = 0; i < CK_Q4_BLOCK; i += 2, codes += CK_PANEL_WIDTH, line += 2 * CK_PANEL_WIDTH) {
            // Two lines per 16-byte load: bytes 0-7 are line i, 8-15 line i + 1.
            __m128i bytes = _mm_loadu_si128((const __m128i *)codes);
            __m128i low = _mm_and_si128(bytes, nibble), high = _mm_and_si128(_mm_srli_epi16(bytes, 4), nibble);
            __m256 l0 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(low));
            __m256 h0 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(high));
            __m256 l1 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(low, low)));
            __m256 h1 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(high, high)));
            _mm256_store_ps(line, _mm256_fmadd_ps(l0, scale_low, offset_low));
            _mm256_store_ps(line + 8, _mm256_fmadd_ps(h0, scale_high, offset_high));
            _mm256_store_ps(line + 16, _mm256_fmadd_ps(l1, scale_low, offset_low));
            _mm256_store_ps(line + 24, _mm256_fmadd_ps(h1, scale_high, offset_high));
        }
    }
}

/// Each line of a depth pair: 8 columns' pairs as 32-bit words at a time, the even depth in the low
/// half (shifted into an f32's high half), the odd in the high half (kept, the low half cleared).
void ck_avx2_expand_bf16_panel(const unsigned short *src, long depth, float *dst) {
    const __m256i high_half = _mm256_set1_epi32((int)0xffff0000u);
    for (long i = 0; i < depth; i += CK_BF16_GROUP, src += CK_BF16_GROUP * CK_PANEL_WIDTH, dst += CK_BF16_GROUP * CK_PANEL_WIDTH) {
        for (int half = 0; half < CK_PANEL_WIDTH; half += 8) {
            __m256i pairs = _mm256_loadu_si256((const __m256i *)(src + half * CK_BF16_GROUP));
            _mm256_store_ps(dst + half, _mm256_castsi256_ps(_mm256_slli_epi32(pairs, 16)));
            if (i + 1 < depth) _mm256_store_ps(dst + CK_PANEL_WIDTH + half, _mm256_castsi256_ps(_mm256_and_si256(pairs, high_half)));
        }
    }
}

/// Each line of a depth quad: 4 groups of 4 columns × 4 depths, each regrouped by depth (a byte shuffle),
/// then the groups' words transposed so each depth's 16 codes are together; those are sign-extended,
/// converted (exact) and times their column's scale (one rounding, as in the baseline).
void ck_avx2_expand_i8_panel(const signed char *src, const float *scales, long depth, float *dst) {
    const __m256 scale_low = _mm256_loadu_ps(scales), scale_high = _mm256_loadu_ps(scales + 8);
    const __m128i by_depth = _mm_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    for (long i = 0; i < depth; i += CK_I8_GROUP, src += CK_I8_GROUP * CK_PANEL_WIDTH) {
        __m128i g[4];
        for (int c = 0; c < 4; c++) g[c] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(src + 16 * c)), by_depth);
        __m128i t0 = _mm_unpacklo_epi32(g[0], g[1]), t1 = _mm_unpackhi_epi32(g[0], g[1]);
        __m128i t2 = _mm_unpacklo_epi32(g[2], g[3]), t3 = _mm_unpackhi_epi32(g[2], g[3]);
        __m128i lines[4] = {_mm_unpacklo_epi64(t0, t2), _mm_unpackhi_epi64(t0, t2), _mm_unpacklo_epi64(t1, t3),
                            _mm_unpackhi_epi64(t1, t3)};
        for (int d = 0; d < CK_I8_GROUP && i + d < depth; d++) {
            __m256 low = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lines[d]));
            __m256 high = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(lines[d], lines[d])));
            _mm256_store_ps(dst + (i + d) * CK_PANEL_WIDTH, _mm256_mul_ps(low, scale_low));
            _mm256_store_ps(dst + (i + d) * CK_PANEL_WIDTH + 8, _mm256_mul_ps(high, scale_high));
        }
    }
}

// MARK: exp, erf

/// Lanes [0, count) set, for the last partial vector of a row (count in 1...7).
INLINE __m256i tail_mask(long count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/// e^x within 2 ulp for x <= 88 (see CK_EXP_LOWEST in internal.h).
INLINE __m256 exp_ps(__m256 x) {
    const __m256 lowest = _mm256_set1_ps(CK_EXP_LOWEST);
    __m256 underflow = _mm256_cmp_ps(x, lowest, _CMP_LT_OQ);
    x = _mm256_min_ps(_mm256_max_ps(x, lowest), _mm256_set1_ps(CK_EXP_HIGHEST));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(CK_LOG2_E)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(CK_LN2_HIGH), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(CK_LN2_LOW), r);
    __m256 p = _mm256_set1_ps(ck_exp_taylor[0]);
    for (int i = 1; i < 8; i++) p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(ck_exp_taylor[i]));
    __m256i exponent = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_andnot_ps(underflow, _mm256_mul_ps(p, _mm256_castsi256_ps(exponent)));
}

/// x Φ(x) = 0.5 x (1 + erf(x / √2)), erfc(|z|) as CK_ERFC_P in internal.h says; 1 + erf(z) is taken as
/// 2 - erfc(|z|) or erfc(|z|) by sign, so the negative tail has no cancellation.
INLINE __m256 gelu_ps(__m256 x) {
    __m256 z = _mm256_mul_ps(x, _mm256_set1_ps(0.70710678118654752f));
    __m256 magnitude = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), z);
    __m256 t = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(magnitude, _mm256_set1_ps(CK_ERFC_P), _mm256_set1_ps(1.0f)));
    __m256 p = _mm256_set1_ps(ck_erfc_polynomial[0]);
    for (int i = 1; i < 5; i++) p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(ck_erfc_polynomial[i]));
    p = _mm256_mul_ps(p, t);
    __m256 complement = _mm256_mul_ps(p, exp_ps(_mm256_mul_ps(_mm256_xor_ps(magnitude, _mm256_set1_ps(-0.0f)), magnitude)));
    __m256 negative = _mm256_cmp_ps(z, _mm256_setzero_ps(), _CMP_LT_OQ);
    __m256 one_plus_erf = _mm256_blendv_ps(_mm256_sub_ps(_mm256_set1_ps(2.0f), complement), complement, negative);
    return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x), one_plus_erf);
}

INLINE float horizontal_sum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

INLINE float horizontal_max(__m256 v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

// MARK: Row kernels

static void epilogue(float *c, long ldc, long rows, long cols, const float *bias, int gelu,
                     const float *residual, long residual_ld) {
    for (long r = 0; r < rows; r++) {
        float *row = c + r * ldc;
        const float *add = residual ? residual + r * residual_ld : NULL;
        long j = 0;
        for (; j + 8 <= cols; j += 8) {
            __m256 x = _mm256_loadu_ps(row + j);
            if (bias) x = _mm256_add_ps(x, _mm256_loadu_ps(bias + j));
            if (gelu) x = gelu_ps(x);
            if (add) x = _mm256_add_ps(x, _mm256_loadu_ps(add + j));
            _mm256_storeu_ps(row + j, x);
        }
        if (j < cols) {
            __m256i mask = tail_mask(cols - j);
            __m256 x = _mm256_maskload_ps(row + j, mask);
            if (bias) x = _mm256_add_ps(x, _mm256_maskload_ps(bias + j, mask));
            if (gelu) x = gelu_ps(x);
            if (add) x = _mm256_add_ps(x, _mm256_maskload_ps(add + j, mask));
            _mm256_maskstore_ps(row + j, mask, x);
        }
    }
}

static void layer_norm_row(float *x, long n, const float *scale, const float *shift, float epsilon) {
    long full = n / 8 * 8;
    __m256 sum = _mm256_setzero_ps();
    for (long i = 0; i < full; i += 8) sum = _mm256_add_ps(sum, _mm256_loadu_ps(x + i));
    float total = horizontal_sum(sum);
    for (long i = full; i < n; i++) total += x[i];
    float mean = total / (float)n;
    const __m256 centre = _mm256_set1_ps(mean);
    __m256 squares = _mm256_setzero_ps();
    for (long i = 0; i < full; i += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + i), centre);
        squares = _mm256_fmadd_ps(d, d, squares);
    }
    float variance = horizontal_sum(squares);
    for (long i = full; i < n; i++) variance += (x[i] - mean) * (x[i] - mean);
    float inverse = 1.0f / sqrtf(variance / (float)n + epsilon);
    const __m256 factor = _mm256_set1_ps(inverse);
    for (long i = 0; i < full; i += 8) {
        __m256 normalised = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), centre), factor);
        _mm256_storeu_ps(x + i, _mm256_fmadd_ps(normalised, _mm256_loadu_ps(scale + i), _mm256_loadu_ps(shift + i)));
    }
    for (long i = full; i < n; i++) x[i] = (x[i] - mean) * inverse * scale[i] + shift[i];
}

static void softmax_row(float *x, long n, float scale) {
    long full = n / 8 * 8;
    const __m256 negative_infinity = _mm256_set1_ps(-INFINITY);
    __m256i mask = tail_mask(n - full);
    __m256 highest = negative_infinity;
    for (long i = 0; i < full; i += 8) highest = _mm256_max_ps(highest, _mm256_loadu_ps(x + i));
    if (full < n) {
        __m256 last = _mm256_blendv_ps(negative_infinity, _mm256_maskload_ps(x + full, mask), _mm256_castsi256_ps(mask));
        highest = _mm256_max_ps(highest, last);
    }
    const __m256 maximum = _mm256_set1_ps(horizontal_max(highest));
    const __m256 factor = _mm256_set1_ps(scale);
    __m256 sum = _mm256_setzero_ps();
    for (long i = 0; i < full; i += 8) {
        __m256 e = exp_ps(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), maximum), factor));
        _mm256_storeu_ps(x + i, e);
        sum = _mm256_add_ps(sum, e);
    }
    if (full < n) {
        __m256 e = _mm256_and_ps(exp_ps(_mm256_mul_ps(_mm256_sub_ps(_mm256_maskload_ps(x + full, mask), maximum), factor)),
                                 _mm256_castsi256_ps(mask));
        _mm256_maskstore_ps(x + full, mask, e);
        sum = _mm256_add_ps(sum, e);
    }
    const __m256 inverse = _mm256_set1_ps(1.0f / horizontal_sum(sum));
    for (long i = 0; i < full; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), inverse));
    if (full < n) _mm256_maskstore_ps(x + full, mask, _mm256_mul_ps(_mm256_maskload_ps(x + full, mask), inverse));
}

static void gelu(float *x, long count) {
    long full = count / 8 * 8;
    for (long i = 0; i < full; i += 8) _mm256_storeu_ps(x + i, gelu_ps(_mm256_loadu_ps(x + i)));
    if (full < count) {
        __m256i mask = tail_mask(count - full);
        _mm256_maskstore_ps(x + full, mask, gelu_ps(_mm256_maskload_ps(x + full, mask)));
    }
}

#define AVX2_F32_KERNELS                                                                                        \
    .tile_rows = AVX2_TILE_ROWS, .f32_panels = 1, .pack_panel = ck_avx2_pack_panel, .pack_a = ck_avx2_pack_a, .microkernel = microkernel, \
    .epilogue = epilogue, .expand_q4_panel = expand_q4_panel, .expand_bf16_panel = ck_avx2_expand_bf16_panel,              \
    .expand_i8_panel = ck_avx2_expand_i8_panel, .layer_norm_row = layer_norm_row, .softmax_row = softmax_row, .gelu = gelu

const struct ck_ops ck_avx2_ops = {.name = "AVX2+FMA", AVX2_F32_KERNELS};

/// With AVX-VNNI: int8 on vpdpbusd (kernels_avx2_vnni.c).
const struct ck_ops ck_avx2_vnni_ops = {
    .name = "AVX2+VNNI",
    AVX2_F32_KERNELS,
    .row_range = ck_avx2_row_range,
    .pack_a_u8 = ck_avx2_pack_a_u8,
    .microkernel_u8i8 = ck_avx2_microkernel_u8i8,
};

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#endif

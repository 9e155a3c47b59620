// What one instruction set provides. The drivers (packing, blocking, attention) are shared and call
// through this table; only the inner loops differ per instruction set.
#ifndef CKERNELS_INTERNAL_H
#define CKERNELS_INTERNAL_H

#include "CKernels.h"

#include <string.h>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>
#define CK_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define CK_CPU_RELAX() __asm__ __volatile__("yield")
#else
#define CK_CPU_RELAX() ((void)0)
#endif
/// Pause iterations a waiting thread spins before it yields or sleeps (~100 µs).
#define CK_SPIN_LIMIT 4096

/// Most rows a microkernel tile has, over all instruction sets; also the floats per line of a packed
/// A tile (lanes past the tile's rows unused), so every variant's pack_a fills lines of 8.
#define CK_MAX_TILE_ROWS 8

/// Where depth i of panel p's slice starts in the values of packed panels (of every format but Q4_0):
/// depth blocks outermost, then panels, then the block's depths, 16 values each.
size_t ck_packed_offset(long panels, long k, long panel, long i);

/// Depths interleaved in one line of bf16 panels (pairs) and of int8 panels (quads).
#define CK_BF16_GROUP 2
#define CK_I8_GROUP 4
/// k rounded up to a multiple of `group`: the depth reduced panels are laid out over.
long ck_grouped_depth(long k, long group);
/// Depth blocks of a matrix with inner dimension k.
long ck_depth_blocks(long k);
/// Where the parts of packed int8 panels (ck_i8_packed_bytes) start.
const int *ck_i8_sums(const void *packed, long n);
const signed char *ck_i8_codes(const void *packed, long n, long k);

/// Bytes of one panel's block of 32 depths in packed Q4_0 (ck_q4_pack_rows): 16 f32 scales, then 32
/// lines of 8 code bytes.
#define CK_Q4_PANEL_SCALES_BYTES (CK_PANEL_WIDTH * 4)
#define CK_Q4_PANEL_BLOCK_BYTES (CK_Q4_PANEL_SCALES_BYTES + CK_Q4_BLOCK * CK_PANEL_WIDTH / 2)

// The vector variants' exp and erf, defined once (each variant evaluates them at its own width).
// e^x: x = n ln2 + r with |r| <= ln2 / 2 (ln2 split in two so n ln2 is exact), e^r by its degree-7 Taylor
// polynomial (truncation error < 6e-9 relative), scaled by 2^n through the exponent bits; inputs below
// the smallest normal's logarithm give 0, above 88 are clamped.
#define CK_EXP_LOWEST (-87.33654f)
#define CK_EXP_HIGHEST 88.0f
#define CK_LOG2_E 1.44269504088896341f
#define CK_LN2_HIGH 0.693359375f
#define CK_LN2_LOW (-2.12194440e-4f)
/// 1/7!, 1/6!, ..., 1/0!: e^r's Taylor coefficients, highest degree first (Horner's order).
static const float ck_exp_taylor[8] = {1.0f / 5040, 1.0f / 720, 1.0f / 120, 1.0f / 24, 1.0f / 6, 0.5f, 1.0f, 1.0f};
/// erfc(z) ≈ t (a1 + t (a2 + ...)) e^(-z²), t = 1 / (1 + p z), z >= 0: Abramowitz & Stegun 7.1.26 (absolute
/// error <= 1.5e-7); a5 ... a1, highest first.
#define CK_ERFC_P 0.3275911f
static const float ck_erfc_polynomial[5] = {1.061405429f, -1.453152027f, 1.421413741f, -0.284496736f, 0.254829592f};

/// Spreads the prefetch of `lines` 64-byte lines from `next` evenly over `groups` steps of a microkernel
/// (Bresenham: `due` counts lines owed times groups): bursts would fill the miss buffers and stall, and
/// the memory would idle between them.
typedef struct {
    const char *next;
    long lines, groups, due;
} ck_prefetcher;

static inline void ck_prefetch_step(ck_prefetcher *p) {
    for (p->due += p->lines; p->due >= p->groups && p->groups > 0; p->due -= p->groups, p->next += 64) {
        __builtin_prefetch(p->next, 0, 3);
    }
}

/// Prefetches a tile's rows of C (rows × `panels` panels, row stride ldc), often not in cache: the
/// microkernels' sums start from zero and C is added at the end, so reading it overlaps with their loop.
static inline void ck_prefetch_c(const float *c, long ldc, int rows, int panels) {
    for (int r = 0; r < rows; r++) {
        for (int w = 0; w < panels; w++) {
            __builtin_prefetch(c + r * ldc + w * CK_PANEL_WIDTH, 0, 3);
            __builtin_prefetch(c + r * ldc + w * CK_PANEL_WIDTH + 15, 0, 3);
        }
    }
}

/// The 32 bits at p: a row's bf16 pair or u8 quad in a dot-product kernel's tile, broadcast into each
/// instruction (unaligned, hence the copy).
static inline int ck_group_bits(const void *p) {
    int bits;
    memcpy(&bits, p, sizeof bits);
    return bits;
}

/// Depth steps per unrolled group of the microkernels' loops: also the most partial sums per row.
#define CK_GROUP_STEPS 4

/// STEP(i, chain) for i in 0..<count: groups of CK_GROUP_STEPS over alternating partial sums (step i of a
/// group on chain i % chains), one prefetch step per group, the steps past the last group on chain 0.
#define CK_GROUPED_STEPS(count, chains, prefetcher, STEP)                                       \
    do {                                                                                        \
        long step_ = 0;                                                                         \
        for (; step_ + CK_GROUP_STEPS <= (count); step_ += CK_GROUP_STEPS) {                    \
            ck_prefetch_step(prefetcher);                                                       \
            STEP(step_, 0);                                                                     \
            STEP(step_ + 1, 1 % (chains));                                                      \
            STEP(step_ + 2, 2 % (chains));                                                      \
            STEP(step_ + 3, 3 % (chains));                                                      \
        }                                                                                       \
        for (; step_ < (count); step_++) STEP(step_, 0);                                        \
    } while (0)

/// Work for each of `count` threads: `worker` is 0..<count.
typedef void (*ck_task)(void *context, long worker);

/// Runs task(context, w) for w in 0..<count at once, w = 0 on the calling thread, the rest on the pool's
/// threads; returns when all are done. See ck_parallel_for.
void ck_parallel(long count, ck_task task, void *context);

struct ck_ops {
    const char *name;
    /// Rows per microkernel tile (<= CK_MAX_TILE_ROWS).
    int tile_rows;
    /// One depth block of one weight panel: dst[i·16 + j] = rows[j][i] for `columns` (<= 16) source
    /// rows j and depth values i; columns past `columns` are zero.
    void (*pack_panel)(const float *const *rows, long columns, long depth, float *dst);
    /// Packs one tile of A, rows × kc (row stride lda, rows <= tile_rows), into the layout `microkernel`
    /// reads: kc lines of CK_MAX_TILE_ROWS floats, line i holding column i (a[i·8 + r]; lanes past rows
    /// unspecified).
    void (*pack_a)(const float *a, long lda, int rows, long kc, float *dst);
    /// Most adjacent panels `microkernel` multiplies at once: 1, or 2 where the registers hold twice the
    /// sums (AVX-512's 32).
    int f32_panels;
    /// c[rows × 16 panels] (row stride ldc) = (accumulate ? c : 0) + Σ_k a[k][r] · b[k][j], with a from
    /// `pack_a` and b as kc rows of 16 floats per panel (the second panel's right after the first's).
    /// rows <= tile_rows, panels <= f32_panels.
    /// While at it, prefetches `prefetch_lines` 64-byte lines (16 floats apart) from `prefetch`.
    void (*microkernel)(int rows, int panels, long kc, const float *a, const float *b, float *c, long ldc, int accumulate,
                        const float *prefetch, long prefetch_lines);
    /// c[rows × cols] (row stride ldc) = act(c + bias[cols]) + residual[rows × cols]; bias and
    /// residual already point at this block's first column (and row).
    void (*epilogue)(float *c, long ldc, long rows, long cols, const float *bias, int gelu,
                     const float *residual, long residual_ld);
    /// dst[i·16 + j] = weight (depth i, column j) of `depth` (a multiple of 32) depths of one packed Q4_0
    /// panel starting at `src` (a panel block boundary): the f32 panel slice the microkernel reads. dst is
    /// 64-byte aligned.
    void (*expand_q4_panel)(const unsigned char *src, long depth, float *dst);
    /// The same for `depth` depths of a bf16 panel slice (ck_bf16_pack_rows, pairs interleaved): each
    /// value's bits << 16.
    void (*expand_bf16_panel)(const unsigned short *src, long depth, float *dst);
    /// The same for an int8 panel slice (ck_i8_pack_rows, quads interleaved): code · scales[j] for column j.
    void (*expand_i8_panel)(const signed char *src, const float *scales, long depth, float *dst);

    // Products on dot-product instructions (all NULL in a set without them: its reduced panels are
    // widened to f32 for `microkernel`). A's tile is stored as lines of CK_MAX_TILE_ROWS groups (bf16
    // pairs, u8 quads; 32-bit words), line g holding each row's group g, the depth padded to whole groups:
    /// the microkernels broadcast each row's group from its line.
    /// Group g of row r (dst + (g · CK_MAX_TILE_ROWS + r) · 2) = bf16(a[r][2g]), bf16(a[r][2g + 1]) for
    /// rows × depth values (row stride lda); the pad 0.
    void (*pack_a_bf16)(const float *a, long lda, int rows, long depth, unsigned short *dst);
    /// c[rows × 16 panels] (row stride ldc) = (accumulate ? c : 0) + Σ over `pairs` depth pairs of a's
    /// rows times b's pair lines (ck_bf16_pack_rows), in f32 (vdpbf16ps), for `panels` (1 or 2) adjacent
    /// panels (the second's slice right after the first's, as in a depth block). Prefetches as
    /// `microkernel` does.
    void (*microkernel_bf16)(int rows, int panels, long pairs, const unsigned short *a, const unsigned short *b, float *c,
                             long ldc, int accumulate, const void *prefetch, long prefetch_lines);
    /// *lowest = min(0, x[0..<n]), *highest = max(0, x[0..<n]).
    void (*row_range)(const float *x, long n, float *lowest, float *highest);
    /// Byte i of row r's group g (dst + (g · CK_MAX_TILE_ROWS + r) · 4 + i) = clamp(round(a[r][4g + i] ·
    /// (1 / scales[r])) + zeros[r], 0, 255) (1 / 0 taken as 0) for rows × depth values (row stride lda);
    /// the pad anything.
    void (*pack_a_u8)(const float *a, long lda, int rows, long depth, const float *scales, const int *zeros,
                      unsigned char *dst);
    /// c[rows × 16 panels] = (accumulate ? c : 0) + (Σ over `quads` of a's u8 codes times b's int8 quad
    /// lines, in int32 (vpdpbusd), - a_zeros[r] · b_sums[j]) · a_scales[r] · b_scales[j], for `panels`
    /// (1 or 2) adjacent panels (slices, scales and sums each right after the first's). Prefetches as
    /// `microkernel` does.
    void (*microkernel_u8i8)(int rows, int panels, long quads, const unsigned char *a, const float *a_scales,
                             const int *a_zeros, const signed char *b, const float *b_scales, const int *b_sums, float *c,
                             long ldc, int accumulate, const void *prefetch, long prefetch_lines);
    void (*layer_norm_row)(float *x, long n, const float *scale, const float *shift, float epsilon);
    /// x = softmax(scale · x), scale > 0.
    void (*softmax_row)(float *x, long n, float scale);
    void (*gelu)(float *x, long count);
};

extern const struct ck_ops ck_baseline_ops;
#if defined(__x86_64__) || defined(_M_X64)
extern const struct ck_ops ck_avx2_ops;
extern const struct ck_ops ck_avx512_ops;
extern const struct ck_ops ck_avx512_dot_ops;
extern const struct ck_ops ck_avx512_vnni_ops;
extern const struct ck_ops ck_avx2_vnni_ops;
/// AVX2's packing, which the AVX-512 variant shares (same layouts; every AVX-512 CPU has AVX2).
void ck_avx2_pack_panel(const float *const *rows, long columns, long depth, float *dst);
void ck_avx2_pack_a(const float *a, long lda, int rows, long kc, float *dst);
/// AVX2's bf16 and int8 expansion, which the AVX-512 variants also use (for products that widen).
void ck_avx2_expand_bf16_panel(const unsigned short *src, long depth, float *dst);
void ck_avx2_expand_i8_panel(const signed char *src, const float *scales, long depth, float *dst);
/// AVX-VNNI's int8 product (kernels_avx2_vnni.c).
void ck_avx2_row_range(const float *x, long n, float *lowest, float *highest);
void ck_avx2_pack_a_u8(const float *a, long lda, int rows, long depth, const float *scales, const int *zeros,
                       unsigned char *dst);
void ck_avx2_microkernel_u8i8(int rows, int panels, long quads, const unsigned char *a, const float *a_scales,
                              const int *a_zeros, const signed char *b, const float *b_scales, const int *b_sums, float *c,
                              long ldc, int accumulate, const void *prefetch, long prefetch_lines);
/// The dot-product kernels of the AVX-512 variant with AVX512_BF16 and VNNI (kernels_avx512_dot.c).
void ck_avx512_pack_a_bf16(const float *a, long lda, int rows, long depth, unsigned short *dst);
void ck_avx512_microkernel_bf16(int rows, int panels, long pairs, const unsigned short *a, const unsigned short *b, float *c, long ldc,
                                int accumulate, const void *prefetch, long prefetch_lines);
void ck_avx512_row_range(const float *x, long n, float *lowest, float *highest);
void ck_avx512_pack_a_u8(const float *a, long lda, int rows, long depth, const float *scales, const int *zeros,
                         unsigned char *dst);
void ck_avx512_microkernel_u8i8(int rows, int panels, long quads, const unsigned char *a, const float *a_scales,
                                const int *a_zeros, const signed char *b, const float *b_scales, const int *b_sums,
                                float *c, long ldc, int accumulate, const void *prefetch, long prefetch_lines);
#endif

#endif

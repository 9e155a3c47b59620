// Shared drivers: weight packing, the blocked matrix product around the per-ISA microkernel,
// attention for one head, and the row loops.
#include "internal.h"

#include <math.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

// Rows of A per block: a block's packed tiles for one depth block (at most 192 × 256 floats, with the
// tiles' padding to 8 floats per column 256 KB) stay in L2 while weight panels stream past them. Every block
// streams all the weights once, so the dot-product kernels, whose tiles take 2 (bf16) or 1 (u8) bytes a
// value, take twice the rows in no more bytes (8x32 then streams them once, not twice).
#define GEMM_BLOCK_ROWS 192
#define GEMM_DOT_BLOCK_ROWS 384
/// Most tiles in a block (every variant's tiles have at least 4 rows).
#define GEMM_BLOCK_TILES (GEMM_BLOCK_ROWS / 4)
/// Panels per chunk of work that workers take in turn, at most.
#define GEMM_CHUNK_PANELS 8

static long min_long(long a, long b) { return a < b ? a : b; }

long ck_panel_count(long n) { return (n + CK_PANEL_WIDTH - 1) / CK_PANEL_WIDTH; }

size_t ck_packed_floats(long n, long k) { return (size_t)ck_panel_count(n) * CK_PANEL_WIDTH * (size_t)k; }

long ck_grouped_depth(long k, long group) { return (k + group - 1) / group * group; }

long ck_depth_blocks(long k) { return (k + CK_DEPTH_BLOCK - 1) / CK_DEPTH_BLOCK; }

size_t ck_packed_offset(long panels, long k, long panel, long i) {
    long block = i / CK_DEPTH_BLOCK;
    long depth = min_long(CK_DEPTH_BLOCK, k - block * CK_DEPTH_BLOCK);
    return ((size_t)block * CK_DEPTH_BLOCK * panels + (size_t)panel * depth + (size_t)(i % CK_DEPTH_BLOCK)) * CK_PANEL_WIDTH;
}

/// Packs n rows of k floats into panels: row j is rows[j] when rows is given, else src + j·ld.
static void pack_panels(const ck_ops *ops, const float *const *rows, const float *src, long ld, long n, long k, float *dst) {
    long panels = ck_panel_count(n);
    for (long panel = 0; panel < panels; panel++) {
        long first = panel * CK_PANEL_WIDTH;
        long columns = min_long(CK_PANEL_WIDTH, n - first);
        for (long block = 0; block < k; block += CK_DEPTH_BLOCK) {
            const float *slice[CK_PANEL_WIDTH];
            for (long j = 0; j < columns; j++) slice[j] = (rows ? rows[first + j] : src + (size_t)(first + j) * ld) + block;
            ops->pack_panel(slice, columns, min_long(CK_DEPTH_BLOCK, k - block), dst + ck_packed_offset(panels, k, panel, block));
        }
    }
}

void ck_pack_rows(const ck_ops *ops, const float *const *rows, long n, long k, float *dst) {
    pack_panels(ops, rows, NULL, 0, n, k, dst);
}

void ck_pack_nk(const ck_ops *ops, const float *src, long ld, long n, long k, float *dst) {
    pack_panels(ops, NULL, src, ld, n, k, dst);
}

void ck_pack_kn(const float *src, long ld, long k, long n, float *dst) {
    long panels = ck_panel_count(n);
    for (long block = 0; block < k; block += CK_DEPTH_BLOCK) {
        long depth = min_long(CK_DEPTH_BLOCK, k - block);
        for (long panel = 0; panel < panels; panel++) {
            long first = panel * CK_PANEL_WIDTH;
            long columns = min_long(CK_PANEL_WIDTH, n - first);
            float *line = dst + ck_packed_offset(panels, k, panel, block);
            const float *row = src + (size_t)block * ld + first;
            for (long i = 0; i < depth; i++, line += CK_PANEL_WIDTH, row += ld) {
                memcpy(line, row, (size_t)columns * sizeof(float));
                for (long j = columns; j < CK_PANEL_WIDTH; j++) line[j] = 0;
            }
        }
    }
}

/// Rows of A are split into ceil(rows / tile_rows) tiles of nearly equal size (8 rows as 4 + 4, not
/// 6 + 2: a tile of few rows is bound by FMA latency, not throughput).
static long tile_count(long rows, int tile_rows) { return (rows + tile_rows - 1) / tile_rows; }
static long tile_start(long rows, long tiles, long tile) { return rows * tile / tiles; }

static int epilogue_is_identity(const ck_epilogue *e) {
    return e == NULL || (e->bias == NULL && !e->gelu && e->residual == NULL);
}

static void apply_epilogue(const ck_ops *ops, const ck_epilogue *e, float *c, long ldc, long row, long rows,
                           long column, long columns) {
    if (epilogue_is_identity(e)) return;
    ops->epilogue(c + row * ldc + column, ldc, rows, columns, e->bias ? e->bias + column : NULL, e->gelu,
                  e->residual ? e->residual + row * e->residual_ld + column : NULL, e->residual_ld);
}

/// Floats of the scratch's packed tiles; the row quantization of a block (int8 products) follows them.
static size_t tiles_floats(long k) { return (size_t)GEMM_BLOCK_TILES * CK_MAX_TILE_ROWS * (size_t)(k > 0 ? k : 1); }

size_t ck_gemm_scratch_floats(long k) { return tiles_floats(k) + 2 * GEMM_DOT_BLOCK_ROWS; }

/// How a product multiplies: f32 lines (f32 panels, or reduced ones widened) or a dot-product kernel.
typedef enum { PRODUCT_F32, PRODUCT_BF16_DOT, PRODUCT_U8I8_DOT } product_kind;

static product_kind product_for(const ck_ops *ops, ck_weights format) {
    if (format == CK_WEIGHTS_BF16 && ops->microkernel_bf16) return PRODUCT_BF16_DOT;
    if (format == CK_WEIGHTS_INT8 && ops->microkernel_u8i8) return PRODUCT_U8I8_DOT;
    return PRODUCT_F32;
}

int ck_multiplies_natively(const ck_ops *ops, ck_weights format) { return product_for(ops, format) != PRODUCT_F32; }

/// One matrix product shared by `workers` threads. For each block of rows, the workers take A's tiles
/// in turn and pack them (all depth blocks, into the shared scratch), wait until all are packed, then
/// take chunks of panels in turn until none is left. A chunk runs every depth block of its panels, so no
/// two workers write the same C; a worker that starts late or runs on a slower core simply takes fewer
/// tiles and chunks, and nobody waits for a worker that has not arrived yet.
typedef struct {
    const ck_ops *ops;
    long m, n, k, lda, ldc, panel_begin, panel_end, chunk_panels, workers;
    const float *a;
    ck_weights format;
    product_kind product;
    const void *packed_b;
    const ck_epilogue *epilogue;
    float *c, *packed_a;
    /// The int8 product's quantization of the current block's rows.
    float *row_scales;
    int *row_zeros;
    _Atomic long next_tile, packed_tiles, next_chunk;  // of the current block of rows
    _Atomic long arrived, generation;                   // the barrier between blocks of rows
} gemm_job;

static void wait_while_equal(_Atomic long *value, long unwanted) {
    for (long spins = 0; atomic_load_explicit(value, memory_order_acquire) == unwanted; spins++) {
        if (spins < CK_SPIN_LIMIT) {
            CK_CPU_RELAX();
        } else {
            sched_yield();  // the thread we wait for may have been descheduled
        }
    }
}

/// Waits for all workers; the last to arrive resets the per-block counters for the next block.
static void next_block_barrier(gemm_job *job) {
    long generation = atomic_load_explicit(&job->generation, memory_order_acquire);
    if (atomic_fetch_add_explicit(&job->arrived, 1, memory_order_acq_rel) == job->workers - 1) {
        atomic_store_explicit(&job->next_tile, 0, memory_order_relaxed);
        atomic_store_explicit(&job->packed_tiles, 0, memory_order_relaxed);
        atomic_store_explicit(&job->next_chunk, 0, memory_order_relaxed);
        atomic_store_explicit(&job->arrived, 0, memory_order_relaxed);
        atomic_fetch_add_explicit(&job->generation, 1, memory_order_release);
        return;
    }
    wait_while_equal(&job->generation, generation);
}

/// Where tile t of the block's depth block starting at depth0 is packed: depth blocks outermost.
static float *packed_tile(float *packed_a, long tiles, long depth0, long depth, long tile) {
    return packed_a + ((size_t)depth0 * tiles + (size_t)tile * depth) * CK_MAX_TILE_ROWS;
}

/// Where panel p's slice of Q4_0 panels starting at depth depth0 (a multiple of 32) is.
static const unsigned char *q4_slice(const unsigned char *q4_b, long k, long panel, long depth0) {
    return q4_b + ((size_t)panel * (size_t)(k / CK_Q4_BLOCK) + (size_t)(depth0 / CK_Q4_BLOCK)) * CK_Q4_PANEL_BLOCK_BYTES;
}

/// Where panel p's slice starting at depth depth0 (a depth block's first) is in `job`'s packed weights.
static const void *weight_slice(const gemm_job *job, long panel, long depth0) {
    const long panels = ck_panel_count(job->n);
    switch (job->format) {
    case CK_WEIGHTS_Q4_0: return q4_slice(job->packed_b, job->k, panel, depth0);
    case CK_WEIGHTS_BF16:
        return (const unsigned short *)job->packed_b + ck_packed_offset(panels, ck_grouped_depth(job->k, CK_BF16_GROUP), panel, depth0);
    case CK_WEIGHTS_INT8:
        return ck_i8_codes(job->packed_b, job->n, job->k) + ck_packed_offset(panels, ck_grouped_depth(job->k, CK_I8_GROUP), panel, depth0);
    case CK_WEIGHTS_F32: break;
    }
    return (const float *)job->packed_b + ck_packed_offset(panels, job->k, panel, depth0);
}

/// The 64-byte lines a slice of `depth` depths spans in `format` (what a tile prefetches).
static long slice_lines(ck_weights format, long depth) {
    switch (format) {
    case CK_WEIGHTS_Q4_0: return depth / CK_Q4_BLOCK * CK_Q4_PANEL_BLOCK_BYTES / 64;
    case CK_WEIGHTS_BF16: return (depth + 1) / 2;
    case CK_WEIGHTS_INT8: return (depth + 3) / 4;
    case CK_WEIGHTS_F32: break;
    }
    return depth;
}

/// The slices of `panels` adjacent panels from `panel` on as the f32 lines the microkernel reads, one
/// panel's after the other's: f32 panels as they are (adjacent in a depth block), the others expanded
/// into `expanded` (panels × depth × 16 floats, 64-byte aligned).
static const float *f32_lines(const gemm_job *job, long panel, int panels, long depth0, long depth, float *expanded) {
    if (job->format == CK_WEIGHTS_F32) return weight_slice(job, panel, depth0);
    for (int w = 0; w < panels; w++) {
        const void *slice = weight_slice(job, panel + w, depth0);
        float *dst = expanded + (size_t)w * depth * CK_PANEL_WIDTH;
        switch (job->format) {
        case CK_WEIGHTS_Q4_0: job->ops->expand_q4_panel(slice, depth, dst); break;
        case CK_WEIGHTS_BF16: job->ops->expand_bf16_panel(slice, depth, dst); break;
        case CK_WEIGHTS_INT8:
            job->ops->expand_i8_panel(slice, (const float *)job->packed_b + (panel + w) * CK_PANEL_WIDTH, depth, dst);
            break;
        case CK_WEIGHTS_F32: break;
        }
    }
    return expanded;
}

/// One tile's product with `panels` panel slices (1, or 2 adjacent ones for the dot-product kernels) over
/// `depth` depths: out[count × 16 panels] (row stride ldo) = (accumulate ? out : 0) + tile · slices, by the
/// job's kind of product. `b` is the first slice as the product reads it (f32 lines, or the reduced panels'
/// own lines); `first` is the tile's first row in its block.
static void tile_product(const gemm_job *job, int count, int panels, long depth, const float *tile_a, const void *b,
                         long panel, long depth0, long first, float *out, long ldo, int accumulate, const void *prefetch,
                         long prefetch_lines) {
    const ck_ops *ops = job->ops;
    switch (job->product) {
    case PRODUCT_F32:
        ops->microkernel(count, panels, depth, tile_a, b, out, ldo, accumulate, prefetch, prefetch_lines);
        return;
    case PRODUCT_BF16_DOT:
        ops->microkernel_bf16(count, panels, ck_grouped_depth(depth, CK_BF16_GROUP) / CK_BF16_GROUP, (const unsigned short *)tile_a,
                              b, out, ldo, accumulate, prefetch, prefetch_lines);
        return;
    case PRODUCT_U8I8_DOT: {
        const long all_panels = ck_panel_count(job->n);
        const int *sums = ck_i8_sums(job->packed_b, job->n) + (depth0 / CK_DEPTH_BLOCK * all_panels + panel) * CK_PANEL_WIDTH;
        ops->microkernel_u8i8(count, panels, ck_grouped_depth(depth, CK_I8_GROUP) / CK_I8_GROUP, (const unsigned char *)tile_a,
                              job->row_scales + first, job->row_zeros + first, b,
                              (const float *)job->packed_b + panel * CK_PANEL_WIDTH, sums, out, ldo, accumulate, prefetch,
                              prefetch_lines);
        return;
    }
    }
}

/// Panels one step of a chunk computes from `panel` on: two full ones where the product's kernel can take
/// both (the dot-product kernels, and the f32 one where f32_panels says so), else one.
static int step_panels(const gemm_job *job, long panel, long end_panel) {
    int most = job->product == PRODUCT_F32 ? job->ops->f32_panels : 2;
    int pair = most == 2 && panel + 1 < end_panel && (panel + 2) * CK_PANEL_WIDTH <= job->n;
    return pair ? 2 : 1;
}

/// C for rows [row0, row0 + rows) and panels [first_panel, end_panel), over all of k.
static void gemm_chunk(const gemm_job *job, long row0, long rows, long tiles, long first_panel, long end_panel) {
    const long k = job->k, n = job->n, ldc = job->ldc;
    // A step's reduced panel slices expanded to f32 (16 KB a panel, read by every tile of the block).
    float expanded[2 * CK_DEPTH_BLOCK * CK_PANEL_WIDTH] __attribute__((aligned(64)));
    for (long depth0 = 0; depth0 < k; depth0 += CK_DEPTH_BLOCK) {
        long depth = min_long(CK_DEPTH_BLOCK, k - depth0);
        int accumulate = depth0 > 0;
        int last = depth0 + depth >= k;
        long next_depth = last ? 0 : min_long(CK_DEPTH_BLOCK, k - depth0 - depth);
        for (long panel = first_panel, panels; panel < end_panel; panel += panels) {
            panels = step_panels(job, panel, end_panel);
            // The slices read next: the next step's, or the chunk's first step's in the next depth block.
            // Each tile prefetches its share of them, so the fetch overlaps with all of this step's work.
            long after = panel + panels;
            int has_next = after < end_panel || !last;
            long next_panel = after < end_panel ? after : first_panel;
            long next_depth0 = after < end_panel ? depth0 : depth0 + depth;
            long next_count = after < end_panel ? depth : next_depth;
            const void *b = job->product == PRODUCT_F32 ? f32_lines(job, panel, (int)panels, depth0, depth, expanded)
                                                        : weight_slice(job, panel, depth0);
            // Lines of 64 bytes, which the microkernel steps through as 16 floats.
            const float *next = has_next ? weight_slice(job, next_panel, next_depth0) : NULL;
            long next_lines = has_next ? slice_lines(job->format, next_count) * step_panels(job, next_panel, end_panel) : 0;
            long column = panel * CK_PANEL_WIDTH;
            long width = min_long(CK_PANEL_WIDTH * panels, n - column);
            for (long t = 0; t < tiles; t++) {
                long first = tile_start(rows, tiles, t);
                int count = (int)(tile_start(rows, tiles, t + 1) - first);
                long prefetch_first = next_lines * t / tiles;
                long prefetch_lines = next_lines * (t + 1) / tiles - prefetch_first;
                const float *prefetch = next ? next + prefetch_first * CK_PANEL_WIDTH : NULL;
                const float *tile_a = packed_tile(job->packed_a, tiles, depth0, depth, t);
                float *out = job->c + (row0 + first) * ldc + column;
                if (width == CK_PANEL_WIDTH * panels) {
                    tile_product(job, count, (int)panels, depth, tile_a, b, panel, depth0, first, out, ldc, accumulate, prefetch,
                                 prefetch_lines);
                } else {
                    // The last, partial panel (always a step of one): compute 16 columns into a tile, keep `width`.
                    float tile[CK_MAX_TILE_ROWS * CK_PANEL_WIDTH];
                    for (int r = 0; r < count; r++) {
                        for (long j = 0; j < CK_PANEL_WIDTH; j++) tile[r * CK_PANEL_WIDTH + j] = j < width ? out[r * ldc + j] : 0;
                    }
                    tile_product(job, count, 1, depth, tile_a, b, panel, depth0, first, tile, CK_PANEL_WIDTH, accumulate, prefetch,
                                 prefetch_lines);
                    for (int r = 0; r < count; r++) memcpy(out + r * ldc, tile + r * CK_PANEL_WIDTH, (size_t)width * sizeof(float));
                }
            }
            if (last) apply_epilogue(job->ops, job->epilogue, job->c, ldc, row0, rows, column, width);
        }
    }
}

/// The int8 product's quantization of one row over all of k (ck_weights): its scale and zero point.
static void quantize_row(const ck_ops *ops, const float *row, long k, float *scale, int *zero) {
    float lowest, highest;
    ops->row_range(row, k, &lowest, &highest);
    float step = (highest - lowest) / 255;
    if (!isfinite(step)) {
        *scale = NAN;  // a non-finite input makes the row's products NaN, as f32 would
        *zero = 0;
    } else if (step == 0) {
        *scale = 0;
        *zero = 0;
    } else {
        long z = lrintf(-lowest / step);
        *scale = step;
        *zero = (int)(z < 0 ? 0 : z > 255 ? 255 : z);
    }
}

/// Packs tile rows [first, first + count) of the current block (A from `a`, its first row) for the
/// job's kind of product, every depth block.
static void pack_tile(const gemm_job *job, const float *a, long tiles, long t, long first, int count) {
    const ck_ops *ops = job->ops;
    const long k = job->k, lda = job->lda;
    if (job->product == PRODUCT_U8I8_DOT) {
        for (int r = 0; r < count; r++) quantize_row(ops, a + r * lda, k, job->row_scales + first + r, job->row_zeros + first + r);
    }
    for (long depth0 = 0; depth0 < k; depth0 += CK_DEPTH_BLOCK) {
        long depth = min_long(CK_DEPTH_BLOCK, k - depth0);
        float *dst = packed_tile(job->packed_a, tiles, depth0, depth, t);
        switch (job->product) {
        case PRODUCT_F32: ops->pack_a(a + depth0, lda, count, depth, dst); break;
        case PRODUCT_BF16_DOT: ops->pack_a_bf16(a + depth0, lda, count, depth, (unsigned short *)dst); break;
        case PRODUCT_U8I8_DOT:
            ops->pack_a_u8(a + depth0, lda, count, depth, job->row_scales + first, job->row_zeros + first, (unsigned char *)dst);
            break;
        }
    }
}

static void gemm_work(void *context, long worker) {
    (void)worker;
    gemm_job *job = context;
    const ck_ops *ops = job->ops;
    const long m = job->m;
    // No more tiles than the scratch holds (the dot-product sets' tiles have 8 rows: 384).
    const long block_rows = job->product == PRODUCT_F32 ? GEMM_BLOCK_ROWS : min_long(GEMM_DOT_BLOCK_ROWS, GEMM_BLOCK_TILES * ops->tile_rows);
    for (long row0 = 0; row0 < m; row0 += block_rows) {
        long rows = min_long(block_rows, m - row0);
        long tiles = tile_count(rows, ops->tile_rows);
        for (long t; (t = atomic_fetch_add_explicit(&job->next_tile, 1, memory_order_relaxed)) < tiles;) {
            long first = tile_start(rows, tiles, t);
            pack_tile(job, job->a + (row0 + first) * job->lda, tiles, t, first, (int)(tile_start(rows, tiles, t + 1) - first));
            atomic_fetch_add_explicit(&job->packed_tiles, 1, memory_order_release);
        }
        for (long packed; (packed = atomic_load_explicit(&job->packed_tiles, memory_order_acquire)) < tiles;) {
            wait_while_equal(&job->packed_tiles, packed);
        }
        for (;;) {
            long first_panel = job->panel_begin + atomic_fetch_add_explicit(&job->next_chunk, 1, memory_order_relaxed) * job->chunk_panels;
            if (first_panel >= job->panel_end) break;
            gemm_chunk(job, row0, rows, tiles, first_panel, min_long(first_panel + job->chunk_panels, job->panel_end));
        }
        if (row0 + rows < m) next_block_barrier(job);  // the next block's packing overwrites this one's
    }
}

/// C = epilogue(A · B) for rows 0..<m and panels [panel_begin, panel_end), zero-depth products included;
/// B is packed in `format`.
static void gemm_run(const ck_ops *ops, long workers, ck_weights format, long m, long n, long k, const float *a, long lda,
                     const void *packed_b, long panel_begin, long panel_end, const ck_epilogue *epilogue, float *c,
                     long ldc, float *scratch) {
    panel_end = min_long(panel_end, ck_panel_count(n));
    if (m <= 0 || panel_begin >= panel_end) return;
    if (k <= 0) {
        long first_column = panel_begin * CK_PANEL_WIDTH;
        long columns = min_long(panel_end * CK_PANEL_WIDTH, n) - first_column;
        for (long r = 0; r < m; r++) memset(c + r * ldc + first_column, 0, (size_t)columns * sizeof(float));
        apply_epilogue(ops, epilogue, c, ldc, 0, m, first_column, columns);
        return;
    }
    long panels = panel_end - panel_begin;
    // About four chunks per worker, so the last ones even out the workers' speeds.
    long chunk = workers == 1 ? panels : min_long(GEMM_CHUNK_PANELS, (panels + 4 * workers - 1) / (4 * workers));
    gemm_job job = {
        .ops = ops, .m = m, .n = n, .k = k, .lda = lda, .ldc = ldc, .panel_begin = panel_begin, .panel_end = panel_end,
        .chunk_panels = chunk > 0 ? chunk : 1, .workers = workers, .a = a, .format = format, .packed_b = packed_b, .epilogue = epilogue,
        .c = c, .packed_a = scratch, .product = product_for(ops, format),
        .row_scales = scratch + tiles_floats(k), .row_zeros = (int *)(scratch + tiles_floats(k) + GEMM_DOT_BLOCK_ROWS),
    };
    atomic_init(&job.next_tile, 0);
    atomic_init(&job.packed_tiles, 0);
    atomic_init(&job.next_chunk, 0);
    atomic_init(&job.arrived, 0);
    atomic_init(&job.generation, 0);
    if (workers == 1) {
        gemm_work(&job, 0);
    } else {
        ck_parallel(workers, gemm_work, &job);
    }
}

void ck_gemm(const ck_ops *ops, long m, long n, long k, const float *a, long lda, const float *packed_b,
             long panel_begin, long panel_end, const ck_epilogue *epilogue, float *c, long ldc, float *scratch) {
    gemm_run(ops, 1, CK_WEIGHTS_F32, m, n, k, a, lda, packed_b, panel_begin, panel_end, epilogue, c, ldc, scratch);
}

void ck_gemm_weights(const ck_ops *ops, ck_weights format, long m, long n, long k, const float *a, long lda,
                     const void *packed_b, long panel_begin, long panel_end, const ck_epilogue *epilogue, float *c,
                     long ldc, float *scratch) {
    gemm_run(ops, 1, format, m, n, k, a, lda, packed_b, panel_begin, panel_end, epilogue, c, ldc, scratch);
}

/// Few panels per worker would leave workers idle and pay for waking them.
static long useful_workers(long workers, long n) {
    long useful = ck_panel_count(n) / 4;
    workers = min_long(workers, useful > 1 ? useful : 1);
    return workers > 1 ? workers : 1;
}

void ck_gemm_weights_parallel(const ck_ops *ops, long workers, ck_weights format, long m, long n, long k, const float *a,
                              long lda, const void *packed_b, const ck_epilogue *epilogue, float *c, long ldc,
                              float *scratch) {
    gemm_run(ops, useful_workers(workers, n), format, m, n, k, a, lda, packed_b, 0, ck_panel_count(n), epilogue, c, ldc,
             scratch);
}

size_t ck_attention_scratch_floats(long t, long d) {
    return ck_gemm_scratch_floats(t > d ? t : d) + ck_packed_floats(t, d) + ck_packed_floats(d, t);
}

/// Query rows per block of one head's attention: the block's scores (at most 64 × 512 floats, 128 KB)
/// stay in L2 from the product through the softmax to the product with V.
#define ATTENTION_BLOCK_ROWS 64

void ck_attention_head(const ck_ops *ops, long t, long d, const float *q, const float *k, const float *v, long ld,
                       float scale, float *probs, float *context, long ldc, float *scratch) {
    float *gemm_scratch = scratch;
    float *keys = gemm_scratch + ck_gemm_scratch_floats(t > d ? t : d);
    float *values = keys + ck_packed_floats(t, d);
    ck_pack_nk(ops, k, ld, t, d, keys);
    ck_pack_kn(v, ld, t, d, values);
    for (long row = 0; row < t; row += ATTENTION_BLOCK_ROWS) {
        long rows = min_long(ATTENTION_BLOCK_ROWS, t - row);
        float *block = probs + row * t;
        ck_gemm(ops, rows, t, d, q + row * ld, ld, keys, 0, ck_panel_count(t), NULL, block, t, gemm_scratch);
        for (long r = 0; r < rows; r++) ops->softmax_row(block + r * t, t, scale);
        ck_gemm(ops, rows, d, t, block, t, values, 0, ck_panel_count(d), NULL, context + row * ldc, ldc, gemm_scratch);
    }
}

void ck_layer_norm(const ck_ops *ops, float *x, long rows, long n, long ld, const float *scale, const float *shift,
                   float epsilon) {
    for (long r = 0; r < rows; r++) ops->layer_norm_row(x + r * ld, n, scale, shift, epsilon);
}

void ck_softmax(const ck_ops *ops, float *x, long rows, long n, long ld) {
    for (long r = 0; r < rows; r++) ops->softmax_row(x + r * ld, n, 1);
}

void ck_gelu(const ck_ops *ops, float *x, long count) { ops->gelu(x, count); }

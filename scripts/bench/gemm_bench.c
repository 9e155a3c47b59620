// One matrix product of the encoder's kernels, for tuning a microkernel or the driver: C[m × n] = A[m × k] ·
// Wᵀ with W [n × k] packed in a weight format, through ck_gemm_weights (one core) or, with THREADS > 1,
// ck_gemm_weights_parallel (the call the forward pass makes), best of 30 × 5 products. Prints the kernel set, the time and 2·m·n·k / time (int8 operations counted as
// FLOP), to compare with scripts/bench/fma_peak.c's ceilings.
//
//   clang -O3 -I Sources/CKernels/include -I Sources/CKernels scripts/bench/gemm_bench.c Sources/CKernels/*.c \
//       -lm -lpthread -o /tmp/gemm_bench && /tmp/gemm_bench M N K FORMAT [ISA [THREADS]]
//
// FORMAT: 0 f32, 2 bf16, 3 int8 (ck_weights; Q4_0 needs 4-bit source rows, not made here). ISA: ck_isa (0
// baseline, 1 AVX2, 2 AVX-512, 3 AVX-512+BF16+VNNI, 4 AVX-512+VNNI, 5 AVX2+VNNI; default or -1: the fastest
// this CPU runs).
#include "CKernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/// `bytes` rounded up to 64, 64-byte aligned (aligned_alloc wants a multiple of the alignment).
static void *aligned(size_t bytes) { return aligned_alloc(64, (bytes + 63) / 64 * 64); }

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: gemm_bench M N K FORMAT [ISA]\n"); return 2; }
    long m = atol(argv[1]), n = atol(argv[2]), k = atol(argv[3]);
    ck_weights format = (ck_weights)atoi(argv[4]);
    const ck_ops *ops = argc > 5 && atoi(argv[5]) >= 0 ? ck_ops_for((ck_isa)atoi(argv[5])) : ck_ops_best();
    long threads = argc > 6 ? atol(argv[6]) : 1;
    if (m < 1 || n < 1 || k < 1 || threads < 1 || !ops || (format != CK_WEIGHTS_F32 && format != CK_WEIGHTS_BF16 && format != CK_WEIGHTS_INT8)) {
        fprintf(stderr, "gemm_bench: bad shape, format, or a kernel set this CPU does not run\n");
        return 2;
    }
    float *a = aligned((size_t)(m * k) * 4), *c = aligned((size_t)(m * n) * 4), *w = malloc((size_t)(n * k) * 4);
    srand(1);
    for (long i = 0; i < n * k; i++) w[i] = ((float)rand() / (float)RAND_MAX - 0.5f) * 0.1f;
    for (long i = 0; i < m * k; i++) a[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    const float **rows = malloc((size_t)n * sizeof *rows);
    for (long j = 0; j < n; j++) rows[j] = w + j * k;
    size_t bytes = format == CK_WEIGHTS_F32 ? ck_packed_floats(n, k) * 4
                   : format == CK_WEIGHTS_BF16 ? ck_bf16_packed_bytes(n, k) : ck_i8_packed_bytes(n, k);
    void *packed = aligned(bytes);
    if (format == CK_WEIGHTS_F32) ck_pack_rows(ops, rows, n, k, packed);
    else if (format == CK_WEIGHTS_BF16) ck_bf16_pack_rows(rows, n, k, packed);
    else ck_i8_pack_rows(rows, n, k, packed);
    float *scratch = aligned(ck_gemm_scratch_floats(k) * 4);
    double best = 1e30;
    for (int round = 0; round < 30; round++) {
        double start = now_seconds();
        for (int i = 0; i < 5; i++) {
            if (threads == 1) {
                ck_gemm_weights(ops, format, m, n, k, a, k, packed, 0, ck_panel_count(n), NULL, c, n, scratch);
            } else {
                ck_gemm_weights_parallel(ops, threads, format, m, n, k, a, k, packed, NULL, c, n, scratch);
            }
        }
        double seconds = (now_seconds() - start) / 5;
        if (seconds < best) best = seconds;
    }
    printf("%s, %ld thread%s, weights %s, %ld x %ld x %ld: %.3f ms, %.1f GFLOP/s\n", ck_ops_name(ops), threads,
           threads == 1 ? "" : "s",
           format == CK_WEIGHTS_F32 ? "f32" : format == CK_WEIGHTS_BF16 ? "bf16" : "int8", m, n, k, best * 1e3,
           2.0 * (double)m * (double)n * (double)k / best / 1e9);
    return 0;
}

// The machine's fp32 ceiling for the encoder goals of docs/BENCHMARKS.md: how many GFLOP/s one core gives
// with nothing but FMAs in registers (no memory traffic, no dependency stalls), alone and while the other
// core does the same, with AVX2 (8 lanes) and, where the CPU and OS have it, AVX-512 (16 lanes), and the
// bf16 and int8 dot products of AVX512_BF16 and VNNI. A forward pass can never beat FLOPs / this rate.
// (Zen 4 executes a 512-bit FMA as two 256-bit halves, so both ceilings are the same there; Zen 5 and
// Intel's server cores double it.)
//
//   cc -O3 -pthread scripts/bench/fma_peak.c -o /tmp/fma_peak && /tmp/fma_peak [RUNS]
//
// Prints one line per instruction set and thread count: the median (min, max) GFLOP/s per thread over RUNS
// timed runs.
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { ITERATIONS = 20 * 1000 * 1000, CHAINS = 10 };
// Each iteration issues CHAINS independent FMAs of `lanes` floats: 2 FLOPs per lane.
static double flops_per_run(int lanes) { return 2.0 * lanes * CHAINS * (double)ITERATIONS; }

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

// Ten accumulators cover the FMA latency (4 cycles) times the two FMA pipes, with room to spare. -O3 keeps
// them in registers; -O2 leaves them in memory and measures stores instead.
__attribute__((target("avx2,fma"))) static void *avx2_run(void *result) {
    __m256 acc[CHAINS];
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm256_set1_ps((float)c * 1e-3f);
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    double start = now_seconds();
    for (long i = 0; i < ITERATIONS; i++) {
        for (int c = 0; c < CHAINS; c++) acc[c] = _mm256_fmadd_ps(acc[c], a, b);
    }
    double seconds = now_seconds() - start;
    float sink = 0;  // keeps the accumulators alive so the loop is not optimised away
    for (int c = 0; c < CHAINS; c++) sink += _mm256_cvtss_f32(acc[c]);
    *(double *)result = flops_per_run(8) / seconds / 1e9 + (double)(sink * 0.0f);
    return NULL;
}

__attribute__((target("avx512f"))) static void *avx512_run(void *result) {
    __m512 acc[CHAINS];
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_set1_ps((float)c * 1e-3f);
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    double start = now_seconds();
    for (long i = 0; i < ITERATIONS; i++) {
        for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_fmadd_ps(acc[c], a, b);
    }
    double seconds = now_seconds() - start;
    float sink = 0;
    for (int c = 0; c < CHAINS; c++) sink += _mm512_cvtss_f32(acc[c]);
    *(double *)result = flops_per_run(16) / seconds / 1e9 + (double)(sink * 0.0f);
    return NULL;
}

// The dot products of the reduced precisions: vdpbf16ps (16 lanes, 2 bf16 products each: 64 FLOP an
// instruction) and vpdpbusd (16 lanes, 4 u8 × s8 products each: 128 integer operations). Their latency is
// longer than the FMA's: 12 chains.
enum { DOT_CHAINS = 12 };

__attribute__((target("avx512f,avx512bf16"))) static void *bf16_run(void *result) {
    __m512 acc[DOT_CHAINS];
    for (int c = 0; c < DOT_CHAINS; c++) acc[c] = _mm512_set1_ps((float)c * 1e-3f);
    const __m512bh a = (__m512bh)_mm512_set1_epi32(0x3f803f80), b = (__m512bh)_mm512_set1_epi32(0x33d633d6);  // 1, 1e-7
    double start = now_seconds();
    for (long i = 0; i < ITERATIONS; i++) {
        for (int c = 0; c < DOT_CHAINS; c++) acc[c] = _mm512_dpbf16_ps(acc[c], a, b);
    }
    double seconds = now_seconds() - start;
    float sink = 0;
    for (int c = 0; c < DOT_CHAINS; c++) sink += _mm512_cvtss_f32(acc[c]);
    *(double *)result = 64.0 * DOT_CHAINS * (double)ITERATIONS / seconds / 1e9 + (double)(sink * 0.0f);
    return NULL;
}

__attribute__((target("avx512f,avx512vnni"))) static void *vnni_run(void *result) {
    // In assembly: integer sums are exact, so a compiler may compute the dot product once per iteration and
    // add it to every chain instead. Chains in zmm0-zmm11, the operands (all bytes 1) in zmm30 and zmm31.
    const __m512i ones = _mm512_set1_epi8(1);
    __asm__ volatile("vmovdqa64 %0, %%zmm30\n\tvmovdqa64 %0, %%zmm31" : : "m"(ones) : "zmm30", "zmm31");
    double start = now_seconds();
    for (long i = 0; i < ITERATIONS; i++) {
        __asm__ volatile(
            "vpdpbusd %%zmm31, %%zmm30, %%zmm0\n\tvpdpbusd %%zmm31, %%zmm30, %%zmm1\n\t"
            "vpdpbusd %%zmm31, %%zmm30, %%zmm2\n\tvpdpbusd %%zmm31, %%zmm30, %%zmm3\n\t"
            "vpdpbusd %%zmm31, %%zmm30, %%zmm4\n\tvpdpbusd %%zmm31, %%zmm30, %%zmm5\n\t"
            "vpdpbusd %%zmm31, %%zmm30, %%zmm6\n\tvpdpbusd %%zmm31, %%zmm30, %%zmm7\n\t"
            "vpdpbusd %%zmm31, %%zmm30, %%zmm8\n\tvpdpbusd %%zmm31, %%zmm30, %%zmm9\n\t"
            "vpdpbusd %%zmm31, %%zmm30, %%zmm10\n\tvpdpbusd %%zmm31, %%zmm30, %%zmm11"
            : : : "zmm0", "zmm1", "zmm2", "zmm3", "zmm4", "zmm5", "zmm6", "zmm7", "zmm8", "zmm9", "zmm10", "zmm11");
    }
    double seconds = now_seconds() - start;
    *(double *)result = 128.0 * DOT_CHAINS * (double)ITERATIONS / seconds / 1e9;
    return NULL;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/// Median (min, max) GFLOP/s per thread of `run` on 1 and then 2 threads.
static void measure(const char *name, void *(*run)(void *), int runs, double *rates) {
    for (int threads = 1; threads <= 2; threads++) {
        int count = 0;
        for (int r = 0; r < runs; r++) {
            pthread_t ids[2];
            double results[2];
            for (int t = 0; t < threads; t++) pthread_create(&ids[t], NULL, run, &results[t]);
            for (int t = 0; t < threads; t++) { pthread_join(ids[t], NULL); rates[count++] = results[t]; }
        }
        qsort(rates, (size_t)count, sizeof(double), compare);
        printf("%s, %d thread%s: %.1f GFLOP/s per thread (min %.1f, max %.1f), %d samples\n", name, threads,
               threads == 1 ? " " : "s", rates[count / 2], rates[0], rates[count - 1], count);
    }
}

int main(int argc, char **argv) {
    int runs = argc > 1 ? atoi(argv[1]) : 9;
    if (runs < 1 || runs > 1000) { fprintf(stderr, "fma_peak: RUNS must be 1...1000\n"); return 2; }
    double *rates = malloc(sizeof(double) * (size_t)runs * 2);
    __builtin_cpu_init();  // also checks that the OS saves the registers (XCR0)
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) measure("AVX2   ", avx2_run, runs, rates);
    if (__builtin_cpu_supports("avx512f")) measure("AVX-512", avx512_run, runs, rates);
    if (__builtin_cpu_supports("avx512bf16")) measure("AVX-512 vdpbf16ps", bf16_run, runs, rates);
    if (__builtin_cpu_supports("avx512vnni")) measure("AVX-512 vpdpbusd (int8 operations as FLOP)", vnni_run, runs, rates);
    free(rates);
    return 0;
}

// Run-time choice of kernels: the CPU is asked which instruction sets it has (CPUID) and the OS which
// register state it saves on a context switch (XGETBV, XCR0). A variant runs only when both say yes: an
// OS that does not save the ZMM and opmask registers would corrupt them between threads.
#include "internal.h"

#include <stddef.h>

#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__clang__) || defined(__GNUC__))
#include <cpuid.h>
#define CK_HAS_CPUID 1
#endif

/// XCR0 bits: SSE (1) and AVX (2) state; AVX-512's opmask (5), ZMM_Hi256 (6) and Hi16_ZMM (7) state.
#define XCR0_AVX_STATE 0x06ull
#define XCR0_AVX512_STATE 0xe0ull

ck_cpu_features ck_cpu(void) {
    ck_cpu_features f = {0};
#ifdef CK_HAS_CPUID
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
    f.fma = (c >> 12) & 1;
    f.avx = (c >> 28) & 1;
    int osxsave = (c >> 27) & 1;  // XGETBV is only defined when the OS has enabled XSAVE
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        f.avx2 = (b >> 5) & 1;
        f.avx512f = (b >> 16) & 1;
        f.avx512dq = (b >> 17) & 1;
        f.avx512bw = (b >> 30) & 1;
        f.avx512vl = (b >> 31) & 1;
        f.avx512vnni = (c >> 11) & 1;
        unsigned max_subleaf = a;
        if (max_subleaf >= 1 && __get_cpuid_count(7, 1, &a, &b, &c, &d)) {
            f.avxvnni = (a >> 4) & 1;
            f.avx512bf16 = (a >> 5) & 1;
        }
    }
    if (osxsave) {
        unsigned low, high;
        __asm__ __volatile__("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
        f.xcr0 = (unsigned long long)high << 32 | low;
    }
    f.os_saves_avx = (f.xcr0 & XCR0_AVX_STATE) == XCR0_AVX_STATE;
    f.os_saves_avx512 = f.os_saves_avx && (f.xcr0 & XCR0_AVX512_STATE) == XCR0_AVX512_STATE;
#endif
    return f;
}

/// AVX2 + FMA with the YMM state saved by the OS.
static int runs_avx2(const ck_cpu_features *f) { return f->avx && f->avx2 && f->fma && f->os_saves_avx; }
/// ... and AVX-VNNI (kernels_avx2_vnni.c), a VEX encoding whose state the AVX check covers.
static int runs_avx2_vnni(const ck_cpu_features *f) { return runs_avx2(f) && f->avxvnni; }

/// The AVX-512 variant's requirements (kernels_avx512.c): F, BW, DQ and VL, the ZMM and opmask state
/// saved by the OS, and AVX2 + FMA, whose packing it shares.
static int runs_avx512(const ck_cpu_features *f) {
    return runs_avx2(f) && f->avx512f && f->avx512bw && f->avx512dq && f->avx512vl && f->os_saves_avx512;
}

/// AVX-512 with the dot-product instructions of kernels_avx512_dot.c (they use EVEX encodings only, whose
/// state the AVX-512 check already covers).
static int runs_avx512_dot(const ck_cpu_features *f) { return runs_avx512(f) && f->avx512bf16 && f->avx512vnni; }
static int runs_avx512_vnni(const ck_cpu_features *f) { return runs_avx512(f) && f->avx512vnni; }

const ck_ops *ck_ops_for(ck_isa isa) {
#if defined(__x86_64__) || defined(_M_X64)
    ck_cpu_features features = ck_cpu();
#endif
    switch (isa) {
    case CK_ISA_BASELINE:
        return &ck_baseline_ops;
    case CK_ISA_AVX2:
#if defined(__x86_64__) || defined(_M_X64)
        if (runs_avx2(&features)) return &ck_avx2_ops;
#endif
        return NULL;
    case CK_ISA_AVX512:
#if defined(__x86_64__) || defined(_M_X64)
        if (runs_avx512(&features)) return &ck_avx512_ops;
#endif
        return NULL;
    case CK_ISA_AVX512_DOT:
#if defined(__x86_64__) || defined(_M_X64)
        if (runs_avx512_dot(&features)) return &ck_avx512_dot_ops;
#endif
        return NULL;
    case CK_ISA_AVX2_VNNI:
#if defined(__x86_64__) || defined(_M_X64)
        if (runs_avx2_vnni(&features)) return &ck_avx2_vnni_ops;
#endif
        return NULL;
    case CK_ISA_AVX512_VNNI:
#if defined(__x86_64__) || defined(_M_X64)
        if (runs_avx512_vnni(&features)) return &ck_avx512_vnni_ops;
#endif
        return NULL;
    }
    return NULL;
}

const ck_ops *ck_ops_best(void) {
    static const ck_isa fastest_first[] = {CK_ISA_AVX512_DOT, CK_ISA_AVX512_VNNI, CK_ISA_AVX512, CK_ISA_AVX2_VNNI, CK_ISA_AVX2};
    for (size_t i = 0; i < sizeof fastest_first / sizeof fastest_first[0]; i++) {
        const ck_ops *ops = ck_ops_for(fastest_first[i]);
        if (ops) return ops;
    }
    return &ck_baseline_ops;
}

const char *ck_ops_name(const ck_ops *ops) { return ops->name; }

// Run-time choice of kernels: the CPU is asked once which instruction sets it (and the OS) supports.
#include "internal.h"

#include <stddef.h>

static int cpu_has_avx2_fma(void) {
#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__clang__) || defined(__GNUC__))
    // __builtin_cpu_supports also checks that the OS saves the YMM registers (OSXSAVE, XCR0).
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

const ck_ops *ck_ops_for(ck_isa isa) {
    switch (isa) {
    case CK_ISA_BASELINE:
        return &ck_baseline_ops;
    case CK_ISA_AVX2:
#if defined(__x86_64__) || defined(_M_X64)
        if (cpu_has_avx2_fma()) return &ck_avx2_ops;
#endif
        return NULL;
    }
    return NULL;
}

const ck_ops *ck_ops_best(void) {
    const ck_ops *avx2 = ck_ops_for(CK_ISA_AVX2);
    return avx2 ? avx2 : &ck_baseline_ops;
}

const char *ck_ops_name(const ck_ops *ops) { return ops->name; }

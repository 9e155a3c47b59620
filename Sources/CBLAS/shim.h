// The BLAS surface bertscope uses: single-precision GEMM and OpenBLAS's thread control.
// OpenBLAS picks its kernels for the CPU it runs on, so one binary is fast and correct on any x86-64.
#include <cblas.h>

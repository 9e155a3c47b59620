// bf16 weights: rounding f32 rows to bf16 and laying them out as panels for ck_gemm_weights. Load-time
// work, so plain C serves every instruction set.
#include "internal.h"

#include <stdint.h>
#include <string.h>

unsigned short ck_bf16_from_float(float value) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (unsigned short)(bits >> 16 | 0x0040u);  // NaN: keep it a (quiet) NaN
    // Adding 0x7fff plus the lowest kept bit carries into the kept half exactly when the dropped half is
    // above one half, or exactly one half with the kept half odd: ties to even. Overflow gives infinity.
    return (unsigned short)((bits + 0x7fffu + (bits >> 16 & 1u)) >> 16);
}

size_t ck_bf16_packed_bytes(long n, long k) {
    return ck_packed_floats(n, ck_grouped_depth(k, CK_BF16_GROUP)) * sizeof(unsigned short);
}

void ck_bf16_pack_rows(const float *const *rows, long n, long k, void *dst) {
    unsigned short *out = dst;
    const long depth = ck_grouped_depth(k, CK_BF16_GROUP), panels = ck_panel_count(n);
    memset(dst, 0, ck_bf16_packed_bytes(n, k));  // the columns past n and the depth past an odd k
    for (long panel = 0; panel < panels; panel++) {
        for (long i = 0; i < k; i++) {
            unsigned short *line = out + ck_packed_offset(panels, depth, panel, i - i % CK_BF16_GROUP);
            for (long j = 0; j < CK_PANEL_WIDTH && panel * CK_PANEL_WIDTH + j < n; j++) {
                line[j * CK_BF16_GROUP + i % CK_BF16_GROUP] = ck_bf16_from_float(rows[panel * CK_PANEL_WIDTH + j][i]);
            }
        }
    }
}

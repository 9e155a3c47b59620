// The AVX-512 microkernels' tile shapes (kernels_avx512.c, kernels_avx512_dot.c): a tile is up to 8 rows by
// one or two adjacent 16-column panels, each row and panel keeping one or more partial sums over alternating
// depth groups, so enough are in flight to cover the FMA or dot-product latency on two pipes.
#ifndef CK_AVX512_TILES_H
#define CK_AVX512_TILES_H

/// Partial sums per row and panel for a dot-product tile of `rows` × `panels` panels: 12 or more in all
/// where rows allow, at most 16 (with the two weight lines and a broadcast, 19 of the 32 registers).
#define CHAINS_FOR(rows, panels) ((panels) == 2 ? ((rows) >= 5 ? 1 : (rows) >= 3 ? 2 : 4) : (rows) >= 5 ? 2 : (rows) == 4 ? 3 : 4)

/// Calls TILE(rows, panels, CHAINS(rows, panels)) with constants, so the sums stay in registers.
#define DISPATCH_ROWS(TILE, CHAINS, rows, w)                                                          \
    switch (rows) {                                                                                   \
    case 8: TILE(8, w, CHAINS(8, w)); break;                                                         \
    case 7: TILE(7, w, CHAINS(7, w)); break;                                                         \
    case 6: TILE(6, w, CHAINS(6, w)); break;                                                         \
    case 5: TILE(5, w, CHAINS(5, w)); break;                                                         \
    case 4: TILE(4, w, CHAINS(4, w)); break;                                                         \
    case 3: TILE(3, w, CHAINS(3, w)); break;                                                         \
    case 2: TILE(2, w, CHAINS(2, w)); break;                                                         \
    default: TILE(1, w, CHAINS(1, w)); break;                                                        \
    }
#define DISPATCH_TILE(TILE, CHAINS, rows, panels)                                                     \
    do {                                                                                              \
        if ((panels) == 2) {                                                                          \
            DISPATCH_ROWS(TILE, CHAINS, rows, 2)                                                      \
        } else {                                                                                      \
            DISPATCH_ROWS(TILE, CHAINS, rows, 1)                                                      \
        }                                                                                             \
    } while (0)

/// Sum number s of row r and panel w.
#define SUM(r, w, s) sums[((r) * panels + (w)) * chains + (s)]

/// Stores a tile of f32 sums (`sums`, `panels` and `chains` in scope, as SUM reads them): each row and
/// panel's partial sums added, plus C where `accumulate`, into c (row stride ldc).
#define STORE_TILE(rows, c, ldc, accumulate)                                                          \
    do {                                                                                              \
        for (int r_ = 0; r_ < (rows); r_++) {                                                         \
            for (int w_ = 0; w_ < panels; w_++) {                                                     \
                float *out_ = (c) + r_ * (ldc) + w_ * CK_PANEL_WIDTH;                                 \
                __m512 sum_ = SUM(r_, w_, 0);                                                         \
                for (int s_ = 1; s_ < chains; s_++) sum_ = _mm512_add_ps(sum_, SUM(r_, w_, s_));      \
                if (accumulate) sum_ = _mm512_add_ps(sum_, _mm512_loadu_ps(out_));                    \
                _mm512_storeu_ps(out_, sum_);                                                         \
            }                                                                                         \
        }                                                                                             \
    } while (0)

#endif

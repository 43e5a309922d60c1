/* matmul_fast.c — fast linear and attention; see matmul_fast.h.
 *
 * Read in this order: linear_fast() (the two paths), gemm() (tiles and
 * panels), attention_fast().  The SIMD inner loops are in kernels_fast.inc.
 */
#if defined(__GNUC__) && !defined(__clang__)
/* Let `acc += a * b` on vectors become one FMA (GCC keeps ISO C's -ffp-contract=off
 * under -std=c11; clang contracts within an expression by default).  Only this file:
 * the reference kernels in ops.c keep their plain rounding. */
#pragma GCC optimize("fp-contract=fast")
#endif

#include "matmul_fast.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "tensor.h"
#include "util.h"

/* OpenMP pragmas that vanish (without a warning) in a build without -fopenmp. */
#ifdef _OPENMP
#define OMP(x) _Pragma(#x)
#else
#define OMP(x)
#endif

/* ---- the micro-kernels, one copy per instruction set ---- */

#define MR_MAX 12
#define NR_MAX 32

#if defined(__x86_64__) && defined(__GNUC__)
#define KNAME(x) x##_avx512
#define KATTR __attribute__((target("avx512f,avx512bw,avx512vl,fma")))
#define VF 16
#define MR 12
#include "kernels_fast.inc"
#undef KNAME
#undef KATTR
#undef VF
#undef MR

#define KNAME(x) x##_avx2
#define KATTR __attribute__((target("avx2,fma")))
#define VF 8
#define MR 6
#include "kernels_fast.inc"
#undef KNAME
#undef KATTR
#undef VF
#undef MR
#endif

/* Portable: 4-wide vectors (SSE2 / NEON, or scalar code elsewhere). */
#define KNAME(x) x##_generic
#define KATTR
#define VF 4
#define MR 6
#include "kernels_fast.inc"
#undef KNAME
#undef KATTR
#undef VF
#undef MR

#ifndef HAVE_PACK8 /* compilers without __builtin_shufflevector pack one by one */
#define pack8_generic NULL
#define pack8_avx2 NULL
#define pack8_avx512 NULL
#endif

typedef struct {
    const char *name;
    int mr, nr; /* tile: mr rows of x by nr = 2 * VF outputs */
    void (*kernel)(int K, const float *a, int64_t lda, const float *bp, float *c, int64_t ldc);
    void (*dots)(float *y, int64_t ldy, const float *x, int n, const float *W, int in, int o0, int o1);
    void (*dots_bf16)(float *y, int64_t ldy, const float *x, int n, const uint16_t *W, int in, int o0,
                      int o1);
    int (*pack8)(float *bp, const float *W, int64_t in, int rows, int kc, int NR); /* or NULL */
    void (*softmax)(float *row, int n, float scale);
    void (*activation)(float *x, int64_t n, Activation act); /* gelu, gelu_tanh, quick_gelu, silu */
} Kernels;

static const Kernels *kernels(void) {
    static const Kernels generic = {"generic", 6, 8, kernel_generic, dots_generic, dots_bf16_generic, pack8_generic, softmax_generic, activation_generic};
#if defined(__x86_64__) && defined(__GNUC__)
    static const Kernels avx512 = {"avx512", 12, 32, kernel_avx512, dots_avx512, dots_bf16_avx512, pack8_avx512, softmax_avx512, activation_avx512};
    static const Kernels avx2 = {"avx2", 6, 16, kernel_avx2, dots_avx2, dots_bf16_avx2, pack8_avx2, softmax_avx2, activation_avx2};
    /* VLM_ISA=avx2|generic forces a narrower set (for tests and comparisons). */
    const char *force = getenv("VLM_ISA");
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma") &&
        !(force && (strcmp(force, "avx2") == 0 || strcmp(force, "generic") == 0)))
        return &avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
        !(force && strcmp(force, "generic") == 0))
        return &avx2;
#endif
    return &generic;
}

const char *fast_kernel_isa(void) { return kernels()->name; }

int fast_num_threads(void) {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

static int imin(int a, int b) { return a < b ? a : b; }

/* Per-thread scratch, kept and only ever grown (as encoder.c's layer scratch):
 * a forward pass calls attention with the same sizes 12-27 times, and a fresh
 * malloc of a large buffer is a fresh mmap whose pages fault in on first
 * touch.  gemm() uses them too (never at the same time as attention).
 * `shared` is what the calling thread allocates for the whole team;
 * `own` is each team thread's private block (the caller is also thread 0, so
 * it needs both).  OpenMP ends worker threads when a team shrinks
 * (omp_set_num_threads), so a thread-exit destructor (a pthread key) frees
 * them; a live thread's blocks stay reachable until exit. */
static _Thread_local struct {
    Scratch shared, own; /* util.h's grow-only buffer */
    int registered;
} scratch;
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static int scratch_key_ok; /* without a key the blocks just stay until exit */

static void scratch_free(void *p) {
    (void)p; /* = &scratch of the exiting thread, still valid here */
    free(scratch.shared.data), free(scratch.own.data);
    scratch.shared = scratch.own = (Scratch){NULL, 0};
}
static void scratch_key_create(void) {
    scratch_key_ok = pthread_key_create(&scratch_key, scratch_free) == 0;
}

static float *scratch_grow(Scratch *s, size_t n) {
    if (!scratch.registered) {
        pthread_once(&scratch_once, scratch_key_create);
        if (scratch_key_ok) pthread_setspecific(scratch_key, &scratch); /* non-NULL: the destructor runs */
        scratch.registered = 1;
    }
    return scratch_reserve(s, sizeof(float) * (n ? n : 1));
}

/* ---- linear ---- */

/* Weights are f32 or bf16; everything after packing sees f32. */
typedef struct {
    const float *f32;
    const uint16_t *bf16;
} Weights;

/* Pack W[j0 .. j0+NR) x [k0 .. k0+kc) transposed into a k-major panel
 * bp[k * NR + j]; rows past `out` are zero.  f32 weights go 8 x 8 blocks at a
 * time through the ISA's register transpose (pack8); the rest one by one. */
static void pack_panel(float *bp, Weights W, int in, int out, int j0, int k0, int kc, int NR,
                       const Kernels *kr) {
    int rows = imin(NR, out - j0), rows8 = 0, kc8 = 0;
    if (W.f32 && kr && kr->pack8) {
        rows8 = rows & ~7;
        kc8 = kr->pack8(bp, W.f32 + (int64_t)j0 * in + k0, in, rows8, kc, NR);
    }
    for (int j = 0; j < NR; j++) {
        int kstart = j < rows8 ? kc8 : 0; /* the block part is done */
        if (j >= rows) {
            for (int k = 0; k < kc; k++) bp[k * NR + j] = 0.0f;
        } else if (W.f32) {
            const float *w = W.f32 + (int64_t)(j0 + j) * in + k0;
            for (int k = kstart; k < kc; k++) bp[k * NR + j] = w[k];
        } else {
            const uint16_t *w = W.bf16 + (int64_t)(j0 + j) * in + k0;
            for (int k = 0; k < kc; k++) bp[k * NR + j] = bf16_to_f32(w[k]);
        }
    }
}

/* y += x W^T for n >= 2.  Every thread takes whole panels of NR outputs:
 * for each block of KC inputs it packs the panel (so it is contiguous and
 * stays in L1), then sweeps all row tiles of x across it.  Row blocks of MC
 * keep the rows of x being swept in L2. */
enum { KC = 256, MC = 1020 };
/* Up to this many rows, dot products beat packing W (packing costs about as
 * much as ~30 rows of multiply-adds per weight). */
enum { FEW_ROWS = 24 };
/* Below this much work (floats, or multiply-adds) a parallel region costs more than it saves. */
enum { PAR_MIN = 1 << 15 };

static void gemm(float *y, const float *x, Weights W, int n, int in, int out, const Kernels *kr) {
    int MR = kr->mr, NR = kr->nr;
    int npanel = (out + NR - 1) / NR, nfull = n / MR, rem = n % MR;
    /* the last, partial row tile: copied into MR zero-padded rows */
    float *xtail = NULL;
    if (rem) {
        xtail = scratch_grow(&scratch.shared, (size_t)MR * in);
        memcpy(xtail, x + (int64_t)nfull * MR * in, sizeof(float) * (size_t)rem * in);
        memset(xtail + (size_t)rem * in, 0, sizeof(float) * (size_t)(MR - rem) * in);
    }
    /* row blocks of at most MC rows, all about the same size (1024 rows are
     * two blocks of 512, not 1020 + 4: each block re-packs every panel) */
    int ntile = nfull + (rem ? 1 : 0), nblock = (ntile * MR + MC - 1) / MC;
    int tiles_per_block = (ntile + nblock - 1) / nblock;
    int64_t wsize = W.f32 ? 4 : 2; /* bytes per weight */
OMP(omp parallel)
    {
        float *bp = scratch_grow(&scratch.own, (size_t)KC * NR);
        float tile[MR_MAX * NR_MAX];
        for (int t0 = 0; t0 < ntile; t0 += tiles_per_block) {
            int t1 = imin(ntile, t0 + tiles_per_block);
OMP(omp for schedule(static))
            for (int p = 0; p < npanel; p++) {
                int j0 = p * NR, nr = imin(NR, out - j0);
                for (int k0 = 0; k0 < in; k0 += KC) {
                    int kc = imin(KC, in - k0);
                    pack_panel(bp, W, in, out, j0, k0, kc, NR, kr);
                    /* The weights packed next (the next KC columns of this panel,
                     * or the next panel) come from memory: prefetch them, a share
                     * per row tile, while the tiles below compute, so the next
                     * pack_panel finds them in cache instead of waiting. */
                    int pj0 = k0 + KC < in ? j0 : j0 + NR, pk0 = k0 + KC < in ? k0 + KC : 0;
                    int prows = imin(NR, out - pj0), pkc = imin(KC, in - pk0);
                    int lines = (int)((pkc * wsize + 63) / 64), nline = prows > 0 ? prows * lines : 0;
                    int per_tile = (nline + (t1 - t0) - 1) / (t1 - t0), prow = 0, pline = 0;
                    const char *wbase = (const char *)(W.f32 ? (const void *)W.f32 : (const void *)W.bf16);
                    for (int t = t0; t < t1; t++) {
                        for (int c = 0; c < per_tile && prow < prows; c++) {
                            __builtin_prefetch(wbase + ((int64_t)(pj0 + prow) * in + pk0) * wsize + pline * 64);
                            if (++pline == lines) pline = 0, prow++;
                        }
                        int full = t < nfull;
                        const float *a = full ? x + (int64_t)t * MR * in + k0 : xtail + k0;
                        int mr = full ? MR : rem;
                        float *c = y + (int64_t)t * MR * out + j0;
                        if (mr == MR && nr == NR) {
                            kr->kernel(kc, a, in, bp, c, out);
                            continue;
                        }
                        /* edge tile: through a full-size scratch tile */
                        memset(tile, 0, sizeof tile);
                        for (int r = 0; r < mr; r++)
                            memcpy(tile + r * NR, c + (int64_t)r * out, sizeof(float) * (size_t)nr);
                        kr->kernel(kc, a, in, bp, tile, NR);
                        for (int r = 0; r < mr; r++)
                            memcpy(c + (int64_t)r * out, tile + r * NR, sizeof(float) * (size_t)nr);
                    }
                }
            }
        }
    }
}

/* y += x W^T for a few rows (decode, short prompts): memory-bound, so each
 * thread streams one contiguous, equal share of W's rows (a multiple of 4,
 * the dots tile) and reads each weight once.  Equal shares matter: a 576-row
 * k_proj in 64-row chunks gave one of two cores twice the work. */
static void few_rows(float *y, const float *x, Weights W, int n, int in, int out, const Kernels *kr) {
OMP(omp parallel if ((int64_t)out * in >= PAR_MIN))
    {
        int T = 1, t = 0;
#ifdef _OPENMP
        T = omp_get_num_threads(), t = omp_get_thread_num();
#endif
        int o0 = (int)((int64_t)out * t / T) / 4 * 4;
        int o1 = t == T - 1 ? out : (int)((int64_t)out * (t + 1) / T) / 4 * 4;
        if (o0 < o1) {
            if (W.f32)
                kr->dots(y, out, x, n, W.f32, in, o0, o1);
            else
                kr->dots_bf16(y, out, x, n, W.bf16, in, o0, o1);
        }
    }
}

static void linear_any(float *y, const float *x, Weights W, const float *b, int n, int in, int out) {
    if (n <= 0 || out <= 0) return;
    const Kernels *kr = kernels();
    /* start from the bias (or 0); the kernels accumulate onto y */
    for (int i = 0; i < n; i++) {
        float *yi = y + (int64_t)i * out;
        if (b)
            memcpy(yi, b, sizeof(float) * (size_t)out);
        else
            memset(yi, 0, sizeof(float) * (size_t)out);
    }
    if (in <= 0) return;
    if (n <= FEW_ROWS)
        few_rows(y, x, W, n, in, out, kr);
    else
        gemm(y, x, W, n, in, out, kr);
}

void linear_fast(float *y, const float *x, const float *W, const float *b, int n, int in, int out) {
    linear_any(y, x, (Weights){W, NULL}, b, n, in, out);
}

void linear_fast_bf16(float *y, const float *x, const uint16_t *W, const float *b, int n, int in,
                      int out) {
    linear_any(y, x, (Weights){NULL, W}, b, n, in, out);
}

/* ---- attention ---- */

/* Turn one row of raw scores q.k into probabilities, as attention_ref does:
 * scale, masked keys -> probability exactly 0, max-subtracted exp (the
 * vector exp of kernels_fast.inc, a float sum), normalise.  Keys after
 * last_key (causal) are cut off; padding keys become -inf first. */
static void softmax_row(float *row, int Lk, float scale, const int64_t *key_mask, int last_key,
                        const Kernels *kr) {
    int n = last_key < 0 ? 0 : imin(Lk, last_key + 1);
    for (int j = n; j < Lk; j++) row[j] = 0.0f;
    if (key_mask)
        for (int j = 0; j < n; j++)
            if (!key_mask[j]) row[j] = -INFINITY;
    kr->softmax(row, n, scale);
}

/* Work items are (head, block of MR queries).  Per item, with the keys and
 * values of its kv head packed into panels once up front:
 *   S[MR, Lk] = Q_blk K^T     (micro-kernel, K panels = keys transposed)
 *   softmax each row of S     (mask, scale)
 *   C[MR, D]  = S V           (micro-kernel, V panels = values as they are)
 * so a thread holds one MR x Lk block of scores at a time. */
void attention_fast(float *ctx, float *probs, const float *q, const float *k, const float *v,
                    int H, int KVH, int Lq, int Lk, int kv_rows, int D, float scale,
                    const int64_t *key_mask, int causal, int q_offset) {
    if (H <= 0 || Lq <= 0 || D <= 0) return;
    const Kernels *kr = kernels();
    int MR = kr->mr, NR = kr->nr, group = H / KVH;
    int kpanels = (Lk + NR - 1) / NR, ldS = kpanels * NR; /* key panels per kv head */
    int vpanels = (D + NR - 1) / NR, ldC = vpanels * NR;  /* value panels per kv head */
    int Lk1 = Lk > 0 ? Lk : 1;
    size_t ksize = (size_t)KVH * kpanels * D * NR, vsize = (size_t)KVH * vpanels * Lk1 * NR;
    float *kpack = scratch_grow(&scratch.shared, ksize + vsize), *vpack = kpack + ksize;
    int qblocks = (Lq + MR - 1) / MR, ntask = H * qblocks;
OMP(omp parallel)
    {
OMP(omp for schedule(static))
        for (int g = 0; g < KVH; g++) {
            const float *kh = k + (int64_t)g * kv_rows * D, *vh = v + (int64_t)g * kv_rows * D;
            for (int p = 0; p < kpanels; p++) /* keys are the rows of "W" (in = D, out = Lk) */
                pack_panel(kpack + ((size_t)g * kpanels + p) * D * NR, (Weights){kh, NULL}, D, Lk,
                           p * NR, 0, D, NR, kr);
            for (int p = 0; p < vpanels; p++) {
                float *vp = vpack + ((size_t)g * vpanels + p) * Lk1 * NR;
                for (int j = 0; j < Lk; j++)
                    for (int d = 0; d < NR; d++)
                        vp[j * NR + d] = p * NR + d < D ? vh[(int64_t)j * D + p * NR + d] : 0.0f;
            }
        }
        /* (implicit barrier: every panel is packed before any block uses it) */
        size_t Ssize = (size_t)MR * ldS, Csize = (size_t)MR * ldC;
        float *S = scratch_grow(&scratch.own, Ssize + Csize + (size_t)MR * D);
        float *C = S + Ssize, *qpad = C + Csize;
OMP(omp for schedule(dynamic))
        for (int t = 0; t < ntask; t++) {
            int h = t / qblocks, i0 = (t % qblocks) * MR, mr = imin(MR, Lq - i0), g = h / group;
            const float *qb = q + ((int64_t)h * Lq + i0) * D;
            if (mr < MR) {
                memcpy(qpad, qb, sizeof(float) * (size_t)mr * D);
                memset(qpad + (size_t)mr * D, 0, sizeof(float) * (size_t)(MR - mr) * D);
                qb = qpad;
            }
            memset(S, 0, sizeof(float) * (size_t)MR * ldS);
            for (int p = 0; p < kpanels; p++)
                kr->kernel(D, qb, D, kpack + ((size_t)g * kpanels + p) * D * NR, S + p * NR, ldS);
            for (int r = 0; r < MR; r++) {
                float *row = S + (size_t)r * ldS;
                if (r >= mr) { /* padding query: no probabilities */
                    memset(row, 0, sizeof(float) * (size_t)Lk);
                    continue;
                }
                int i = i0 + r;
                softmax_row(row, Lk, scale, key_mask, causal ? q_offset + i : Lk, kr);
                if (probs) memcpy(probs + ((int64_t)h * Lq + i) * Lk, row, sizeof(float) * (size_t)Lk);
            }
            memset(C, 0, sizeof(float) * (size_t)MR * ldC);
            if (Lk > 0)
                for (int p = 0; p < vpanels; p++)
                    kr->kernel(Lk, S, ldS, vpack + ((size_t)g * vpanels + p) * Lk1 * NR, C + p * NR,
                               ldC);
            for (int r = 0; r < mr; r++)
                memcpy(ctx + ((int64_t)h * Lq + i0 + r) * D, C + (size_t)r * ldC,
                       sizeof(float) * (size_t)D);
        }
    }
}

/* ---- activations ---- */

/* gelu, gelu_tanh, quick_gelu and silu go through the vector exp (within a
 * few float roundings of the scalar functions); relu and tanh are plain. */
void activation_fast(float *x, int64_t n, Activation act) {
    const Kernels *kr = kernels();
    int vec = act == ACT_GELU || act == ACT_GELU_TANH || act == ACT_QUICK_GELU || act == ACT_SILU;
    const int64_t chunk = 4096;
    int64_t nchunk = (n + chunk - 1) / chunk;
OMP(omp parallel for schedule(static) if (nchunk > 1))
    for (int64_t c = 0; c < nchunk; c++) {
        int64_t i0 = c * chunk, len = n - i0 < chunk ? n - i0 : chunk;
        if (vec)
            kr->activation(x + i0, len, act);
        else
            activation_ref(x + i0, len, act);
    }
}

/* ---- row-wise ops: rows split across cores, each through the plain loop ---- */


void add_fast(float *y, const float *a, const float *b, int64_t n) {
    const int64_t chunk = 1 << 14;
    int64_t nchunk = (n + chunk - 1) / chunk;
OMP(omp parallel for schedule(static) if (n >= PAR_MIN))
    for (int64_t c = 0; c < nchunk; c++) {
        int64_t i0 = c * chunk, len = n - i0 < chunk ? n - i0 : chunk;
        add_ref(y + i0, a + i0, b + i0, len);
    }
}

void layer_norm_fast(float *y, const float *x, const float *w, const float *b, int n, int dim,
                     float eps) {
OMP(omp parallel for schedule(static) if ((int64_t)n * dim >= PAR_MIN))
    for (int i = 0; i < n; i++)
        layer_norm_ref(y + (int64_t)i * dim, x + (int64_t)i * dim, w, b, 1, dim, eps);
}

void split_heads_fast(float *out, const float *x, int B, int L, int H, int D) {
OMP(omp parallel for schedule(static) if ((int64_t)B * L * H * D >= PAR_MIN))
    for (int bl = 0; bl < B * L; bl++) { /* token bl = (b, l): its H heads go to H places */
        int b = bl / L, l = bl % L;
        for (int h = 0; h < H; h++)
            memcpy(out + (((int64_t)b * H + h) * L + l) * D, x + ((int64_t)bl * H + h) * D,
                   sizeof(float) * (size_t)D);
    }
}

void merge_heads_fast(float *out, const float *x, int B, int H, int L, int D) {
OMP(omp parallel for schedule(static) if ((int64_t)B * L * H * D >= PAR_MIN))
    for (int bl = 0; bl < B * L; bl++) {
        int b = bl / L, l = bl % L;
        for (int h = 0; h < H; h++)
            memcpy(out + ((int64_t)bl * H + h) * D, x + (((int64_t)b * H + h) * L + l) * D,
                   sizeof(float) * (size_t)D);
    }
}

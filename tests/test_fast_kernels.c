/* test_fast_kernels — the fast paths (lib/matmul_fast.h) against the plain
 * reference loops of lib/ops.h on random inputs: linear on odd, tiny, one-row
 * and multi-block shapes (f32 and BF16 weights), attention with padding masks,
 * causal masks, a KV-cache layout and grouped-query heads, and the parallel
 * activation.  Each check prints its worst error.  Every instruction set this
 * CPU has is exercised (VLM_ISA=avx2 / generic force the narrower ones), and
 * odd thread counts split the work unevenly.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "matmul_fast.h"
#include "ops.h"
#include "tensor.h"
#include "util.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static float frand(void) { /* uniform in [-1, 1) */
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (float)((rng >> 40) * (1.0 / (1ull << 23)) - 1.0);
}
static float *randv(size_t n, float s) {
    float *v = xmalloc(sizeof(float) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) v[i] = frand() * s;
    return v;
}

/* Worst |got - want| relative to the largest |want| (1 at least); prints it. */
static double rel_err(const float *got, const float *want, size_t n) {
    double worst = 0, scale = 1;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)got[i] - want[i]);
        if (!(e <= worst)) worst = e; /* NaN makes it fail */
        if (fabs(want[i]) > scale) scale = fabs(want[i]);
    }
    return worst / scale;
}

static const char *isas[] = {"native", "avx2", "generic"};

static void set_isa(const char *isa) {
    if (strcmp(isa, "native") == 0)
        unsetenv("VLM_ISA");
    else
        setenv("VLM_ISA", isa, 1);
}

/* ---- linear ---- */

static const int shapes[][3] = {
    /* n, in, out */
    {1, 1, 1},     {1, 7, 3},      {1, 576, 1536}, {1, 1536, 576}, {1, 100, 67},
    {2, 5, 7},     {3, 17, 33},    {5, 576, 192},  {8, 768, 100},  {12, 256, 32},
    {13, 33, 65},  {24, 64, 64},   {25, 300, 1000}, {97, 1000, 31}, {197, 768, 97},
    {400, 130, 70}, {6, 1, 40},    {40, 3, 1},     {24, 70, 9},    {1100, 20, 45},
    /* gemm row blocks (MC = 1020 rows): exactly one, just over one (two even
     * halves), three; and the next-weights prefetch crossing KC = 256 columns
     * and the last panel */
    {1020, 9, 33},  {1021, 40, 70}, {1024, 257, 65}, {2041, 17, 31}, {30, 512, 64},
    {31, 255, 33},  {26, 513, 97},
};

static void check_linear(int n, int in, int out, int bf16, double *worst) {
    float *x = randv((size_t)n * in, 1.0f), *W = randv((size_t)out * in, 0.5f);
    float *b = randv((size_t)out, 1.0f);
    uint16_t *Wh = NULL;
    if (bf16) { /* round W to bf16; the reference sees the exact widened values */
        Wh = xmalloc(sizeof(uint16_t) * (size_t)out * in);
        for (size_t i = 0; i < (size_t)out * in; i++) {
            Wh[i] = f32_to_bf16(W[i]);
            W[i] = bf16_to_f32(Wh[i]);
        }
    }
    float *want = xmalloc(sizeof(float) * (size_t)n * out), *got = xmalloc(sizeof(float) * (size_t)n * out);
    for (int with_bias = 0; with_bias < 2; with_bias++) {
        const float *bb = with_bias ? b : NULL;
        linear_ref(want, x, W, bb, n, in, out);
        for (size_t i = 0; i < (size_t)n * out; i++) got[i] = NAN; /* must all be written */
        if (bf16)
            linear_fast_bf16(got, x, Wh, bb, n, in, out);
        else
            linear_fast(got, x, W, bb, n, in, out);
        double e = rel_err(got, want, (size_t)n * out);
        if (!(e <= 1e-5)) printf("    FAIL n=%d in=%d out=%d bias=%d: rel err %.3g\n", n, in, out, with_bias, e);
        assert_true(e <= 1e-5);
        if (e > *worst) *worst = e;
    }
    free(x), free(W), free(b), free(Wh), free(want), free(got);
}

static void run_linear(int bf16) {
    int threads[] = {0, 1, 3};
    for (size_t s = 0; s < sizeof isas / sizeof isas[0]; s++) {
        set_isa(isas[s]);
        for (size_t t = 0; t < sizeof threads / sizeof threads[0]; t++) {
#ifdef _OPENMP
            int saved = omp_get_max_threads();
            if (threads[t]) omp_set_num_threads(threads[t]);
#else
            if (threads[t]) continue;
#endif
            double worst = 0;
            for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
                check_linear(shapes[i][0], shapes[i][1], shapes[i][2], bf16, &worst);
            printf("    linear%s %-7s (%s kernel) threads=%d: %zu shapes, max rel err %.3g (tol 1e-5)\n",
                   bf16 ? "_bf16" : "", isas[s], fast_kernel_isa(), fast_num_threads(),
                   sizeof shapes / sizeof shapes[0], worst);
#ifdef _OPENMP
            omp_set_num_threads(saved);
#endif
        }
    }
    unsetenv("VLM_ISA");
}

static void test_linear_fast(void **s) {
    (void)s;
    run_linear(0);
}

static void test_linear_fast_bf16(void **s) {
    (void)s;
    run_linear(1);
}

/* ---- attention ---- */

typedef struct {
    int H, KVH, Lq, Lk, kv_rows, D, causal, q_offset;
    int mask; /* 0: none, 1: some padding keys, 2: every key masked */
    int want_probs;
} AttnCase;

static const AttnCase attn_cases[] = {
    {2, 2, 5, 5, 5, 8, 0, 0, 0, 1},        /* plain */
    {9, 3, 5, 5, 5, 64, 1, 0, 0, 1},       /* SmolLM2 prefill: GQA + causal */
    {9, 3, 1, 7, 16, 64, 1, 6, 0, 1},      /* decode step: KV cache rows, offset */
    {4, 2, 3, 9, 12, 64, 1, 6, 1, 1},      /* chunk after a cache + padding */
    {3, 1, 13, 13, 13, 72, 0, 0, 1, 0},    /* padding mask, no probs kept */
    {2, 2, 7, 7, 7, 16, 0, 0, 2, 1},       /* all keys masked: probs and ctx 0 */
    {12, 12, 50, 50, 50, 64, 0, 0, 1, 1},  /* encoder-sized */
    {2, 2, 33, 33, 33, 3, 1, 0, 1, 1},     /* odd head_dim, causal + padding */
    {1, 1, 1, 1, 1, 1, 0, 0, 0, 1},        /* smallest */
    {16, 16, 40, 77, 77, 72, 0, 0, 0, 0},  /* cross-length, SigLIP head_dim */
};

static void check_attention(const AttnCase *c, double *worst) {
    size_t qn = (size_t)c->H * c->Lq * c->D, kn = (size_t)c->KVH * c->kv_rows * c->D;
    size_t pn = (size_t)c->H * c->Lq * c->Lk;
    float *q = randv(qn, 2.0f), *k = randv(kn, 2.0f), *v = randv(kn, 1.0f);
    int64_t *mask = NULL;
    if (c->mask) {
        mask = xmalloc(sizeof(int64_t) * (size_t)c->Lk);
        for (int j = 0; j < c->Lk; j++) mask[j] = c->mask == 2 ? 0 : (j % 4 != 1); /* holes */
    }
    float *ctx_ref = xmalloc(sizeof(float) * qn), *ctx = xmalloc(sizeof(float) * qn);
    float *p_ref = xmalloc(sizeof(float) * pn), *p = c->want_probs ? xmalloc(sizeof(float) * pn) : NULL;
    float scale = 1.0f / sqrtf((float)c->D);
    attention_ref(ctx_ref, p_ref, q, k, v, c->H, c->KVH, c->Lq, c->Lk, c->kv_rows, c->D, scale, mask,
                  c->causal, c->q_offset);
    for (size_t i = 0; i < qn; i++) ctx[i] = NAN;
    if (p)
        for (size_t i = 0; i < pn; i++) p[i] = NAN;
    attention_fast(ctx, p, q, k, v, c->H, c->KVH, c->Lq, c->Lk, c->kv_rows, c->D, scale, mask,
                   c->causal, c->q_offset);
    double e = rel_err(ctx, ctx_ref, qn);
    if (p) {
        double ep = rel_err(p, p_ref, pn);
        if (ep > e) e = ep;
        /* masked keys: probability exactly 0, as in HF */
        for (int h = 0; h < c->H; h++)
            for (int i = 0; i < c->Lq; i++)
                for (int j = 0; j < c->Lk; j++) {
                    int masked = (mask && !mask[j]) || (c->causal && j > c->q_offset + i);
                    if (masked) assert_true(p[((size_t)h * c->Lq + i) * c->Lk + j] == 0.0f);
                }
    }
    if (c->mask == 2)
        for (size_t i = 0; i < qn; i++) assert_true(ctx[i] == 0.0f);
    if (!(e <= 1e-5))
        printf("    FAIL H=%d KVH=%d Lq=%d Lk=%d D=%d: rel err %.3g\n", c->H, c->KVH, c->Lq, c->Lk,
               c->D, e);
    assert_true(e <= 1e-5);
    if (e > *worst) *worst = e;
    free(q), free(k), free(v), free(mask), free(ctx_ref), free(ctx), free(p_ref), free(p);
}

static void test_attention_fast(void **s) {
    (void)s;
    for (size_t is = 0; is < sizeof isas / sizeof isas[0]; is++) {
        set_isa(isas[is]);
        double worst = 0;
        for (size_t i = 0; i < sizeof attn_cases / sizeof attn_cases[0]; i++)
            check_attention(&attn_cases[i], &worst);
        printf("    attention %-7s (%s kernel): %zu cases, max rel err %.3g (tol 1e-5)\n", isas[is],
               fast_kernel_isa(), sizeof attn_cases / sizeof attn_cases[0], worst);
    }
    unsetenv("VLM_ISA");
}

/* ---- activation: gelu, gelu_tanh, quick_gelu, silu through the vector exp
 * (a few roundings from the scalar libm functions); relu, tanh bit-identical ---- */

static void test_activation_fast(void **s) {
    (void)s;
    Activation acts[] = {ACT_GELU, ACT_GELU_TANH, ACT_QUICK_GELU, ACT_SILU, ACT_RELU, ACT_TANH};
    int64_t sizes[] = {1, 7, 4095, 4096, 4097, 100003};
    float scales[] = {6.0f, 0.01f, 120.0f}; /* typical, near zero, saturated */
    for (size_t is = 0; is < sizeof isas / sizeof isas[0]; is++) {
        set_isa(isas[is]);
        for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++) {
            double worst = 0;
            for (size_t sc = 0; sc < sizeof scales / sizeof scales[0]; sc++)
                for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
                    int64_t n = sizes[si];
                    float *x = randv((size_t)n, scales[sc]), *y = xmalloc(sizeof(float) * (size_t)n);
                    if (n > 8) x[0] = -INFINITY, x[1] = INFINITY, x[2] = 0.0f, x[3] = -0.0f;
                    memcpy(y, x, sizeof(float) * (size_t)n);
                    activation_ref(x, n, acts[a]);
                    activation_fast(y, n, acts[a]);
                    if (acts[a] == ACT_RELU || acts[a] == ACT_TANH) {
                        assert_memory_equal(x, y, sizeof(float) * (size_t)n);
                    } else {
                        /* error relative to max(1, |want|) per element: the libm
                         * functions are the reference; infinities must match */
                        for (int64_t i = 0; i < n; i++) {
                            if (isnan(x[i])) continue; /* e.g. -inf * sigmoid(-inf) */
                            if (isinf(x[i])) {
                                assert_true(y[i] == x[i]);
                                continue;
                            }
                            double d = fabs((double)y[i] - x[i]), m = fabs(x[i]) > 1 ? fabs(x[i]) : 1;
                            if (!(d / m <= worst)) worst = d / m;
                        }
                    }
                    free(x), free(y);
                }
            if (acts[a] != ACT_RELU && acts[a] != ACT_TANH) {
                printf("    activation_fast %-17s %-7s (%s kernel): max rel err %.3g (tol 1e-6)\n",
                       activation_name(acts[a]), isas[is], fast_kernel_isa(), worst);
                assert_true(worst <= 1e-6);
            }
        }
    }
    unsetenv("VLM_ISA");
    printf("    activation_fast: relu and tanh bit-identical to activation_ref\n");
}

/* ---- row-wise ops: the same per-row loops, so bit-identical ---- */

static void test_rowwise_fast(void **s) {
    (void)s;
    static const int dims[][4] = {/* B, L, H, D */
                                  {1, 1, 1, 1}, {1, 197, 12, 64}, {2, 7, 3, 5}, {3, 577, 16, 72}, {1, 1, 9, 64}};
    int threads[] = {0, 1, 3};
    for (size_t t = 0; t < sizeof threads / sizeof threads[0]; t++) {
#ifdef _OPENMP
        int saved = omp_get_max_threads();
        if (threads[t]) omp_set_num_threads(threads[t]);
#else
        if (threads[t]) continue;
#endif
        for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
            int B = dims[i][0], L = dims[i][1], H = dims[i][2], D = dims[i][3];
            size_t n = (size_t)B * L * H * D;
            float *x = randv(n, 3.0f), *y = randv(n, 1.0f), *w = randv((size_t)H * D, 1.0f);
            float *bias = randv((size_t)H * D, 1.0f);
            float *want = xmalloc(sizeof(float) * n), *got = xmalloc(sizeof(float) * n);
            add_ref(want, x, y, (int64_t)n);
            add_fast(got, x, y, (int64_t)n);
            assert_memory_equal(want, got, sizeof(float) * n);
            layer_norm_ref(want, x, w, bias, B * L, H * D, 1e-6f);
            layer_norm_fast(got, x, w, bias, B * L, H * D, 1e-6f);
            assert_memory_equal(want, got, sizeof(float) * n);
            split_heads_ref(want, x, B, L, H, D);
            split_heads_fast(got, x, B, L, H, D);
            assert_memory_equal(want, got, sizeof(float) * n);
            merge_heads_ref(want, x, B, H, L, D);
            merge_heads_fast(got, x, B, H, L, D);
            assert_memory_equal(want, got, sizeof(float) * n);
            split_heads_fast(got, x, B, L, H, D); /* merge(split(x)) round trip */
            merge_heads_fast(y, got, B, H, L, D);
            assert_memory_equal(x, y, sizeof(float) * n);
            free(x), free(y), free(w), free(bias), free(want), free(got);
        }
#ifdef _OPENMP
        omp_set_num_threads(saved);
#endif
    }
    printf("    add/layer_norm/split_heads/merge_heads _fast: 5 shapes x 3 thread counts bit-identical to _ref\n");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_fast),
        cmocka_unit_test(test_linear_fast_bf16),
        cmocka_unit_test(test_attention_fast),
        cmocka_unit_test(test_activation_fast),
        cmocka_unit_test(test_rowwise_fast),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

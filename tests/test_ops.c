/* test_ops — every reference kernel of lib/ops.h against PyTorch's output for the same
 * inputs (tests/data/ops_cases.json, made by scripts/gen_ops_cases.py with torch). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"
#include "ops.h"
#include "util.h"

static cJSON *cases;

static const cJSON *op(const char *name) { return json_get(json_get(cases, "cases"), name); }

/* A float array field of a case, malloc'd; *n gets its length. */
static float *arr(const cJSON *c, const char *key, int *n) {
    const cJSON *a = json_get(c, key);
    int len = cJSON_GetArraySize(a);
    float *v = xmalloc(sizeof(float) * (size_t)(len ? len : 1));
    for (int i = 0; i < len; i++) v[i] = (float)cJSON_GetArrayItem(a, i)->valuedouble;
    if (n) *n = len;
    return v;
}

static int64_t *iarr(const cJSON *c, const char *key) {
    const cJSON *a = json_get(c, key);
    int len = cJSON_GetArraySize(a);
    int64_t *v = xmalloc(sizeof(int64_t) * (size_t)(len ? len : 1));
    for (int i = 0; i < len; i++) v[i] = (int64_t)cJSON_GetArrayItem(a, i)->valuedouble;
    return v;
}

/* Assert max |got - want| <= tol, printing the worst error. */
static void check(const char *what, const float *got, const float *want, int n, double tol) {
    double worst = 0;
    for (int i = 0; i < n; i++) {
        double e = fabs((double)got[i] - want[i]);
        if (!(e <= worst)) worst = e;
    }
    printf("    %-12s %4d values, max_abs_err=%.3g (tol %g)\n", what, n, worst, tol);
    assert_true(worst <= tol);
}

static void test_linear_matmul(void **s) {
    (void)s;
    const cJSON *c = op("linear");
    int n;
    float *x = arr(c, "x", NULL), *W = arr(c, "W", NULL), *b = arr(c, "b", NULL), *y = arr(c, "y", &n);
    float *got = xmalloc(sizeof(float) * (size_t)n);
    linear_ref(got, x, W, b, json_int(c, "n", 0), json_int(c, "inp", 0), json_int(c, "outp", 0));
    check("linear_ref", got, y, n, 1e-5);
    linear(got, x, W, b, json_int(c, "n", 0), json_int(c, "inp", 0), json_int(c, "outp", 0));
    check("linear", got, y, n, 1e-5);
    free(x), free(W), free(b), free(y), free(got);
    c = op("matmul");
    float *a = arr(c, "a", NULL), *bm = arr(c, "b", NULL), *want = arr(c, "c", &n);
    got = xmalloc(sizeof(float) * (size_t)n);
    matmul(got, a, bm, json_int(c, "m", 0), json_int(c, "k", 0), json_int(c, "n", 0));
    check("matmul", got, want, n, 1e-5);
    free(a), free(bm), free(want), free(got);
}

static void test_activations(void **s) {
    (void)s;
    const cJSON *c = op("activations");
    int n;
    float *x = arr(c, "x", &n);
    static const struct { const char *key; Activation act; } acts[] = {
        {"gelu", ACT_GELU}, {"gelu_tanh", ACT_GELU_TANH}, {"quick_gelu", ACT_QUICK_GELU}, {"silu", ACT_SILU}};
    for (size_t k = 0; k < 4; k++) {
        float *want = arr(c, acts[k].key, NULL), *got = xmalloc(sizeof(float) * (size_t)n);
        memcpy(got, x, sizeof(float) * (size_t)n);
        activation(got, n, acts[k].act);
        check(acts[k].key, got, want, n, 2e-6);
        free(want), free(got);
    }
    /* the three GELUs really differ: a wrong variant would be caught by the goldens */
    assert_true(fabsf(gelu(1.5f) - gelu_tanh(1.5f)) > 1e-5f);
    Activation a;
    assert_int_equal(activation_from_name("gelu_pytorch_tanh", &a), 0);
    assert_int_equal(a, ACT_GELU_TANH);
    assert_int_equal(activation_from_name("no_such_act", &a), -1);
    free(x);
}

static void test_norms_softmax(void **s) {
    (void)s;
    const cJSON *c = op("layer_norm");
    int n;
    float *x = arr(c, "x", &n), *w = arr(c, "w", NULL), *b = arr(c, "b", NULL), *y = arr(c, "y", NULL);
    float *got = xmalloc(sizeof(float) * (size_t)n);
    layer_norm(got, x, w, b, n / 10, 10, (float)json_num(c, "eps", 0));
    check("layer_norm", got, y, n, 1e-5);
    free(y);
    c = op("rms_norm");
    y = arr(c, "y", NULL);
    rms_norm(got, x, w, n / 10, 10, (float)json_num(c, "eps", 0));
    check("rms_norm", got, y, n, 1e-5);
    free(x), free(w), free(b), free(y), free(got);
    c = op("softmax");
    x = arr(c, "x", &n);
    y = arr(c, "y", NULL);
    softmax(x, 2, n / 2);
    check("softmax", x, y, n, 1e-6);
    free(x), free(y);
}

static void test_rope(void **s) {
    (void)s;
    const cJSON *c = op("rope");
    int n;
    float *x = arr(c, "x", &n), *y = arr(c, "y", NULL);
    int64_t *pos = iarr(c, "pos");
    rope(x, json_int(c, "H", 0), json_int(c, "L", 0), json_int(c, "D", 0), pos, (float)json_num(c, "theta", 0));
    check("rope", x, y, n, 1e-5);
    free(x), free(y), free(pos);
}

static void test_attention(void **s) {
    (void)s;
    const cJSON *c = op("attention");
    int H = json_int(c, "H", 0), KVH = json_int(c, "KVH", 0), L = json_int(c, "L", 0), D = json_int(c, "D", 0);
    float *q = arr(c, "q", NULL), *k = arr(c, "k", NULL), *v = arr(c, "v", NULL);
    float *probs = arr(c, "probs", NULL), *ctx = arr(c, "ctx", NULL);
    int64_t *mask = iarr(c, "key_mask");
    float *got_p = xmalloc(sizeof(float) * (size_t)H * L * L), *got_c = xmalloc(sizeof(float) * (size_t)H * L * D);
    attention(got_c, got_p, q, k, v, H, KVH, L, L, L, D, 1.0f / sqrtf((float)D), mask, 1, 0);
    check("attn probs", got_p, probs, H * L * L, 1e-6);
    check("attn ctx", got_c, ctx, H * L * D, 1e-5);
    /* masked keys get exactly zero probability */
    for (int h = 0; h < H; h++)
        for (int i = 0; i < L; i++) assert_true(got_p[((size_t)h * L + i) * L + 2] == 0.0f);
    free(q), free(k), free(v), free(probs), free(ctx), free(mask), free(got_p), free(got_c);
}

static void test_topk_argmax_embedding(void **s) {
    (void)s;
    const cJSON *c = op("topk");
    int n;
    float *x = arr(c, "x", &n), *vals = arr(c, "vals", NULL);
    int64_t *ids = iarr(c, "ids");
    int idx[5];
    float got[5];
    topk(x, n, 5, idx, got);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(idx[i], ids[i]);
        assert_true(got[i] == vals[i]);
    }
    assert_int_equal(argmax(x, n), ids[0]);
    float table[6] = {0, 1, 10, 11, 20, 21}, out[4];
    int64_t good[2] = {2, 0}, bad[2] = {1, 3};
    assert_int_equal(embedding(out, table, good, 2, 2, 3), 0);
    assert_true(out[0] == 20 && out[1] == 21 && out[2] == 0);
    assert_int_equal(embedding(out, table, bad, 2, 2, 3), -1);
    assert_non_null(strstr(vlm_error(), "token id 3 at position 1 is outside the vocabulary [0, 3)"));
    free(x), free(vals), free(ids);
}

int main(void) {
    cases = json_load("tests/data/ops_cases.json");
    if (!cases) {
        fprintf(stderr, "test_ops: %s\n", vlm_error());
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_matmul), cmocka_unit_test(test_activations),
        cmocka_unit_test(test_norms_softmax), cmocka_unit_test(test_rope),
        cmocka_unit_test(test_attention),     cmocka_unit_test(test_topk_argmax_embedding),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    cJSON_Delete(cases);
    return rc;
}

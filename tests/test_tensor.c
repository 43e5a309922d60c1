/* test_tensor — tensor views, 16-bit float conversion, and the PyTorch-style printer.
 *
 * Printer cases: tests/data/print_cases.json holds tensors and the repr() PyTorch
 * itself printed for them (scripts/gen_print_cases.py); ours must match byte for byte.
 * Conversion: tests/golden/dtype_conversion/vectors.safetensors (torch's own casts).
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

#include "json.h"
#include "safetensors.h"
#include "tensor.h"
#include "tensor_print.h"
#include "util.h"

static DType parse_dtype(const char *s) {
    if (strcmp(s, "I64") == 0) return DT_I64;
    if (strcmp(s, "I32") == 0) return DT_I32;
    if (strcmp(s, "U8") == 0) return DT_U8;
    return DT_F32;
}

static Tensor case_tensor(const cJSON *c) {
    const cJSON *shape = json_get(c, "shape"), *data = json_get(c, "data");
    int64_t sh[TENSOR_MAX_DIMS];
    int nd = cJSON_GetArraySize(shape);
    for (int d = 0; d < nd; d++) sh[d] = (int64_t)cJSON_GetArrayItem(shape, d)->valuedouble;
    Tensor t = tensor_new(parse_dtype(json_str(c, "dtype", "F32")), nd, sh);
    int i = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, data) {
        double x = cJSON_IsString(v) ? strtod(v->valuestring, NULL) : v->valuedouble;
        switch (t.dtype) {
        case DT_I64: tensor_i(&t)[i] = (int64_t)x; break;
        case DT_I32: ((int32_t *)t.data)[i] = (int32_t)x; break;
        case DT_U8: ((uint8_t *)t.data)[i] = (uint8_t)x; break;
        default: tensor_f(&t)[i] = (float)x; break;
        }
        i++;
    }
    return t;
}

static void test_print_matches_pytorch(void **state) {
    (void)state;
    cJSON *root = json_load("tests/data/print_cases.json");
    assert_non_null(root);
    int n = 0, bad = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, json_get(root, "cases")) {
        Tensor t = case_tensor(c);
        char *mine = tensor_repr(&t);
        const char *want = json_str(c, "repr", "");
        if (strcmp(mine, want) != 0) {
            printf("MISMATCH %s\n--- pytorch:\n%s\n--- ours:\n%s\n", json_str(c, "name", "?"), want, mine);
            bad++;
        }
        n++;
        free(mine);
        tensor_free(&t);
    }
    printf("    printer: %d of %d PyTorch reprs reproduced exactly\n", n - bad, n);
    cJSON_Delete(root);
    assert_true(n >= 20);
    assert_int_equal(bad, 0);
}

static void test_views(void **state) {
    (void)state;
    Tensor t = tensor_f32(3, 2, 3, 4);
    for (int i = 0; i < 24; i++) tensor_f(&t)[i] = (float)i;
    Tensor s = tensor_select(&t, 0, 1); /* [3, 4], starts at 12 */
    assert_int_equal(s.ndim, 2);
    assert_true(tensor_get_flat(&s, 0) == 12.0);
    Tensor n = tensor_narrow(&t, 2, 1, 2); /* [2, 3, 2] */
    assert_true(tensor_get_flat(&n, 0) == 1.0 && tensor_get_flat(&n, 1) == 2.0 &&
                tensor_get_flat(&n, 2) == 5.0);
    assert_false(tensor_is_contiguous(&n));
    Tensor tr = tensor_transpose(&t, 1, 2); /* [2, 4, 3]: element [0, 1, 2] = t[0, 2, 1] = 9 */
    assert_true(tensor_get_flat(&tr, 1 * 3 + 2) == 9.0);
    Tensor c = tensor_clone(&tr);
    assert_true(tensor_is_contiguous(&c));
    assert_true(tensor_f(&c)[5] == 9.0f);
    int64_t shape[2] = {-1, 4};
    Tensor r = tensor_reshape(&t, 2, shape);
    assert_int_equal(r.shape[0], 6);
    assert_null(s.owner);  /* views own nothing */
    tensor_free(&s);       /* a no-op on a view */
    char buf[64];
    assert_string_equal(tensor_shape_str(&t, buf, sizeof buf), "torch.Size([2, 3, 4])");
    tensor_free(&c);
    tensor_free(&t);
}

static void test_dtype_conversion_vectors(void **state) {
    (void)state;
    SafeTensors st;
    if (st_open(&st, "tests/golden/dtype_conversion/vectors.safetensors")) fail_msg("%s", vlm_error());
    const StEntry *f = st_find(&st, "f32"), *bf = st_find(&st, "as_bf16"), *hf = st_find(&st, "as_f16");
    const StEntry *bfb = st_find(&st, "bf16_back_to_f32"), *hfb = st_find(&st, "f16_back_to_f32");
    assert_non_null(f), assert_non_null(bf), assert_non_null(hf), assert_non_null(bfb), assert_non_null(hfb);
    size_t n = f->nbytes / 4;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        float x, xb, xh;
        uint16_t eb, eh;
        memcpy(&x, (const char *)f->data + 4 * i, 4);
        memcpy(&eb, (const char *)bf->data + 2 * i, 2);
        memcpy(&eh, (const char *)hf->data + 2 * i, 2);
        memcpy(&xb, (const char *)bfb->data + 4 * i, 4);
        memcpy(&xh, (const char *)hfb->data + 4 * i, 4);
        uint16_t gb = f32_to_bf16(x), gh = f32_to_f16(x);
        float ub = bf16_to_f32(eb), uh = f16_to_f32(eh);
        /* NaN payloads may differ; NaN must stay NaN */
        int nan = isnan(x);
        if ((!nan && (gb != eb || gh != eh)) || (nan && (!isnan(bf16_to_f32(gb)) || !isnan(f16_to_f32(gh))))) {
            printf("    down-cast mismatch at %zu: %a -> bf16 %04x (want %04x), f16 %04x (want %04x)\n", i,
                   (double)x, gb, eb, gh, eh);
            bad++;
        }
        if (memcmp(&ub, &xb, 4) != 0 && !(isnan(ub) && isnan(xb))) bad++;
        if (memcmp(&uh, &xh, 4) != 0 && !(isnan(uh) && isnan(xh))) bad++;
    }
    printf("    dtype conversion: %zu vectors, %d mismatches\n", n, bad);
    assert_true(n > 10);
    assert_int_equal(bad, 0);
    st_close(&st);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_print_matches_pytorch),
        cmocka_unit_test(test_views),
        cmocka_unit_test(test_dtype_conversion_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

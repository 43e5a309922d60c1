/* test_pixel_shuffle — the fast pixel shuffle against a slow index-by-index replay
 * of HF's view/permute chain, on random shapes, plus a hand-worked example and
 * the error cases (non-square grid, side not divisible by the scale). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pixel_shuffle.h"
#include "util.h"

static uint32_t rng = 12345;
static uint32_t next_u32(void) {
    rng ^= rng << 13, rng ^= rng >> 17, rng ^= rng << 5;
    return rng;
}

static void test_random_shapes(void **state) {
    (void)state;
    for (int trial = 0; trial < 200; trial++) {
        int n = 1 + (int)(next_u32() % 3), s = 1 + (int)(next_u32() % 4);
        int side = s * (1 + (int)(next_u32() % 4)), D = 1 + (int)(next_u32() % 9);
        int seq = side * side;
        size_t total = (size_t)n * seq * D;
        float *x = xmalloc(sizeof(float) * total), *fast = xmalloc(sizeof(float) * total),
              *ref = xmalloc(sizeof(float) * total);
        for (size_t i = 0; i < total; i++) x[i] = (float)(next_u32() % 100000) / 997.0f;
        memset(fast, 0xff, sizeof(float) * total);
        memset(ref, 0, sizeof(float) * total);
        assert_int_equal(pixel_shuffle(fast, x, n, seq, D, s, "test"), 0);
        assert_int_equal(pixel_shuffle_ref(ref, x, n, seq, D, s, "test"), 0);
        if (memcmp(fast, ref, sizeof(float) * total) != 0)
            fail_msg("pixel_shuffle != reference for n=%d side=%d D=%d s=%d", n, side, D, s);
        free(x), free(fast), free(ref);
    }
}

/* 4x4 grid of scalar patches numbered 0..15, s = 2: each output token is a 2x2 block
 * read row by row. */
static void test_hand_example(void **state) {
    (void)state;
    float x[16], out[16], ref[16];
    for (int i = 0; i < 16; i++) x[i] = (float)i;
    const float want[16] = {0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15};
    assert_int_equal(pixel_shuffle(out, x, 1, 16, 1, 2, "test"), 0);
    assert_int_equal(pixel_shuffle_ref(ref, x, 1, 16, 1, 2, "test"), 0);
    for (int i = 0; i < 16; i++) {
        assert_true(out[i] == want[i]);
        assert_true(ref[i] == want[i]);
    }
}

static void test_bad_grids(void **state) {
    (void)state;
    float x[64], out[64];
    memset(x, 0, sizeof x);
    assert_int_equal(pixel_shuffle(out, x, 1, 15, 1, 1, "cfg.json"), -1);
    assert_non_null(strstr(vlm_error(), "square"));
    assert_int_equal(pixel_shuffle(out, x, 1, 36, 1, 4, "cfg.json"), -1);
    assert_non_null(strstr(vlm_error(), "not divisible"));
    assert_non_null(strstr(vlm_error(), "cfg.json"));
    assert_int_equal(pixel_shuffle_ref(out, x, 1, 36, 1, 0, "cfg.json"), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_shapes),
        cmocka_unit_test(test_hand_example),
        cmocka_unit_test(test_bad_grids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

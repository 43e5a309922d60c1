/* test_image_splice — <image> rows replaced in reading order; a placeholder count that
 * differs from the feature rows is an error naming both numbers, and leaves the
 * embeddings untouched.  Also the SmolVLM image block layout (with and without tiles). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "idefics3.h"
#include "image_splice.h"
#include "util.h"

#define IMG 9

static void test_splice_in_order(void **state) {
    (void)state;
    const int64_t ids[6] = {1, IMG, 5, IMG, IMG, 2};
    float embeds[6 * 2], features[3 * 2] = {10, 11, 20, 21, 30, 31};
    for (int i = 0; i < 12; i++) embeds[i] = -(float)i;
    assert_int_equal(count_image_tokens(ids, 6, IMG), 3);
    assert_int_equal(splice_image_features(embeds, ids, 6, 2, IMG, features, 3, "t"), 0);
    const float want[12] = {-0.0f, -1, 10, 11, -4, -5, 20, 21, 30, 31, -10, -11};
    for (int i = 0; i < 12; i++) assert_true(embeds[i] == want[i]);
}

static void test_count_mismatch(void **state) {
    (void)state;
    const int64_t ids[4] = {1, IMG, IMG, 2};
    float embeds[8] = {0}, features[6] = {1, 1, 1, 1, 1, 1};
    assert_int_equal(splice_image_features(embeds, ids, 4, 2, IMG, features, 3, "prompt.txt"), -1);
    const char *e = vlm_error();
    assert_non_null(strstr(e, "prompt.txt"));
    assert_non_null(strstr(e, "2 image placeholder tokens"));
    assert_non_null(strstr(e, "3 feature rows"));
    for (int i = 0; i < 8; i++) assert_true(embeds[i] == 0);
    assert_int_equal(splice_image_features(embeds, ids, 4, 2, IMG, features, 1, "p"), -1);
}

static int count(const char *s, const char *what) {
    int n = 0;
    for (const char *p = strstr(s, what); p; p = strstr(p + 1, what)) n++;
    return n;
}

static void test_image_block(void **state) {
    (void)state;
    char *one = idefics3_image_block(0, 0, 4);
    assert_string_equal(one, "<fake_token_around_image><global-img><image><image><image><image>"
                             "<fake_token_around_image>");
    char *split = idefics3_image_block(2, 3, 5);
    assert_int_equal(count(split, "<image>"), (2 * 3 + 1) * 5);
    assert_int_equal(count(split, "<fake_token_around_image>"), 2 * 3 + 2);
    assert_non_null(strstr(split, "<image>\n<fake_token_around_image><row_2_col_1><image>"));
    assert_non_null(strstr(split, "<image>\n\n<fake_token_around_image><global-img><image>"));
    char *p = idefics3_prompt("Why?", 0, 0, 1);
    assert_string_equal(p, "<|im_start|>User:<fake_token_around_image><global-img><image>"
                           "<fake_token_around_image>Why?<end_of_utterance>\nAssistant:");
    free(one), free(split), free(p);
}

/* processor_config.json's image_seq_len must agree with the config's
 * (image_size / patch_size)^2 / scale_factor^2. */
static void test_seq_len_check(void **state) {
    (void)state;
    Idefics3Config c;
    assert_int_equal(idefics3_config_load("data/models/smolvlm-tiny", &c), 0);
    assert_int_equal(c.image_seq_len, 16);
    char dir[] = "/tmp/vlm_seq_len_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *src = read_file("data/models/smolvlm-tiny/config.json", NULL);
    assert_non_null(src);
    char *cfg = path_join(dir, "config.json"), *proc = path_join(dir, "processor_config.json");
    FILE *f = fopen(cfg, "w");
    fputs(src, f);
    fclose(f);
    f = fopen(proc, "w");
    fputs("{\"image_seq_len\": 17}", f);
    fclose(f);
    assert_int_equal(idefics3_config_load(dir, &c), -1);
    assert_non_null(strstr(vlm_error(), "image_seq_len is 17"));
    assert_non_null(strstr(vlm_error(), "= 16"));
    remove(cfg), remove(proc), rmdir(dir);
    free(src), free(cfg), free(proc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_splice_in_order),
        cmocka_unit_test(test_count_mismatch),
        cmocka_unit_test(test_image_block),
        cmocka_unit_test(test_seq_len_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_clip_tokenizer — CLIP BPE beyond the shared cases of test_tokenizers.c:
 * the shared Unicode helpers it rests on (GPT-2 byte map, full lower-case,
 * lossy UTF-8), padding/truncation edges, the built-in clip-tiny golden ids,
 * and the corrupt vocab.json / merges.txt folders of tests/bad_inputs/tokenizer
 * (made by scripts/make_bad_tokenizers.py), each with the error it must give.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clip_tokenizer.h"
#include "golden.h"
#include "tokenizer.h"
#include "unicode_text.h"
#include "util.h"

#define TINY "tests/golden/tokenizers/tiny/clip"

static void test_gpt2_byte_map(void **state) {
    (void)state;
    int seen[324] = {0};
    for (int b = 0; b < 256; b++) {
        int32_t cp = gpt2_byte_to_cp((unsigned char)b);
        assert_true(cp > 0x20 && cp < 0x100 + 68);
        assert_int_equal(seen[cp]++, 0);          /* a bijection */
        assert_int_equal(gpt2_cp_to_byte(cp), b); /* and its inverse */
    }
    assert_int_equal(gpt2_byte_to_cp(' '), 0x120);   /* 'Ġ' */
    assert_int_equal(gpt2_byte_to_cp('\n'), 0x10a);  /* 'Ċ' */
    assert_int_equal(gpt2_byte_to_cp('a'), 'a');
    assert_int_equal(gpt2_cp_to_byte(0x20), -1);     /* space itself is not a byte symbol */
    assert_int_equal(gpt2_cp_to_byte(0x4e00), -1);
}

static void check_lower(const char *in, int final_sigma, const char *want) {
    TextBuf b = {0};
    tb_put(&b, "", 0);
    uni_lower_append(&b, in, strlen(in), final_sigma);
    assert_string_equal(b.s, want);
    tb_free(&b);
}

static void test_lower_case(void **state) {
    (void)state;
    check_lower("ABC Ünï", 0, "abc ünï");
    check_lower("\xc4\xb0stanbul", 0, "i\xcc\x87stanbul");      /* İ -> i + U+0307, as Python/Rust */
    check_lower("\xe1\xba\x9e", 0, "\xc3\x9f");                  /* ẞ -> ß */
    check_lower("\xce\xa3\xce\x91\xce\xa3 x", 1, "\xcf\x83\xce\xb1\xcf\x82 x");  /* ΣΑΣ -> σας */
    check_lower("\xce\xa3\xce\x91\xce\xa3", 0, "\xcf\x83\xce\xb1\xcf\x83");      /* char by char: σασ */
    check_lower("\xce\xa3", 1, "\xcf\x83");                      /* a lone Σ is not word-final */
}

static void test_utf8_lossy(void **state) {
    (void)state;
    size_t n;
    char *s = utf8_lossy((const unsigned char *)"a\xff" "b", 3, &n);
    assert_string_equal(s, "a\xef\xbf\xbd" "b");
    free(s);
    s = utf8_lossy((const unsigned char *)"\xe2\x82", 2, &n);   /* truncated: one U+FFFD */
    assert_string_equal(s, "\xef\xbf\xbd");
    free(s);
    s = utf8_lossy((const unsigned char *)"\xed\xa0\x80", 3, &n); /* surrogate: one per byte */
    assert_string_equal(s, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    free(s);
    s = utf8_lossy((const unsigned char *)"caf\xc3\xa9", 5, &n);
    assert_string_equal(s, "caf\xc3\xa9");
    assert_int_equal(n, 5);
    free(s);
}

static void test_padding_and_truncation(void **state) {
    (void)state;
    Tokenizer t;
    if (tokenizer_open(TINY, &t)) fail_msg("%s", vlm_error());
    assert_string_equal(t.kind, "CLIP BPE");
    char text[2000] = "";
    for (int i = 0; i < 100; i++) strcat(text, "a dog ");   /* far more than 75 text ids */
    IdList ids = {0}, mask = {0};
    assert_int_equal(clip_encode_padded(&t, text, strlen(text), 77, 1, &ids, &mask), 0);
    assert_int_equal(ids.n, 77);
    assert_int_equal(mask.n, 77);
    assert_int_equal(ids.ids[0], 598);
    assert_int_equal(ids.ids[76], 599);
    for (int i = 0; i < 77; i++) assert_int_equal(mask.ids[i], 1);
    ids_free(&ids);
    ids_free(&mask);
    assert_int_equal(clip_encode_padded(&t, text, strlen(text), 77, 0, &ids, &mask), 0);
    IdList full = {0};
    assert_int_equal(tokenizer_encode(&t, text, &full), 0);
    assert_true(full.n > 77);
    assert_int_equal(ids.n, full.n);   /* HF: longer than max_length stays untruncated */
    assert_memory_equal(ids.ids, full.ids, sizeof(int64_t) * (size_t)full.n);
    ids_free(&full);
    ids_free(&ids);
    ids_free(&mask);
    assert_int_equal(clip_encode_padded(&t, "a", 1, 6, 0, &ids, &mask), 0);
    int64_t want[6] = {598, 320, 599, 599, 599, 599}, want_mask[6] = {1, 1, 1, 0, 0, 0};
    assert_int_equal(ids.n, 6);
    assert_memory_equal(ids.ids, want, sizeof want);
    assert_memory_equal(mask.ids, want_mask, sizeof want_mask);
    /* decode keeps the specials unless told to skip them */
    char *s = tokenizer_decode(&t, ids.ids, 3, 0);
    assert_string_equal(s, "<|startoftext|>a <|endoftext|>");
    free(s);
    ids_free(&ids);
    ids_free(&mask);
    assert_int_equal(clip_encode_padded(&t, "a", 1, 1, 1, &ids, NULL), -1);
    printf("clip_encode_padded(max_len 1): %s\n", vlm_error());
    /* specials are matched after lower-casing, so upper case is special too */
    IdList a = {0};
    assert_int_equal(tokenizer_encode(&t, "x<|ENDOFTEXT|>", &a), 0);
    assert_int_equal(a.n, 4);
    assert_int_equal(a.ids[2], 599);
    ids_free(&a);
    tokenizer_close(&t);
}

static void test_builtin_clip_tiny(void **state) {
    (void)state;
    Golden g;
    if (golden_open(&g, "tests/golden/builtin/clip-tiny", NULL)) fail_msg("%s", vlm_error());
    const char **texts;
    int n;
    assert_int_equal(golden_texts(&g, "texts", &texts, &n), 0);
    Tokenizer t;
    if (tokenizer_open("data/models/clip-tiny", &t)) fail_msg("%s", vlm_error());
    Tensor ids, mask, want_ids, want_mask;
    assert_int_equal(tokenizer_encode_batch(&t, texts, n, 0, &ids, &mask), 0);
    assert_int_equal(golden_tensor(&g, "input_ids", &want_ids), 0);
    assert_int_equal(golden_tensor(&g, "attention_mask", &want_mask), 0);
    assert_true(tensor_same_shape(&ids, &want_ids));
    int64_t nel = tensor_numel(&ids), diff = 0;
    for (int64_t i = 0; i < nel; i++)
        diff += tensor_get_flat(&ids, i) != tensor_get_flat(&want_ids, i) ||
                tensor_get_flat(&mask, i) != tensor_get_flat(&want_mask, i);
    printf("clip-tiny: %d texts -> input_ids/attention_mask %s, %lld differing elements\n", n,
           diff ? "MISMATCH" : "match", (long long)diff);
    assert_int_equal(diff, 0);
    tensor_free(&ids);
    tensor_free(&mask);
    free(texts);
    tokenizer_close(&t);
    golden_close(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gpt2_byte_map),
        cmocka_unit_test(test_lower_case),
        cmocka_unit_test(test_utf8_lossy),
        cmocka_unit_test(test_padding_and_truncation),
        cmocka_unit_test(test_builtin_clip_tiny),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

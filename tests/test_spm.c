/* test_spm — SentencePiece / SigLIP beyond the shared cases of test_tokenizers.c:
 * SiglipTokenizer's canonicalize_text against every `canonicalized` of the tiny
 * cases, the precompiled-charsmap normaliser (NFKC forms encode like their plain
 * letters), a hand-built identity-normaliser model, the built-in siglip-tiny
 * golden ids (padding="max_length" to 64), and corrupt spiece.model files of
 * tests/bad_inputs/tokenizer (made by scripts/make_bad_tokenizers.py), each with
 * the error it must give.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "golden.h"
#include "json.h"
#include "sentencepiece.h"
#include "tokenizer.h"
#include "unicode_text.h"
#include "util.h"

#define TINY "tests/golden/tokenizers/tiny"

/* The n-th JSON string after `key` in s, NULs kept (cJSON stops at "\u0000"). */
static char *nth_string(const char *s, size_t n, const char *key, int k, size_t *len) {
    const char *p = s;
    for (int i = 0; i <= k; i++) {
        p = strstr(p, key);
        if (!p) return NULL;
        p += strlen(key);
    }
    return json_string_literal(p, n - (size_t)(p - s), len, NULL);
}

static void test_canonicalize(void **state) {
    (void)state;
    size_t n;
    char *file = read_file(TINY "/cases.json", &n);
    assert_non_null(file);
    const char *spm = strstr(file, "\"spm\":");
    assert_non_null(spm);
    size_t rest = n - (size_t)(spm - file);
    int checked = 0, bad = 0;
    for (int k = 0;; k++) {
        size_t tl, cl, gl;
        char *want = nth_string(spm, rest, "\"canonicalized\":", k, &cl);
        if (!want) break;
        char *text = nth_string(spm, rest, "\"text\":", k, &tl);
        assert_non_null(text);
        char *got = siglip_canonicalize(text, tl, &gl);
        if (gl != cl || memcmp(got, want, cl) != 0) {
            printf("  MISMATCH canonicalized of case %d: got \"%s\" want \"%s\"\n", k, got, want);
            bad++;
        }
        checked++;
        free(got);
        free(text);
        free(want);
    }
    free(file);
    printf("siglip canonicalize: %d/%d cases match\n", checked - bad, checked);
    assert_int_equal(checked, 62);
    assert_int_equal(bad, 0);
}

static void encode(const Tokenizer *t, const char *text, IdList *out) {
    if (tokenizer_encode(t, text, out)) fail_msg("%s", vlm_error());
}

static void test_charsmap_and_specials(void **state) {
    (void)state;
    Tokenizer t;
    if (tokenizer_open(TINY "/spm", &t)) fail_msg("%s", vlm_error());
    assert_string_equal(t.kind, "SentencePiece");
    assert_int_equal(t.pad_id, 1);
    /* nmt_nfkc through the charsmap: full-width letters and the ﬁ ligature
     * encode exactly like their ASCII forms */
    IdList a = {0}, b = {0};
    encode(&t, "\xef\xbd\x86\xef\xbd\x95\xef\xbd\x8c\xef\xbd\x8c \xef\xac\x81ne", &a);
    encode(&t, "full fine", &b);
    assert_int_equal(a.n, b.n);
    assert_memory_equal(a.ids, b.ids, sizeof(int64_t) * (size_t)a.n);
    ids_free(&a);
    ids_free(&b);
    /* upper-case "</S>" is lower-cased first, then split off as the special </s> */
    encode(&t, "hi</S>", &a);
    encode(&t, "hi</s>", &b);
    assert_int_equal(a.n, b.n);
    assert_memory_equal(a.ids, b.ids, sizeof(int64_t) * (size_t)a.n);
    assert_int_equal(a.ids[a.n - 1], 1);
    char *s = tokenizer_decode(&t, a.ids, a.n, 0);
    assert_string_equal(s, "hi</s>");
    free(s);
    ids_free(&a);
    ids_free(&b);
    /* truncation keeps max_len - 1 ids and ends with </s> */
    IdList ids = {0}, mask = {0};
    const char *longer = "a photo of an island a photo of an island a photo of an island";
    assert_int_equal(siglip_encode_padded(&t, longer, strlen(longer), 8, 1, &ids, &mask), 0);
    assert_int_equal(ids.n, 8);
    assert_int_equal(ids.ids[7], 1);
    for (int i = 0; i < 8; i++) assert_int_equal(mask.ids[i], 1);
    ids_free(&ids);
    ids_free(&mask);
    assert_int_equal(siglip_encode_padded(&t, "a", 1, 5, 0, &ids, &mask), 0);
    int64_t want[5] = {7, 1, 1, 1, 1}, want_mask[5] = {1, 1, 0, 0, 0};
    assert_memory_equal(ids.ids, want, sizeof want);
    assert_memory_equal(mask.ids, want_mask, sizeof want_mask);
    ids_free(&ids);
    ids_free(&mask);
    tokenizer_close(&t);
}

/* A hand-built model (identity normaliser, pieces ▁ a b): the Viterbi path,
 * the "<unk>" prefix trick and decode, without any charsmap. */
static void test_minimal_model(void **state) {
    (void)state;
    Tokenizer t;
    if (tokenizer_open("tests/bad_inputs/tokenizer/spm_good_minimal", &t)) fail_msg("%s", vlm_error());
    assert_int_equal(t.vocab_size, 6);
    IdList ids = {0};
    encode(&t, "AB, a  c", &ids);   /* -> "▁ab▁a▁c": c is unknown */
    int64_t want[] = {3, 4, 5, 3, 4, 3, 2, 1};
    assert_int_equal(ids.n, 8);
    assert_memory_equal(ids.ids, want, sizeof want);
    char *s = tokenizer_decode(&t, ids.ids, ids.n, 1);
    assert_string_equal(s, "ab a");
    free(s);
    ids_free(&ids);
    tokenizer_close(&t);
}

static void test_builtin_siglip_tiny(void **state) {
    (void)state;
    Golden g;
    if (golden_open(&g, "tests/golden/builtin/siglip-tiny", NULL)) fail_msg("%s", vlm_error());
    const char **texts;
    int n;
    assert_int_equal(golden_texts(&g, "texts", &texts, &n), 0);
    Tokenizer t;
    if (tokenizer_open("data/models/siglip-tiny", &t)) fail_msg("%s", vlm_error());
    Tensor want;
    assert_int_equal(golden_tensor(&g, "input_ids", &want), 0);
    assert_int_equal(want.ndim, 2);
    assert_int_equal(want.shape[0], n);
    int L = (int)want.shape[1], diff = 0;
    for (int i = 0; i < n; i++) {
        IdList ids = {0};
        assert_int_equal(siglip_encode_padded(&t, texts[i], strlen(texts[i]), L, 1, &ids, NULL), 0);
        assert_int_equal(ids.n, L);
        for (int j = 0; j < L; j++) diff += ids.ids[j] != (int64_t)tensor_get_flat(&want, (int64_t)i * L + j);
        ids_free(&ids);
    }
    /* the batch helper pads the same way */
    Tensor ids, mask;
    assert_int_equal(tokenizer_encode_batch(&t, texts, n, L, &ids, &mask), 0);
    for (int64_t i = 0; i < tensor_numel(&ids); i++) diff += tensor_get_flat(&ids, i) != tensor_get_flat(&want, i);
    printf("siglip-tiny: %d texts -> input_ids [%d, %d] %s, %d differing elements\n", n, n, L,
           diff ? "MISMATCH" : "match", diff);
    assert_int_equal(diff, 0);
    tensor_free(&ids);
    tensor_free(&mask);
    free(texts);
    tokenizer_close(&t);
    golden_close(&g);
}

/* Python's str.strip() works on characters: the last byte of "ą" (c4 85) or "Š" (c5 a0)
 * looks like U+0085 / U+00A0 (both whitespace) but must not be cut off. */
static void test_strip_whole_characters(void **state) {
    (void)state;
    static const struct { const char *in, *out; } cases[] = {
        {"\xc4\x85", "\xc4\x85"},                    /* ą */
        {"  \xc5\xa0 ", "\xc5\xa0"},                  /* Š between spaces */
        {"\xc2\xa0x\xc2\x85", "x"},                   /* NBSP and NEL are whitespace */
        {"\xe3\x80\x80word\t\n", "word"},            /* U+3000 ideographic space */
        {"   ", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t start = 0, end = strlen(cases[i].in); /* the range to strip, in and out */
        py_strip(cases[i].in, &start, &end, 1, 1);
        assert_int_equal(end - start, strlen(cases[i].out));
        assert_memory_equal(cases[i].in + start, cases[i].out, end - start);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strip_whole_characters),
        cmocka_unit_test(test_canonicalize),
        cmocka_unit_test(test_charsmap_and_specials),
        cmocka_unit_test(test_minimal_model),
        cmocka_unit_test(test_builtin_siglip_tiny),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

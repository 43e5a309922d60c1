/* test_tokenizers — the four tokenizer kinds against Hugging Face's goldens.
 *
 * Data-driven from tests/golden/tokenizers/tiny/cases.json (ids from HF's Rust
 * `tokenizers`): one cmocka test per kind (bpe, wordpiece, clip, spm) checks
 * every case's input_ids exactly, the token strings, decode() where the case
 * gives `decoded`, and the padded variants through tokenizer_encode_batch
 * (wordpiece `batch`, clip `*_pad77`, spm `*_pad64`), and the padding="max_length"
 * and truncation=True variants through the kinds' own clip_encode_padded() /
 * siglip_encode_padded() (`*_trunc_pad77`, `*_trunc_pad64`).  It prints one line per
 * kind with the number of cases matched.  Then: the good twin of the corrupt
 * tokenizer.json files (those are in the bad-input catalogue, tests/bad_inputs/)
 * loads and encodes, and the built-in smollm2-tiny texts give their golden ids.
 *
 * Texts are taken from the raw JSON with json_string_literal(): cJSON stops a
 * string at "\u0000", and one case ("ctrl_chars") holds a NUL.
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
#include "json.h"
#include "sentencepiece.h"
#include "tokenizer.h"
#include "util.h"

#define TINY "tests/golden/tokenizers/tiny"

static cJSON *cases_root;
static char **raw_texts;   /* every "text" value of cases.json in file order, NULs kept */
static size_t *raw_lens;
static int n_raw;

static int setup(void **state) {
    (void)state;
    size_t n;
    char *file = read_file(TINY "/cases.json", &n);
    if (!file) return -1;
    cases_root = cJSON_ParseWithLength(file, n);
    const char *key = "\"text\":";
    for (const char *p = strstr(file, key); p; p = strstr(p + 1, key)) {
        size_t len, at = (size_t)(p - file) + strlen(key);
        char *t = json_string_literal(file + at, n - at, &len, NULL);
        if (!t) continue;
        raw_texts = xrealloc(raw_texts, sizeof(char *) * (size_t)(n_raw + 1));
        raw_lens = xrealloc(raw_lens, sizeof(size_t) * (size_t)(n_raw + 1));
        raw_texts[n_raw] = t;
        raw_lens[n_raw++] = len;
    }
    free(file);
    return cases_root ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    for (int i = 0; i < n_raw; i++) free(raw_texts[i]);
    free(raw_texts);
    free(raw_lens);
    cJSON_Delete(cases_root);
    return 0;
}

/* Index of the first case of `kind` among all "text" values of the file. */
static int first_text_index(const char *kind) {
    int i = 0;
    const cJSON *k;
    cJSON_ArrayForEach(k, json_get(cases_root, "tokenizers")) {
        if (strcmp(k->string, kind) == 0) return i;
        i += cJSON_GetArraySize(json_get(k, "cases"));
    }
    return -1;
}

/* ids vs a JSON array of integers; prints both on mismatch. */
static int same_ids(const char *what, const char *name, const int64_t *ids, int n, const cJSON *want) {
    int m = cJSON_GetArraySize(want), ok = m == n;
    for (int i = 0; ok && i < n; i++) ok = (double)ids[i] == cJSON_GetArrayItem(want, i)->valuedouble;
    if (!ok) {
        printf("  MISMATCH %s %s\n    got  [", name, what);
        for (int i = 0; i < n; i++) printf(i ? ", %lld" : "%lld", (long long)ids[i]);
        char *w = cJSON_PrintUnformatted(want);
        printf("]\n    want %s\n", w);
        free(w);
    }
    return ok;
}

typedef int (*PadFn)(const Tokenizer *t, const char *text, size_t len, int max_len, int truncate,
                     IdList *ids, IdList *attention_mask);

/* padding="max_length" (pad_to) or "longest" (0) through tokenizer_encode_batch. */
static int check_padded(const Tokenizer *t, const char *name, const char *const *texts, int n, int pad_to,
                        const cJSON *want_ids, const cJSON *want_mask) {
    Tensor ids, mask;
    if (tokenizer_encode_batch(t, texts, n, pad_to, &ids, &mask)) {
        printf("  %s: encode_batch failed: %s\n", name, vlm_error());
        return 0;
    }
    int ok = 1, L = (int)ids.shape[1];
    for (int i = 0; i < n; i++) {
        const cJSON *wi = n == 1 ? want_ids : cJSON_GetArrayItem(want_ids, i);
        const cJSON *wm = n == 1 ? want_mask : cJSON_GetArrayItem(want_mask, i);
        ok &= same_ids("padded input_ids", name, tensor_i(&ids) + (size_t)i * L, L, wi);
        if (wm) ok &= same_ids("padded attention_mask", name, tensor_i(&mask) + (size_t)i * L, L, wm);
    }
    tensor_free(&ids);
    tensor_free(&mask);
    return ok;
}

static void check_kind(const char *kind) {
    const cJSON *k = json_get(json_get(cases_root, "tokenizers"), kind);
    const cJSON *cases = json_get(k, "cases"), *c;
    assert_non_null(cases);
    int base = first_text_index(kind);
    assert_true(base >= 0 && base + cJSON_GetArraySize(cases) <= n_raw);
    char *dir = xasprintf("%s/%s", TINY, kind);
    Tokenizer t;
    if (tokenizer_open(dir, &t)) {
        printf("tokenizer %s: cannot open %s: %s\n", kind, dir, vlm_error());
        free(dir);
        fail();
    }
    int n_ok = 0, n_cases = 0, n_dec = 0, n_pad = 0, i = 0;
    cJSON_ArrayForEach(c, cases) {
        const char *name = json_str(c, "name", "?"), *text = raw_texts[base + i];
        size_t len = raw_lens[base + i];
        i++;
        n_cases++;
        /* the raw text must be the case's text (cJSON's copy stops at a NUL) */
        const char *cj = json_str(c, "text", "");
        assert_true(strncmp(text, cj, strlen(cj)) == 0 && (len == strlen(cj) || text[strlen(cj)] == 0));

        IdList ids = {0};
        int ok = t.encode(t.impl, text, len, &ids) == 0;
        if (!ok) printf("  %s: encode failed: %s\n", name, vlm_error());
        ok = ok && same_ids("input_ids", name, ids.ids, ids.n, json_get(c, "input_ids"));
        /* the vocabulary strings of the ids */
        const cJSON *tokens = json_get(c, "tokens");
        for (int j = 0; ok && tokens && j < ids.n; j++) {
            const char *got = tokenizer_token(&t, ids.ids[j]);
            const char *want = cJSON_GetArrayItem(tokens, j)->valuestring;
            if (!got || strcmp(got, want) != 0) {
                printf("  MISMATCH %s token %d: got '%s' want '%s'\n", name, j, got ? got : "(null)", want);
                ok = 0;
            }
        }
        /* decode(ids, skip_special_tokens=True) and, for bpe, =False */
        const char *dec_keys[2] = {"decoded", "decoded_with_special"};
        for (int d = 0; ok && d < 2; d++) {
            const char *want = json_str(c, dec_keys[d], NULL);
            if (!want) continue;
            char *got = tokenizer_decode(&t, ids.ids, ids.n, d == 0);
            if (strcmp(got, want) != 0) {
                printf("  MISMATCH %s %s: got \"%s\" want \"%s\"\n", name, dec_keys[d], got, want);
                ok = 0;
            }
            n_dec++;
            free(got);
        }
        /* padding="max_length" variants (clip 77, spm 64), without and with truncation */
        static const char *pad_keys[4][2] = {
            {"input_ids_pad77", "attention_mask_pad77"}, {"input_ids_trunc_pad77", "attention_mask_trunc_pad77"},
            {"input_ids_pad64", "attention_mask_pad64"}, {"input_ids_trunc_pad64", "attention_mask_trunc_pad64"}};
        for (int p = 0; ok && p < 4; p++) {
            const cJSON *want = json_get(c, pad_keys[p][0]), *want_mask = json_get(c, pad_keys[p][1]);
            if (!want) continue;
            int max_len = p < 2 ? 77 : 64, truncate = p % 2;
            PadFn fn = p < 2 ? clip_encode_padded : siglip_encode_padded;
            IdList pid = {0}, pmask = {0};
            if (fn(&t, text, len, max_len, truncate, &pid, &pmask)) {
                printf("  %s: %s failed: %s\n", name, pad_keys[p][0], vlm_error());
                ok = 0;
            } else {
                ok = same_ids(pad_keys[p][0], name, pid.ids, pid.n, want) &&
                     same_ids(pad_keys[p][1], name, pmask.ids, pmask.n, want_mask);
            }
            ids_free(&pid), ids_free(&pmask);
            /* the generic path of tokenizer.c too (C strings only: no NUL inside) */
            if (ok && !truncate && len == strlen(text))
                ok = check_padded(&t, name, &text, 1, max_len, want, want_mask);
            n_pad++;
        }
        n_ok += ok;
        ids_free(&ids);
    }
    /* wordpiece: a batch padded to the longest row */
    const cJSON *batch = json_get(k, "batch");
    int batch_ok = 1;
    if (batch) {
        const cJSON *texts = json_get(batch, "texts"), *e;
        int n = cJSON_GetArraySize(texts), j = 0;
        const char **tx = xmalloc(sizeof(char *) * (size_t)n);
        cJSON_ArrayForEach(e, texts) tx[j++] = e->valuestring;
        batch_ok = check_padded(&t, "batch", tx, n, 0, json_get(batch, "input_ids"), json_get(batch, "attention_mask"));
        free(tx);
    }
    printf("tokenizer %-9s: %d/%d cases matched (ids, tokens, %d decodes, %d padded/truncated)%s\n", kind, n_ok,
           n_cases, n_dec, n_pad, batch ? (batch_ok ? ", batch ok" : ", batch FAILED") : "");
    tokenizer_close(&t);
    free(dir);
    assert_int_equal(n_ok, n_cases);
    assert_true(batch_ok);
}

static void test_bpe(void **state) { (void)state; check_kind("bpe"); }
static void test_wordpiece(void **state) { (void)state; check_kind("wordpiece"); }
static void test_clip(void **state) { (void)state; check_kind("clip"); }
static void test_spm(void **state) { (void)state; check_kind("spm"); }

/* The corrupt tokenizer.json files of tests/bad_inputs/tokenizer/ are checked by the
 * bad-input catalogue (tests/bad_inputs/cases.json); their good twin must load. */
static void test_good_tokenizer_json(void **state) {
    (void)state;
    Tokenizer t;
    assert_int_equal(bpe_tokenizer_open("tests/bad_inputs/tokenizer/good.json", &t), 0);
    IdList ids = {0};
    /* "abc" -> a b c -> ab c -> abc; " ab" -> Ġ a b -> Ġ ab; the added token is cut out first */
    assert_int_equal(tokenizer_encode(&t, "abc ab<|endoftext|>c", &ids), 0);
    int64_t want[] = {6, 4, 5, 0, 3};
    assert_int_equal(ids.n, 5);
    for (int i = 0; i < 5; i++) assert_int_equal(ids.ids[i], want[i]);
    tokenizer_close(&t);
    ids_free(&ids);
}

/* Invalid UTF-8 input is an error, not a crash. */
static void test_invalid_utf8(void **state) {
    (void)state;
    Tokenizer t;
    assert_int_equal(tokenizer_open(TINY "/bpe", &t), 0);
    IdList ids = {0};
    assert_int_equal(tokenizer_encode(&t, "ok \xc3(", &ids), -1);
    assert_non_null(strstr(vlm_error(), "invalid UTF-8 at byte 3"));
    /* decode repairs invalid byte sequences with U+FFFD like Rust's from_utf8_lossy:
     * byte symbol 'Ã' = 0xc3 alone, then "(" */
    int64_t bad[2];
    IdList one = {0};
    assert_int_equal(tokenizer_encode(&t, "\xc3\xa9", &one), 0); /* é = c3 a9 -> two byte symbols */
    assert_int_equal(one.n, 2);
    bad[0] = one.ids[0];
    assert_int_equal(tokenizer_encode(&t, "(", &ids), 0);
    bad[1] = ids.ids[0];
    char *s = tokenizer_decode(&t, bad, 2, 1);
    assert_string_equal(s, "\xef\xbf\xbd(");
    free(s);
    ids_free(&one);
    ids_free(&ids);
    tokenizer_close(&t);
}

/* The built-in smollm2-tiny folder: golden.json texts -> golden input ids, padded batch. */
static void test_builtin_smollm2(void **state) {
    (void)state;
    Golden g;
    if (golden_open(&g, "tests/golden/builtin/smollm2-tiny", NULL)) fail_msg("%s", vlm_error());
    const char **texts;
    int n;
    assert_int_equal(golden_texts(&g, "texts", &texts, &n), 0);
    Tokenizer t;
    assert_int_equal(tokenizer_open("data/models/smollm2-tiny", &t), 0);
    assert_int_equal(t.pad_id, 0); /* pad = eos <|endoftext|>, as the golden pads */
    Tensor ids, mask, want_ids, want_mask, prompt, gen;
    assert_int_equal(tokenizer_encode_batch(&t, texts, n, 0, &ids, &mask), 0);
    assert_int_equal(golden_tensor(&g, "input_ids", &want_ids), 0);
    assert_int_equal(golden_tensor(&g, "attention_mask", &want_mask), 0);
    assert_true(tensor_same_shape(&ids, &want_ids));
    int64_t nel = tensor_numel(&ids), diff = 0;
    for (int64_t i = 0; i < nel; i++)
        diff += tensor_get_flat(&ids, i) != tensor_get_flat(&want_ids, i) ||
                tensor_get_flat(&mask, i) != tensor_get_flat(&want_mask, i);
    printf("smollm2-tiny: %d texts -> input_ids/attention_mask %s, %lld differing elements\n", n,
           diff ? "MISMATCH" : "match", (long long)diff);
    assert_int_equal(diff, 0);
    /* gen_prompt_ids = row 0 unpadded; decode(gen.tokens) = gen_text */
    assert_int_equal(golden_tensor(&g, "gen_prompt_ids", &prompt), 0);
    IdList first = {0};
    assert_int_equal(tokenizer_encode(&t, texts[0], &first), 0);
    assert_int_equal(first.n, tensor_numel(&prompt));
    for (int i = 0; i < first.n; i++) assert_int_equal(first.ids[i], (int64_t)tensor_get_flat(&prompt, i));
    assert_int_equal(golden_tensor(&g, "gen.tokens", &gen), 0);
    Tensor gen_copy = tensor_clone(&gen);
    char *text = tokenizer_decode(&t, tensor_i(&gen_copy), (int)tensor_numel(&gen), 1);
    assert_string_equal(text, json_str(golden_inputs(&g), "gen_text", ""));
    free(text);
    tensor_free(&gen_copy);
    ids_free(&first);
    tensor_free(&ids);
    tensor_free(&mask);
    free(texts);
    tokenizer_close(&t);
    golden_close(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bpe),
        cmocka_unit_test(test_wordpiece),
        cmocka_unit_test(test_clip),
        cmocka_unit_test(test_spm),
        cmocka_unit_test(test_good_tokenizer_json),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_builtin_smollm2),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* test_bpe_merge — the shared BPE merge step (lib/bpe_merge.c).
 *
 *   - the rule on small hand-made cases (lowest rank first, leftmost among
 *     equal ranks, a repeated merge takes its later rank);
 *   - the O(n log n) bpe_merge() against the plain bpe_merge_reference() on
 *     thousands of random words and random merge tables (merged ids that
 *     collide with other symbols included, so stale heap entries are hit);
 *   - a 65536-symbol run of one letter, and a 65536-letter word through the
 *     built-in byte-level and CLIP tokenizers: they must finish (the old
 *     quadratic loop took minutes under ASan; the fuzzers allow 10 s per
 *     input), with the right result.
 *     No timing is asserted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bpe_merge.h"
#include "tokenizer.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static unsigned rnd(unsigned n) {   /* xorshift64*, uniform enough for tests */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (unsigned)((rng_state * 2685821657736338717ull) >> 33) % n;
}

static IdList word_of(const int *ids, int n) {
    IdList w = {0};
    for (int i = 0; i < n; i++) ids_push(&w, ids[i]);
    return w;
}

/* bpe_merge(ids) must give want, and so must the reference. */
static void check(const BpeMerges *m, const int *ids, int n, const int *want, int n_want) {
    for (int fast = 0; fast < 2; fast++) {
        IdList w = word_of(ids, n);
        if (fast) bpe_merge(m, &w);
        else bpe_merge_reference(m, &w);
        assert_int_equal(w.n, n_want);
        for (int i = 0; i < n_want; i++) assert_int_equal(w.ids[i], want[i]);
        ids_free(&w);
    }
}

enum { A, B, C, AB, BC, AA, AAB };

static void test_rule(void **state) {
    (void)state;
    BpeMerges m = {0};
    bpe_merges_add(&m, B, C, BC);   /* rank 0 */
    bpe_merges_add(&m, A, B, AB);   /* rank 1 */
    bpe_merges_add(&m, A, A, AA);   /* rank 2 */
    bpe_merges_add(&m, AA, B, AAB); /* rank 3 */
    assert_int_equal(bpe_merges_rank(&m, A, B, NULL), 1);
    assert_int_equal(bpe_merges_rank(&m, B, A, NULL), -1);
    check(&m, (int[]){A, B, C}, 3, (int[]){A, BC}, 2);        /* lowest rank, not leftmost */
    check(&m, (int[]){A, A, A}, 3, (int[]){AA, A}, 2);        /* equal ranks: leftmost */
    check(&m, (int[]){A, A, B}, 3, (int[]){A, AB}, 2);        /* (A,B) ranks before (A,A) */
    check(&m, (int[]){A, A, A, B}, 4, (int[]){AA, AB}, 2);
    check(&m, (int[]){C}, 1, (int[]){C}, 1);
    check(&m, NULL, 0, NULL, 0);
    bpe_merges_add(&m, B, C, BC);   /* repeated: now rank 4, after (A,B) */
    check(&m, (int[]){A, B, C}, 3, (int[]){AB, C}, 2);
    bpe_merges_free(&m);
}

static void test_fast_matches_reference(void **state) {
    (void)state;
    int trials = 20000, merged_total = 0;
    for (int t = 0; t < trials; t++) {
        int alphabet = 2 + (int)rnd(4), n_ids = alphabet + (int)rnd(10), n_merges = (int)rnd(16);
        BpeMerges m = {0};
        for (int k = 0; k < n_merges; k++)
            bpe_merges_add(&m, (int)rnd((unsigned)n_ids), (int)rnd((unsigned)n_ids), (int)rnd((unsigned)n_ids));
        int n = (int)rnd(48);
        IdList fast = {0}, ref = {0};
        for (int i = 0; i < n; i++) {
            int id = (int)rnd((unsigned)alphabet);
            ids_push(&fast, id);
            ids_push(&ref, id);
        }
        bpe_merge(&m, &fast);
        bpe_merge_reference(&m, &ref);
        int same = fast.n == ref.n;
        for (int i = 0; same && i < ref.n; i++) same = fast.ids[i] == ref.ids[i];
        if (!same) {
            printf("trial %d: %d symbols -> fast %d, reference %d symbols\n", t, n, fast.n, ref.n);
            fail();
        }
        merged_total += n - ref.n;
        ids_free(&fast);
        ids_free(&ref);
        bpe_merges_free(&m);
    }
    printf("fast == reference on %d random words (%d merges applied)\n", trials, merged_total);
    assert_true(merged_total > trials);   /* the tables do merge things */
}

/* 65536 x 'a' with merges a+a, aa+aa, ... up to 256 a's: 256 symbols of 256 a's. */
static void test_long_run(void **state) {
    (void)state;
    BpeMerges m = {0};
    for (int k = 0; k < 8; k++) bpe_merges_add(&m, k, k, k + 1);   /* id k = 2^k a's */
    IdList w = {0};
    for (int i = 0; i < 65536; i++) ids_push(&w, 0);
    bpe_merge(&m, &w);
    assert_int_equal(w.n, 256);
    for (int i = 0; i < w.n; i++) assert_int_equal(w.ids[i], 8);
    ids_free(&w);
    bpe_merges_free(&m);
}

/* 65536 letters through the built-in tokenizers, one pre-tokenizer piece each:
 * "thethe..." (the tiny vocabularies merge t+h / h+e, not a+a). */
static void test_long_text(void **state) {
    (void)state;
    const char *dirs[] = {"data/models/smollm2-tiny", "data/models/clip-tiny"};
    char *text = malloc(65537);
    for (int i = 0; i < 65536; i++) text[i] = "the"[i % 3];
    text[65536] = 0;
    for (int d = 0; d < 2; d++) {
        Tokenizer t;
        assert_int_equal(tokenizer_open(dirs[d], &t), 0);
        IdList ids = {0};
        assert_int_equal(tokenizer_encode(&t, text, &ids), 0);
        assert_true(ids.n > 0 && ids.n < 65536 * 3 / 4);   /* pairs were merged */
        char *back = tokenizer_decode(&t, ids.ids, ids.n, 1);
        assert_string_equal(back, text);   /* both decoders give the text back */
        printf("%s: 65536 letters -> %d ids\n", dirs[d], ids.n);
        free(back);
        ids_free(&ids);
        tokenizer_close(&t);
    }
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule),
        cmocka_unit_test(test_fast_matches_reference),
        cmocka_unit_test(test_long_run),
        cmocka_unit_test(test_long_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

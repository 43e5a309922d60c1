/* test_distilbert — properties of the DistilBERT encoder and the WordPiece tokenizer
 * that the goldens do not spell out (run from the repository root).
 *
 *   - key-padding mask: a padded row gives the same vectors as the row alone;
 *   - bidirectional attention: a later word changes an earlier token's vector;
 *   - the tied MLM projector: logits = vocab_layer_norm output @ word_embeddings^T + bias;
 *   - bad input: too many tokens, an id outside the vocabulary;
 *   - WordPiece: [MASK] lookup, specials glued to accented words, decode with and
 *     without tokenizer_config.json's clean_up_tokenization_spaces.
 * Uses the built-in model data/models/distilbert-tiny and the tiny tokenizer goldens.
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

#include "distilbert.h"
#include "tokenizer.h"
#include "util.h"

#define MODEL_DIR "data/models/distilbert-tiny"
#define TINY_WP_DIR "tests/golden/tokenizers/tiny/wordpiece"

typedef struct {
    DistilBert m;
    SafeTensors st;
    Tokenizer tok;
} Fixture;

static int setup(void **state) {
    Fixture *f = xcalloc(1, sizeof *f);
    if (distilbert_open(&f->m, &f->st, MODEL_DIR) || tokenizer_open(MODEL_DIR, &f->tok)) {
        fprintf(stderr, "setup: %s\n", vlm_error());
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state) {
    Fixture *f = *state;
    distilbert_free(&f->m);
    st_close(&f->st);
    tokenizer_close(&f->tok);
    free(f);
    return 0;
}

static float max_abs_diff(const float *a, const float *b, size_t n) {
    float d = 0;
    for (size_t i = 0; i < n; i++) d = fmaxf(d, fabsf(a[i] - b[i]));
    return d;
}

static void test_padding_is_invisible(void **state) {
    Fixture *f = *state;
    const char *texts[2] = {"The dog jumped over the", "A cat sat on the mat, then it slept."};
    Tensor ids, mask;
    assert_int_equal(tokenizer_encode_batch(&f->tok, texts, 2, 0, &ids, &mask), 0);
    int L = (int)ids.shape[1], D = f->m.config.dim;
    IdList alone = {0};
    assert_int_equal(tokenizer_encode(&f->tok, texts[0], &alone), 0);
    assert_true(alone.n < L); /* row 0 really is padded */
    float *batch = xmalloc(sizeof(float) * 2 * L * D), *single = xmalloc(sizeof(float) * alone.n * D);
    assert_int_equal(distilbert_forward(&f->m, tensor_i(&ids), tensor_i(&mask), 2, L, batch, NULL, ""), 0);
    assert_int_equal(distilbert_forward(&f->m, alone.ids, NULL, 1, alone.n, single, NULL, ""), 0);
    float d = max_abs_diff(batch, single, (size_t)alone.n * D);
    printf("padded row vs alone: max abs diff %.3g over %d real tokens\n", d, alone.n);
    assert_true(d < 1e-5f);
    free(batch), free(single);
    ids_free(&alone);
    tensor_free(&ids), tensor_free(&mask);
}

static void test_attention_is_bidirectional(void **state) {
    Fixture *f = *state;
    IdList a = {0}, b = {0};
    assert_int_equal(tokenizer_encode(&f->tok, "the dog jumped", &a), 0);
    assert_int_equal(tokenizer_encode(&f->tok, "the dog sat", &b), 0);
    int D = f->m.config.dim;
    float *ha = xmalloc(sizeof(float) * a.n * D), *hb = xmalloc(sizeof(float) * b.n * D);
    assert_int_equal(distilbert_forward(&f->m, a.ids, NULL, 1, a.n, ha, NULL, ""), 0);
    assert_int_equal(distilbert_forward(&f->m, b.ids, NULL, 1, b.n, hb, NULL, ""), 0);
    /* [CLS] and "the" are the same ids at the same positions; only later words differ */
    assert_true(a.ids[1] == b.ids[1]);
    float d = max_abs_diff(ha + D, hb + D, (size_t)D);
    printf("vector of 'the' changes by %.3g when a later word changes\n", d);
    assert_true(d > 1e-3f);
    free(ha), free(hb);
    ids_free(&a), ids_free(&b);
}

static void test_tied_projector(void **state) {
    Fixture *f = *state;
    const DistilBert *m = &f->m;
    assert_true(m->has_mlm_head);
    assert_ptr_equal(m->vocab_projector_w.data, m->word_embeddings.data);
    int64_t ids[4] = {2, 119, 4, 3};
    int D = m->config.dim, V = m->config.vocab_size, L = 4;
    float *h = xmalloc(sizeof(float) * L * D), *logits = xmalloc(sizeof(float) * L * V);
    Recorder rec;
    rec_init(&rec);
    assert_int_equal(distilbert_forward(m, ids, NULL, 1, L, h, NULL, ""), 0);
    assert_int_equal(distilbert_mlm_logits(m, h, 1, L, logits, &rec), 0);
    const Tensor *t = rec_find(&rec, "mlm.vocab_layer_norm");
    assert_non_null(t);
    double worst = 0;
    for (int i = 0; i < L; i++)
        for (int v = 0; v < V; v++) {
            double s = tensor_f(&m->vocab_projector_b)[v];
            for (int k = 0; k < D; k++)
                s += (double)tensor_f(t)[i * D + k] * tensor_f(&m->word_embeddings)[(size_t)v * D + k];
            worst = fmax(worst, fabs(s - logits[(size_t)i * V + v]));
        }
    printf("logits vs vocab_layer_norm @ word_embeddings^T + bias: max abs err %.3g\n", worst);
    assert_true(worst < 1e-4);
    MaskPredictions p;
    distilbert_fill_mask(ids, logits, 1, L, V, 4, 5, &p, NULL);
    assert_int_equal(p.n, 1);
    assert_int_equal(p.positions[0], 0);
    assert_int_equal(p.positions[1], 2);
    for (int k = 1; k < 5; k++) assert_true(p.probs[k] <= p.probs[k - 1]);
    mask_predictions_free(&p);
    rec_free(&rec);
    free(h), free(logits);
}

static void test_bad_inputs(void **state) {
    Fixture *f = *state;
    int D = f->m.config.dim, P = f->m.config.max_position_embeddings;
    int64_t *ids = xcalloc((size_t)P + 1, sizeof(int64_t));
    float *x = xmalloc(sizeof(float) * (size_t)(P + 1) * D);
    assert_int_equal(distilbert_forward(&f->m, ids, NULL, 1, P + 1, x, NULL, ""), -1);
    printf("too long: %s\n", vlm_error());
    assert_non_null(strstr(vlm_error(), "position embeddings"));
    ids[1] = f->m.config.vocab_size; /* one past the end */
    assert_int_equal(distilbert_forward(&f->m, ids, NULL, 1, 3, x, NULL, ""), -1);
    printf("bad id: %s\n", vlm_error());
    free(ids), free(x);
}

static void test_wordpiece_details(void **state) {
    Fixture *f = *state;
    assert_int_equal(distilbert_mask_token_id(&f->tok), 4);
    assert_int_equal(f->tok.pad_id, 0);
    IdList ids = {0};
    /* the special token is found in the raw text, before "Café" is lower-cased and stripped */
    assert_int_equal(tokenizer_encode(&f->tok, "Café[MASK]!", &ids), 0);
    char *with = tokenizer_decode(&f->tok, ids.ids, ids.n, 0);
    char *without = tokenizer_decode(&f->tok, ids.ids, ids.n, 1);
    printf("'Café[MASK]!' -> '%s' / '%s'\n", with, without);
    /* this folder's tokenizer_config.json sets clean_up_tokenization_spaces: " !" -> "!" */
    assert_string_equal(with, "[CLS] cafe [MASK]! [SEP]");
    assert_string_equal(without, "cafe!");
    free(with), free(without);
    ids_free(&ids);

    Tokenizer bare; /* no tokenizer_config.json: HF defaults, no clean-up */
    assert_int_equal(tokenizer_open(TINY_WP_DIR, &bare), 0);
    assert_string_equal(bare.kind, "WordPiece");
    assert_int_equal(tokenizer_encode(&bare, "dogs, cats", &ids), 0);
    char *plain = tokenizer_decode(&bare, ids.ids, ids.n, 1);
    assert_string_equal(plain, "dogs , cats");
    /* "##s" is listed twice in vocab.txt: the later line (id 109) wins */
    int found109 = 0;
    for (int i = 0; i < ids.n; i++) {
        assert_true(ids.ids[i] != 91);
        found109 |= ids.ids[i] == 109;
    }
    assert_true(found109);
    free(plain);
    ids_free(&ids);
    tokenizer_close(&bare);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_padding_is_invisible),
        cmocka_unit_test(test_attention_is_bidirectional),
        cmocka_unit_test(test_tied_projector),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_wordpiece_details),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* parity_distilbert.c — DistilBertForMaskedLM goldens (distilbert_tiny, builtin distilbert-tiny).
 *
 * distilbert_tiny: input_ids/attention_mask from the golden -> encoder (all layers
 *   recorded) -> MLM head on the same rows -> "logits", top-5 at each [MASK].
 * builtin/distilbert-tiny: the folder's own WordPiece tokenizer turns the raw inputs
 *   into input_ids/attention_mask (the padded batch) and mlm.input_ids/mlm.attention_mask
 *   (checked exactly); the batch goes through the encoder ("cls" = its [CLS] rows), the
 *   MLM text through encoder + head ("mlm.last_hidden_state", "mlm.logits").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "distilbert.h"
#include "golden.h"
#include "json.h"
#include "tokenizer.h"
#include "util.h"

#define BERT_MASK_ID 103 /* [MASK] of bert/distilbert-base-uncased, for folders without vocab.txt */

/* Built-in goldens start from raw text: tokenize inputs.texts and inputs.mlm_text. */
static int record_tokenization(const Golden *g, const Tokenizer *tok, Recorder *rec) {
    const char **texts;
    int n;
    if (golden_texts(g, "texts", &texts, &n)) return -1;
    Tensor ids, mask;
    int rc = tokenizer_encode_batch(tok, texts, n, 0, &ids, &mask);
    free(texts);
    if (rc) return -1;
    rec_tensor(rec, &ids, "input_ids");
    rec_tensor(rec, &mask, "attention_mask");
    tensor_free(&ids), tensor_free(&mask);
    const char *mlm_text = json_str(golden_inputs(g), "mlm_text", NULL);
    if (mlm_text) {
        if (tokenizer_encode_batch(tok, &mlm_text, 1, 0, &ids, &mask)) return -1;
        rec_tensor(rec, &ids, "mlm.input_ids");
        rec_tensor(rec, &mask, "mlm.attention_mask");
        tensor_free(&ids), tensor_free(&mask);
    }
    return 0;
}

/* ids/mask of a golden input pair as owned contiguous copies (mask all ones if absent). */
static int golden_ids(const Golden *g, const char *ids_name, const char *mask_name, Tensor *ids,
                      Tensor *mask) {
    Tensor t;
    if (golden_tensor(g, ids_name, &t)) return -1;
    if (t.ndim != 2 || t.dtype != DT_I64)
        return vlm_fail("%s: %s must be a 2-D I64 tensor", g->json_path, ids_name);
    *ids = tensor_clone(&t);
    if (st_find(&g->st, mask_name) && golden_tensor(g, mask_name, &t) == 0 && tensor_same_shape(&t, ids)) {
        *mask = tensor_clone(&t);
    } else {
        *mask = tensor_new(DT_I64, 2, ids->shape);
        for (int64_t i = 0; i < tensor_numel(mask); i++) tensor_i(mask)[i] = 1;
    }
    return 0;
}

/* Encoder (+ head) on one golden input pair. tag "" records every stage; "mlm." only the
 * outputs the golden has for the MLM text. */
static int run(const Golden *g, const DistilBert *m, Recorder *rec, const char *ids_name,
               const char *mask_name, const char *tag, int with_head, const char *logits_name,
               int64_t mask_id) {
    Tensor ids, mask;
    if (golden_ids(g, ids_name, mask_name, &ids, &mask)) return -1;
    int B = (int)ids.shape[0], L = (int)ids.shape[1], D = m->config.dim, V = m->config.vocab_size;
    float *x = xmalloc(sizeof(float) * (size_t)B * L * D);
    int full = tag[0] == 0;
    int rc = distilbert_forward(m, tensor_i(&ids), tensor_i(&mask), B, L, x, full ? rec : NULL, "");
    if (rc == 0) {
        int64_t s3[3] = {B, L, D}, s2[2] = {B, D};
        if (!full) rec_f32(rec, x, 3, s3, "%slast_hidden_state", tag);
        /* the [CLS] vector: last_hidden_state[:, 0] */
        float *cls = xmalloc(sizeof(float) * (size_t)B * D);
        for (int b = 0; b < B; b++) memcpy(cls + (size_t)b * D, x + (size_t)b * L * D, sizeof(float) * D);
        rec_f32(rec, cls, 2, s2, "%scls", tag);
        free(cls);
    }
    if (rc == 0 && with_head) {
        float *logits = xmalloc(sizeof(float) * (size_t)B * L * V);
        rc = distilbert_mlm_logits(m, x, B, L, logits, rec);
        if (rc == 0) {
            int64_t sl[3] = {B, L, V};
            rec_f32(rec, logits, 3, sl, "%s", logits_name);
            MaskPredictions p;
            distilbert_fill_mask(tensor_i(&ids), logits, B, L, V, mask_id, 5, &p, rec);
            mask_predictions_free(&p);
        }
        free(logits);
    }
    free(x);
    tensor_free(&ids), tensor_free(&mask);
    return rc;
}

int parity_distilbert(const Golden *g, Recorder *rec) {
    DistilBert m;
    SafeTensors st;
    if (distilbert_open(&m, &st, g->dir)) return -1;
    int64_t mask_id = BERT_MASK_ID;
    char *vocab = path_join(g->dir, "vocab.txt");
    int rc = 0;
    if (file_exists(vocab)) {
        Tokenizer tok;
        rc = tokenizer_open(g->dir, &tok);
        if (rc == 0) {
            mask_id = distilbert_mask_token_id(&tok);
            if (golden_inputs(g) && record_tokenization(g, &tok, rec))
                fprintf(stderr, "parity: tokenizer: %s\n", vlm_error());
            tokenizer_close(&tok);
        }
    }
    free(vocab);
    int has_mlm_text = st_find(&g->st, "mlm.input_ids") != NULL;
    /* the batch: every stage; the head on it only when there is no separate MLM text */
    if (rc == 0)
        rc = run(g, &m, rec, "input_ids", "attention_mask", "", !has_mlm_text, "logits", mask_id);
    if (rc == 0 && has_mlm_text)
        rc = run(g, &m, rec, "mlm.input_ids", "mlm.attention_mask", "mlm.", 1, "mlm.logits", mask_id);
    distilbert_free(&m);
    st_close(&st);
    return rc;
}

/* distilbert.h — the DistilBERT encoder (DistilBertModel) and its MLM head
 * (DistilBertForMaskedLM), as in distilbert-base-uncased.
 *
 * One forward pass, readable top to bottom (distilbert.c):
 *   x = LayerNorm(word_embeddings[ids] + position_embeddings[0..L-1])
 *   for each layer (post-LN, unlike the pre-LN decoders and ViT):
 *       a = out_lin(attention(q_lin(x), k_lin(x), v_lin(x)))   bidirectional: every
 *                                                               token sees every real token
 *       x = sa_layer_norm(a + x)
 *       x = output_layer_norm(lin2(gelu(lin1(x))) + x)
 *   last_hidden_state = x;  the [CLS] vector is x[:, 0]
 * MLM head: logits = vocab_projector(vocab_layer_norm(gelu(vocab_transform(x)))),
 * vocab_projector's weight tied to word_embeddings (HF does not store it).
 *
 * Every LayerNorm eps is 1e-12, hard-coded in HF (not in config.json).
 * Keys: "distilbert.embeddings.*", "distilbert.transformer.layer.{i}.*" and the head's
 * "vocab_transform.*", "vocab_layer_norm.*", "vocab_projector.*" (DistilBertForMaskedLM);
 * a bare DistilBertModel checkpoint has no "distilbert." prefix and no head.
 * Recorded names: embeddings_sum, embeddings, layer.{i}.{q, k, v, attn_probs,
 * attn_context, attn_out, sa_output, ffn_lin1, ffn_act, ffn_out, output},
 * last_hidden_state; the head: mlm.{vocab_transform, act, vocab_layer_norm}.
 */
#ifndef VLM_DISTILBERT_H
#define VLM_DISTILBERT_H

#include <cjson/cJSON.h>

#include "ops.h"
#include "recorder.h"
#include "safetensors.h"
#include "tensor.h"
#include "tokenizer.h"

#define DISTILBERT_LN_EPS 1e-12f

typedef struct {
    int dim, n_layers, n_heads, hidden_dim;   /* hidden_dim = the FFN width */
    int vocab_size, max_position_embeddings;
    Activation activation;
    int tie_word_embeddings;
} DistilBertConfig;

typedef struct {
    Tensor q_lin_w, q_lin_b, k_lin_w, k_lin_b, v_lin_w, v_lin_b, out_lin_w, out_lin_b;
    Tensor sa_layer_norm_w, sa_layer_norm_b;
    Tensor lin1_w, lin1_b, lin2_w, lin2_b;
    Tensor output_layer_norm_w, output_layer_norm_b;
} DistilBertLayer;

typedef struct {
    DistilBertConfig config;
    Tensor word_embeddings, position_embeddings;  /* [vocab, dim], [max_pos, dim] */
    Tensor emb_layer_norm_w, emb_layer_norm_b;
    DistilBertLayer *layers;
    int has_mlm_head;
    Tensor vocab_transform_w, vocab_transform_b, vocab_layer_norm_w, vocab_layer_norm_b;
    Tensor vocab_projector_w, vocab_projector_b;  /* w = word_embeddings when tied */
} DistilBert;

/* config.json -> DistilBertConfig (HF field names; defaults of DistilBertConfig). */
int distilbert_config_parse(const cJSON *cfg, const char *path, DistilBertConfig *c);
/* Shape-check and take every weight from st (views valid until st_close). */
int distilbert_load(DistilBert *m, SafeTensors *st, const DistilBertConfig *c);
/* Both in one: config.json + *.safetensors of a model folder.  st must outlive m. */
int distilbert_open(DistilBert *m, SafeTensors *st, const char *dir);
void distilbert_free(DistilBert *m);

/* The encoder: ids [B, L] -> out [B, L, dim] (last_hidden_state).
 * attention_mask [B, L]: 0 marks padding keys (NULL = all real).
 * rec/tag: record every stage as "<tag>embeddings", "<tag>layer.0.q", ...
 * -1 with an error when an id is out of range or L > max_position_embeddings. */
int distilbert_forward(const DistilBert *m, const int64_t *ids, const int64_t *attention_mask,
                       int B, int L, float *out, Recorder *rec, const char *tag);

/* The MLM head on n = B*L hidden vectors: logits [B, L, vocab]. Records mlm.*.
 * -1 with an error when the checkpoint has no head. */
int distilbert_mlm_logits(const DistilBert *m, const float *hidden, int B, int L, float *logits,
                          Recorder *rec);

/* fill-mask, as HF's pipeline: the top-k of softmax(logits) at every [MASK].
 *   positions [n, 2] = (row, position) of each [MASK] in ids [B, L]
 *   ids, probs [n, k] = the k most likely tokens there, most likely first
 * rec (may be NULL) gets mask_positions, mask_topk_ids, mask_topk_probs. */
typedef struct {
    int n, k;
    int64_t *positions, *ids;
    float *probs;
} MaskPredictions;

void distilbert_fill_mask(const int64_t *ids, const float *logits, int B, int L, int V, int64_t mask_id,
                          int k, MaskPredictions *out, Recorder *rec);
void mask_predictions_free(MaskPredictions *p);
/* The tokenizer's [MASK] id (-1 if it has none): the middle of encode("[MASK]"). */
int64_t distilbert_mask_token_id(const Tokenizer *tok);

#endif

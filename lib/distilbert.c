/* distilbert.c — see distilbert.h.  Follows HF modeling_distilbert.py:
 * Embeddings, MultiHeadSelfAttention, FFN, TransformerBlock, DistilBertForMaskedLM. */
#include "distilbert.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

int distilbert_config_parse(const cJSON *cfg, const char *path, DistilBertConfig *c) {
    memset(c, 0, sizeof *c);
    /* DistilBertConfig defaults (distilbert-base-uncased sizes) for absent fields */
    c->dim = json_int(cfg, "dim", 768);
    c->n_layers = json_int(cfg, "n_layers", 6);
    c->n_heads = json_int(cfg, "n_heads", 12);
    c->hidden_dim = json_int(cfg, "hidden_dim", 4 * 768);
    c->vocab_size = json_int(cfg, "vocab_size", 30522);
    c->max_position_embeddings = json_int(cfg, "max_position_embeddings", 512);
    c->tie_word_embeddings = json_bool(cfg, "tie_word_embeddings", 1);
    const char *act = json_str(cfg, "activation", "gelu");
    if (activation_from_name(act, &c->activation))
        return vlm_fail("%s: unknown activation '%s'", path, act);
    if (c->dim < 1 || c->n_layers < 1 || c->n_heads < 1 || c->hidden_dim < 1 || c->vocab_size < 1 ||
        c->max_position_embeddings < 1)
        return vlm_fail("%s: dim, n_layers, n_heads, hidden_dim, vocab_size and "
                        "max_position_embeddings must be positive", path);
    if (c->dim % c->n_heads)
        return vlm_fail("%s: dim %d is not a multiple of n_heads %d", path, c->dim, c->n_heads);
    /* sinusoidal_pos_embds only changes how HF initialises position_embeddings; the
     * checkpoint stores the table either way, and we use the stored one. */
    return 0;
}

/* "<prefix><name>" with a shape check ([d0] when d1 == 0). */
static int get(SafeTensors *st, const char *prefix, const char *name, Tensor *t, int64_t d0, int64_t d1) {
    char key[256];
    snprintf(key, sizeof key, "%s%s", prefix, name);
    int64_t shape[2] = {d0, d1};
    return st_get_shape(st, key, d1 ? 2 : 1, shape, t);
}

static int load_layer(DistilBertLayer *l, SafeTensors *st, const char *prefix, int i,
                      const DistilBertConfig *c) {
    char p[128];
    snprintf(p, sizeof p, "%stransformer.layer.%d.", prefix, i);
    int D = c->dim, F = c->hidden_dim;
    return get(st, p, "attention.q_lin.weight", &l->q_lin_w, D, D) ||
           get(st, p, "attention.q_lin.bias", &l->q_lin_b, D, 0) ||
           get(st, p, "attention.k_lin.weight", &l->k_lin_w, D, D) ||
           get(st, p, "attention.k_lin.bias", &l->k_lin_b, D, 0) ||
           get(st, p, "attention.v_lin.weight", &l->v_lin_w, D, D) ||
           get(st, p, "attention.v_lin.bias", &l->v_lin_b, D, 0) ||
           get(st, p, "attention.out_lin.weight", &l->out_lin_w, D, D) ||
           get(st, p, "attention.out_lin.bias", &l->out_lin_b, D, 0) ||
           get(st, p, "sa_layer_norm.weight", &l->sa_layer_norm_w, D, 0) ||
           get(st, p, "sa_layer_norm.bias", &l->sa_layer_norm_b, D, 0) ||
           get(st, p, "ffn.lin1.weight", &l->lin1_w, F, D) ||
           get(st, p, "ffn.lin1.bias", &l->lin1_b, F, 0) ||
           get(st, p, "ffn.lin2.weight", &l->lin2_w, D, F) ||
           get(st, p, "ffn.lin2.bias", &l->lin2_b, D, 0) ||
           get(st, p, "output_layer_norm.weight", &l->output_layer_norm_w, D, 0) ||
           get(st, p, "output_layer_norm.bias", &l->output_layer_norm_b, D, 0)
               ? -1
               : 0;
}

static int load_mlm_head(DistilBert *m, SafeTensors *st) {
    const DistilBertConfig *c = &m->config;
    int D = c->dim, V = c->vocab_size;
    if (get(st, "", "vocab_transform.weight", &m->vocab_transform_w, D, D) ||
        get(st, "", "vocab_transform.bias", &m->vocab_transform_b, D, 0) ||
        get(st, "", "vocab_layer_norm.weight", &m->vocab_layer_norm_w, D, 0) ||
        get(st, "", "vocab_layer_norm.bias", &m->vocab_layer_norm_b, D, 0) ||
        get(st, "", "vocab_projector.bias", &m->vocab_projector_b, V, 0))
        return -1;
    /* HF ties vocab_projector.weight to the word embeddings (tie_word_embeddings, the
     * default) and save_pretrained leaves it out; a stored copy is used only when untied. */
    int64_t shape[2] = {V, D};
    int present = 0;
    Tensor w;
    if (!c->tie_word_embeddings && st_get_opt(st, "vocab_projector.weight", 2, shape, &w, &present))
        return -1;
    m->vocab_projector_w = present ? w : m->word_embeddings;
    m->has_mlm_head = 1;
    return 0;
}

int distilbert_load(DistilBert *m, SafeTensors *st, const DistilBertConfig *c) {
    memset(m, 0, sizeof *m);
    m->config = *c;
    /* DistilBertForMaskedLM keys start with "distilbert."; a bare DistilBertModel has none */
    const char *p = st_find(st, "distilbert.embeddings.word_embeddings.weight") ? "distilbert." : "";
    int D = c->dim;
    if (get(st, p, "embeddings.word_embeddings.weight", &m->word_embeddings, c->vocab_size, D) ||
        get(st, p, "embeddings.position_embeddings.weight", &m->position_embeddings,
            c->max_position_embeddings, D) ||
        get(st, p, "embeddings.LayerNorm.weight", &m->emb_layer_norm_w, D, 0) ||
        get(st, p, "embeddings.LayerNorm.bias", &m->emb_layer_norm_b, D, 0))
        return -1;
    m->layers = xcalloc((size_t)c->n_layers, sizeof(DistilBertLayer));
    for (int i = 0; i < c->n_layers; i++)
        if (load_layer(&m->layers[i], st, p, i, c)) {
            distilbert_free(m);
            return -1;
        }
    if (st_find(st, "vocab_transform.weight") && load_mlm_head(m, st)) {
        distilbert_free(m);
        return -1;
    }
    return 0;
}

int distilbert_open(DistilBert *m, SafeTensors *st, const char *dir) {
    char *path = path_join(dir, "config.json");
    cJSON *cfg = json_load(path);
    DistilBertConfig c;
    int rc = cfg ? distilbert_config_parse(cfg, path, &c) : -1;
    cJSON_Delete(cfg);
    free(path);
    if (rc || st_open_dir(st, dir)) return -1;
    if (distilbert_load(m, st, &c)) {
        st_close(st);
        return -1;
    }
    return 0;
}

void distilbert_free(DistilBert *m) {
    free(m->layers);
    memset(m, 0, sizeof *m);
}

/* One TransformerBlock on x [B, L, dim] in place (post-LN). */
static void block_forward(const DistilBertLayer *l, const DistilBertConfig *c, float *x, int B, int L,
                          const int64_t *attention_mask, Recorder *rec, const char *tag, int i) {
    int D = c->dim, F = c->hidden_dim, nh = c->n_heads, hd = D / nh, N = B * L;
    size_t nd = (size_t)N * D;
    float *flat = xmalloc(sizeof(float) * nd), *a = xmalloc(sizeof(float) * nd);
    float *q = xmalloc(sizeof(float) * nd), *k = xmalloc(sizeof(float) * nd);
    float *v = xmalloc(sizeof(float) * nd), *ctx = xmalloc(sizeof(float) * nd);
    float *h = xmalloc(sizeof(float) * (size_t)N * F);
    float *probs = rec ? xmalloc(sizeof(float) * (size_t)B * nh * L * L) : NULL;
    int64_t s3[3] = {B, L, D}, s4[4] = {B, nh, L, hd}, sp[4] = {B, nh, L, L}, sf[3] = {B, L, F};

    /* MultiHeadSelfAttention: q, k, v all read x itself (no LayerNorm before: post-LN) */
    linear(flat, x, tensor_f(&l->q_lin_w), tensor_f(&l->q_lin_b), N, D, D);
    split_heads(q, flat, B, L, nh, hd);
    linear(flat, x, tensor_f(&l->k_lin_w), tensor_f(&l->k_lin_b), N, D, D);
    split_heads(k, flat, B, L, nh, hd);
    linear(flat, x, tensor_f(&l->v_lin_w), tensor_f(&l->v_lin_b), N, D, D);
    split_heads(v, flat, B, L, nh, hd);
    rec_f32(rec, q, 4, s4, "%slayer.%d.q", tag, i);
    rec_f32(rec, k, 4, s4, "%slayer.%d.k", tag, i);
    rec_f32(rec, v, 4, s4, "%slayer.%d.v", tag, i);
    /* HF divides q by sqrt(head_dim) before q @ k^T; the same as scaling the scores.
     * Only padding keys are masked (attention_mask == 0): no causal mask. */
    for (int b = 0; b < B; b++) {
        size_t off = (size_t)b * nh * L * hd;
        attention(ctx + off, probs ? probs + (size_t)b * nh * L * L : NULL, q + off, k + off, v + off, nh,
                  nh, L, L, L, hd, 1.0f / sqrtf((float)hd),
                  attention_mask ? attention_mask + (size_t)b * L : NULL, 0, 0);
    }
    rec_f32(rec, probs, 4, sp, "%slayer.%d.attn_probs", tag, i);
    merge_heads(flat, ctx, B, nh, L, hd);
    rec_f32(rec, flat, 3, s3, "%slayer.%d.attn_context", tag, i);
    linear(a, flat, tensor_f(&l->out_lin_w), tensor_f(&l->out_lin_b), N, D, D);
    rec_f32(rec, a, 3, s3, "%slayer.%d.attn_out", tag, i);
    add(a, a, x, (int64_t)nd);
    layer_norm(x, a, tensor_f(&l->sa_layer_norm_w), tensor_f(&l->sa_layer_norm_b), N, D, DISTILBERT_LN_EPS);
    rec_f32(rec, x, 3, s3, "%slayer.%d.sa_output", tag, i);

    /* FFN: lin2(gelu(lin1(x))), then the second residual + LayerNorm */
    linear(h, x, tensor_f(&l->lin1_w), tensor_f(&l->lin1_b), N, D, F);
    rec_f32(rec, h, 3, sf, "%slayer.%d.ffn_lin1", tag, i);
    activation(h, (int64_t)N * F, c->activation);
    rec_f32(rec, h, 3, sf, "%slayer.%d.ffn_act", tag, i);
    linear(a, h, tensor_f(&l->lin2_w), tensor_f(&l->lin2_b), N, F, D);
    rec_f32(rec, a, 3, s3, "%slayer.%d.ffn_out", tag, i);
    add(a, a, x, (int64_t)nd);
    layer_norm(x, a, tensor_f(&l->output_layer_norm_w), tensor_f(&l->output_layer_norm_b), N, D,
               DISTILBERT_LN_EPS);
    rec_f32(rec, x, 3, s3, "%slayer.%d.output", tag, i);

    free(flat), free(a), free(q), free(k), free(v), free(ctx), free(h), free(probs);
}

int distilbert_forward(const DistilBert *m, const int64_t *ids, const int64_t *attention_mask, int B,
                       int L, float *x, Recorder *rec, const char *tag) {
    const DistilBertConfig *c = &m->config;
    int D = c->dim;
    if (B < 1 || L < 1) return vlm_fail("distilbert: empty input (%d x %d ids)", B, L);
    if (L > c->max_position_embeddings)
        return vlm_fail("distilbert: %d tokens, but the model has only %d position embeddings", L,
                        c->max_position_embeddings);
    /* Embeddings: word + learned position (0..L-1 in every row), then LayerNorm */
    if (embedding(x, tensor_f(&m->word_embeddings), ids, B * L, D, c->vocab_size)) return -1;
    const float *pe = tensor_f(&m->position_embeddings);
    for (int b = 0; b < B; b++)
        for (int l = 0; l < L; l++) add(x + ((size_t)b * L + l) * D, x + ((size_t)b * L + l) * D, pe + (size_t)l * D, D);
    int64_t s3[3] = {B, L, D};
    rec_f32(rec, x, 3, s3, "%sembeddings_sum", tag);
    layer_norm(x, x, tensor_f(&m->emb_layer_norm_w), tensor_f(&m->emb_layer_norm_b), B * L, D,
               DISTILBERT_LN_EPS);
    rec_f32(rec, x, 3, s3, "%sembeddings", tag);
    for (int i = 0; i < c->n_layers; i++) block_forward(&m->layers[i], c, x, B, L, attention_mask, rec, tag, i);
    rec_f32(rec, x, 3, s3, "%slast_hidden_state", tag);
    return 0;
}

int distilbert_mlm_logits(const DistilBert *m, const float *hidden, int B, int L, float *logits,
                          Recorder *rec) {
    if (!m->has_mlm_head)
        return vlm_fail("distilbert: this checkpoint has no MLM head (vocab_transform.weight): "
                        "it is a DistilBertModel, not DistilBertForMaskedLM");
    const DistilBertConfig *c = &m->config;
    int D = c->dim, N = B * L;
    int64_t s3[3] = {B, L, D};
    float *t = xmalloc(sizeof(float) * (size_t)N * D);
    linear(t, hidden, tensor_f(&m->vocab_transform_w), tensor_f(&m->vocab_transform_b), N, D, D);
    rec_f32(rec, t, 3, s3, "mlm.vocab_transform");
    activation(t, (int64_t)N * D, c->activation);
    rec_f32(rec, t, 3, s3, "mlm.act");
    layer_norm(t, t, tensor_f(&m->vocab_layer_norm_w), tensor_f(&m->vocab_layer_norm_b), N, D,
               DISTILBERT_LN_EPS);
    rec_f32(rec, t, 3, s3, "mlm.vocab_layer_norm");
    linear(logits, t, tensor_f(&m->vocab_projector_w), tensor_f(&m->vocab_projector_b), N, D,
           c->vocab_size);
    free(t);
    return 0;
}

void distilbert_fill_mask(const int64_t *ids, const float *logits, int B, int L, int V, int64_t mask_id,
                          int k, MaskPredictions *out, Recorder *rec) {
    memset(out, 0, sizeof *out);
    if (k > V) k = V;
    out->k = k;
    for (int i = 0; i < B * L; i++) out->n += ids[i] == mask_id;
    int n = out->n;
    out->positions = xmalloc(sizeof(int64_t) * (size_t)(2 * n + 1));
    out->ids = xmalloc(sizeof(int64_t) * (size_t)(n * k + 1));
    out->probs = xmalloc(sizeof(float) * (size_t)(n * k + 1));
    float *row = xmalloc(sizeof(float) * (size_t)V);
    int *idx = xmalloc(sizeof(int) * (size_t)(k + 1));
    for (int i = 0, j = 0; i < B * L; i++) {
        if (ids[i] != mask_id) continue;
        out->positions[2 * j] = i / L, out->positions[2 * j + 1] = i % L;
        memcpy(row, logits + (size_t)i * V, sizeof(float) * (size_t)V);
        softmax(row, 1, V);
        topk(row, V, k, idx, out->probs + (size_t)j * k);
        for (int r = 0; r < k; r++) out->ids[(size_t)j * k + r] = idx[r];
        j++;
    }
    int64_t sp[2] = {n, 2}, sk[2] = {n, k};
    rec_i64(rec, out->positions, 2, sp, "mask_positions");
    rec_i64(rec, out->ids, 2, sk, "mask_topk_ids");
    rec_f32(rec, out->probs, 2, sk, "mask_topk_probs");
    free(row), free(idx);
}

void mask_predictions_free(MaskPredictions *p) {
    free(p->positions), free(p->ids), free(p->probs);
    memset(p, 0, sizeof *p);
}

int64_t distilbert_mask_token_id(const Tokenizer *tok) {
    IdList ids = {0};
    int64_t id = -1;
    /* [CLS] [MASK] [SEP]: special tokens are split off before any normalisation */
    if (tokenizer_encode(tok, "[MASK]", &ids) == 0 && ids.n == 3) id = ids.ids[1];
    ids_free(&ids);
    return id;
}

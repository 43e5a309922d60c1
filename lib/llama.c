/* llama.c — see llama.h.  Read llama_forward() top to bottom. */
#include "llama.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "progress.h"
#include "util.h"

int llama_config_parse(const cJSON *cfg, const char *path, LlamaConfig *c) {
    memset(c, 0, sizeof *c);
    if (json_req_int(cfg, "hidden_size", path, &c->hidden_size) ||
        json_req_int(cfg, "intermediate_size", path, &c->intermediate_size) ||
        json_req_int(cfg, "num_hidden_layers", path, &c->num_hidden_layers) ||
        json_req_int(cfg, "num_attention_heads", path, &c->num_attention_heads) ||
        json_req_int(cfg, "vocab_size", path, &c->vocab_size))
        return -1;
    /* HF LlamaConfig defaults */
    c->num_key_value_heads = json_int(cfg, "num_key_value_heads", c->num_attention_heads);
    c->head_dim = json_int(cfg, "head_dim", c->hidden_size / c->num_attention_heads);
    c->max_position_embeddings = json_int(cfg, "max_position_embeddings", 2048);
    c->rms_norm_eps = (float)json_num(cfg, "rms_norm_eps", 1e-6);
    /* transformers v5 moves rope_theta into rope_parameters */
    const cJSON *rp = json_get(cfg, "rope_parameters");
    c->rope_theta = (float)json_num(rp, "rope_theta", json_num(cfg, "rope_theta", 10000.0));
    c->tie_word_embeddings = json_bool(cfg, "tie_word_embeddings", 0);
    c->attention_bias = json_bool(cfg, "attention_bias", 0);
    c->mlp_bias = json_bool(cfg, "mlp_bias", 0);
    const cJSON *eos = json_get(cfg, "eos_token_id");
    if (cJSON_IsArray(eos)) eos = cJSON_GetArrayItem(eos, 0);
    /* (range first: casting a double beyond int64 is UB; found by fuzz_config) */
    c->eos_token_id =
        cJSON_IsNumber(eos) && fabs(eos->valuedouble) < 9.0e15 ? (int64_t)eos->valuedouble : -1;
    const char *act = json_str(cfg, "hidden_act", "silu");
    if (activation_from_name(act, &c->hidden_act))
        return vlm_fail("%s: unsupported hidden_act '%s'", path, act);
    if (json_has(cfg, "rope_scaling") ||
        strcmp(json_str(rp, "rope_type", "default"), "default") != 0)
        return vlm_fail("%s: rope scaling is not supported (only the default RoPE)", path);
    if (c->num_key_value_heads < 1 || c->num_attention_heads % c->num_key_value_heads)
        return vlm_fail("%s: num_attention_heads (%d) must be a multiple of num_key_value_heads (%d)",
                        path, c->num_attention_heads, c->num_key_value_heads);
    if (c->head_dim < 2 || c->head_dim % 2)
        return vlm_fail("%s: head_dim %d must be even for RoPE", path, c->head_dim);
    return 0;
}

/* Fetch "<prefix><name>" with the shape config.json implies.  Matrices (ndim 2) stay
 * in the checkpoint's dtype when it is BF16 (SmolLM2 ships BF16): linear_w widens
 * them exactly inside the matmul, so decoding streams half the bytes. */
static int get(SafeTensors *st, const char *prefix, const char *name, Tensor *t, int ndim,
               int64_t d0, int64_t d1) {
    char key[256];
    snprintf(key, sizeof key, "%s%s", prefix, name);
    int64_t shape[2] = {d0, d1};
    return ndim == 2 ? st_get_weight(st, key, ndim, shape, t) : st_get_shape(st, key, ndim, shape, t);
}

int llama_load(Llama *m, SafeTensors *st, const LlamaConfig *c, const char *prefix,
               const char *lm_head_key) {
    memset(m, 0, sizeof *m);
    m->config = *c;
    int H = c->hidden_size, I = c->intermediate_size;
    int qd = c->num_attention_heads * c->head_dim, kvd = c->num_key_value_heads * c->head_dim;
    if (get(st, prefix, "embed_tokens.weight", &m->embed_tokens, 2, c->vocab_size, H) ||
        get(st, prefix, "norm.weight", &m->norm, 1, H, 0))
        return -1;
    m->layers = xcalloc((size_t)c->num_hidden_layers, sizeof(LlamaLayer));
    for (int i = 0; i < c->num_hidden_layers; i++) {
        LlamaLayer *l = &m->layers[i];
        char p[200];
        snprintf(p, sizeof p, "%slayers.%d.", prefix, i);
        if (get(st, p, "input_layernorm.weight", &l->input_layernorm, 1, H, 0) ||
            get(st, p, "post_attention_layernorm.weight", &l->post_attention_layernorm, 1, H, 0) ||
            get(st, p, "self_attn.q_proj.weight", &l->q_proj, 2, qd, H) ||
            get(st, p, "self_attn.k_proj.weight", &l->k_proj, 2, kvd, H) ||
            get(st, p, "self_attn.v_proj.weight", &l->v_proj, 2, kvd, H) ||
            get(st, p, "self_attn.o_proj.weight", &l->o_proj, 2, H, qd) ||
            get(st, p, "mlp.gate_proj.weight", &l->gate_proj, 2, I, H) ||
            get(st, p, "mlp.up_proj.weight", &l->up_proj, 2, I, H) ||
            get(st, p, "mlp.down_proj.weight", &l->down_proj, 2, H, I))
            return -1;
        if (c->attention_bias &&
            (get(st, p, "self_attn.q_proj.bias", &l->q_bias, 1, qd, 0) ||
             get(st, p, "self_attn.k_proj.bias", &l->k_bias, 1, kvd, 0) ||
             get(st, p, "self_attn.v_proj.bias", &l->v_bias, 1, kvd, 0) ||
             get(st, p, "self_attn.o_proj.bias", &l->o_bias, 1, H, 0)))
            return -1;
        if (c->mlp_bias &&
            (get(st, p, "mlp.gate_proj.bias", &l->gate_bias, 1, I, 0) ||
             get(st, p, "mlp.up_proj.bias", &l->up_bias, 1, I, 0) ||
             get(st, p, "mlp.down_proj.bias", &l->down_bias, 1, H, 0)))
            return -1;
    }
    if (c->tie_word_embeddings) {
        m->lm_head = m->embed_tokens; /* HF ties the two parameters */
    } else {
        int64_t shape[2] = {c->vocab_size, H};
        if (st_get_weight(st, lm_head_key, 2, shape, &m->lm_head)) return -1;
    }
    return 0;
}

int llama_open(Llama *m, SafeTensors *st, const char *dir) {
    char *path = path_join(dir, "config.json");
    cJSON *cfg = json_load(path);
    LlamaConfig c;
    int rc = cfg ? llama_config_parse(cfg, path, &c) : -1;
    cJSON_Delete(cfg);
    free(path);
    if (rc || st_open_dir(st, dir)) return -1;
    if (llama_load(m, st, &c, "model.", "lm_head.weight")) {
        llama_free(m); /* llama_load may have allocated the layers before failing */
        st_close(st);
        return -1;
    }
    return 0;
}

void llama_free(Llama *m) {
    free(m->layers); /* the tensors belong to the SafeTensors */
    memset(m, 0, sizeof *m);
}

int llama_embed(const Llama *m, const int64_t *ids, int n, float *out) {
    return embedding_w(out, &m->embed_tokens, ids, n);
}

static const float *bias(const Tensor *b) { return b->data ? tensor_f(b) : NULL; }

int llama_forward(const Llama *m, float *x, int B, int L, const int64_t *attention_mask,
                  KVCache *cache, Recorder *rec, const char *tag) {
    const LlamaConfig *c = &m->config;
    int H = c->hidden_size, I = c->intermediate_size, D = c->head_dim;
    int nh = c->num_attention_heads, nkv = c->num_key_value_heads, N = B * L;
    int past = cache ? cache->len : 0, Lk = past + L;
    if (cache && B != 1) return vlm_fail("the KV cache holds one sequence (batch 1), got %d", B);
    if (cache && Lk > cache->max_len)
        return vlm_fail("sequence of %d tokens exceeds the KV cache (%d)", Lk, cache->max_len);
    if (Lk > c->max_position_embeddings)
        return vlm_fail("sequence of %d tokens exceeds max_position_embeddings (%d)", Lk,
                        c->max_position_embeddings);

    /* scratch buffers, carved from one grow-only block: a decode step allocates nothing */
    static _Thread_local Scratch scratch;
    size_t nH = (size_t)N * H, nQ = (size_t)N * nh * D, nKV = (size_t)N * nkv * D, nI = (size_t)N * I;
    size_t nP = rec ? (size_t)B * nh * L * Lk : 0;
    size_t nfloat = nH + 3 * nQ + 4 * nKV + 2 * nI + nP;
    int64_t *pos = scratch_reserve(&scratch, sizeof(int64_t) * ((size_t)L + Lk) + sizeof(float) * nfloat);
    int64_t *key_mask = attention_mask ? pos + L : NULL;
    float *h = (float *)(pos + L + Lk);
    float *qf = h + nH;             /* [B, L, nh*D] */
    float *q = qf + nQ;             /* [B, nh, L, D] */
    float *ctx = q + nQ;
    float *kf = ctx + nQ, *vf = kf + nKV; /* [B, L, nkv*D] */
    float *k = vf + nKV, *v = k + nKV;    /* [B, nkv, L, D] */
    float *gate = v + nKV, *up = gate + nI;
    float *probs = rec ? up + nI : NULL;
    for (int l = 0; l < L; l++) pos[l] = past + l; /* HF: past_len + arange(L), also for padded rows */

    int64_t sh[4];
#define SHAPE3(a, b_, c_) (sh[0] = (a), sh[1] = (b_), sh[2] = (c_), sh)
#define SHAPE4(a, b_, c_, d_) (sh[0] = (a), sh[1] = (b_), sh[2] = (c_), sh[3] = (d_), sh)
    rec_f32(rec, x, 3, SHAPE3(B, L, H), "%sembeddings", tag);

    for (int i = 0; i < c->num_hidden_layers; i++) {
        const LlamaLayer *w = &m->layers[i];
        /* --- self-attention block --- */
        rms_norm(h, x, tensor_f(&w->input_layernorm), N, H, c->rms_norm_eps);
        rec_f32(rec, h, 3, SHAPE3(B, L, H), "%slayer.%d.attn_norm", tag, i);
        linear_w(qf, h, &w->q_proj, bias(&w->q_bias), N);
        linear_w(kf, h, &w->k_proj, bias(&w->k_bias), N);
        linear_w(vf, h, &w->v_proj, bias(&w->v_bias), N);
        split_heads(q, qf, B, L, nh, D);
        split_heads(k, kf, B, L, nkv, D);
        split_heads(v, vf, B, L, nkv, D);
        rec_f32(rec, q, 4, SHAPE4(B, nh, L, D), "%slayer.%d.q", tag, i);
        rec_f32(rec, k, 4, SHAPE4(B, nkv, L, D), "%slayer.%d.k", tag, i);
        rec_f32(rec, v, 4, SHAPE4(B, nkv, L, D), "%slayer.%d.v", tag, i);
        for (int b = 0; b < B; b++) {
            rope(q + (size_t)b * nh * L * D, nh, L, D, pos, c->rope_theta);
            rope(k + (size_t)b * nkv * L * D, nkv, L, D, pos, c->rope_theta);
        }
        rec_f32(rec, q, 4, SHAPE4(B, nh, L, D), "%slayer.%d.q_rope", tag, i);
        rec_f32(rec, k, 4, SHAPE4(B, nkv, L, D), "%slayer.%d.k_rope", tag, i);
        for (int b = 0; b < B; b++) {
            const float *kb = k + (size_t)b * nkv * L * D, *vb = v + (size_t)b * nkv * L * D;
            float *kc = NULL, *vc = NULL;
            if (cache) { /* append this step's keys/values, attend over all of them */
                kc = cache->k + (size_t)i * nkv * cache->max_len * D;
                vc = cache->v + (size_t)i * nkv * cache->max_len * D;
                for (int g = 0; g < nkv; g++) {
                    memcpy(kc + ((size_t)g * cache->max_len + past) * D, kb + (size_t)g * L * D,
                           sizeof(float) * (size_t)L * D);
                    memcpy(vc + ((size_t)g * cache->max_len + past) * D, vb + (size_t)g * L * D,
                           sizeof(float) * (size_t)L * D);
                }
            }
            if (key_mask) {
                for (int j = 0; j < Lk; j++) key_mask[j] = attention_mask[(size_t)b * Lk + j];
            }
            float *pb = probs ? probs + (size_t)b * nh * L * Lk : NULL;
            /* with a cache, k/v rows live in the cache: [nkv][max_len][D] */
            attention(ctx + (size_t)b * nh * L * D, pb, q + (size_t)b * nh * L * D,
                      cache ? kc : kb, cache ? vc : vb, nh, nkv, L, Lk, cache ? cache->max_len : L,
                      D, 1.0f / sqrtf((float)D), key_mask, 1, past);
        }
        rec_f32(rec, probs, 4, SHAPE4(B, nh, L, Lk), "%slayer.%d.attn_probs", tag, i);
        merge_heads(qf, ctx, B, nh, L, D);
        rec_f32(rec, qf, 3, SHAPE3(B, L, nh * D), "%slayer.%d.attn_context", tag, i);
        linear_w(h, qf, &w->o_proj, bias(&w->o_bias), N);
        rec_f32(rec, h, 3, SHAPE3(B, L, H), "%slayer.%d.attn_out", tag, i);
        add(x, x, h, (int64_t)N * H);
        rec_f32(rec, x, 3, SHAPE3(B, L, H), "%slayer.%d.resid_mid", tag, i);

        /* --- SwiGLU MLP block --- */
        rms_norm(h, x, tensor_f(&w->post_attention_layernorm), N, H, c->rms_norm_eps);
        rec_f32(rec, h, 3, SHAPE3(B, L, H), "%slayer.%d.mlp_norm", tag, i);
        linear_w(gate, h, &w->gate_proj, bias(&w->gate_bias), N);
        linear_w(up, h, &w->up_proj, bias(&w->up_bias), N);
        rec_f32(rec, gate, 3, SHAPE3(B, L, I), "%slayer.%d.mlp_gate", tag, i);
        rec_f32(rec, up, 3, SHAPE3(B, L, I), "%slayer.%d.mlp_up", tag, i);
        activation(gate, (int64_t)N * I, c->hidden_act);
        mul(gate, gate, up, (int64_t)N * I);
        rec_f32(rec, gate, 3, SHAPE3(B, L, I), "%slayer.%d.mlp_act", tag, i);
        linear_w(h, gate, &w->down_proj, bias(&w->down_bias), N);
        rec_f32(rec, h, 3, SHAPE3(B, L, H), "%slayer.%d.mlp_out", tag, i);
        add(x, x, h, (int64_t)N * H);
        rec_f32(rec, x, 3, SHAPE3(B, L, H), "%slayer.%d.output", tag, i);
        progress_loop(L > 1 ? "decoder layers" : NULL, i + 1, c->num_hidden_layers); /* slow forwards, on a terminal */
    }
    rms_norm(x, x, tensor_f(&m->norm), N, H, c->rms_norm_eps);
    rec_f32(rec, x, 3, SHAPE3(B, L, H), "%sfinal_norm", tag);
#undef SHAPE3
#undef SHAPE4
    if (cache) cache->len = Lk;
    return 0;
}

void llama_logits(const Llama *m, const float *x, int n, float *logits) {
    linear_w(logits, x, &m->lm_head, NULL, n);
}

int kv_cache_init(KVCache *c, const LlamaConfig *cfg, int max_len) {
    size_t n = (size_t)cfg->num_hidden_layers * cfg->num_key_value_heads * (size_t)max_len *
               cfg->head_dim;
    c->max_len = max_len;
    c->len = 0;
    c->k = xcalloc(n, sizeof(float));
    c->v = xcalloc(n, sizeof(float));
    return 0;
}

void kv_cache_free(KVCache *c) {
    free(c->k);
    free(c->v);
    memset(c, 0, sizeof *c);
}

int llama_generate(const Llama *m, const float *prompt_embeds, int L, int max_new,
                   const int64_t *stop_ids, int n_stop, int64_t *out_tokens, float *step_logits,
                   void (*on_token)(int64_t id, void *ctx), void *ctx) {
    const LlamaConfig *c = &m->config;
    int H = c->hidden_size, V = c->vocab_size;
    KVCache cache;
    kv_cache_init(&cache, c, L + max_new);
    float *x = xmalloc(sizeof(float) * (size_t)(L > 1 ? L : 1) * H);
    float *logits = xmalloc(sizeof(float) * (size_t)V);
    memcpy(x, prompt_embeds, sizeof(float) * (size_t)L * H);
    int n = 0, rc = llama_forward(m, x, 1, L, NULL, &cache, NULL, ""); /* prefill */
    const float *last = x + (size_t)(L - 1) * H;
    while (rc == 0 && n < max_new) {
        llama_logits(m, last, 1, logits);
        if (step_logits) memcpy(step_logits + (size_t)n * V, logits, sizeof(float) * (size_t)V);
        int64_t next = argmax(logits, V);
        out_tokens[n++] = next;
        if (on_token) on_token(next, ctx);
        int stop = 0;
        for (int s = 0; s < n_stop; s++) stop |= next == stop_ids[s];
        if (stop || n == max_new) break;
        /* decode step: one new token at the next position */
        rc = llama_embed(m, &next, 1, x);
        if (rc == 0) rc = llama_forward(m, x, 1, 1, NULL, &cache, NULL, "");
        last = x;
    }
    free(x);
    free(logits);
    kv_cache_free(&cache);
    return rc ? -1 : n;
}

/* llama.h — the Llama decoder (SmolLM2 family): LlamaForCausalLM.
 *
 * One forward pass, readable top to bottom (llama.c: llama_forward):
 *   x = embed_tokens[ids]
 *   for each layer:  h = rms_norm(x, input_layernorm)
 *                    q, k, v = q_proj(h), k_proj(h), v_proj(h)   -> split into heads
 *                    q, k = rope(q), rope(k)                      (rotate_half pairing)
 *                    x += o_proj(attention(q, k, v))              (causal + padding mask, GQA)
 *                    h = rms_norm(x, post_attention_layernorm)
 *                    x += down_proj(silu(gate_proj(h)) * up_proj(h))
 *   x = rms_norm(x, norm);  logits = lm_head(x)   (lm_head = embed_tokens when tied)
 *
 * Keys are HF's: <prefix>embed_tokens.weight, <prefix>layers.{i}.self_attn.q_proj.weight, ...
 * with prefix "model." (LlamaForCausalLM), "model.text_model." (Idefics3) or
 * "language_model.model." (LLaVA).
 */
#ifndef VLM_LLAMA_H
#define VLM_LLAMA_H

#include <cjson/cJSON.h>

#include "ops.h"
#include "recorder.h"
#include "safetensors.h"
#include "tensor.h"

typedef struct {
    int hidden_size, intermediate_size, num_hidden_layers;
    int num_attention_heads, num_key_value_heads, head_dim;
    int vocab_size, max_position_embeddings;
    float rms_norm_eps, rope_theta;
    int tie_word_embeddings, attention_bias, mlp_bias;
    Activation hidden_act;
    int64_t eos_token_id;   /* -1 if none */
} LlamaConfig;

typedef struct {
    Tensor input_layernorm, post_attention_layernorm;
    Tensor q_proj, k_proj, v_proj, o_proj;          /* weights [out, in] */
    Tensor q_bias, k_bias, v_bias, o_bias;          /* only with attention_bias */
    Tensor gate_proj, up_proj, down_proj;
    Tensor gate_bias, up_bias, down_bias;           /* only with mlp_bias */
} LlamaLayer;

typedef struct Llama {
    LlamaConfig config;
    Tensor embed_tokens;   /* [vocab, hidden] */
    LlamaLayer *layers;
    Tensor norm;
    Tensor lm_head;        /* [vocab, hidden]; = embed_tokens when tied */
} Llama;

/* KV cache for greedy generation (batch 1): post-RoPE keys and values,
 * [layers][kv_heads][max_len][head_dim], kv heads not repeated (as HF stores them). */
typedef struct {
    int max_len, len;
    float *k, *v;
} KVCache;

/* config.json (the text part) -> LlamaConfig with HF defaults. path is for messages. */
int llama_config_parse(const cJSON *cfg, const char *path, LlamaConfig *c);
/* Look up and shape-check every weight; lm_head_key is used when not tied. */
int llama_load(Llama *m, SafeTensors *st, const LlamaConfig *c, const char *prefix,
               const char *lm_head_key);
void llama_free(Llama *m);
/* A LlamaForCausalLM folder (config.json + *.safetensors) in one call: the lessons'
 * loader.  st stays open (the weights point into it): llama_free, then st_close. */
int llama_open(Llama *m, SafeTensors *st, const char *dir);

/* ids [n] -> embeddings [n, hidden]. -1 if an id is out of range. */
int llama_embed(const Llama *m, const int64_t *ids, int n, float *out);

/* The decoder on a batch of embeddings x [B, L, hidden] (overwritten: on return it
 * holds the final_norm output).  attention_mask [B, L] (NULL = all ones, right padding).
 * cache: NULL, or a KVCache (B must be 1): positions continue from cache->len and the
 * new keys/values are appended.  rec/tag: record every stage as "<tag>layer.{i}.q" ... */
int llama_forward(const Llama *m, float *x, int B, int L, const int64_t *attention_mask,
                  KVCache *cache, Recorder *rec, const char *tag);
/* logits [n, vocab] = lm_head(x [n, hidden]). */
void llama_logits(const Llama *m, const float *x, int n, float *logits);

int kv_cache_init(KVCache *c, const LlamaConfig *cfg, int max_len);
void kv_cache_free(KVCache *c);

/* Greedy decoding with the KV cache from prompt embeddings [L, hidden].
 * Writes up to max_new tokens to out_tokens (and their logit rows to step_logits
 * [max_new, vocab] if not NULL); stops after a token in stop_ids (n_stop of them).
 * on_token (may be NULL) is called after every token, for streaming.
 * Returns the number of tokens generated, -1 on error. */
int llama_generate(const Llama *m, const float *prompt_embeds, int L, int max_new,
                   const int64_t *stop_ids, int n_stop, int64_t *out_tokens, float *step_logits,
                   void (*on_token)(int64_t id, void *ctx), void *ctx);

#endif

/* parity_llama.c — LlamaForCausalLM goldens (llama_tiny*, builtin smollm2-tiny). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"
#include "json.h"
#include "llama.h"
#include "tokenizer.h"
#include "util.h"

/* Built-in goldens start from raw text: tokenize inputs.texts as HF would. */
static void record_tokenization(const Golden *g, Recorder *rec) {
    const char **texts;
    int n;
    Tokenizer tok;
    if (golden_texts(g, "texts", &texts, &n)) return;
    if (tokenizer_open(g->dir, &tok)) {
        fprintf(stderr, "parity: tokenizer: %s\n", vlm_error());
        free(texts);
        return;
    }
    Tensor ids, mask;
    if (tokenizer_encode_batch(&tok, texts, n, 0, &ids, &mask) == 0) {
        rec_tensor(rec, &ids, "input_ids");
        rec_tensor(rec, &mask, "attention_mask");
        IdList first = {0};
        if (tokenizer_encode(&tok, texts[0], &first) == 0) {
            int64_t shape[2] = {1, first.n};
            rec_i64(rec, first.ids, 2, shape, "gen_prompt_ids");
        }
        ids_free(&first);
        tensor_free(&ids);
        tensor_free(&mask);
    } else {
        fprintf(stderr, "parity: tokenizer: %s\n", vlm_error());
    }
    tokenizer_close(&tok);
    free(texts);
}

/* Greedy generation with the KV cache from gen_prompt_ids, as many tokens as the golden has. */
static int record_generation(const Golden *g, const Llama *m, Recorder *rec) {
    Tensor prompt, want;
    if (golden_tensor(g, "gen_prompt_ids", &prompt) || golden_tensor(g, "gen.tokens", &want)) return -1;
    int L = (int)tensor_numel(&prompt), n = (int)tensor_numel(&want), V = m->config.vocab_size;
    Tensor ids = tensor_clone(&prompt);
    float *emb = xmalloc(sizeof(float) * (size_t)L * m->config.hidden_size);
    int64_t *tokens = xmalloc(sizeof(int64_t) * (size_t)n);
    float *step_logits = xmalloc(sizeof(float) * (size_t)n * V);
    int rc = llama_embed(m, tensor_i(&ids), L, emb);
    int got = rc ? -1 : llama_generate(m, emb, L, n, NULL, 0, tokens, step_logits, NULL, NULL);
    if (got >= 0) {
        int64_t s1[1] = {got}, s2[2] = {got, V};
        rec_i64(rec, tokens, 1, s1, "gen.tokens");
        rec_f32(rec, step_logits, 2, s2, "gen.step_logits");
    }
    tensor_free(&ids);
    free(emb), free(tokens), free(step_logits);
    return got < 0 ? -1 : 0;
}

int parity_llama(const Golden *g, Recorder *rec) {
    cJSON *cfg = golden_config(g);
    if (!cfg) return -1;
    char *cfg_path = path_join(g->dir, "config.json");
    LlamaConfig c;
    SafeTensors st;
    Llama m;
    int rc = llama_config_parse(cfg, cfg_path, &c);
    free(cfg_path);
    cJSON_Delete(cfg);
    if (rc || st_open_dir(&st, g->dir)) return -1;
    if (llama_load(&m, &st, &c, "model.", "lm_head.weight")) {
        st_close(&st);
        return -1;
    }
    if (golden_inputs(g)) record_tokenization(g, rec);

    Tensor ids, mask = {0};
    rc = golden_tensor(g, "input_ids", &ids);
    int has_mask = st_find(&g->st, "attention_mask") != NULL;
    if (rc == 0 && has_mask) rc = golden_tensor(g, "attention_mask", &mask);
    if (rc == 0) {
        int B = (int)ids.shape[0], L = (int)ids.shape[1], H = c.hidden_size, V = c.vocab_size;
        Tensor id_copy = tensor_clone(&ids), mask_copy = has_mask ? tensor_clone(&mask) : (Tensor){0};
        float *x = xmalloc(sizeof(float) * (size_t)B * L * H);
        float *logits = xmalloc(sizeof(float) * (size_t)B * L * V);
        rc = llama_embed(&m, tensor_i(&id_copy), B * L, x);
        if (rc == 0) rc = llama_forward(&m, x, B, L, has_mask ? tensor_i(&mask_copy) : NULL, NULL, rec, "");
        if (rc == 0) {
            llama_logits(&m, x, B * L, logits);
            int64_t shape[3] = {B, L, V};
            rec_f32(rec, logits, 3, shape, "logits");
            golden_record_topk(rec, logits, has_mask ? tensor_i(&mask_copy) : NULL, B, L, V, 5, 1);
        }
        free(x), free(logits);
        tensor_free(&id_copy), tensor_free(&mask_copy);
    }
    if (rc == 0) rc = record_generation(g, &m, rec);
    llama_free(&m);
    st_close(&st);
    return rc;
}

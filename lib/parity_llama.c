/* parity_llama.c — LlamaForCausalLM goldens (llama_tiny*, builtin smollm2-tiny). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"
#include "json.h"
#include "llama.h"
#include "tokenizer.h"
#include "util.h"

/* gen_prompt_ids = the first text alone, unpadded (the prompt of the greedy test). */
static void record_gen_prompt(const Golden *g, Recorder *rec) {
    const char **texts;
    int n;
    Tokenizer tok;
    if (golden_texts(g, "texts", &texts, &n)) return;
    IdList first = {0};
    if (n > 0 && tokenizer_open(g->dir, &tok) == 0) {
        if (tokenizer_encode(&tok, texts[0], &first) == 0) {
            int64_t shape[2] = {1, first.n};
            rec_i64(rec, first.ids, 2, shape, "gen_prompt_ids");
        }
        tokenizer_close(&tok);
    }
    ids_free(&first);
    free(texts);
}

/* Greedy generation with the KV cache from the golden's gen_prompt_ids. */
static int record_generation(const Golden *g, const Llama *m, Recorder *rec) {
    Tensor prompt;
    if (golden_tensor(g, "gen_prompt_ids", &prompt)) return -1;
    Tensor ids = tensor_clone(&prompt);
    int L = (int)tensor_numel(&ids);
    float *emb = xmalloc(sizeof(float) * (size_t)(L ? L : 1) * m->config.hidden_size);
    int rc = llama_embed(m, tensor_i(&ids), L, emb);
    if (rc == 0) rc = golden_record_generation(g, m, emb, L, rec);
    tensor_free(&ids);
    free(emb);
    return rc;
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
    if (golden_inputs(g)) {
        golden_record_texts(g, rec, 0, 1);
        record_gen_prompt(g, rec);
    }

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

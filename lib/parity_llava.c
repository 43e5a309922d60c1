/* parity_llava.c — LlavaForConditionalGeneration goldens (llava_tiny): the model fed the
 * golden input_ids / pixel_values, every stage recorded, then greedy generation for
 * batch row 0 from its merged prompt. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"
#include "json.h"
#include "llava.h"
#include "util.h"

static int run_model(const Golden *g, const Llava *m, Recorder *rec) {
    const LlavaConfig *c = &m->config;
    Tensor ids_g, pv_g, mask_g;
    if (golden_tensor(g, "input_ids", &ids_g) || golden_tensor(g, "pixel_values", &pv_g)) return -1;
    int has_mask = st_find(&g->st, "attention_mask") != NULL;
    if (has_mask && golden_tensor(g, "attention_mask", &mask_g)) return -1;
    int S = c->vision.image_size;
    if (ids_g.ndim != 2 || pv_g.ndim != 4 || pv_g.shape[1] != c->vision.num_channels ||
        pv_g.shape[2] != S || pv_g.shape[3] != S)
        return vlm_fail("%s: expected input_ids [B, L] and pixel_values [n, %d, %d, %d]", g->json_path,
                        c->vision.num_channels, S, S);
    Tensor ids = tensor_clone(&ids_g), pv = tensor_to_f32(&pv_g);
    Tensor mask = has_mask ? tensor_clone(&mask_g) : (Tensor){0};
    int B = (int)ids.shape[0], L = (int)ids.shape[1], H = c->text.hidden_size, V = c->text.vocab_size;
    const int64_t *am = has_mask ? tensor_i(&mask) : NULL;

    float *features = NULL, *x = xmalloc(sizeof(float) * (size_t)B * L * H);
    float *merged = xmalloc(sizeof(float) * (size_t)B * L * H);
    float *logits = xmalloc(sizeof(float) * (size_t)B * L * V);
    int n_rows = 0;
    int rc = llava_image_features(m, tensor_f(&pv), (int)pv.shape[0], &features, &n_rows, rec);
    if (rc == 0) rc = llava_embed(m, tensor_i(&ids), B, L, features, n_rows, x, rec);
    if (rc == 0) {
        memcpy(merged, x, sizeof(float) * (size_t)B * L * H);
        rc = llama_forward(&m->text, x, B, L, am, NULL, rec, "text.");
    }
    if (rc == 0) {
        llama_logits(&m->text, x, B * L, logits);
        int64_t shape[3] = {B, L, V};
        rec_f32(rec, logits, 3, shape, "text.logits");
        golden_record_topk(rec, logits, am, B, L, V, 5, 0);
        int L0 = L;
        if (am) for (L0 = 0; L0 < L && am[L0]; L0++) {}
        rc = golden_record_generation(g, &m->text, merged, L0, rec);
    }
    free(features), free(x), free(merged), free(logits);
    tensor_free(&ids), tensor_free(&pv), tensor_free(&mask);
    return rc;
}

int parity_llava(const Golden *g, Recorder *rec) {
    cJSON *cfg = golden_config(g);
    if (!cfg) return -1;
    char *cfg_path = path_join(g->dir, "config.json");
    LlavaConfig c;
    int rc = llava_config_parse(cfg, cfg_path, &c);
    free(cfg_path);
    cJSON_Delete(cfg);
    SafeTensors st;
    Llava m;
    if (rc || st_open_dir(&st, g->dir)) return -1;
    if (llava_load(&m, &st, &c)) {
        st_close(&st);
        return -1;
    }
    rc = run_model(g, &m, rec);
    llava_free(&m);
    st_close(&st);
    return rc;
}

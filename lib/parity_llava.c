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
    Tensor ids, mask, pv;
    if (golden_model_inputs(g, 4, c->vision.num_channels, c->vision.image_size, &ids, &mask, &pv)) return -1;
    int B = (int)ids.shape[0], L = (int)ids.shape[1];
    float *features = NULL, *merged = xmalloc(sizeof(float) * (size_t)B * L * c->text.hidden_size);
    int n_rows = 0;
    int rc = llava_image_features(m, tensor_f(&pv), (int)pv.shape[0], &features, &n_rows, rec);
    if (rc == 0) rc = llava_embed(m, tensor_i(&ids), B, L, features, n_rows, merged, rec);
    if (rc == 0) rc = golden_record_decoder(g, &m->text, merged, B, L, mask.data ? tensor_i(&mask) : NULL, rec);
    free(features), free(merged);
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

/* llava.c — see llava.h. */
#include "llava.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image_splice.h"
#include "json.h"
#include "ops.h"
#include "util.h"

int llava_config_parse(const cJSON *cfg, const char *path, LlavaConfig *c) {
    memset(c, 0, sizeof *c);
    const cJSON *text = json_get(cfg, "text_config"), *vision = json_get(cfg, "vision_config");
    if (!cJSON_IsObject(text)) return vlm_fail("%s: no \"text_config\" object", path);
    if (!cJSON_IsObject(vision)) return vlm_fail("%s: no \"vision_config\" object", path);
    if (llama_config_parse(text, path, &c->text) || clip_vision_config_parse(vision, path, &c->vision))
        return -1;
    /* LlavaConfig defaults: image_token_index 32000, layer -2, strategy "default", gelu */
    c->image_token_index =
        json_i64(cfg, "image_token_index", json_i64(cfg, "image_token_id", 32000));
    if (c->image_token_index < 0 || c->image_token_index >= c->text.vocab_size)
        return vlm_fail("%s: image_token_index %lld is outside the vocabulary (%d)", path,
                        (long long)c->image_token_index, c->text.vocab_size);
    const cJSON *layer = json_get(cfg, "vision_feature_layer");
    if (layer && !cJSON_IsNumber(layer))
        return vlm_fail("%s: vision_feature_layer must be one number (lists of layers are not "
                        "supported)", path);
    if (layer && !(fabs(layer->valuedouble) < 1e6)) /* before the int cast (UB when huge) */
        return vlm_fail("%s: vision_feature_layer %g is out of range", path, layer->valuedouble);
    c->vision_feature_layer = layer ? (int)layer->valuedouble : -2;
    int n_states = c->vision.num_hidden_layers + 1;  /* embeddings + every layer */
    if (c->vision_feature_layer < -n_states || c->vision_feature_layer >= n_states)
        return vlm_fail("%s: vision_feature_layer %d is outside the %d hidden states", path,
                        c->vision_feature_layer, n_states);
    const char *strategy = json_str(cfg, "vision_feature_select_strategy", "default");
    if (strcmp(strategy, "default") == 0) c->keep_cls = 0;
    else if (strcmp(strategy, "full") == 0) c->keep_cls = 1;
    else return vlm_fail("%s: unknown vision_feature_select_strategy \"%s\"", path, strategy);
    const char *act = json_str(cfg, "projector_hidden_act", "gelu");
    if (activation_from_name(act, &c->projector_act))
        return vlm_fail("%s: unknown projector_hidden_act \"%s\"", path, act);
    c->image_seq_len = clip_vision_num_patches(&c->vision) + c->keep_cls;
    return 0;
}

int llava_load(Llava *m, SafeTensors *st, const LlavaConfig *c) {
    memset(m, 0, sizeof *m);
    m->config = *c;
    /* which checkpoint layout: classic (LLaVA-1.5 hub files) or transformers >= 4.52 */
    int modern = st_find(st, "model.multi_modal_projector.linear_1.weight") != NULL;
    const char *vis = modern ? "model.vision_tower.vision_model." : "vision_tower.vision_model.";
    const char *proj = modern ? "model.multi_modal_projector." : "multi_modal_projector.";
    const char *text = modern ? "model.language_model." : "language_model.model.";
    const char *head = modern ? "lm_head.weight" : "language_model.lm_head.weight";
    int Dv = c->vision.hidden_size, Dt = c->text.hidden_size;
    int64_t w1[2] = {Dt, Dv}, w2[2] = {Dt, Dt}, b[1] = {Dt};
    char k[4][128];
    snprintf(k[0], sizeof k[0], "%slinear_1.weight", proj);
    snprintf(k[1], sizeof k[1], "%slinear_1.bias", proj);
    snprintf(k[2], sizeof k[2], "%slinear_2.weight", proj);
    snprintf(k[3], sizeof k[3], "%slinear_2.bias", proj);
    if (clip_vision_load(&m->vision, st, &c->vision, vis)) return -1;
    if (st_get_shape(st, k[0], 2, w1, &m->linear_1_w) || st_get_shape(st, k[1], 1, b, &m->linear_1_b) ||
        st_get_shape(st, k[2], 2, w2, &m->linear_2_w) || st_get_shape(st, k[3], 1, b, &m->linear_2_b) ||
        llama_load(&m->text, st, &c->text, text, head)) {
        llava_free(m);
        return -1;
    }
    return 0;
}

void llava_free(Llava *m) {
    clip_vision_free(&m->vision);
    llama_free(&m->text);
    memset(m, 0, sizeof *m);
}

int llava_image_features(const Llava *m, const float *pixel_values, int n, float **features,
                         int *n_rows, Recorder *rec) {
    const LlavaConfig *c = &m->config;
    int Dv = c->vision.hidden_size, Dt = c->text.hidden_size, T = c->image_seq_len;
    int seq = clip_vision_num_patches(&c->vision) + 1;  /* CLS + patches */
    *features = NULL;
    *n_rows = 0;
    if (n < 1) return vlm_fail("llava: no image");
    /* the whole tower runs (HF does, and the goldens record its last_hidden_state and
     * pooler_output), but the features come from hidden_states[vision_feature_layer] */
    ClipVisionOutput out = {0};
    Tensor h;
    int rc = clip_vision_forward(&m->vision, pixel_values, n, -1, 1, &out, rec, "vision.");
    if (rc == 0) rc = clip_vision_hidden_state(&out, c->vision_feature_layer, &h);
    if (rc) {
        clip_vision_output_free(&out);
        return -1;
    }
    /* strategy "default": drop the CLS row of every image */
    float *selected = xmalloc(sizeof(float) * (size_t)n * T * Dv);
    Tensor hc = tensor_clone(&h);
    for (int i = 0; i < n; i++)
        memcpy(selected + (size_t)i * T * Dv,
               tensor_f(&hc) + ((size_t)i * seq + (c->keep_cls ? 0 : 1)) * Dv,
               sizeof(float) * (size_t)T * Dv);
    tensor_free(&hc);
    clip_vision_output_free(&out);
    int64_t shape[3] = {n, T, Dv};
    rec_f32(rec, selected, 3, shape, "vision.selected_features");

    float *hidden = xmalloc(sizeof(float) * (size_t)n * T * Dt);
    *features = xmalloc(sizeof(float) * (size_t)n * T * Dt);
    linear(hidden, selected, tensor_f(&m->linear_1_w), tensor_f(&m->linear_1_b), n * T, Dv, Dt);
    shape[2] = Dt;
    rec_f32(rec, hidden, 3, shape, "projector.linear_1");
    activation(hidden, (int64_t)n * T * Dt, c->projector_act);
    linear(*features, hidden, tensor_f(&m->linear_2_w), tensor_f(&m->linear_2_b), n * T, Dt, Dt);
    rec_f32(rec, *features, 3, shape, "projector.image_features");
    *n_rows = n * T;
    free(selected), free(hidden);
    return 0;
}

int llava_embed(const Llava *m, const int64_t *ids, int B, int L, const float *features, int n_rows,
                float *embeds, Recorder *rec) {
    int H = m->config.text.hidden_size;
    int64_t shape[3] = {B, L, H};
    if (llama_embed(&m->text, ids, B * L, embeds)) return -1;
    rec_f32(rec, embeds, 3, shape, "text.token_embeddings");
    if (splice_image_features(embeds, ids, B * L, H, m->config.image_token_index, features, n_rows,
                              "llava prompt"))
        return -1;
    rec_f32(rec, embeds, 3, shape, "text.merged_embeddings");
    return 0;
}

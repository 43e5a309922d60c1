/* clip.c — see clip.h.  Read clip_vision_forward() and clip_text_forward() top to bottom. */
#include "clip.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

/* ---- configuration ------------------------------------------------------ */

/* The fields both towers share, with CLIP's defaults passed in. */
static int tower_common(const cJSON *j, const char *path, const char *what, int *hidden,
                        int *inter, int *layers, int *heads, float *eps, Activation *act,
                        int d_hidden, int d_inter, int d_layers, int d_heads) {
    *hidden = json_int(j, "hidden_size", d_hidden);
    *inter = json_int(j, "intermediate_size", d_inter);
    *layers = json_int(j, "num_hidden_layers", d_layers);
    *heads = json_int(j, "num_attention_heads", d_heads);
    *eps = (float)json_num(j, "layer_norm_eps", 1e-5);
    const char *a = json_str(j, "hidden_act", "quick_gelu");
    if (activation_from_name(a, act)) return vlm_fail("%s: %s: unsupported hidden_act '%s'", path, what, a);
    if (*hidden < 1 || *inter < 1 || *layers < 0 || *heads < 1)
        return vlm_fail("%s: %s: hidden_size, intermediate_size, num_attention_heads must be positive",
                        path, what);
    if (*hidden % *heads)
        return vlm_fail("%s: %s: hidden_size %d is not a multiple of num_attention_heads %d", path,
                        what, *hidden, *heads);
    if (!(*eps > 0)) return vlm_fail("%s: %s: layer_norm_eps must be positive", path, what);
    return 0;
}

int clip_vision_config_parse(const cJSON *j, const char *path, ClipVisionConfig *c) {
    memset(c, 0, sizeof *c);
    if (j && !cJSON_IsObject(j)) return vlm_fail("%s: vision_config is not an object", path);
    /* CLIPVisionConfig defaults (ViT-B/32) */
    if (tower_common(j, path, "vision_config", &c->hidden_size, &c->intermediate_size,
                     &c->num_hidden_layers, &c->num_attention_heads, &c->layer_norm_eps,
                     &c->hidden_act, 768, 3072, 12, 12))
        return -1;
    c->image_size = json_int(j, "image_size", 224);
    c->patch_size = json_int(j, "patch_size", 32);
    c->num_channels = json_int(j, "num_channels", 3);
    if (c->patch_size < 1 || c->num_channels < 1 || c->image_size < c->patch_size)
        return vlm_fail("%s: vision_config: image_size %d / patch_size %d / num_channels %d invalid",
                        path, c->image_size, c->patch_size, c->num_channels);
    return 0;
}

int clip_text_config_parse(const cJSON *j, const char *path, ClipTextConfig *c) {
    memset(c, 0, sizeof *c);
    if (j && !cJSON_IsObject(j)) return vlm_fail("%s: text_config is not an object", path);
    if (tower_common(j, path, "text_config", &c->hidden_size, &c->intermediate_size,
                     &c->num_hidden_layers, &c->num_attention_heads, &c->layer_norm_eps,
                     &c->hidden_act, 512, 2048, 12, 8))
        return -1;
    c->vocab_size = json_int(j, "vocab_size", 49408);
    c->max_position_embeddings = json_int(j, "max_position_embeddings", 77);
    /* the legacy default 2 selects HF's argmax pooling (see clip_text_pool_index) */
    c->eos_token_id = json_i64(j, "eos_token_id", 2);
    if (c->vocab_size < 1 || c->max_position_embeddings < 1)
        return vlm_fail("%s: text_config: vocab_size and max_position_embeddings must be positive", path);
    return 0;
}

int clip_config_parse(const cJSON *cfg, const char *path, ClipConfig *c) {
    memset(c, 0, sizeof *c);
    if (clip_text_config_parse(json_get(cfg, "text_config"), path, &c->text_config) ||
        clip_vision_config_parse(json_get(cfg, "vision_config"), path, &c->vision_config))
        return -1;
    c->projection_dim = json_int(cfg, "projection_dim", 512);
    if (c->projection_dim < 1) return vlm_fail("%s: projection_dim must be positive", path);
    return 0;
}

int clip_vision_num_patches(const ClipVisionConfig *c) {
    int g = c->image_size / c->patch_size; /* the conv drops a remainder */
    return g * g;
}

/* ---- loading ------------------------------------------------------------ */

static int get(SafeTensors *st, const char *prefix, const char *name, Tensor *t, int ndim,
               int64_t d0, int64_t d1, int64_t d2, int64_t d3) {
    char key[512];
    snprintf(key, sizeof key, "%s%s", prefix, name);
    int64_t shape[4] = {d0, d1, d2, d3};
    return st_get_shape(st, key, ndim, shape, t);
}

/* HF key names of a CLIP/SigLIP encoder layer. */
int clip_vision_load(ClipVision *m, SafeTensors *st, const ClipVisionConfig *c, const char *prefix) {
    memset(m, 0, sizeof *m);
    m->config = *c;
    m->enc = (EncoderConfig){c->hidden_size, c->num_attention_heads, c->intermediate_size,
                            c->layer_norm_eps, c->hidden_act, "ln1", "ln2"};
    int H = c->hidden_size, p = c->patch_size, P = clip_vision_num_patches(c);
    if (get(st, prefix, "embeddings.class_embedding", &m->class_embedding, 1, H, 0, 0, 0) ||
        get(st, prefix, "embeddings.patch_embedding.weight", &m->patch_embedding, 4, H,
            c->num_channels, p, p) ||
        get(st, prefix, "embeddings.position_embedding.weight", &m->position_embedding, 2, P + 1, H,
            0, 0) ||
        get(st, prefix, "pre_layrnorm.weight", &m->pre_layrnorm_w, 1, H, 0, 0, 0) ||
        get(st, prefix, "pre_layrnorm.bias", &m->pre_layrnorm_b, 1, H, 0, 0, 0) ||
        get(st, prefix, "post_layernorm.weight", &m->post_layernorm_w, 1, H, 0, 0, 0) ||
        get(st, prefix, "post_layernorm.bias", &m->post_layernorm_b, 1, H, 0, 0, 0))
        return -1;
    return encoder_layers_load(&m->layers, c->num_hidden_layers, st, prefix, "encoder.layers.",
                               &CLIP_ENCODER_KEYS, &m->enc);
}

void clip_vision_free(ClipVision *m) {
    free(m->layers); /* the tensors belong to the SafeTensors */
    memset(m, 0, sizeof *m);
}

int clip_text_load(ClipText *m, SafeTensors *st, const ClipTextConfig *c, const char *prefix) {
    memset(m, 0, sizeof *m);
    m->config = *c;
    m->enc = (EncoderConfig){c->hidden_size, c->num_attention_heads, c->intermediate_size,
                            c->layer_norm_eps, c->hidden_act, "ln1", "ln2"};
    int H = c->hidden_size;
    if (get(st, prefix, "embeddings.token_embedding.weight", &m->token_embedding, 2, c->vocab_size,
            H, 0, 0) ||
        get(st, prefix, "embeddings.position_embedding.weight", &m->position_embedding, 2,
            c->max_position_embeddings, H, 0, 0) ||
        get(st, prefix, "final_layer_norm.weight", &m->final_layer_norm_w, 1, H, 0, 0, 0) ||
        get(st, prefix, "final_layer_norm.bias", &m->final_layer_norm_b, 1, H, 0, 0, 0))
        return -1;
    return encoder_layers_load(&m->layers, c->num_hidden_layers, st, prefix, "encoder.layers.",
                               &CLIP_ENCODER_KEYS, &m->enc);
}

void clip_text_free(ClipText *m) {
    free(m->layers);
    memset(m, 0, sizeof *m);
}

/* ---- vision tower ------------------------------------------------------- */

int clip_vision_forward(const ClipVision *m, const float *pixel_values, int B, int num_layers,
                        int output_hidden_states, ClipVisionOutput *out, Recorder *rec,
                        const char *tag) {
    const ClipVisionConfig *c = &m->config;
    int H = c->hidden_size, C = c->num_channels, S = c->image_size, p = c->patch_size;
    int P = clip_vision_num_patches(c), L = P + 1, nl = c->num_hidden_layers;
    memset(out, 0, sizeof *out);
    if (num_layers < 0) num_layers = nl;
    if (num_layers > nl)
        return vlm_fail("clip vision: asked for %d layers, the tower has %d", num_layers, nl);
    if (B < 1) return vlm_fail("clip vision: batch size %d", B);

    /* embeddings: [CLS ; patches] + positions */
    float *patches = xmalloc(sizeof(float) * (size_t)B * P * H);
    for (int b = 0; b < B; b++)
        patch_embed(patches + (size_t)b * P * H, pixel_values + (size_t)b * C * S * S, C, S, S, p,
                    tensor_f(&m->patch_embedding), NULL, H); /* Conv2d(bias=False) */
    int64_t sp[3] = {B, P, H};
    rec_f32(rec, patches, 3, sp, "%spatch_embeds", tag);

    int64_t s3[3] = {B, L, H};
    out->last_hidden_state = tensor_new(DT_F32, 3, s3);
    float *x = tensor_f(&out->last_hidden_state);
    const float *cls = tensor_f(&m->class_embedding), *pos = tensor_f(&m->position_embedding);
    for (int b = 0; b < B; b++) {
        float *xb = x + (size_t)b * L * H;
        memcpy(xb, cls, sizeof(float) * (size_t)H);
        memcpy(xb + H, patches + (size_t)b * P * H, sizeof(float) * (size_t)P * H);
        add(xb, xb, pos, (int64_t)L * H);
    }
    free(patches);
    rec_f32(rec, x, 3, s3, "%sembeddings", tag);
    layer_norm(x, x, tensor_f(&m->pre_layrnorm_w), tensor_f(&m->pre_layrnorm_b), B * L, H,
               c->layer_norm_eps);
    rec_f32(rec, x, 3, s3, "%spre_layrnorm", tag);

    /* HF hidden_states: [pre_layrnorm output, layer 0 output, ...] */
    size_t state = (size_t)B * L * H;
    float *hs = NULL;
    if (output_hidden_states) {
        int64_t sh[4] = {num_layers + 1, B, L, H};
        out->hidden_states = tensor_new(DT_F32, 4, sh);
        hs = tensor_f(&out->hidden_states);
        memcpy(hs, x, sizeof(float) * state);
    }
    for (int i = 0; i < num_layers; i++) {
        encoder_layer_forward(&m->layers[i], &m->enc, x, B, L, NULL, 0, rec, tag, i);
        if (hs) memcpy(hs + (size_t)(i + 1) * state, x, sizeof(float) * state);
    }
    if (num_layers < nl) return 0; /* stopped early: no last_hidden_state / pooler in HF's sense */

    rec_f32(rec, x, 3, s3, "%slast_hidden_state", tag); /* no post_layernorm on the sequence */
    int64_t s2[2] = {B, H};
    out->pooler_output = tensor_new(DT_F32, 2, s2);
    float *pooled = tensor_f(&out->pooler_output);
    for (int b = 0; b < B; b++) /* post_layernorm on the CLS state only */
        layer_norm(pooled + (size_t)b * H, x + (size_t)b * L * H, tensor_f(&m->post_layernorm_w),
                   tensor_f(&m->post_layernorm_b), 1, H, c->layer_norm_eps);
    rec_f32(rec, pooled, 2, s2, "%spooler_output", tag);
    return 0;
}

static int hidden_state_view(const Tensor *hs, int index, Tensor *view) {
    if (!hs->data) return vlm_fail("hidden_states were not kept (pass output_hidden_states = 1)");
    int n = (int)hs->shape[0], i = index < 0 ? n + index : index;
    if (i < 0 || i >= n)
        return vlm_fail("hidden_states[%d] is out of range: the tuple has %d entries", index, n);
    *view = tensor_select(hs, 0, i);
    return 0;
}

int clip_vision_hidden_state(const ClipVisionOutput *out, int index, Tensor *view) {
    return hidden_state_view(&out->hidden_states, index, view);
}

void clip_vision_output_free(ClipVisionOutput *o) {
    tensor_free(&o->last_hidden_state);
    tensor_free(&o->pooler_output);
    tensor_free(&o->hidden_states);
}

/* ---- text tower --------------------------------------------------------- */

int64_t clip_text_pool_index(const ClipTextConfig *c, const int64_t *ids, int L) {
    int64_t best = 0;
    if (c->eos_token_id == 2) { /* legacy configs: the end-of-text token has the largest id */
        for (int l = 1; l < L; l++)
            if (ids[l] > ids[best]) best = l;
        return best;
    }
    for (int l = 0; l < L; l++)
        if (ids[l] == c->eos_token_id) return l;
    return 0;
}

int clip_text_forward(const ClipText *m, const int64_t *input_ids, const int64_t *attention_mask,
                      int B, int L, ClipTextOutput *out, Recorder *rec, const char *tag) {
    const ClipTextConfig *c = &m->config;
    int H = c->hidden_size;
    memset(out, 0, sizeof *out);
    if (B < 1 || L < 1) return vlm_fail("clip text: empty batch [%d, %d]", B, L);
    if (L > c->max_position_embeddings)
        return vlm_fail("clip text: %d tokens exceed max_position_embeddings (%d)", L,
                        c->max_position_embeddings);
    int64_t s3[3] = {B, L, H};
    out->last_hidden_state = tensor_new(DT_F32, 3, s3);
    float *x = tensor_f(&out->last_hidden_state);
    if (embedding(x, tensor_f(&m->token_embedding), input_ids, B * L, H, c->vocab_size)) {
        clip_text_output_free(out);
        return -1;
    }
    for (int b = 0; b < B; b++) /* positions 0..L-1 */
        add(x + (size_t)b * L * H, x + (size_t)b * L * H, tensor_f(&m->position_embedding),
            (int64_t)L * H);
    rec_f32(rec, x, 3, s3, "%sembeddings", tag);

    /* causal mask and padding mask together (HF combines both) */
    for (int i = 0; i < c->num_hidden_layers; i++)
        encoder_layer_forward(&m->layers[i], &m->enc, x, B, L, attention_mask, 1, rec, tag, i);
    layer_norm(x, x, tensor_f(&m->final_layer_norm_w), tensor_f(&m->final_layer_norm_b), B * L, H,
               c->layer_norm_eps);
    rec_f32(rec, x, 3, s3, "%slast_hidden_state", tag);

    int64_t s1[1] = {B}, s2[2] = {B, H};
    out->pool_index = tensor_new(DT_I64, 1, s1);
    out->pooler_output = tensor_new(DT_F32, 2, s2);
    int64_t *idx = tensor_i(&out->pool_index);
    float *pooled = tensor_f(&out->pooler_output);
    for (int b = 0; b < B; b++) {
        idx[b] = clip_text_pool_index(c, input_ids + (size_t)b * L, L);
        memcpy(pooled + (size_t)b * H, x + ((size_t)b * L + idx[b]) * H, sizeof(float) * (size_t)H);
    }
    rec_i64(rec, idx, 1, s1, "%spool_index", tag);
    rec_f32(rec, pooled, 2, s2, "%spooler_output", tag);
    return 0;
}

void clip_text_output_free(ClipTextOutput *o) {
    tensor_free(&o->last_hidden_state);
    tensor_free(&o->pooler_output);
    tensor_free(&o->pool_index);
}

/* ---- CLIPModel ---------------------------------------------------------- */

int clip_load(Clip *m, SafeTensors *st, const ClipConfig *c) {
    memset(m, 0, sizeof *m);
    m->config = *c;
    Tensor scale;
    int64_t none[1] = {0};
    if (clip_vision_load(&m->vision, st, &c->vision_config, "vision_model.") ||
        clip_text_load(&m->text, st, &c->text_config, "text_model.") ||
        get(st, "", "visual_projection.weight", &m->visual_projection, 2, c->projection_dim,
            c->vision_config.hidden_size, 0, 0) ||
        get(st, "", "text_projection.weight", &m->text_projection, 2, c->projection_dim,
            c->text_config.hidden_size, 0, 0) ||
        st_get_shape(st, "logit_scale", 0, none, &scale)) { /* a 0-d Parameter */
        clip_free(m);
        return -1;
    }
    m->logit_scale = tensor_f(&scale)[0];
    return 0;
}

int clip_open(Clip *m, SafeTensors *st, const char *dir) {
    memset(m, 0, sizeof *m);
    char *path;
    cJSON *cfg = json_load_config(dir, "clip", &path);
    ClipConfig c;
    int rc = cfg ? clip_config_parse(cfg, path, &c) : -1;
    cJSON_Delete(cfg);
    free(path);
    if (rc || st_open_dir(st, dir)) return -1;
    if (clip_load(m, st, &c)) { /* clip_load frees what it allocated */
        st_close(st);
        return -1;
    }
    return 0;
}

void clip_free(Clip *m) {
    clip_vision_free(&m->vision);
    clip_text_free(&m->text);
}

int clip_get_image_features(const Clip *m, const float *pixel_values, int B, Tensor *features,
                            Recorder *rec) {
    ClipVisionOutput o;
    if (clip_vision_forward(&m->vision, pixel_values, B, -1, 0, &o, rec, "vision.")) return -1;
    int64_t s[2] = {B, m->config.projection_dim};
    *features = tensor_new(DT_F32, 2, s);
    linear(tensor_f(features), tensor_f(&o.pooler_output), tensor_f(&m->visual_projection), NULL, B,
           m->config.vision_config.hidden_size, m->config.projection_dim);
    rec_tensor(rec, features, "image_features");
    clip_vision_output_free(&o);
    return 0;
}

int clip_get_text_features(const Clip *m, const int64_t *input_ids, const int64_t *attention_mask,
                           int B, int L, Tensor *features, Recorder *rec) {
    ClipTextOutput o;
    if (clip_text_forward(&m->text, input_ids, attention_mask, B, L, &o, rec, "text.")) return -1;
    int64_t s[2] = {B, m->config.projection_dim};
    *features = tensor_new(DT_F32, 2, s);
    linear(tensor_f(features), tensor_f(&o.pooler_output), tensor_f(&m->text_projection), NULL, B,
           m->config.text_config.hidden_size, m->config.projection_dim);
    rec_tensor(rec, features, "text_features");
    clip_text_output_free(&o);
    return 0;
}

int clip_embed_texts(const Clip *m, const Tokenizer *tok, const char *const *texts, int n,
                     Tensor *input_ids, Tensor *features, Recorder *rec) {
    Tensor mask;
    if (tokenizer_encode_batch(tok, texts, n, 0, input_ids, &mask)) return -1;
    int rc = clip_get_text_features(m, tensor_i(input_ids), tensor_i(&mask), n,
                                    (int)input_ids->shape[1], features, rec);
    rec_tensor(rec, input_ids, "input_ids");
    rec_tensor(rec, &mask, "attention_mask");
    tensor_free(&mask);
    if (rc) tensor_free(input_ids);
    return rc;
}

void clip_logits(const Clip *m, const Tensor *image_features, const Tensor *text_features,
                 Tensor *logits_per_image, Recorder *rec) {
    int ni = (int)image_features->shape[0], nt = (int)text_features->shape[0];
    int D = (int)image_features->shape[1];
    Tensor img = tensor_clone(image_features), txt = tensor_clone(text_features);
    l2_normalize(tensor_f(&img), ni, D);
    l2_normalize(tensor_f(&txt), nt, D);
    rec_tensor(rec, &img, "image_embeds");
    rec_tensor(rec, &txt, "text_embeds");
    /* logits_per_text = text_embeds @ image_embeds.T * logit_scale.exp(): the "temperature" */
    float s = expf(m->logit_scale);
    int64_t st[2] = {nt, ni}, si[2] = {ni, nt};
    Tensor per_text = tensor_new(DT_F32, 2, st);
    linear(tensor_f(&per_text), tensor_f(&txt), tensor_f(&img), NULL, nt, D, ni);
    scale(tensor_f(&per_text), s, (int64_t)nt * ni);
    rec_tensor(rec, &per_text, "logits_per_text");
    *logits_per_image = tensor_new(DT_F32, 2, si);
    float *lpi = tensor_f(logits_per_image);
    for (int i = 0; i < ni; i++)
        for (int t = 0; t < nt; t++) lpi[(size_t)i * nt + t] = tensor_f(&per_text)[(size_t)t * ni + i];
    rec_tensor(rec, logits_per_image, "logits_per_image");
    Tensor probs = tensor_clone(logits_per_image);
    softmax(tensor_f(&probs), ni, nt); /* over the texts: the probabilities compete */
    rec_tensor(rec, &probs, "probs_per_image");
    tensor_free(&img), tensor_free(&txt), tensor_free(&per_text), tensor_free(&probs);
}

/* vit.c — see vit.h.  Read vit_forward() top to bottom. */
#include "vit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

/* image_size / patch_size: HF accepts an int or an [h, w] pair. */
static int size_pair(const cJSON *cfg, const char *key, int def, const char *path, int *h, int *w) {
    const cJSON *v = json_get(cfg, key);
    *h = *w = def;
    if (!v) return 0;
    if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 2) {
        const cJSON *a = cJSON_GetArrayItem(v, 0), *b = cJSON_GetArrayItem(v, 1);
        if (cJSON_IsNumber(a) && cJSON_IsNumber(b) && fabs(a->valuedouble) < 1e6 &&
            fabs(b->valuedouble) < 1e6) { /* range before the int casts (UB when huge) */
            *h = (int)a->valuedouble, *w = (int)b->valuedouble;
            if (*h == a->valuedouble && *w == b->valuedouble && *h > 0 && *w > 0) return 0;
        }
    } else if (cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble <= 1e6 &&
               v->valuedouble == (int)v->valuedouble) {
        *h = *w = (int)v->valuedouble;
        return 0;
    }
    return vlm_fail("%s: '%s' must be a positive integer or a pair of them", path, key);
}

/* Positive integer with a default (HF ViTConfig defaults are vit-base's). */
static int pos_int(const cJSON *cfg, const char *key, int def, const char *path, int *out) {
    if (!json_has(cfg, key)) {
        *out = def;
        return 0;
    }
    return json_req_int(cfg, key, path, out);
}

int vit_config_parse(const cJSON *cfg, const char *path, ViTConfig *c) {
    memset(c, 0, sizeof *c);
    const char *type = json_str(cfg, "model_type", "vit");
    if (strcmp(type, "vit") != 0)
        return vlm_fail("%s: model_type is '%s', not a ViT ('vit')", path, type);
    int ph, pw;
    if (pos_int(cfg, "hidden_size", 768, path, &c->hidden_size) ||
        pos_int(cfg, "num_hidden_layers", 12, path, &c->num_hidden_layers) ||
        pos_int(cfg, "num_attention_heads", 12, path, &c->num_attention_heads) ||
        pos_int(cfg, "intermediate_size", 3072, path, &c->intermediate_size) ||
        pos_int(cfg, "num_channels", 3, path, &c->num_channels) ||
        size_pair(cfg, "image_size", 224, path, &c->image_h, &c->image_w) ||
        size_pair(cfg, "patch_size", 16, path, &ph, &pw))
        return -1;
    if (ph != pw) return vlm_fail("%s: non-square patch_size [%d, %d] is not supported", path, ph, pw);
    c->patch_size = ph;
    c->layer_norm_eps = (float)json_num(cfg, "layer_norm_eps", 1e-12);
    c->qkv_bias = json_bool(cfg, "qkv_bias", 1);
    const char *act = json_str(cfg, "hidden_act", "gelu");
    if (activation_from_name(act, &c->hidden_act))
        return vlm_fail("%s: unsupported hidden_act '%s'", path, act);
    if (!c->qkv_bias)
        return vlm_fail("%s: qkv_bias=false is not supported (every released ViT has it)", path);
    if (c->hidden_size % c->num_attention_heads)
        return vlm_fail("%s: hidden_size %d is not a multiple of num_attention_heads %d", path,
                        c->hidden_size, c->num_attention_heads);
    /* ViTPatchEmbeddings: a Conv2d with stride = patch drops any remainder; we insist on
     * an exact grid so every pixel belongs to one patch. */
    if (c->image_h % c->patch_size || c->image_w % c->patch_size)
        return vlm_fail("%s: image_size %dx%d is not a multiple of patch_size %d", path, c->image_h,
                        c->image_w, c->patch_size);
    if ((int64_t)c->image_h * c->image_w > 16384LL * 16384)
        return vlm_fail("%s: image_size %dx%d is implausibly large", path, c->image_h, c->image_w);
    return 0;
}

int vit_grid_h(const ViTConfig *c) { return c->image_h / c->patch_size; }
int vit_grid_w(const ViTConfig *c) { return c->image_w / c->patch_size; }
int vit_num_patches(const ViTConfig *c) { return vit_grid_h(c) * vit_grid_w(c); }
int vit_seq_len(const ViTConfig *c) { return 1 + vit_num_patches(c); }

static int get(SafeTensors *st, const char *prefix, const char *name, Tensor *t, int ndim,
               int64_t d0, int64_t d1, int64_t d2, int64_t d3) {
    char key[256];
    snprintf(key, sizeof key, "%s%s", prefix, name);
    int64_t shape[4] = {d0, d1, d2, d3};
    return st_get_shape(st, key, ndim, shape, t);
}

int vit_load(ViT *m, SafeTensors *st, const ViTConfig *c) {
    memset(m, 0, sizeof *m);
    m->config = *c;
    int H = c->hidden_size, C = c->num_channels, p = c->patch_size;
    /* ViTFor* heads wrap the model as "vit." */
    if (!st_find(st, "embeddings.cls_token") && st_find(st, "vit.embeddings.cls_token"))
        strcpy(m->prefix, "vit.");
    const char *pf = m->prefix;
    m->enc = (EncoderConfig){.hidden = H,
                             .heads = c->num_attention_heads,
                             .intermediate = c->intermediate_size,
                             .eps = c->layer_norm_eps,
                             .act = c->hidden_act,
                             .ln1_name = "ln_before",
                             .ln2_name = "ln_after"};
    if (get(st, pf, "embeddings.cls_token", &m->cls_token, 3, 1, 1, H, 0) ||
        get(st, pf, "embeddings.position_embeddings", &m->position_embeddings, 3, 1,
            vit_seq_len(c), H, 0) ||
        get(st, pf, "embeddings.patch_embeddings.projection.weight", &m->patch_weight, 4, H, C, p, p) ||
        get(st, pf, "embeddings.patch_embeddings.projection.bias", &m->patch_bias, 1, H, 0, 0, 0) ||
        get(st, pf, "layernorm.weight", &m->layernorm_w, 1, H, 0, 0, 0) ||
        get(st, pf, "layernorm.bias", &m->layernorm_b, 1, H, 0, 0, 0))
        return -1;
    static const EncoderKeys keys = {.ln1 = "layernorm_before",
                                     .ln2 = "layernorm_after",
                                     .q = "attention.attention.query",
                                     .k = "attention.attention.key",
                                     .v = "attention.attention.value",
                                     .o = "attention.output.dense",
                                     .fc1 = "intermediate.dense",
                                     .fc2 = "output.dense"};
    if (encoder_layers_load(&m->layers, c->num_hidden_layers, st, pf, "encoder.layer.", &keys, &m->enc)) {
        vit_free(m);
        return -1;
    }
    /* ViTModel(add_pooling_layer=True) has a pooler; classification checkpoints do not. */
    int64_t sw[2] = {H, H}, sb[1] = {H};
    int has_b = 0;
    char kw[64], kb[64];
    snprintf(kw, sizeof kw, "%spooler.dense.weight", pf);
    snprintf(kb, sizeof kb, "%spooler.dense.bias", pf);
    if (st_get_opt(st, kw, 2, sw, &m->pooler_w, &m->has_pooler) ||
        st_get_opt(st, kb, 1, sb, &m->pooler_b, &has_b)) {
        vit_free(m);
        return -1;
    }
    if (m->has_pooler && !has_b) {
        vit_free(m);
        return vlm_fail("%s: %s is present but %s is missing", st->where, kw, kb);
    }
    return 0;
}

int vit_open(ViT *m, SafeTensors *st, const char *dir) {
    memset(m, 0, sizeof *m);
    char *path = path_join(dir, "config.json");
    cJSON *cfg = json_load(path);
    ViTConfig c;
    int rc = cfg ? vit_config_parse(cfg, path, &c) : -1;
    cJSON_Delete(cfg);
    free(path);
    if (rc || st_open_dir(st, dir)) return -1;
    if (vit_load(m, st, &c)) {
        st_close(st);
        return -1;
    }
    return 0;
}

void vit_free(ViT *m) {
    free(m->layers); /* the tensors belong to the SafeTensors */
    memset(m, 0, sizeof *m);
}

int vit_check_pixels(const ViT *m, int C, int H, int W) {
    const ViTConfig *c = &m->config;
    if (C != c->num_channels)
        return vlm_fail("pixel_values have %d channels, the model expects num_channels = %d", C,
                        c->num_channels);
    /* HF ViTPatchEmbeddings raises the same way (without interpolate_pos_encoding). */
    if (H != c->image_h || W != c->image_w)
        return vlm_fail("input image size (%d*%d) doesn't match model (%d*%d)", H, W, c->image_h,
                        c->image_w);
    return 0;
}

void vit_patches(const ViT *m, const float *pixel_values, int B, float *patches) {
    const ViTConfig *c = &m->config;
    int C = c->num_channels, p = c->patch_size, N = vit_num_patches(c);
    size_t img = (size_t)C * c->image_h * c->image_w, K = (size_t)C * p * p;
    for (int b = 0; b < B; b++)
        extract_patches(patches + b * N * K, pixel_values + b * img, C, c->image_h, c->image_w, p);
}

void vit_patch_embed(const ViT *m, const float *patches, int B, float *patch_embeds) {
    const ViTConfig *c = &m->config;
    int K = c->num_channels * c->patch_size * c->patch_size;
    /* the conv weight [hidden, C, p, p] read as the matrix [hidden, C*p*p] */
    linear(patch_embeds, patches, tensor_f(&m->patch_weight), tensor_f(&m->patch_bias),
           B * vit_num_patches(c), K, c->hidden_size);
}

void vit_embeddings(const ViT *m, const float *patch_embeds, int B, float *x) {
    int H = m->config.hidden_size, N = vit_num_patches(&m->config), L = N + 1;
    const float *cls = tensor_f(&m->cls_token), *pos = tensor_f(&m->position_embeddings);
    for (int b = 0; b < B; b++) {
        float *xb = x + (size_t)b * L * H;
        memcpy(xb, cls, sizeof(float) * H);                                      /* row 0: [CLS] */
        memcpy(xb + H, patch_embeds + (size_t)b * N * H, sizeof(float) * N * H); /* rows 1..N */
        add(xb, xb, pos, (int64_t)L * H);                                        /* + positions */
    }
}

void vit_layer(const ViT *m, int i, float *x, int B, Recorder *rec, const char *tag) {
    encoder_layer_forward(&m->layers[i], &m->enc, x, B, vit_seq_len(&m->config), NULL, 0, rec, tag, i);
}

void vit_final_layernorm(const ViT *m, float *x, int B) {
    int H = m->config.hidden_size;
    layer_norm(x, x, tensor_f(&m->layernorm_w), tensor_f(&m->layernorm_b),
               B * vit_seq_len(&m->config), H, m->config.layer_norm_eps);
}

void vit_pooler(const ViT *m, const float *last_hidden_state, int B, float *pooled) {
    int H = m->config.hidden_size, L = vit_seq_len(&m->config);
    for (int b = 0; b < B; b++) /* ViTPooler: the first token only */
        linear(pooled + (size_t)b * H, last_hidden_state + (size_t)b * L * H,
               tensor_f(&m->pooler_w), tensor_f(&m->pooler_b), 1, H, H);
    activation(pooled, (int64_t)B * H, ACT_TANH);
}

int vit_forward(const ViT *m, const float *pixel_values, int B, int C, int H, int W,
                float *last_hidden_state, float *pooler_output, Recorder *rec, const char *tag) {
    if (vit_check_pixels(m, C, H, W)) return -1;
    const ViTConfig *c = &m->config;
    int D = c->hidden_size, N = vit_num_patches(c), L = N + 1, K = C * c->patch_size * c->patch_size;
    float *patches = xmalloc(sizeof(float) * (size_t)B * N * K);
    float *pe = xmalloc(sizeof(float) * (size_t)B * N * D);
    float *x = last_hidden_state; /* the residual stream lives in the output buffer */
    int64_t sk[3] = {B, N, K}, sp[3] = {B, N, D}, sx[3] = {B, L, D}, so[2] = {B, D};

    vit_patches(m, pixel_values, B, patches);
    rec_f32(rec, patches, 3, sk, "%spatches", tag);
    vit_patch_embed(m, patches, B, pe);
    rec_f32(rec, pe, 3, sp, "%spatch_embeds", tag);
    vit_embeddings(m, pe, B, x);
    rec_f32(rec, x, 3, sx, "%sembeddings", tag);
    for (int i = 0; i < c->num_hidden_layers; i++) vit_layer(m, i, x, B, rec, tag);
    vit_final_layernorm(m, x, B);
    rec_f32(rec, x, 3, sx, "%slast_hidden_state", tag);
    if (m->has_pooler && pooler_output) {
        vit_pooler(m, x, B, pooler_output);
        rec_f32(rec, pooler_output, 2, so, "%spooler_output", tag);
    }
    free(patches), free(pe);
    return 0;
}

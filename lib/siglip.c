/* siglip.c — see siglip.h.  Read siglip_vision_forward(), pooling_head() and
 * siglip_text_forward() top to bottom. */
#include "siglip.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

/* ---- configuration ------------------------------------------------------ */

/* Fields both towers share; SiglipTextConfig / SiglipVisionConfig defaults (base-patch16). */
static int tower_common(const cJSON *j, const char *path, const char *what, int *hidden,
                        int *inter, int *layers, int *heads, float *eps, Activation *act) {
    if (j && !cJSON_IsObject(j)) return vlm_fail("%s: %s is not an object", path, what);
    *hidden = json_int(j, "hidden_size", 768);
    *inter = json_int(j, "intermediate_size", 3072);
    *layers = json_int(j, "num_hidden_layers", 12);
    *heads = json_int(j, "num_attention_heads", 12);
    *eps = (float)json_num(j, "layer_norm_eps", 1e-6);
    const char *a = json_str(j, "hidden_act", "gelu_pytorch_tanh");
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

int siglip_vision_config_parse(const cJSON *j, const char *path, SiglipVisionConfig *c) {
    memset(c, 0, sizeof *c);
    if (tower_common(j, path, "vision_config", &c->hidden_size, &c->intermediate_size,
                     &c->num_hidden_layers, &c->num_attention_heads, &c->layer_norm_eps,
                     &c->hidden_act))
        return -1;
    c->image_size = json_int(j, "image_size", 224);
    c->patch_size = json_int(j, "patch_size", 16);
    c->num_channels = json_int(j, "num_channels", 3);
    c->vision_use_head = json_bool(j, "vision_use_head", 1);
    if (c->patch_size < 1 || c->num_channels < 1 || c->image_size < c->patch_size)
        return vlm_fail("%s: vision_config: image_size %d / patch_size %d / num_channels %d invalid",
                        path, c->image_size, c->patch_size, c->num_channels);
    return 0;
}

int siglip_text_config_parse(const cJSON *j, const char *path, SiglipTextConfig *c) {
    memset(c, 0, sizeof *c);
    if (tower_common(j, path, "text_config", &c->hidden_size, &c->intermediate_size,
                     &c->num_hidden_layers, &c->num_attention_heads, &c->layer_norm_eps,
                     &c->hidden_act))
        return -1;
    c->vocab_size = json_int(j, "vocab_size", 32000);
    c->max_position_embeddings = json_int(j, "max_position_embeddings", 64);
    c->projection_size = json_int(j, "projection_size", c->hidden_size);
    c->pad_token_id = json_i64(j, "pad_token_id", 1);
    if (c->vocab_size < 1 || c->max_position_embeddings < 1 || c->projection_size < 1)
        return vlm_fail("%s: text_config: vocab_size, max_position_embeddings, projection_size "
                        "must be positive", path);
    return 0;
}

int siglip_config_parse(const cJSON *cfg, const char *path, SiglipConfig *c) {
    memset(c, 0, sizeof *c);
    return siglip_text_config_parse(json_get(cfg, "text_config"), path, &c->text_config) ||
                   siglip_vision_config_parse(json_get(cfg, "vision_config"), path, &c->vision_config)
               ? -1
               : 0;
}

int siglip_vision_num_patches(const SiglipVisionConfig *c) {
    int g = c->image_size / c->patch_size; /* "valid" conv: 384 / 14 -> 27, the last 6 pixels unused */
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

static int load_head(SiglipVision *m, SafeTensors *st, const char *prefix) {
    int H = m->config.hidden_size, I = m->config.intermediate_size;
    char p[256];
    snprintf(p, sizeof p, "%shead.", prefix);
    return get(st, p, "probe", &m->probe, 3, 1, 1, H, 0) ||
                   get(st, p, "attention.in_proj_weight", &m->in_proj_weight, 2, 3 * H, H, 0, 0) ||
                   get(st, p, "attention.in_proj_bias", &m->in_proj_bias, 1, 3 * H, 0, 0, 0) ||
                   get(st, p, "attention.out_proj.weight", &m->out_proj_w, 2, H, H, 0, 0) ||
                   get(st, p, "attention.out_proj.bias", &m->out_proj_b, 1, H, 0, 0, 0) ||
                   get(st, p, "layernorm.weight", &m->head_layernorm_w, 1, H, 0, 0, 0) ||
                   get(st, p, "layernorm.bias", &m->head_layernorm_b, 1, H, 0, 0, 0) ||
                   get(st, p, "mlp.fc1.weight", &m->head_fc1_w, 2, I, H, 0, 0) ||
                   get(st, p, "mlp.fc1.bias", &m->head_fc1_b, 1, I, 0, 0, 0) ||
                   get(st, p, "mlp.fc2.weight", &m->head_fc2_w, 2, H, I, 0, 0) ||
                   get(st, p, "mlp.fc2.bias", &m->head_fc2_b, 1, H, 0, 0, 0)
               ? -1
               : 0;
}

int siglip_vision_load(SiglipVision *m, SafeTensors *st, const SiglipVisionConfig *c,
                       const char *prefix) {
    memset(m, 0, sizeof *m);
    m->config = *c;
    m->enc = (EncoderConfig){c->hidden_size, c->num_attention_heads, c->intermediate_size,
                            c->layer_norm_eps, c->hidden_act, "ln1", "ln2"};
    int H = c->hidden_size, p = c->patch_size;
    if (get(st, prefix, "embeddings.patch_embedding.weight", &m->patch_embedding_w, 4, H,
            c->num_channels, p, p) ||
        get(st, prefix, "embeddings.patch_embedding.bias", &m->patch_embedding_b, 1, H, 0, 0, 0) ||
        get(st, prefix, "embeddings.position_embedding.weight", &m->position_embedding, 2,
            siglip_vision_num_patches(c), H, 0, 0) ||
        get(st, prefix, "post_layernorm.weight", &m->post_layernorm_w, 1, H, 0, 0, 0) ||
        get(st, prefix, "post_layernorm.bias", &m->post_layernorm_b, 1, H, 0, 0, 0) ||
        (c->vision_use_head && load_head(m, st, prefix)))
        return -1;
    return encoder_layers_load(&m->layers, c->num_hidden_layers, st, prefix, "encoder.layers.",
                               &CLIP_ENCODER_KEYS, &m->enc);
}

void siglip_vision_free(SiglipVision *m) {
    free(m->layers); /* the tensors belong to the SafeTensors */
    memset(m, 0, sizeof *m);
}

int siglip_text_load(SiglipText *m, SafeTensors *st, const SiglipTextConfig *c, const char *prefix) {
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
        get(st, prefix, "final_layer_norm.bias", &m->final_layer_norm_b, 1, H, 0, 0, 0) ||
        get(st, prefix, "head.weight", &m->head_w, 2, c->projection_size, H, 0, 0) ||
        get(st, prefix, "head.bias", &m->head_b, 1, c->projection_size, 0, 0, 0))
        return -1;
    return encoder_layers_load(&m->layers, c->num_hidden_layers, st, prefix, "encoder.layers.",
                               &CLIP_ENCODER_KEYS, &m->enc);
}

void siglip_text_free(SiglipText *m) {
    free(m->layers);
    memset(m, 0, sizeof *m);
}

/* ---- vision tower ------------------------------------------------------- */

/* SiglipMultiheadAttentionPoolingHead on x [B, P, H] (after post_layernorm):
 * torch.nn.MultiheadAttention(query = probe, key = value = x) with the packed
 * in_proj (rows 0..H-1 -> q, H..2H-1 -> k, 2H..3H-1 -> v), scale 1/sqrt(head_dim),
 * then h = attn + mlp(layernorm(attn)).  pooled [B, H] = h[:, 0] (the single query). */
static void pooling_head(const SiglipVision *m, const float *x, int B, int P, float *pooled,
                         Recorder *rec, const char *tag) {
    const SiglipVisionConfig *c = &m->config;
    int H = c->hidden_size, nh = c->num_attention_heads, D = H / nh, I = c->intermediate_size;
    const float *wi = tensor_f(&m->in_proj_weight), *bi = tensor_f(&m->in_proj_bias);
    float *q = xmalloc(sizeof(float) * (size_t)H);
    float *kf = xmalloc(sizeof(float) * (size_t)P * H), *vf = xmalloc(sizeof(float) * (size_t)P * H);
    float *k = xmalloc(sizeof(float) * (size_t)P * H), *v = xmalloc(sizeof(float) * (size_t)P * H);
    float *ctx = xmalloc(sizeof(float) * (size_t)H), *merged = xmalloc(sizeof(float) * (size_t)H);
    float *probs = xmalloc(sizeof(float) * (size_t)B * nh * P);
    float *attn = xmalloc(sizeof(float) * (size_t)B * H);
    float *h = xmalloc(sizeof(float) * (size_t)H), *mlp = xmalloc(sizeof(float) * (size_t)I);

    /* the probe is the same learned query for every image */
    linear(q, tensor_f(&m->probe), wi, bi, 1, H, H); /* [1, H] = [nh, 1, D] already */
    for (int b = 0; b < B; b++) {
        const float *xb = x + (size_t)b * P * H;
        linear(kf, xb, wi + (size_t)H * H, bi + H, P, H, H);
        linear(vf, xb, wi + (size_t)2 * H * H, bi + 2 * H, P, H, H);
        split_heads(k, kf, 1, P, nh, D);
        split_heads(v, vf, 1, P, nh, D);
        attention(ctx, probs + (size_t)b * nh * P, q, k, v, nh, nh, 1, P, P, D,
                  1.0f / sqrtf((float)D), NULL, 0, 0);
        merge_heads(merged, ctx, 1, nh, 1, D);
        linear(attn + (size_t)b * H, merged, tensor_f(&m->out_proj_w), tensor_f(&m->out_proj_b), 1,
               H, H);
    }
    int64_t sp[4] = {B, nh, 1, P}, sa[3] = {B, 1, H}, s2[2] = {B, H};
    rec_f32(rec, probs, 4, sp, "%shead.attn_probs", tag);
    rec_f32(rec, attn, 3, sa, "%shead.attn_out", tag);
    for (int b = 0; b < B; b++) {
        const float *a = attn + (size_t)b * H;
        layer_norm(h, a, tensor_f(&m->head_layernorm_w), tensor_f(&m->head_layernorm_b), 1, H,
                   c->layer_norm_eps);
        linear(mlp, h, tensor_f(&m->head_fc1_w), tensor_f(&m->head_fc1_b), 1, H, I);
        activation(mlp, I, c->hidden_act);
        linear(h, mlp, tensor_f(&m->head_fc2_w), tensor_f(&m->head_fc2_b), 1, I, H);
        add(pooled + (size_t)b * H, a, h, H); /* residual around the MLP */
    }
    rec_f32(rec, pooled, 2, s2, "%spooler_output", tag);
    free(q), free(kf), free(vf), free(k), free(v), free(ctx), free(merged), free(probs);
    free(attn), free(h), free(mlp);
}

int siglip_vision_forward(const SiglipVision *m, const float *pixel_values, int B, int height,
                          int width, const int64_t *position_ids, const int64_t *patch_mask,
                          int num_layers, int output_hidden_states, SiglipVisionOutput *out,
                          Recorder *rec, const char *tag) {
    const SiglipVisionConfig *c = &m->config;
    int H = c->hidden_size, C = c->num_channels, p = c->patch_size, nl = c->num_hidden_layers;
    int npos = siglip_vision_num_patches(c);
    memset(out, 0, sizeof *out);
    if (num_layers < 0) num_layers = nl;
    if (num_layers > nl)
        return vlm_fail("siglip vision: asked for %d layers, the tower has %d", num_layers, nl);
    if (B < 1 || height < p || width < p)
        return vlm_fail("siglip vision: pixel_values [%d, %d, %d, %d] holds no %dx%d patch", B, C,
                        height, width, p, p);
    int P = (height / p) * (width / p); /* "valid" conv: a remainder is dropped (384 / 14) */
    if (!position_ids && P != npos)
        return vlm_fail("siglip vision: %dx%d image gives %d patches but position_embedding has %d "
                        "rows (image_size %d)", height, width, P, npos, c->image_size);

    int64_t s3[3] = {B, P, H};
    out->last_hidden_state = tensor_new(DT_F32, 3, s3);
    float *x = tensor_f(&out->last_hidden_state);
    for (int b = 0; b < B; b++) /* Conv2d with bias, stride = kernel */
        patch_embed(x + (size_t)b * P * H, pixel_values + (size_t)b * C * height * width, C, height,
                    width, p, tensor_f(&m->patch_embedding_w), tensor_f(&m->patch_embedding_b), H);
    rec_f32(rec, x, 3, s3, "%spatch_embeds", tag);
    const float *pos = tensor_f(&m->position_embedding);
    for (int b = 0; b < B; b++)
        for (int i = 0; i < P; i++) {
            int64_t id = position_ids ? position_ids[(size_t)b * P + i] : i;
            if (id < 0 || id >= npos) {
                siglip_vision_output_free(out);
                return vlm_fail("siglip vision: position id %lld outside [0, %d)", (long long)id,
                                npos);
            }
            add(x + ((size_t)b * P + i) * H, x + ((size_t)b * P + i) * H, pos + (size_t)id * H, H);
        }
    rec_f32(rec, x, 3, s3, "%sembeddings", tag);

    size_t state = (size_t)B * P * H;
    float *hs = NULL;
    if (output_hidden_states) {
        int64_t sh[4] = {num_layers + 1, B, P, H};
        out->hidden_states = tensor_new(DT_F32, 4, sh);
        hs = tensor_f(&out->hidden_states);
        memcpy(hs, x, sizeof(float) * state);
    }
    for (int i = 0; i < num_layers; i++) { /* bidirectional: every patch sees every patch */
        encoder_layer_forward(&m->layers[i], &m->enc, x, B, P, patch_mask, 0, rec, tag, i);
        if (hs) memcpy(hs + (size_t)(i + 1) * state, x, sizeof(float) * state);
    }
    if (num_layers < nl) return 0;

    layer_norm(x, x, tensor_f(&m->post_layernorm_w), tensor_f(&m->post_layernorm_b), B * P, H,
               c->layer_norm_eps); /* on the whole sequence, unlike CLIP */
    rec_f32(rec, x, 3, s3, "%slast_hidden_state", tag);
    if (c->vision_use_head) {
        int64_t s2[2] = {B, H};
        out->pooler_output = tensor_new(DT_F32, 2, s2);
        pooling_head(m, x, B, P, tensor_f(&out->pooler_output), rec, tag);
    }
    return 0;
}

int siglip_vision_hidden_state(const SiglipVisionOutput *out, int index, Tensor *view) {
    const Tensor *hs = &out->hidden_states;
    if (!hs->data) return vlm_fail("hidden_states were not kept (pass output_hidden_states = 1)");
    int n = (int)hs->shape[0], i = index < 0 ? n + index : index;
    if (i < 0 || i >= n)
        return vlm_fail("hidden_states[%d] is out of range: the tuple has %d entries", index, n);
    *view = tensor_select(hs, 0, i);
    return 0;
}

void siglip_vision_output_free(SiglipVisionOutput *o) {
    tensor_free(&o->last_hidden_state);
    tensor_free(&o->pooler_output);
    tensor_free(&o->hidden_states);
}

/* ---- text tower --------------------------------------------------------- */

int siglip_text_forward(const SiglipText *m, const int64_t *input_ids, const int64_t *attention_mask,
                        int B, int L, SiglipTextOutput *out, Recorder *rec, const char *tag) {
    const SiglipTextConfig *c = &m->config;
    int H = c->hidden_size, PS = c->projection_size;
    memset(out, 0, sizeof *out);
    if (B < 1 || L < 1) return vlm_fail("siglip text: empty batch [%d, %d]", B, L);
    if (L > c->max_position_embeddings)
        return vlm_fail("siglip text: %d tokens exceed max_position_embeddings (%d)", L,
                        c->max_position_embeddings);
    int64_t s3[3] = {B, L, H};
    out->last_hidden_state = tensor_new(DT_F32, 3, s3);
    float *x = tensor_f(&out->last_hidden_state);
    if (embedding(x, tensor_f(&m->token_embedding), input_ids, B * L, H, c->vocab_size)) {
        siglip_text_output_free(out);
        return -1;
    }
    for (int b = 0; b < B; b++)
        add(x + (size_t)b * L * H, x + (size_t)b * L * H, tensor_f(&m->position_embedding),
            (int64_t)L * H);
    rec_f32(rec, x, 3, s3, "%sembeddings", tag);
    /* "SigLIP's text model does not use a causal mask" (HF); a padding mask only if given */
    for (int i = 0; i < c->num_hidden_layers; i++)
        encoder_layer_forward(&m->layers[i], &m->enc, x, B, L, attention_mask, 0, rec, tag, i);
    layer_norm(x, x, tensor_f(&m->final_layer_norm_w), tensor_f(&m->final_layer_norm_b), B * L, H,
               c->layer_norm_eps);
    rec_f32(rec, x, 3, s3, "%slast_hidden_state", tag);

    /* pooled = the LAST position (a pad when padded to 64: "sticky EOS"), then head */
    int64_t s2[2] = {B, PS};
    out->pooler_output = tensor_new(DT_F32, 2, s2);
    for (int b = 0; b < B; b++)
        linear(tensor_f(&out->pooler_output) + (size_t)b * PS, x + ((size_t)b * L + L - 1) * H,
               tensor_f(&m->head_w), tensor_f(&m->head_b), 1, H, PS);
    rec_tensor(rec, &out->pooler_output, "%spooler_output", tag);
    return 0;
}

void siglip_text_output_free(SiglipTextOutput *o) {
    tensor_free(&o->last_hidden_state);
    tensor_free(&o->pooler_output);
}

/* ---- SiglipModel -------------------------------------------------------- */

int siglip_load(Siglip *m, SafeTensors *st, const SiglipConfig *c) {
    memset(m, 0, sizeof *m);
    m->config = *c;
    if (c->vision_config.hidden_size != c->text_config.projection_size)
        return vlm_fail("siglip: vision hidden_size %d != text projection_size %d: the embeddings "
                        "cannot be compared", c->vision_config.hidden_size,
                        c->text_config.projection_size);
    if (!c->vision_config.vision_use_head)
        return vlm_fail("siglip: SiglipModel needs the vision pooling head (vision_use_head)");
    Tensor ls, lb;
    int64_t one[1] = {1};
    if (siglip_vision_load(&m->vision, st, &c->vision_config, "vision_model.") ||
        siglip_text_load(&m->text, st, &c->text_config, "text_model.") ||
        st_get_shape(st, "logit_scale", 1, one, &ls) || st_get_shape(st, "logit_bias", 1, one, &lb)) {
        siglip_free(m);
        return -1;
    }
    m->logit_scale = tensor_f(&ls)[0];
    m->logit_bias = tensor_f(&lb)[0];
    return 0;
}

int siglip_open(Siglip *m, SafeTensors *st, const char *dir) {
    memset(m, 0, sizeof *m);
    char *path;
    cJSON *cfg = json_load_config(dir, "siglip", &path);
    SiglipConfig c;
    int rc = cfg ? siglip_config_parse(cfg, path, &c) : -1;
    cJSON_Delete(cfg);
    free(path);
    if (rc || st_open_dir(st, dir)) return -1;
    if (siglip_load(m, st, &c)) { /* siglip_load frees what it allocated */
        st_close(st);
        return -1;
    }
    return 0;
}

void siglip_free(Siglip *m) {
    siglip_vision_free(&m->vision);
    siglip_text_free(&m->text);
}

int siglip_get_image_features(const Siglip *m, const float *pixel_values, int B, Tensor *features,
                              Recorder *rec) {
    SiglipVisionOutput o;
    int S = m->config.vision_config.image_size;
    if (siglip_vision_forward(&m->vision, pixel_values, B, S, S, NULL, NULL, -1, 0, &o, rec,
                              "vision."))
        return -1;
    *features = o.pooler_output; /* no projection in SigLIP */
    o.pooler_output = (Tensor){0};
    rec_tensor(rec, features, "image_features");
    siglip_vision_output_free(&o);
    return 0;
}

int siglip_get_text_features(const Siglip *m, const int64_t *input_ids, const int64_t *attention_mask,
                             int B, int L, Tensor *features, Recorder *rec) {
    SiglipTextOutput o;
    if (siglip_text_forward(&m->text, input_ids, attention_mask, B, L, &o, rec, "text.")) return -1;
    *features = o.pooler_output;
    o.pooler_output = (Tensor){0};
    rec_tensor(rec, features, "text_features");
    siglip_text_output_free(&o);
    return 0;
}

int siglip_embed_texts(const Siglip *m, const Tokenizer *tok, const char *const *texts, int n,
                       int max_length, Tensor *input_ids, Tensor *features, Recorder *rec) {
    Tensor mask;
    if (tokenizer_encode_batch(tok, texts, n, max_length, input_ids, &mask)) return -1;
    tensor_free(&mask); /* HF's SiglipProcessor returns none: the text tower reads the pads */
    rec_tensor(rec, input_ids, "input_ids");
    if (siglip_get_text_features(m, tensor_i(input_ids), NULL, n, (int)input_ids->shape[1],
                                 features, rec)) {
        tensor_free(input_ids);
        return -1;
    }
    return 0;
}

void siglip_logits(const Siglip *m, const Tensor *image_features, const Tensor *text_features,
                   Tensor *logits_per_image, Recorder *rec) {
    int ni = (int)image_features->shape[0], nt = (int)text_features->shape[0];
    int D = (int)image_features->shape[1];
    Tensor img = tensor_clone(image_features), txt = tensor_clone(text_features);
    l2_normalize(tensor_f(&img), ni, D);
    l2_normalize(tensor_f(&txt), nt, D);
    rec_tensor(rec, &img, "image_embeds");
    rec_tensor(rec, &txt, "text_embeds");
    float s = expf(m->logit_scale), bias = m->logit_bias;
    int64_t st[2] = {nt, ni}, si[2] = {ni, nt};
    Tensor per_text = tensor_new(DT_F32, 2, st);
    float *lpt = tensor_f(&per_text);
    linear(lpt, tensor_f(&txt), tensor_f(&img), NULL, nt, D, ni);
    for (int64_t i = 0; i < (int64_t)nt * ni; i++) lpt[i] = lpt[i] * s + bias;
    rec_tensor(rec, &per_text, "logits_per_text");
    *logits_per_image = tensor_new(DT_F32, 2, si);
    float *lpi = tensor_f(logits_per_image);
    for (int i = 0; i < ni; i++)
        for (int t = 0; t < nt; t++) lpi[(size_t)i * nt + t] = lpt[(size_t)t * ni + i];
    rec_tensor(rec, logits_per_image, "logits_per_image");
    Tensor probs = tensor_clone(logits_per_image);
    float *pr = tensor_f(&probs);
    for (int64_t i = 0; i < (int64_t)ni * nt; i++) pr[i] = sigmoid(pr[i]); /* each pair alone */
    rec_tensor(rec, &probs, "probs_per_image");
    tensor_free(&img), tensor_free(&txt), tensor_free(&per_text), tensor_free(&probs);
}

/* idefics3.c — see idefics3.h. */
#include "idefics3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image_splice.h"
#include "json.h"
#include "ops.h"
#include "pixel_shuffle.h"
#include "util.h"

int idefics3_config_parse(const cJSON *cfg, const char *path, Idefics3Config *c) {
    memset(c, 0, sizeof *c);
    const cJSON *text = json_get(cfg, "text_config"), *vision = json_get(cfg, "vision_config");
    if (!cJSON_IsObject(text)) return vlm_fail("%s: no \"text_config\" object", path);
    if (!cJSON_IsObject(vision)) return vlm_fail("%s: no \"vision_config\" object", path);
    if (llama_config_parse(text, path, &c->text)) return -1;
    if (siglip_vision_config_parse(vision, path, &c->vision)) return -1;
    c->vision.vision_use_head = 0; /* Idefics3VisionTransformer has no pooling head */
    c->scale_factor = json_int(cfg, "scale_factor", 2);  /* Idefics3Config default */
    c->image_token_id = json_i64(cfg, "image_token_id", 128257);
    if (c->image_token_id < 0 || c->image_token_id >= c->text.vocab_size)
        return vlm_fail("%s: image_token_id %lld is outside the vocabulary (%d)", path,
                        (long long)c->image_token_id, c->text.vocab_size);
    int side = c->vision.image_size / c->vision.patch_size;
    c->patches_per_frame = side * side;
    if (pixel_shuffle_side(c->patches_per_frame, c->scale_factor, path) < 0) return -1;
    c->image_seq_len = c->patches_per_frame / (c->scale_factor * c->scale_factor);
    return 0;
}

int idefics3_config_load(const char *dir, Idefics3Config *c) {
    char *path = path_join(dir, "config.json");
    cJSON *cfg = json_load(path);
    int rc = cfg ? idefics3_config_parse(cfg, path, c) : -1;
    cJSON_Delete(cfg);
    free(path);
    if (rc) return -1;
    path = path_join(dir, "processor_config.json");
    if (file_exists(path)) {
        cJSON *p = json_load(path);
        if (!p) rc = -1;
        else if (json_has(p, "image_seq_len") &&
                 json_int(p, "image_seq_len", -1) != c->image_seq_len)
            rc = vlm_fail("%s: image_seq_len is %d, but config.json implies (%d/%d)^2 / %d^2 = %d "
                          "image tokens per frame",
                          path, json_int(p, "image_seq_len", -1), c->vision.image_size,
                          c->vision.patch_size, c->scale_factor, c->image_seq_len);
        cJSON_Delete(p);
    }
    free(path);
    return rc;
}

int idefics3_load(Idefics3 *m, SafeTensors *st, const Idefics3Config *c) {
    memset(m, 0, sizeof *m);
    m->config = *c;
    /* Idefics3ForConditionalGeneration ties lm_head only when the (top-level)
     * tie_word_embeddings says so, False for SmolVLM; a checkpoint saved tied has no
     * lm_head.weight, so the file decides which matrix the logits use. */
    LlamaConfig text = c->text;
    text.tie_word_embeddings = st_find(st, "lm_head.weight") == NULL;
    m->config.text = text;
    int s = c->scale_factor;
    int64_t proj_shape[2] = {c->text.hidden_size, (int64_t)c->vision.hidden_size * s * s};
    if (siglip_vision_load(&m->vision, st, &c->vision, "model.vision_model.")) return -1;
    if (st_get_shape(st, "model.connector.modality_projection.proj.weight", 2, proj_shape,
                     &m->connector_proj) ||
        llama_load(&m->text, st, &text, "model.text_model.", "lm_head.weight")) {
        idefics3_free(m);
        return -1;
    }
    return 0;
}

void idefics3_free(Idefics3 *m) {
    siglip_vision_free(&m->vision);
    llama_free(&m->text);
    memset(m, 0, sizeof *m);
}

int idefics3_real_frames(const float *pixel_values, int frames, int C, int H, int W, int *keep) {
    size_t per = (size_t)C * H * W;
    int n = 0;
    for (int f = 0; f < frames; f++) {
        const float *p = pixel_values + (size_t)f * per;
        size_t i = 0;
        while (i < per && p[i] == 0.0f) i++;
        keep[f] = i < per;
        n += keep[f];
    }
    return n;
}

void idefics3_project(const Idefics3 *m, const float *shuffled, int rows, float *features) {
    const Idefics3Config *c = &m->config;
    int s = c->scale_factor, in = c->vision.hidden_size * s * s;
    linear(features, shuffled, tensor_f(&m->connector_proj), NULL, rows, in, c->text.hidden_size);
}

int idefics3_connector(const Idefics3 *m, const float *states, int n, float *features,
                       Recorder *rec) {
    const Idefics3Config *c = &m->config;
    int N = c->patches_per_frame, Dv = c->vision.hidden_size, Dt = c->text.hidden_size;
    int s = c->scale_factor, T = c->image_seq_len;
    float *shuffled = xmalloc(sizeof(float) * (size_t)(n > 0 ? n : 1) * N * Dv);
    int rc = pixel_shuffle(shuffled, states, n, N, Dv, s, "idefics3 connector");
    if (rc == 0) {
        int64_t shape[3] = {n, T, (int64_t)Dv * s * s};
        rec_f32(rec, shuffled, 3, shape, "connector.pixel_shuffle");
        idefics3_project(m, shuffled, n * T, features);
        shape[2] = Dt;
        rec_f32(rec, features, 3, shape, "connector.image_features");
    }
    free(shuffled);
    return rc;
}

int idefics3_vision(const Idefics3 *m, const float *pixel_values, int frames, float **states,
                    int *n_frames, Recorder *rec) {
    const Idefics3Config *c = &m->config;
    int S = c->vision.image_size, C = c->vision.num_channels, N = c->patches_per_frame;
    int Dv = c->vision.hidden_size;
    size_t per = (size_t)C * S * S;
    *states = NULL;
    *n_frames = 0;
    /* HF drops frames that are entirely zero (padding of batched images of different
     * tile counts); the rest go through the tower independently. */
    int *keep = xmalloc(sizeof(int) * (size_t)(frames > 0 ? frames : 1));
    int n = idefics3_real_frames(pixel_values, frames, C, S, S, keep);
    if (n == 0) {
        free(keep);
        return vlm_fail("idefics3: no image frame (all %d are all-zero padding)", frames);
    }
    float *pv = xmalloc(sizeof(float) * per * (size_t)n);
    for (int f = 0, k = 0; f < frames; f++)
        if (keep[f]) memcpy(pv + per * k++, pixel_values + per * f, sizeof(float) * per);
    free(keep);

    /* Position ids: HF bucketises the patch coordinates of the real (unpadded) part of
     * each frame onto the position grid; for a full frame that is 0..N-1. */
    int64_t *position_ids = xmalloc(sizeof(int64_t) * (size_t)n * N);
    for (int f = 0; f < n; f++)
        for (int i = 0; i < N; i++) position_ids[(size_t)f * N + i] = i;
    int64_t pshape[2] = {n, N};
    rec_i64(rec, position_ids, 2, pshape, "vision.position_ids");

    SiglipVisionOutput out = {0};
    int rc = siglip_vision_forward(&m->vision, pv, n, S, S, position_ids, NULL, -1, 0, &out, rec,
                                   "vision.");
    if (rc == 0) {
        Tensor h = tensor_clone(&out.last_hidden_state); /* contiguous [n, N, Dv] */
        *states = xmalloc(sizeof(float) * (size_t)n * N * Dv);
        memcpy(*states, tensor_f(&h), sizeof(float) * (size_t)n * N * Dv);
        tensor_free(&h);
        *n_frames = n;
    }
    siglip_vision_output_free(&out);
    free(pv), free(position_ids);
    return rc;
}

int idefics3_image_features(const Idefics3 *m, const float *pixel_values, int frames,
                            float **features, int *n_rows, Recorder *rec) {
    const Idefics3Config *c = &m->config;
    float *states;
    int n;
    *features = NULL;
    *n_rows = 0;
    if (idefics3_vision(m, pixel_values, frames, &states, &n, rec)) return -1;
    float *f = xmalloc(sizeof(float) * (size_t)n * c->image_seq_len * c->text.hidden_size);
    int rc = idefics3_connector(m, states, n, f, rec);
    free(states);
    if (rc) {
        free(f);
        return -1;
    }
    *features = f;
    *n_rows = n * c->image_seq_len;
    return 0;
}

int idefics3_embed(const Idefics3 *m, const int64_t *ids, int B, int L, const float *features,
                   int n_rows, float *embeds, Recorder *rec) {
    int H = m->config.text.hidden_size;
    int64_t shape[3] = {B, L, H};
    if (llama_embed(&m->text, ids, B * L, embeds)) return -1;
    rec_f32(rec, embeds, 3, shape, "text.token_embeddings");
    if (splice_image_features(embeds, ids, B * L, H, m->config.image_token_id, features, n_rows,
                              "idefics3 prompt"))
        return -1;
    rec_f32(rec, embeds, 3, shape, "text.merged_embeddings");
    return 0;
}

/* A growing string. */
typedef struct {
    char *s;
    size_t n, cap;
} Str;

static void str_add(Str *b, const char *t) {
    size_t k = strlen(t);
    if (b->n + k + 1 > b->cap) {
        b->cap = (b->n + k + 1) * 2;
        b->s = xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->n, t, k + 1);
    b->n += k;
}

static void add_images(Str *b, int n) {
    for (int i = 0; i < n; i++) str_add(b, "<image>");
}

/* transformers' Idefics3Processor: _prompt_single_image / _prompt_split_image. */
char *idefics3_image_block(int rows, int cols, int image_seq_len) {
    Str b = {0};
    str_add(&b, "");
    if (rows == 0 && cols == 0) {
        str_add(&b, "<fake_token_around_image><global-img>");
        add_images(&b, image_seq_len);
        str_add(&b, "<fake_token_around_image>");
        return b.s;
    }
    char tag[64];
    for (int r = 1; r <= rows; r++) {
        for (int col = 1; col <= cols; col++) {
            snprintf(tag, sizeof tag, "<fake_token_around_image><row_%d_col_%d>", r, col);
            str_add(&b, tag);
            add_images(&b, image_seq_len);
        }
        str_add(&b, "\n");
    }
    str_add(&b, "\n<fake_token_around_image><global-img>");
    add_images(&b, image_seq_len);
    str_add(&b, "<fake_token_around_image>");
    return b.s;
}

/* SmolVLM's chat template for one user turn [image, text] with add_generation_prompt:
 * the role gets ':' without a space because the first content item is the image. */
char *idefics3_prompt(const char *question, int rows, int cols, int image_seq_len) {
    char *block = idefics3_image_block(rows, cols, image_seq_len);
    Str b = {0};
    str_add(&b, "<|im_start|>User:");
    str_add(&b, block);
    str_add(&b, question);
    str_add(&b, "<end_of_utterance>\nAssistant:");
    free(block);
    return b.s;
}

static int add_id(const cJSON *v, int64_t *ids, int n, int max) {
    if (cJSON_IsNumber(v) && n < max && v->valuedouble >= 0 && v->valuedouble < 9.0e15)
        ids[n++] = (int64_t)v->valuedouble; /* range before the cast: UB beyond int64 */
    return n;
}

int idefics3_stop_ids(const char *dir, const Idefics3Config *c, int64_t *ids, int max) {
    int n = 0;
    char *path = path_join(dir, "generation_config.json");
    cJSON *g = file_exists(path) ? json_load(path) : NULL;
    free(path);
    const cJSON *eos = g ? json_get(g, "eos_token_id") : NULL;
    if (cJSON_IsArray(eos)) {
        const cJSON *v;
        cJSON_ArrayForEach(v, eos) n = add_id(v, ids, n, max);
    } else if (eos) {
        n = add_id(eos, ids, n, max);
    }
    cJSON_Delete(g);
    if (n == 0 && c->text.eos_token_id >= 0 && max > 0) ids[n++] = c->text.eos_token_id;
    return n;
}

/* vit.h — the Vision Transformer (google/vit-base-patch16-224-in21k): ViTModel.
 *
 * One forward pass, readable top to bottom (vit.c: vit_forward):
 *   patches      = the image cut into (H/p)*(W/p) squares of p x p x C values, each
 *                  flattened in the conv weight's (C, kh, kw) order      [B, N, C*p*p]
 *   patch_embeds = patches @ projection.weight^T + bias                   [B, N, hidden]
 *                  (HF runs a Conv2d with kernel = stride = p: the same numbers)
 *   embeddings   = cat(cls_token, patch_embeds) + position_embeddings    [B, 1+N, hidden]
 *   for each layer (pre-LN, lib/encoder.h):
 *       x += attention.output.dense(attention(layernorm_before(x)))
 *       x += output.dense(gelu(intermediate.dense(layernorm_after(x))))
 *   last_hidden_state = layernorm(x)
 *   pooler_output     = tanh(pooler.dense(last_hidden_state[:, 0]))       (the [CLS] row)
 *
 * Keys are HF's: embeddings.cls_token, embeddings.position_embeddings,
 * embeddings.patch_embeddings.projection.{weight,bias},
 * encoder.layer.{i}.attention.attention.{query,key,value}, ...attention.output.dense,
 * ...intermediate.dense, ...output.dense, ...layernorm_before/after, layernorm, pooler.dense.
 * ViTModel checkpoints have no prefix; ViTForImageClassification ones prefix "vit." and
 * carry no pooler — vit_load detects both.  Stages are recorded under the golden names
 * patches, patch_embeds, embeddings, layer.{i}.*, last_hidden_state, pooler_output.
 */
#ifndef VLM_VIT_H
#define VLM_VIT_H

#include <cjson/cJSON.h>

#include "encoder.h"
#include "recorder.h"
#include "safetensors.h"

typedef struct {
    int hidden_size, num_hidden_layers, num_attention_heads, intermediate_size;
    int image_h, image_w;       /* config image_size (an int, or [h, w]) */
    int patch_size, num_channels;
    float layer_norm_eps;
    Activation hidden_act;
    int qkv_bias;
} ViTConfig;

typedef struct {
    ViTConfig config;
    EncoderConfig enc;          /* the shared encoder layer's view of the config */
    Tensor cls_token;           /* [1, 1, hidden] */
    Tensor position_embeddings; /* [1, 1 + N, hidden] */
    Tensor patch_weight;        /* [hidden, C, p, p] = a [hidden, C*p*p] matrix */
    Tensor patch_bias;          /* [hidden] */
    EncoderLayer *layers;
    Tensor layernorm_w, layernorm_b;
    int has_pooler;
    Tensor pooler_w, pooler_b;  /* [hidden, hidden], [hidden] */
    char prefix[8];             /* "" or "vit." */
} ViT;

/* config.json -> ViTConfig with HF ViTConfig defaults. path is for messages. */
int vit_config_parse(const cJSON *cfg, const char *path, ViTConfig *c);
/* Look up and shape-check every weight (tensors stay owned by st). */
int vit_load(ViT *m, SafeTensors *st, const ViTConfig *c);
/* config.json + *.safetensors of a folder; st must stay open while m is used. */
int vit_open(ViT *m, SafeTensors *st, const char *dir);
void vit_free(ViT *m);

int vit_grid_h(const ViTConfig *c);      /* image_h / patch_size */
int vit_grid_w(const ViTConfig *c);
int vit_num_patches(const ViTConfig *c); /* N */
int vit_seq_len(const ViTConfig *c);     /* 1 + N: [CLS] and one token per patch */

/* Check pixel_values [B, C, H, W] against the config, as ViTPatchEmbeddings does. */
int vit_check_pixels(const ViT *m, int C, int H, int W);

/* The stages, each on a batch of B images (pixel_values [B, C, H, W]). */
void vit_patches(const ViT *m, const float *pixel_values, int B, float *patches);       /* [B, N, C*p*p] */
void vit_patch_embed(const ViT *m, const float *patches, int B, float *patch_embeds);   /* [B, N, hidden] */
void vit_embeddings(const ViT *m, const float *patch_embeds, int B, float *x);          /* [B, 1+N, hidden] */
void vit_layer(const ViT *m, int i, float *x, int B, Recorder *rec, const char *tag);   /* in place */
void vit_final_layernorm(const ViT *m, float *x, int B);                                /* in place */
void vit_pooler(const ViT *m, const float *last_hidden_state, int B, float *pooled);    /* [B, hidden] */

/* The whole ViTModel forward.  last_hidden_state [B, 1+N, hidden]; pooler_output
 * [B, hidden] (or NULL; untouched when the checkpoint has no pooler).
 * -1 with an error when pixel_values do not fit the config. */
int vit_forward(const ViT *m, const float *pixel_values, int B, int C, int H, int W,
                float *last_hidden_state, float *pooler_output, Recorder *rec, const char *tag);

#endif

/* siglip.h — SigLIP (SiglipModel): CLIP's two towers, scored with an
 * independent sigmoid per (image, text) pair instead of a softmax over texts.
 *
 * Vision tower (SiglipVisionTransformer, prefix "vision_model." in SiglipModel,
 * "model.vision_model." in Idefics3 / SmolVLM, which has no head):
 *   x = patch_embedding(pixel_values) + position_embedding[position_ids]
 *       (conv WITH bias; NO class token: so400m's 384/14 -> 27x27 = 729 patch rows)
 *   x = encoder layers (pre-LN, gelu_pytorch_tanh, eps 1e-6)
 *   x = post_layernorm(x)                     -> last_hidden_state (whole sequence)
 *   head (SiglipMultiheadAttentionPoolingHead, when vision_use_head):
 *     h = MultiheadAttention(query = probe, key = value = x)   (in_proj q|k|v packed)
 *     h = h + mlp(layernorm(h));  pooler_output = h[:, 0]
 * Text tower (SiglipTextTransformer, prefix "text_model."):
 *   x = token_embedding[ids] + position_embedding[0..L-1]
 *   x = encoder layers, NO causal mask; the padding mask only if one is given
 *       (HF's processor gives none, so the text tower attends to the pads)
 *   x = final_layer_norm(x) -> last_hidden_state;  pooler_output = head(x[:, -1])
 * SiglipModel:
 *   image_features / text_features = the pooler outputs (no projection)
 *   logits_per_text = normalize(text) @ normalize(image)^T * exp(logit_scale) + logit_bias
 *   probs_per_image = sigmoid(logits_per_image)   (each pair on its own: no sum to 1)
 *
 * Recording (golden names): "<tag>patch_embeds", "<tag>embeddings", "<tag>layer.{i}.*",
 * "<tag>last_hidden_state", "<tag>head.attn_probs", "<tag>head.attn_out",
 * "<tag>pooler_output"; SiglipModel: image_features, text_features, image_embeds,
 * text_embeds, logits_per_text, logits_per_image, probs_per_image.
 */
#ifndef VLM_SIGLIP_H
#define VLM_SIGLIP_H

#include <cjson/cJSON.h>

#include "encoder.h"
#include "ops.h"
#include "recorder.h"
#include "safetensors.h"
#include "tensor.h"
#include "tokenizer.h"

/* ---- configuration (HF defaults for absent keys) ------------------------ */
typedef struct {
    int hidden_size, intermediate_size, num_hidden_layers, num_attention_heads;
    int image_size, patch_size, num_channels;
    float layer_norm_eps;   /* 1e-6 */
    Activation hidden_act;  /* gelu_pytorch_tanh */
    int vision_use_head;    /* 1: load and run the attention-pooling head (Idefics3: set 0) */
} SiglipVisionConfig;

typedef struct {
    int hidden_size, intermediate_size, num_hidden_layers, num_attention_heads;
    int vocab_size, max_position_embeddings;   /* 32000, 64 */
    int projection_size;                       /* head output; default hidden_size */
    float layer_norm_eps;
    Activation hidden_act;
    int64_t pad_token_id;                      /* 1 */
} SiglipTextConfig;

typedef struct {
    SiglipTextConfig text_config;
    SiglipVisionConfig vision_config;
} SiglipConfig;

/* Parse a "vision_config" / "text_config" JSON object (path is for messages).
 * Works for Idefics3's vision_config too (model_type "idefics3_vision"). */
int siglip_vision_config_parse(const cJSON *vision_config, const char *path, SiglipVisionConfig *c);
int siglip_text_config_parse(const cJSON *text_config, const char *path, SiglipTextConfig *c);
int siglip_config_parse(const cJSON *cfg, const char *path, SiglipConfig *c);
/* (image_size / patch_size)^2: rows of position_embedding. */
int siglip_vision_num_patches(const SiglipVisionConfig *c);

/* ---- vision tower ------------------------------------------------------- */
typedef struct {
    SiglipVisionConfig config;
    EncoderConfig enc;
    Tensor patch_embedding_w, patch_embedding_b;  /* [hidden, C, p, p], [hidden] */
    Tensor position_embedding;                    /* [num_patches, hidden] */
    EncoderLayer *layers;
    Tensor post_layernorm_w, post_layernorm_b;
    /* attention-pooling head (only with vision_use_head) */
    Tensor probe;                                 /* [1, 1, hidden] */
    Tensor in_proj_weight, in_proj_bias;          /* [3*hidden, hidden]: q | k | v rows */
    Tensor out_proj_w, out_proj_b;
    Tensor head_layernorm_w, head_layernorm_b;
    Tensor head_fc1_w, head_fc1_b, head_fc2_w, head_fc2_b;
} SiglipVision;

typedef struct {
    Tensor last_hidden_state; /* [B, P, hidden]: post_layernorm(output) after a full run;
                               * the raw output of the last layer run when stopped early */
    Tensor pooler_output;     /* [B, hidden]: the head's output (full run with the head), else empty */
    Tensor hidden_states;     /* [layers_run + 1, B, P, hidden] when asked (HF hidden_states) */
} SiglipVisionOutput;

int siglip_vision_load(SiglipVision *m, SafeTensors *st, const SiglipVisionConfig *c,
                       const char *prefix);
void siglip_vision_free(SiglipVision *m);
/* pixel_values [B, C, height, width] (NCHW contiguous; P = (height/p)*(width/p) patches,
 * row-major; like the "valid" conv, a remainder of rows/columns is ignored).
 * position_ids [B, P] (NULL = arange(P), which needs P == num_patches; Idefics3 passes its
 * bucketised ids).  patch_mask [B, P] 1 = real patch (NULL = all real; keys at 0 are masked).
 * num_layers: run the first num_layers layers (-1 = all); post_layernorm and the head run
 * only after all layers.  Free out with siglip_vision_output_free. */
int siglip_vision_forward(const SiglipVision *m, const float *pixel_values, int B, int height,
                          int width, const int64_t *position_ids, const int64_t *patch_mask,
                          int num_layers, int output_hidden_states, SiglipVisionOutput *out,
                          Recorder *rec, const char *tag);
/* View of hidden_states[index], negative from the end like Python. */
int siglip_vision_hidden_state(const SiglipVisionOutput *out, int index, Tensor *view);
void siglip_vision_output_free(SiglipVisionOutput *o);

/* ---- text tower --------------------------------------------------------- */
typedef struct {
    SiglipTextConfig config;
    EncoderConfig enc;
    Tensor token_embedding, position_embedding;
    EncoderLayer *layers;
    Tensor final_layer_norm_w, final_layer_norm_b;
    Tensor head_w, head_b;                        /* [projection_size, hidden] */
} SiglipText;

typedef struct {
    Tensor last_hidden_state; /* [B, L, hidden] */
    Tensor pooler_output;     /* [B, projection_size] = head(last_hidden_state[:, -1]) */
} SiglipTextOutput;

int siglip_text_load(SiglipText *m, SafeTensors *st, const SiglipTextConfig *c, const char *prefix);
void siglip_text_free(SiglipText *m);
/* input_ids [B, L]; attention_mask NULL (as HF's processor) or [B, L]. */
int siglip_text_forward(const SiglipText *m, const int64_t *input_ids, const int64_t *attention_mask,
                        int B, int L, SiglipTextOutput *out, Recorder *rec, const char *tag);
void siglip_text_output_free(SiglipTextOutput *o);

/* ---- SiglipModel -------------------------------------------------------- */
typedef struct {
    SiglipConfig config;
    SiglipVision vision;
    SiglipText text;
    float logit_scale, logit_bias;   /* stored values; logits use exp(logit_scale) */
} Siglip;

int siglip_load(Siglip *m, SafeTensors *st, const SiglipConfig *c);
/* A SiglipModel folder: config.json (model_type "siglip") + its *.safetensors, loaded with
 * siglip_load.  The tensors belong to st: siglip_free(m), then st_close(st).  The tokenizer
 * (tokenizer_open) and the image processor (image_processor_open) read the same folder. */
int siglip_open(Siglip *m, SafeTensors *st, const char *dir);
void siglip_free(Siglip *m);
/* get_image_features = vision pooler_output [B, hidden]; records "vision." and "image_features". */
int siglip_get_image_features(const Siglip *m, const float *pixel_values, int B, Tensor *features,
                              Recorder *rec);
/* get_text_features = text pooler_output [B, projection_size]; records "text." and "text_features". */
int siglip_get_text_features(const Siglip *m, const int64_t *input_ids, const int64_t *attention_mask,
                             int B, int L, Tensor *features, Recorder *rec);
/* get_text_features(**processor(text=texts, padding="max_length")): the n texts tokenized
 * with tok (SentencePiece), each right-padded to max_length ids; like HF's processor the
 * model gets no attention_mask and reads the pads.  *input_ids [n, max_length] and
 * *features [n, projection_size] are new tensors.  Records input_ids, then what
 * siglip_get_text_features records. */
int siglip_embed_texts(const Siglip *m, const Tokenizer *tok, const char *const *texts, int n,
                       int max_length, Tensor *input_ids, Tensor *features, Recorder *rec);
/* logits_per_image [n_images, n_texts] = cos * exp(logit_scale) + logit_bias (malloc'd Tensor).
 * Records image_embeds, text_embeds, logits_per_text, logits_per_image, probs_per_image
 * (sigmoid). */
void siglip_logits(const Siglip *m, const Tensor *image_features, const Tensor *text_features,
                   Tensor *logits_per_image, Recorder *rec);

#endif

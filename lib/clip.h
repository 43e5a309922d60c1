/* clip.h — CLIP (CLIPModel): a vision tower and a text tower that meet in one
 * embedding space, scored with a softmax over the texts.
 *
 * Vision tower (CLIPVisionTransformer, keys "<prefix>embeddings.*" ..., prefix
 * "vision_model." in CLIPModel, "vision_tower.vision_model." in LLaVA):
 *   x = [class_embedding ; patch_embedding(pixel_values)] + position_embedding
 *       (the conv has NO bias; one CLS row + (image_size/patch_size)^2 patch rows)
 *   x = pre_layrnorm(x)                       (HF's spelling of the key)
 *   x = encoder layers (pre-LN, quick_gelu)   -> last_hidden_state (no post-LN!)
 *   pooler_output = post_layernorm(x[:, 0])   (the CLS state only)
 * Text tower (CLIPTextTransformer, prefix "text_model."):
 *   x = token_embedding[ids] + position_embedding[0..L-1]
 *   x = encoder layers with a causal mask AND the padding mask
 *   x = final_layer_norm(x)                   -> last_hidden_state
 *   pooler_output = x[b, pool_index[b]]       (the end-of-text token, see clip_text_pool_index)
 * CLIPModel:
 *   image_features = visual_projection(vision pooler)   (Linear, no bias)
 *   text_features  = text_projection(text pooler)        (Linear, no bias)
 *   logits_per_text = normalize(text) @ normalize(image)^T * exp(logit_scale)
 *   logits_per_image = logits_per_text^T;  probs_per_image = softmax over the texts
 *
 * Recording (golden names): "<tag>patch_embeds", "<tag>embeddings", "<tag>pre_layrnorm",
 * "<tag>layer.{i}.*" (encoder.h), "<tag>last_hidden_state", "<tag>pooler_output",
 * text: "<tag>pool_index"; CLIPModel: image_features, text_features, image_embeds,
 * text_embeds, logits_per_text, logits_per_image, probs_per_image.
 */
#ifndef VLM_CLIP_H
#define VLM_CLIP_H

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
    float layer_norm_eps;   /* 1e-5 */
    Activation hidden_act;  /* quick_gelu */
} ClipVisionConfig;

typedef struct {
    int hidden_size, intermediate_size, num_hidden_layers, num_attention_heads;
    int vocab_size, max_position_embeddings;
    float layer_norm_eps;
    Activation hidden_act;
    int64_t eos_token_id;   /* 2 on legacy openai configs: pool at argmax(input_ids) */
} ClipTextConfig;

typedef struct {
    ClipTextConfig text_config;
    ClipVisionConfig vision_config;
    int projection_dim;
} ClipConfig;

/* Parse a "vision_config" / "text_config" JSON object (path is for messages). */
int clip_vision_config_parse(const cJSON *vision_config, const char *path, ClipVisionConfig *c);
int clip_text_config_parse(const cJSON *text_config, const char *path, ClipTextConfig *c);
/* A CLIPModel config.json. */
int clip_config_parse(const cJSON *cfg, const char *path, ClipConfig *c);
/* patches per image = (image_size / patch_size)^2; sequence = that + 1 (CLS). */
int clip_vision_num_patches(const ClipVisionConfig *c);

/* ---- vision tower ------------------------------------------------------- */
typedef struct {
    ClipVisionConfig config;
    EncoderConfig enc;
    Tensor class_embedding;      /* [hidden] */
    Tensor patch_embedding;      /* [hidden, C, p, p] (no bias) */
    Tensor position_embedding;   /* [num_patches + 1, hidden] */
    Tensor pre_layrnorm_w, pre_layrnorm_b;
    EncoderLayer *layers;
    Tensor post_layernorm_w, post_layernorm_b;
} ClipVision;

typedef struct {
    Tensor last_hidden_state; /* [B, 1 + num_patches, hidden]: after the layers run (no post-LN) */
    Tensor pooler_output;     /* [B, hidden] post_layernorm(CLS); only after a full run, else empty */
    Tensor hidden_states;     /* [layers_run + 1, B, seq, hidden] when asked: HF's hidden_states
                               * tuple (index 0 = pre_layrnorm output, i = output of layer i-1) */
} ClipVisionOutput;

/* Load "<prefix>embeddings.*", "<prefix>pre_layrnorm.*", "<prefix>encoder.layers.{i}.*",
 * "<prefix>post_layernorm.*" with shape checks.  Tensors belong to st. */
int clip_vision_load(ClipVision *m, SafeTensors *st, const ClipVisionConfig *c, const char *prefix);
void clip_vision_free(ClipVision *m);
/* pixel_values [B, C, image_size, image_size] (NCHW, contiguous).
 * num_layers: run only the first num_layers encoder layers (-1 = all); pooler_output
 * is computed only when all run.  output_hidden_states: fill out->hidden_states
 * (LLaVA takes hidden_states[-2], see clip_vision_hidden_state).
 * Records "<tag>..." (tag "vision." for the goldens).  Free out with clip_vision_output_free. */
int clip_vision_forward(const ClipVision *m, const float *pixel_values, int B, int num_layers,
                        int output_hidden_states, ClipVisionOutput *out, Recorder *rec,
                        const char *tag);
/* View of hidden_states[index] ([B, seq, hidden]); negative index counts from the end
 * like Python (-1 = last layer output, -2 = the one LLaVA uses). -1 with an error when absent. */
int clip_vision_hidden_state(const ClipVisionOutput *out, int index, Tensor *view);
void clip_vision_output_free(ClipVisionOutput *o);

/* ---- text tower --------------------------------------------------------- */
typedef struct {
    ClipTextConfig config;
    EncoderConfig enc;
    Tensor token_embedding;      /* [vocab, hidden] */
    Tensor position_embedding;   /* [max_position_embeddings, hidden] */
    EncoderLayer *layers;
    Tensor final_layer_norm_w, final_layer_norm_b;
} ClipText;

typedef struct {
    Tensor last_hidden_state; /* [B, L, hidden] after final_layer_norm */
    Tensor pooler_output;     /* [B, hidden] */
    Tensor pool_index;        /* [B] I64 */
} ClipTextOutput;

int clip_text_load(ClipText *m, SafeTensors *st, const ClipTextConfig *c, const char *prefix);
void clip_text_free(ClipText *m);
/* HF's pooling rule: eos_token_id == 2 (legacy openai configs) -> argmax(input_ids)
 * (the end-of-text id is the largest id); otherwise the FIRST position holding
 * eos_token_id (0 when a row has none, like torch's argmax of all zeros). */
int64_t clip_text_pool_index(const ClipTextConfig *c, const int64_t *ids, int L);
/* input_ids [B, L]; attention_mask [B, L] (NULL = no padding). -1 on a bad id or L too long. */
int clip_text_forward(const ClipText *m, const int64_t *input_ids, const int64_t *attention_mask,
                      int B, int L, ClipTextOutput *out, Recorder *rec, const char *tag);
void clip_text_output_free(ClipTextOutput *o);

/* ---- CLIPModel ---------------------------------------------------------- */
typedef struct {
    ClipConfig config;
    ClipVision vision;
    ClipText text;
    Tensor visual_projection;  /* [projection_dim, vision hidden] */
    Tensor text_projection;    /* [projection_dim, text hidden] */
    float logit_scale;         /* the stored (log) value; the model multiplies by exp() */
} Clip;

/* Keys of CLIPModel: vision_model.*, text_model.*, visual_projection.weight,
 * text_projection.weight, logit_scale. */
int clip_load(Clip *m, SafeTensors *st, const ClipConfig *c);
/* A CLIPModel folder: config.json (model_type "clip") + its *.safetensors, loaded with
 * clip_load.  The tensors belong to st: clip_free(m), then st_close(st).  The tokenizer
 * (tokenizer_open) and the image processor (image_processor_open) read the same folder. */
int clip_open(Clip *m, SafeTensors *st, const char *dir);
void clip_free(Clip *m);
/* get_image_features: features [B, projection_dim] (unnormalised), malloc'd Tensor.
 * Records the vision tower under "vision." and "image_features". */
int clip_get_image_features(const Clip *m, const float *pixel_values, int B, Tensor *features,
                            Recorder *rec);
/* get_text_features: [B, projection_dim] (unnormalised).  Records "text." and "text_features". */
int clip_get_text_features(const Clip *m, const int64_t *input_ids, const int64_t *attention_mask,
                           int B, int L, Tensor *features, Recorder *rec);
/* get_text_features(**processor(text=texts, padding=True)): the n texts tokenized with tok
 * (CLIP BPE), right-padded to the longest with an attention mask.  *input_ids [n, L] and
 * *features [n, projection_dim] are new tensors.  Records what clip_get_text_features
 * records, then input_ids and attention_mask. */
int clip_embed_texts(const Clip *m, const Tokenizer *tok, const char *const *texts, int n,
                     Tensor *input_ids, Tensor *features, Recorder *rec);
/* From unnormalised features: logits_per_image [n_images, n_texts] (malloc'd Tensor) =
 * cos(image, text) * exp(logit_scale).  Records image_embeds, text_embeds,
 * logits_per_text, logits_per_image and probs_per_image (softmax over texts). */
void clip_logits(const Clip *m, const Tensor *image_features, const Tensor *text_features,
                 Tensor *logits_per_image, Recorder *rec);

#endif

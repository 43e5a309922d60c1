/* llava.h — LLaVA-1.5 style (LlavaForConditionalGeneration): a CLIP vision tower, a
 * two-layer MLP projector and a Llama decoder.  The contrast to Idefics3 / SmolVLM:
 *
 *   Idefics3: SigLIP last layer (+ post_layernorm) -> pixel shuffle (s*s patches
 *             per token) -> one Linear       SmolVLM-256M: 64 tokens per 512x512 frame
 *   LLaVA:    CLIP hidden_states[vision_feature_layer = -2] (the output of the
 *             second-to-last layer, before post_layernorm), CLS dropped -> one token
 *             per patch -> linear_1 -> GELU -> linear_2
 *             LLaVA-1.5 (CLIP-L/14 at 336): 24 x 24 = 576 tokens per image
 *
 * Both splice the image features into the <image> rows of the embedded prompt
 * (image_splice.h) and then run the same decoder.
 *
 * Keys, classic layout: vision_tower.vision_model.*, multi_modal_projector.linear_{1,2}.*,
 * language_model.model.*, language_model.lm_head.weight; transformers >= 4.52 layout:
 * model.vision_tower.vision_model.*, model.multi_modal_projector.*, model.language_model.*,
 * lm_head.weight (detected from the checkpoint).
 * Recording: vision.* (clip.h), vision.selected_features, projector.linear_1,
 * projector.image_features, text.token_embeddings, text.merged_embeddings, text.* (llama.h).
 */
#ifndef VLM_LLAVA_H
#define VLM_LLAVA_H

#include <cjson/cJSON.h>

#include "clip.h"
#include "llama.h"
#include "recorder.h"
#include "safetensors.h"

typedef struct {
    LlamaConfig text;
    ClipVisionConfig vision;
    int64_t image_token_index;   /* <image> (config image_token_index, or image_token_id) */
    int vision_feature_layer;    /* index into hidden_states, negative from the end (-2) */
    int keep_cls;                /* strategy "full" keeps the CLS row; "default" drops it */
    Activation projector_act;    /* projector_hidden_act, "gelu" */
    int image_seq_len;           /* feature rows per image: patches (+1 with keep_cls) */
} LlavaConfig;

typedef struct {
    LlavaConfig config;
    ClipVision vision;
    Tensor linear_1_w, linear_1_b;  /* [text hidden, vision hidden], [text hidden] */
    Tensor linear_2_w, linear_2_b;  /* [text hidden, text hidden], [text hidden] */
    Llama text;
} Llava;

int llava_config_parse(const cJSON *cfg, const char *path, LlavaConfig *c);
int llava_load(Llava *m, SafeTensors *st, const LlavaConfig *c);
void llava_free(Llava *m);

/* pixel_values [n, 3, image_size, image_size] -> features [n * image_seq_len, text hidden]
 * (malloc'd into *features; *n_rows set). */
int llava_image_features(const Llava *m, const float *pixel_values, int n, float **features,
                         int *n_rows, Recorder *rec);
/* Embed ids [B*L] and splice the features into the <image> rows (error on a count
 * mismatch).  Records text.token_embeddings, text.merged_embeddings. */
int llava_embed(const Llava *m, const int64_t *ids, int B, int L, const float *features, int n_rows,
                float *embeds, Recorder *rec);

#endif

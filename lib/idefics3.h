/* idefics3.h — Idefics3 / SmolVLM (Idefics3ForConditionalGeneration): a SigLIP
 * vision tower, a pixel-shuffle connector and a Llama decoder, answering a
 * question about an image.
 *
 *   pixel_values [B, frames, 3, M, M]        (image_processor.h; frames = tiles + global image)
 *   vision tower  -> [frames, N, Dv]         SigLIP layers, post_layernorm, no pooling head;
 *                                            position ids 0..N-1 (HF's bucketisation of a full frame)
 *   pixel_shuffle -> [frames, N/s^2, Dv*s^2] (pixel_shuffle.h, s = scale_factor)
 *   connector     -> [frames, N/s^2, Dt]     modality_projection.proj, a Linear without bias
 *   prompt        "<|im_start|>User:" + image block + question + "<end_of_utterance>\nAssistant:"
 *                 where the image block holds one <image> token per feature row
 *   embed + splice (image_splice.h), Llama decoder + lm_head (llama.h), greedy generation.
 *
 * SmolVLM-256M-Instruct: 512x512 frames, patch 16 -> N = 1024 patches of 768,
 * s = 4 -> 64 image tokens of width 12288 -> 576 (the SmolLM2-135M width).
 *
 * Keys: model.vision_model.* (SigLIP names), model.connector.modality_projection.proj.weight,
 * model.text_model.* (Llama names), lm_head.weight.
 * Recording (golden names): vision.position_ids, vision.patch_embeds, vision.embeddings,
 * vision.layer.{i}.*, vision.last_hidden_state, connector.pixel_shuffle,
 * connector.image_features, text.token_embeddings, text.merged_embeddings, text.* (llama.h),
 * text.logits.
 */
#ifndef VLM_IDEFICS3_H
#define VLM_IDEFICS3_H

#include <cjson/cJSON.h>

#include "llama.h"
#include "recorder.h"
#include "safetensors.h"
#include "siglip.h"
#include "tensor.h"

typedef struct {
    LlamaConfig text;           /* text_config */
    SiglipVisionConfig vision;  /* vision_config */
    int scale_factor;           /* pixel shuffle s (SmolVLM: 4) */
    int64_t image_token_id;     /* id of <image> */
    int patches_per_frame;      /* N = (image_size / patch_size)^2 */
    int image_seq_len;          /* N / s^2: <image> tokens (and feature rows) per frame */
} Idefics3Config;

typedef struct {
    Idefics3Config config;
    SiglipVision vision;        /* model.vision_model.* */
    Tensor connector_proj;      /* [text hidden, vision hidden * s^2], no bias */
    Llama text;                 /* model.text_model.* + lm_head.weight */
} Idefics3;

/* config.json -> Idefics3Config; checks that the patch grid divides by scale_factor.
 * path names the file in messages. */
int idefics3_config_parse(const cJSON *cfg, const char *path, Idefics3Config *c);
/* Open <dir>/config.json and check <dir>/processor_config.json's image_seq_len (when
 * present) against the one the config implies: a mismatch means the prompt would
 * carry a different number of <image> tokens than the connector produces. */
int idefics3_config_load(const char *dir, Idefics3Config *c);
int idefics3_load(Idefics3 *m, SafeTensors *st, const Idefics3Config *c);
void idefics3_free(Idefics3 *m);

/* Frames that are not all zeros (HF drops all-zero padding frames before the tower). */
int idefics3_real_frames(const float *pixel_values, int frames, int C, int H, int W, int *keep);

/* The three stages, one call each (idefics3_image_features runs them all):
 * vision tower: pixel_values [frames, 3, image_size, image_size] -> *states (malloc'd)
 *   [n, N, vision hidden], n = frames that are not all zeros (HF drops those).
 *   Records vision.position_ids, vision.patch_embeds, vision.embeddings,
 *   vision.layer.{i}.*, vision.last_hidden_state. */
int idefics3_vision(const Idefics3 *m, const float *pixel_values, int frames, float **states,
                    int *n_frames, Recorder *rec);
/* connector: states [n, N, Dv] -> pixel_shuffle [n, image_seq_len, Dv*s^2] ->
 *   features [n * image_seq_len, text hidden].  Records connector.pixel_shuffle and
 *   connector.image_features. */
int idefics3_connector(const Idefics3 *m, const float *states, int n, float *features,
                       Recorder *rec);
/* modality_projection alone: rows of width Dv*s^2 -> rows of text hidden (no bias). */
void idefics3_project(const Idefics3 *m, const float *shuffled, int rows, float *features);
/* All of it: pixel_values -> features [n * image_seq_len, text hidden] (malloc'd into
 * *features; *n_rows set). */
int idefics3_image_features(const Idefics3 *m, const float *pixel_values, int frames,
                            float **features, int *n_rows, Recorder *rec);
/* Embed ids [n] into embeds [n, text hidden] and splice the image features into the
 * <image> rows (error when the count differs).  Records text.token_embeddings and
 * text.merged_embeddings with shape [B, L, hidden] (B * L = n). */
int idefics3_embed(const Idefics3 *m, const int64_t *ids, int B, int L, const float *features,
                   int n_rows, float *embeds, Recorder *rec);

/* The prompt text, as the SmolVLM chat template + processor build it:
 * "<|im_start|>User:" + image block + question + "<end_of_utterance>\nAssistant:".
 * rows = cols = 0: one frame (no splitting).  malloc'd. */
char *idefics3_prompt(const char *question, int rows, int cols, int image_seq_len);
/* Just the image block that replaces the template's single "<image>" (see the
 * README of tests/golden/builtin: <fake_token_around_image><row_r_col_c> + <image> x N
 * per tile, "\n" after each row, then the global image). malloc'd. */
char *idefics3_image_block(int rows, int cols, int image_seq_len);

/* Stop tokens for generation: generation_config.json eos_token_id (a number or a
 * list), else config text_config.eos_token_id.  Returns how many (<= max). */
int idefics3_stop_ids(const char *dir, const Idefics3Config *c, int64_t *ids, int max);

#endif

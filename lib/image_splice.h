/* image_splice.h — how image features enter an LLM ("method A: unified embedding
 * decoder"): the prompt holds one placeholder token per image feature row, and
 * after embedding the prompt those rows are replaced by the projected image
 * features, in reading order (frame after frame, token after token).
 *
 * This is HF's Idefics3Model.inputs_merger and LlavaModel's masked_scatter:
 *   mask = input_ids == image_token_id;  inputs_embeds[mask] = image_features
 * HF raises when the counts differ; so do we, with both numbers in the message,
 * instead of silently splicing a shifted or truncated image.
 */
#ifndef VLM_IMAGE_SPLICE_H
#define VLM_IMAGE_SPLICE_H

#include <stdint.h>

/* How many ids equal image_token_id. */
int count_image_tokens(const int64_t *ids, int n, int64_t image_token_id);

/* embeds [n, hidden] (the embedded prompt, all rows of a batch flattened) gets row
 * i replaced by the next row of features [n_features, hidden] wherever
 * ids[i] == image_token_id.  -1 with an error (naming `what`) when the number of
 * placeholders differs from n_features; embeds is then untouched. */
int splice_image_features(float *embeds, const int64_t *ids, int n, int hidden,
                          int64_t image_token_id, const float *features, int n_features,
                          const char *what);

#endif

/* encoder.h — the pre-LayerNorm transformer encoder layer shared by the vision
 * and text towers: ViT (ViTLayer), CLIP (CLIPEncoderLayer), SigLIP
 * (SiglipEncoderLayer) and the Idefics3 vision tower.
 *
 *   h = layer_norm_1(x)                       ViT: layernorm_before   CLIP/SigLIP: layer_norm1
 *   x = x + out_proj(attention(q(h), k(h), v(h)))   (bidirectional, or causal for CLIP text)
 *   h = layer_norm_2(x)                       ViT: layernorm_after    CLIP/SigLIP: layer_norm2
 *   x = x + fc2(act(fc1(h)))                  ViT: intermediate/output.dense
 *
 * The loader takes the HF key of each weight, since every family names them
 * differently; the forward records the golden names
 *   <tag>layer.{i}.{ln1|ln_before, q, k, v, attn_probs, attn_context, attn_out,
 *                   resid_mid, ln2|ln_after, mlp_fc1, mlp_act, mlp_out, output}
 */
#ifndef VLM_ENCODER_H
#define VLM_ENCODER_H

#include "ops.h"
#include "recorder.h"
#include "safetensors.h"

typedef struct {
    Tensor ln1_w, ln1_b, ln2_w, ln2_b;
    Tensor q_w, q_b, k_w, k_b, v_w, v_b, o_w, o_b;   /* [hidden, hidden] and [hidden] */
    Tensor fc1_w, fc1_b, fc2_w, fc2_b;               /* [inter, hidden], [hidden, inter] */
} EncoderLayer;

typedef struct {
    int hidden, heads, intermediate;
    float eps;
    Activation act;
    const char *ln1_name, *ln2_name; /* "ln1"/"ln2" or "ln_before"/"ln_after" for recording */
} EncoderConfig;

/* HF key names of one layer's weights (".weight"/".bias" are appended). */
typedef struct {
    const char *ln1, *ln2, *q, *k, *v, *o, *fc1, *fc2;
} EncoderKeys;

/* The key names of CLIP, SigLIP and the Idefics3 vision tower (layer_norm1, self_attn.q_proj, ...). */
extern const EncoderKeys CLIP_ENCODER_KEYS;

/* The n layers of a stack, "<prefix><stem>{i}." each ("encoder.layers." for CLIP/SigLIP,
 * "encoder.layer." for ViT), into a new array *layers (free() it; the tensors belong to st). */
int encoder_layers_load(EncoderLayer **layers, int n, SafeTensors *st, const char *prefix,
                        const char *stem, const EncoderKeys *keys, const EncoderConfig *c);

/* Load layer weights "<prefix><key>.weight" / ".bias" with shape checks. */
int encoder_layer_load(EncoderLayer *l, SafeTensors *st, const char *prefix, const EncoderKeys *keys,
                       const EncoderConfig *c);
/* One layer on x [B, L, hidden] in place.  key_mask [B, L] (NULL = all), causal for CLIP text. */
void encoder_layer_forward(const EncoderLayer *l, const EncoderConfig *c, float *x, int B, int L,
                           const int64_t *key_mask, int causal, Recorder *rec, const char *tag,
                           int index);

/* Patch embedding as what it is: each p x p x C patch, flattened in the conv weight's
 * (C, kh, kw) order, times the weight matrix [hidden, C*p*p] (+ bias).  A Conv2d with
 * stride = kernel is exactly this linear layer on patches.
 * pixel_values [C, H, W] -> patches [gh*gw, C*p*p] (row-major grid) and out [gh*gw, hidden]. */
void extract_patches(float *patches, const float *pixel_values, int C, int H, int W, int p);
void patch_embed(float *out, const float *pixel_values, int C, int H, int W, int p,
                 const float *weight, const float *bias, int hidden);

#endif

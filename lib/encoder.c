/* encoder.c — see encoder.h. */
#include "encoder.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static int get(SafeTensors *st, const char *prefix, const char *key, const char *suffix, Tensor *t,
               int ndim, int64_t d0, int64_t d1) {
    char name[300];
    snprintf(name, sizeof name, "%s%s.%s", prefix, key, suffix);
    int64_t shape[2] = {d0, d1};
    return st_get_shape(st, name, ndim, shape, t);
}

int encoder_layer_load(EncoderLayer *l, SafeTensors *st, const char *prefix, const EncoderKeys *k,
                       const EncoderConfig *c) {
    int H = c->hidden, I = c->intermediate;
    memset(l, 0, sizeof *l);
    return get(st, prefix, k->ln1, "weight", &l->ln1_w, 1, H, 0) ||
           get(st, prefix, k->ln1, "bias", &l->ln1_b, 1, H, 0) ||
           get(st, prefix, k->ln2, "weight", &l->ln2_w, 1, H, 0) ||
           get(st, prefix, k->ln2, "bias", &l->ln2_b, 1, H, 0) ||
           get(st, prefix, k->q, "weight", &l->q_w, 2, H, H) ||
           get(st, prefix, k->q, "bias", &l->q_b, 1, H, 0) ||
           get(st, prefix, k->k, "weight", &l->k_w, 2, H, H) ||
           get(st, prefix, k->k, "bias", &l->k_b, 1, H, 0) ||
           get(st, prefix, k->v, "weight", &l->v_w, 2, H, H) ||
           get(st, prefix, k->v, "bias", &l->v_b, 1, H, 0) ||
           get(st, prefix, k->o, "weight", &l->o_w, 2, H, H) ||
           get(st, prefix, k->o, "bias", &l->o_b, 1, H, 0) ||
           get(st, prefix, k->fc1, "weight", &l->fc1_w, 2, I, H) ||
           get(st, prefix, k->fc1, "bias", &l->fc1_b, 1, I, 0) ||
           get(st, prefix, k->fc2, "weight", &l->fc2_w, 2, H, I) ||
           get(st, prefix, k->fc2, "bias", &l->fc2_b, 1, H, 0)
               ? -1
               : 0;
}

const EncoderKeys CLIP_ENCODER_KEYS = {"layer_norm1",      "layer_norm2",      "self_attn.q_proj",
                                        "self_attn.k_proj", "self_attn.v_proj", "self_attn.out_proj",
                                        "mlp.fc1",          "mlp.fc2"};

int encoder_layers_load(EncoderLayer **layers, int n, SafeTensors *st, const char *prefix,
                        const char *stem, const EncoderKeys *keys, const EncoderConfig *c) {
    *layers = xcalloc((size_t)(n > 0 ? n : 1), sizeof(EncoderLayer));
    for (int i = 0; i < n; i++) {
        char p[320];
        snprintf(p, sizeof p, "%s%s%d.", prefix, stem, i);
        if (encoder_layer_load(&(*layers)[i], st, p, keys, c)) return -1;
    }
    return 0;
}

/* The layer's scratch: one block, kept and only ever grown, one per thread.
 * A tower calls the layer 12-27 times per image with the same sizes; a fresh
 * malloc of each buffer was a fresh mmap whose pages fault in on first touch
 * (~8% of a ViT forward).  Stays reachable until exit. */
static _Thread_local Scratch scratch;

void encoder_layer_forward(const EncoderLayer *l, const EncoderConfig *c, float *x, int B, int L,
                           const int64_t *key_mask, int causal, Recorder *rec, const char *tag,
                           int i) {
    int H = c->hidden, I = c->intermediate, nh = c->heads, D = H / nh, N = B * L;
    size_t nH = (size_t)N * H, nI = (size_t)N * I, nP = rec ? (size_t)B * nh * L * L : 0;
    float *h = scratch_reserve(&scratch, sizeof(float) * (6 * nH + nI + nP));
    float *flat = h + nH, *q = flat + nH, *k = q + nH, *v = k + nH, *ctx = v + nH, *mlp = ctx + nH;
    float *probs = rec ? mlp + nI : NULL;
    int64_t s3[3] = {B, L, H}, s4[4] = {B, nh, L, D}, sp[4] = {B, nh, L, L}, si[3] = {B, L, I};

    /* --- attention block --- */
    layer_norm(h, x, tensor_f(&l->ln1_w), tensor_f(&l->ln1_b), N, H, c->eps);
    rec_f32(rec, h, 3, s3, "%slayer.%d.%s", tag, i, c->ln1_name);
    linear(flat, h, tensor_f(&l->q_w), tensor_f(&l->q_b), N, H, H);
    split_heads(q, flat, B, L, nh, D);
    linear(flat, h, tensor_f(&l->k_w), tensor_f(&l->k_b), N, H, H);
    split_heads(k, flat, B, L, nh, D);
    linear(flat, h, tensor_f(&l->v_w), tensor_f(&l->v_b), N, H, H);
    split_heads(v, flat, B, L, nh, D);
    rec_f32(rec, q, 4, s4, "%slayer.%d.q", tag, i);
    rec_f32(rec, k, 4, s4, "%slayer.%d.k", tag, i);
    rec_f32(rec, v, 4, s4, "%slayer.%d.v", tag, i);
    float scale = 1.0f / sqrtf((float)D);
    for (int b = 0; b < B; b++) {
        size_t off = (size_t)b * nh * L * D;
        attention(ctx + off, probs ? probs + (size_t)b * nh * L * L : NULL, q + off, k + off, v + off,
                  nh, nh, L, L, L, D, scale, key_mask ? key_mask + (size_t)b * L : NULL, causal, 0);
    }
    rec_f32(rec, probs, 4, sp, "%slayer.%d.attn_probs", tag, i);
    merge_heads(flat, ctx, B, nh, L, D);
    rec_f32(rec, flat, 3, s3, "%slayer.%d.attn_context", tag, i);
    linear(h, flat, tensor_f(&l->o_w), tensor_f(&l->o_b), N, H, H);
    rec_f32(rec, h, 3, s3, "%slayer.%d.attn_out", tag, i);
    add(x, x, h, (int64_t)N * H);
    rec_f32(rec, x, 3, s3, "%slayer.%d.resid_mid", tag, i);

    /* --- MLP block --- */
    layer_norm(h, x, tensor_f(&l->ln2_w), tensor_f(&l->ln2_b), N, H, c->eps);
    rec_f32(rec, h, 3, s3, "%slayer.%d.%s", tag, i, c->ln2_name);
    linear(mlp, h, tensor_f(&l->fc1_w), tensor_f(&l->fc1_b), N, H, I);
    rec_f32(rec, mlp, 3, si, "%slayer.%d.mlp_fc1", tag, i);
    activation(mlp, (int64_t)N * I, c->act);
    rec_f32(rec, mlp, 3, si, "%slayer.%d.mlp_act", tag, i);
    linear(h, mlp, tensor_f(&l->fc2_w), tensor_f(&l->fc2_b), N, I, H);
    rec_f32(rec, h, 3, s3, "%slayer.%d.mlp_out", tag, i);
    add(x, x, h, (int64_t)N * H);
    rec_f32(rec, x, 3, s3, "%slayer.%d.output", tag, i);
}

void extract_patches(float *patches, const float *pixel_values, int C, int H, int W, int p) {
    int gh = H / p, gw = W / p, K = C * p * p;
    for (int gy = 0; gy < gh; gy++)
        for (int gx = 0; gx < gw; gx++) {
            float *row = patches + ((size_t)gy * gw + gx) * K;
            for (int c = 0; c < C; c++)
                for (int ky = 0; ky < p; ky++)
                    for (int kx = 0; kx < p; kx++)
                        row[(c * p + ky) * p + kx] =
                            pixel_values[((size_t)c * H + gy * p + ky) * W + gx * p + kx];
        }
}

void patch_embed(float *out, const float *pixel_values, int C, int H, int W, int p,
                 const float *weight, const float *bias, int hidden) {
    int n = (H / p) * (W / p), K = C * p * p;
    float *patches = xmalloc(sizeof(float) * (size_t)n * K);
    extract_patches(patches, pixel_values, C, H, W, p);
    linear(out, patches, weight, bias, n, K, hidden); /* conv weight [hidden, C, p, p] = [hidden, K] */
    free(patches);
}

/* ops.h — the math of a transformer, each op a short plain loop.
 *
 * Conventions (all row-major f32, PyTorch semantics):
 *   - "n rows of dim": a [n, dim] matrix, e.g. the (B*L) token vectors of a batch.
 *   - linear: y[n, out] = x[n, in] @ W[out, in]^T + b[out]  (torch.nn.Linear;
 *     W keeps the checkpoint's [out_features, in_features] layout, b may be NULL).
 *   - Output buffers may alias inputs only where a comment says so.
 * These are the reference kernels; a faster path may live beside them (see
 * matmul_fast.h) and is tested against these.
 */
#ifndef VLM_OPS_H
#define VLM_OPS_H

#include <stdint.h>

#include "tensor.h"

/* ---- matrix products ---------------------------------------------------- */
void linear(float *y, const float *x, const float *W, const float *b, int n, int in, int out);
void linear_ref(float *y, const float *x, const float *W, const float *b, int n, int in, int out);
/* The same with W a weight Tensor [out, in] stored as F32 or BF16.  BF16 -> f32 is
 * exact, so this is the same math; keeping checkpoints' BF16 weights as BF16 halves
 * the memory a decode step streams through. */
void linear_w(float *y, const float *x, const Tensor *W, const float *b, int n);
/* c[m, n] = a[m, k] @ b[k, n] */
void matmul(float *c, const float *a, const float *b, int m, int k, int n);

/* ---- elementwise --------------------------------------------------------- */
void add(float *y, const float *a, const float *b, int64_t n); /* y may alias a or b */
void add_ref(float *y, const float *a, const float *b, int64_t n); /* the plain loop */
void mul(float *y, const float *a, const float *b, int64_t n); /* y may alias a or b */
void scale(float *x, float s, int64_t n);

typedef enum { ACT_GELU, ACT_GELU_TANH, ACT_QUICK_GELU, ACT_SILU, ACT_RELU, ACT_TANH } Activation;
/* HF hidden_act names: "gelu" (erf), "gelu_pytorch_tanh"/"gelu_new"/"gelu_fast" (tanh),
 * "quick_gelu", "silu"/"swish", "relu", "tanh".  -1 for an unknown name. */
int activation_from_name(const char *name, Activation *act);
const char *activation_name(Activation act);
float gelu(float x);          /* exact: x * Phi(x), via erf */
float gelu_tanh(float x);     /* tanh approximation (gelu_pytorch_tanh) */
float quick_gelu(float x);    /* x * sigmoid(1.702 x) (CLIP) */
float silu(float x);          /* x * sigmoid(x) */
float sigmoid(float x);
void activation(float *x, int64_t n, Activation act); /* in place */
void activation_ref(float *x, int64_t n, Activation act); /* the plain loop */

/* ---- normalisation ------------------------------------------------------ */
/* y = (x - mean) / sqrt(var + eps) * w + b over the last dim (biased variance). y may alias x. */
void layer_norm(float *y, const float *x, const float *w, const float *b, int n, int dim, float eps);
void layer_norm_ref(float *y, const float *x, const float *w, const float *b, int n, int dim,
                    float eps); /* the plain loop; layer_norm() splits rows across cores */
/* y = w * x / sqrt(mean(x^2) + eps)   (LlamaRMSNorm). y may alias x. */
void rms_norm(float *y, const float *x, const float *w, int n, int dim, float eps);
/* softmax over each row of [n, dim], max-subtracted; in place. */
void softmax(float *x, int n, int dim);
/* x / ||x||_2 per row; in place. */
void l2_normalize(float *x, int n, int dim);

/* ---- lookups and reductions --------------------------------------------- */
/* y[i] = table[ids[i]]; -1 with an error when an id is outside [0, vocab). */
int embedding(float *y, const float *table, const int64_t *ids, int n, int dim, int vocab);
/* The same from a table Tensor [vocab, dim] stored as F32 or BF16 (rows widened exactly). */
int embedding_w(float *y, const Tensor *table, const int64_t *ids, int n);
int argmax(const float *x, int n);
/* The k largest values of x, largest first (ties: lower index first). */
void topk(const float *x, int n, int k, int *idx, float *val);

/* ---- attention ---------------------------------------------------------- */
/* RoPE, HF rotate_half convention: dimension i pairs with i + D/2.
 * x: [H, L, D]; position of row l is pos[l]; inv_freq[i] = theta^(-2i/D) in f32. In place. */
void rope(float *x, int H, int L, int D, const int64_t *pos, float theta);

/* Scaled dot-product attention for one sequence.
 *   q: [H, Lq, D]; k, v: [KVH, kv_rows, D], the first Lk rows of each head used
 *     (kv_rows = Lk, or a KV cache's capacity); grouped-query: query head h reads
 *     kv head h / (H/KVH)
 *   key_mask: [Lk] 1 = may attend, 0 = padding (NULL: all keys)
 *   causal: query i, at absolute position q_offset + i, sees keys j <= q_offset + i
 *   ctx: [H, Lq, D];  probs: [H, Lq, Lk] or NULL (not kept)
 * Masked scores get probability exactly 0 (HF adds finfo.min, whose exp is 0). */
void attention(float *ctx, float *probs, const float *q, const float *k, const float *v, int H,
               int KVH, int Lq, int Lk, int kv_rows, int D, float scale, const int64_t *key_mask,
               int causal, int q_offset);
/* The plain loop behind attention() (the fast path is attention_fast, matmul_fast.h). */
void attention_ref(float *ctx, float *probs, const float *q, const float *k, const float *v,
                   int H, int KVH, int Lq, int Lk, int kv_rows, int D, float scale,
                   const int64_t *key_mask, int causal, int q_offset);

/* (B, L, H*D) <-> (B, H, L, D), as view(b, l, h, d).transpose(1, 2) does. */
void split_heads(float *out, const float *x, int B, int L, int H, int D);
void merge_heads(float *out, const float *x, int B, int H, int L, int D);
/* The plain loops (the entry points above split the rows across cores: same copies). */
void split_heads_ref(float *out, const float *x, int B, int L, int H, int D);
void merge_heads_ref(float *out, const float *x, int B, int H, int L, int D);

#endif

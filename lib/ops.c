/* ops.c — reference kernels; see ops.h. */
#include "ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "matmul_fast.h"
#include "util.h"

void linear_ref(float *y, const float *x, const float *W, const float *b, int n, int in, int out) {
    for (int i = 0; i < n; i++) {
        const float *xi = x + (int64_t)i * in;
        for (int o = 0; o < out; o++) {
            const float *w = W + (int64_t)o * in;
            float acc = 0.0f;
            for (int j = 0; j < in; j++) acc += xi[j] * w[j];
            y[(int64_t)i * out + o] = acc + (b ? b[o] : 0.0f);
        }
    }
}

void matmul(float *c, const float *a, const float *b, int m, int k, int n) {
    for (int i = 0; i < m; i++) {
        float *ci = c + (int64_t)i * n;
        for (int j = 0; j < n; j++) ci[j] = 0.0f;
        for (int p = 0; p < k; p++) {
            float aip = a[(int64_t)i * k + p];
            const float *bp = b + (int64_t)p * n;
            for (int j = 0; j < n; j++) ci[j] += aip * bp[j];
        }
    }
}

void add_ref(float *y, const float *a, const float *b, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = a[i] + b[i];
}

void mul(float *y, const float *a, const float *b, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = a[i] * b[i];
}

void scale(float *x, float s, int64_t n) {
    for (int64_t i = 0; i < n; i++) x[i] *= s;
}

/* ---- activations ---- */

static const struct { const char *name; Activation act; } act_names[] = {
    {"gelu", ACT_GELU},           {"gelu_pytorch_tanh", ACT_GELU_TANH},
    {"gelu_new", ACT_GELU_TANH},  {"gelu_fast", ACT_GELU_TANH},
    {"quick_gelu", ACT_QUICK_GELU}, {"silu", ACT_SILU},
    {"swish", ACT_SILU},          {"relu", ACT_RELU},
    {"tanh", ACT_TANH},
};

int activation_from_name(const char *name, Activation *act) {
    for (size_t i = 0; i < sizeof act_names / sizeof act_names[0]; i++)
        if (strcmp(name, act_names[i].name) == 0) {
            *act = act_names[i].act;
            return 0;
        }
    return -1;
}

const char *activation_name(Activation act) {
    for (size_t i = 0; i < sizeof act_names / sizeof act_names[0]; i++)
        if (act_names[i].act == act) return act_names[i].name;
    return "?";
}

float gelu(float x) { return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f)); }

float gelu_tanh(float x) {
    const float k = 0.79788456080286536f; /* sqrt(2/pi) */
    return 0.5f * x * (1.0f + tanhf(k * (x + 0.044715f * x * x * x)));
}

float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }
float quick_gelu(float x) { return x * sigmoid(1.702f * x); }
float silu(float x) { return x * sigmoid(x); }

void activation_ref(float *x, int64_t n, Activation act) {
    for (int64_t i = 0; i < n; i++) {
        switch (act) {
        case ACT_GELU: x[i] = gelu(x[i]); break;
        case ACT_GELU_TANH: x[i] = gelu_tanh(x[i]); break;
        case ACT_QUICK_GELU: x[i] = quick_gelu(x[i]); break;
        case ACT_SILU: x[i] = silu(x[i]); break;
        case ACT_RELU: x[i] = x[i] > 0 ? x[i] : 0; break;
        case ACT_TANH: x[i] = tanhf(x[i]); break;
        }
    }
}

/* ---- normalisation ---- */

void layer_norm_ref(float *y, const float *x, const float *w, const float *b, int n, int dim,
                    float eps) {
    for (int i = 0; i < n; i++) {
        const float *xi = x + (int64_t)i * dim;
        float *yi = y + (int64_t)i * dim;
        double mean = 0, var = 0;
        for (int j = 0; j < dim; j++) mean += xi[j];
        mean /= dim;
        for (int j = 0; j < dim; j++) var += (xi[j] - mean) * (xi[j] - mean);
        var /= dim; /* biased, like torch.nn.LayerNorm */
        float inv = (float)(1.0 / sqrt(var + eps));
        for (int j = 0; j < dim; j++)
            yi[j] = ((float)(xi[j] - mean) * inv) * (w ? w[j] : 1.0f) + (b ? b[j] : 0.0f);
    }
}

void rms_norm(float *y, const float *x, const float *w, int n, int dim, float eps) {
    for (int i = 0; i < n; i++) {
        const float *xi = x + (int64_t)i * dim;
        float *yi = y + (int64_t)i * dim;
        double ss = 0;
        for (int j = 0; j < dim; j++) ss += (double)xi[j] * xi[j];
        float inv = 1.0f / sqrtf((float)(ss / dim) + eps);
        for (int j = 0; j < dim; j++) yi[j] = w[j] * (xi[j] * inv);
    }
}

void softmax(float *x, int n, int dim) {
    for (int i = 0; i < n; i++) {
        float *xi = x + (int64_t)i * dim;
        float mx = xi[0];
        for (int j = 1; j < dim; j++) mx = xi[j] > mx ? xi[j] : mx;
        double sum = 0;
        for (int j = 0; j < dim; j++) {
            xi[j] = expf(xi[j] - mx);
            sum += xi[j];
        }
        float inv = (float)(1.0 / sum);
        for (int j = 0; j < dim; j++) xi[j] *= inv;
    }
}

void l2_normalize(float *x, int n, int dim) {
    for (int i = 0; i < n; i++) {
        float *xi = x + (int64_t)i * dim;
        double ss = 0;
        for (int j = 0; j < dim; j++) ss += (double)xi[j] * xi[j];
        float norm = (float)sqrt(ss);
        for (int j = 0; j < dim; j++) xi[j] /= norm;
    }
}

/* ---- lookups ---- */

int embedding(float *y, const float *table, const int64_t *ids, int n, int dim, int vocab) {
    for (int i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= vocab)
            return vlm_fail("token id %lld at position %d is outside the vocabulary [0, %d)",
                            (long long)ids[i], i, vocab);
        memcpy(y + (int64_t)i * dim, table + ids[i] * dim, sizeof(float) * (size_t)dim);
    }
    return 0;
}

int argmax(const float *x, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

void topk(const float *x, int n, int k, int *idx, float *val) {
    /* insertion into a sorted list of k: fine for the k = 5 of the lessons */
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (m == k && !(x[i] > val[k - 1])) continue;
        int p = m < k ? m++ : k - 1;
        while (p > 0 && x[i] > val[p - 1]) {
            val[p] = val[p - 1];
            idx[p] = idx[p - 1];
            p--;
        }
        val[p] = x[i];
        idx[p] = i;
    }
}

/* ---- attention ---- */

void rope(float *x, int H, int L, int D, const int64_t *pos, float theta) {
    int half = D / 2;
    for (int i = 0; i < half; i++) {
        /* like HF: inv_freq = 1 / theta^(arange(0, D, 2) / D), all in float32 */
        float inv_freq = 1.0f / powf(theta, (float)(2 * i) / (float)D);
        for (int l = 0; l < L; l++) {
            float angle = (float)pos[l] * inv_freq;
            float c = (float)cos((double)angle), s = (float)sin((double)angle);
            for (int h = 0; h < H; h++) {
                float *row = x + ((int64_t)h * L + l) * D;
                float x1 = row[i], x2 = row[i + half];
                /* q*cos + rotate_half(q)*sin, rotate_half(x) = cat(-x2, x1) */
                row[i] = x1 * c - x2 * s;
                row[i + half] = x2 * c + x1 * s;
            }
        }
    }
}

void attention_ref(float *ctx, float *probs, const float *q, const float *k, const float *v,
                   int H, int KVH, int Lq, int Lk, int kv_rows, int D, float scale,
                   const int64_t *key_mask, int causal, int q_offset) {
    int group = H / KVH;
    float *row = xmalloc(sizeof(float) * (size_t)Lk);
    for (int h = 0; h < H; h++) {
        const float *kh = k + (int64_t)(h / group) * kv_rows * D;
        const float *vh = v + (int64_t)(h / group) * kv_rows * D;
        for (int i = 0; i < Lq; i++) {
            const float *qi = q + ((int64_t)h * Lq + i) * D;
            float mx = -INFINITY;
            for (int j = 0; j < Lk; j++) {
                int allowed = (!key_mask || key_mask[j]) && (!causal || j <= q_offset + i);
                if (!allowed) {
                    row[j] = -INFINITY;
                    continue;
                }
                float s = 0.0f;
                for (int d = 0; d < D; d++) s += qi[d] * kh[(int64_t)j * D + d];
                row[j] = s * scale;
                if (row[j] > mx) mx = row[j];
            }
            double sum = 0;
            for (int j = 0; j < Lk; j++) {
                row[j] = row[j] == -INFINITY ? 0.0f : expf(row[j] - mx);
                sum += row[j];
            }
            float inv = sum > 0 ? (float)(1.0 / sum) : 0.0f;
            float *ci = ctx + ((int64_t)h * Lq + i) * D;
            for (int d = 0; d < D; d++) ci[d] = 0.0f;
            for (int j = 0; j < Lk; j++) {
                float p = row[j] * inv;
                if (probs) probs[((int64_t)h * Lq + i) * Lk + j] = p;
                if (p == 0.0f) continue;
                for (int d = 0; d < D; d++) ci[d] += p * vh[(int64_t)j * D + d];
            }
        }
    }
    free(row);
}

void split_heads_ref(float *out, const float *x, int B, int L, int H, int D) {
    for (int b = 0; b < B; b++)
        for (int l = 0; l < L; l++)
            for (int h = 0; h < H; h++)
                memcpy(out + (((int64_t)b * H + h) * L + l) * D,
                       x + (((int64_t)b * L + l) * H + h) * D, sizeof(float) * (size_t)D);
}

void merge_heads_ref(float *out, const float *x, int B, int H, int L, int D) {
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int l = 0; l < L; l++)
                memcpy(out + (((int64_t)b * L + l) * H + h) * D,
                       x + (((int64_t)b * H + h) * L + l) * D, sizeof(float) * (size_t)D);
}

/* The entry points the models call: the fast paths of matmul_fast.c, which
 * tests/test_fast_kernels.c checks against the *_ref loops above. */
void linear(float *y, const float *x, const float *W, const float *b, int n, int in, int out) {
    linear_fast(y, x, W, b, n, in, out);
}

void activation(float *x, int64_t n, Activation act) { activation_fast(x, n, act); }

void add(float *y, const float *a, const float *b, int64_t n) { add_fast(y, a, b, n); }

void layer_norm(float *y, const float *x, const float *w, const float *b, int n, int dim, float eps) {
    layer_norm_fast(y, x, w, b, n, dim, eps);
}

void split_heads(float *out, const float *x, int B, int L, int H, int D) {
    split_heads_fast(out, x, B, L, H, D);
}

void merge_heads(float *out, const float *x, int B, int H, int L, int D) {
    merge_heads_fast(out, x, B, H, L, D);
}

void attention(float *ctx, float *probs, const float *q, const float *k, const float *v, int H,
               int KVH, int Lq, int Lk, int kv_rows, int D, float scale, const int64_t *key_mask,
               int causal, int q_offset) {
    attention_fast(ctx, probs, q, k, v, H, KVH, Lq, Lk, kv_rows, D, scale, key_mask, causal,
                   q_offset);
}

void linear_w(float *y, const float *x, const Tensor *W, const float *b, int n) {
    int out = (int)W->shape[0], in = (int)W->shape[1];
    if (W->dtype == DT_BF16) linear_fast_bf16(y, x, (const uint16_t *)W->data, b, n, in, out);
    else linear(y, x, tensor_f(W), b, n, in, out);
}

int embedding_w(float *y, const Tensor *table, const int64_t *ids, int n) {
    int vocab = (int)table->shape[0], dim = (int)table->shape[1];
    if (table->dtype != DT_BF16) return embedding(y, tensor_f(table), ids, n, dim, vocab);
    const uint16_t *t = table->data;
    for (int i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= vocab)
            return vlm_fail("token id %lld at position %d is outside the vocabulary [0, %d)",
                            (long long)ids[i], i, vocab);
        for (int j = 0; j < dim; j++) y[(int64_t)i * dim + j] = bf16_to_f32(t[ids[i] * dim + j]);
    }
    return 0;
}

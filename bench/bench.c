/* bench — how fast are the real models?  Full-size shapes, random weights.
 *
 *   build/bench [--quick] [--json] [--only NAME]
 *
 * Builds each model at the size of the real checkpoint with seeded random
 * weights in memory (no download), runs it once to warm up, then times it
 * 5 times and reports the median (--quick: one timed run, no warm-up).
 * --json prints one line per workload: {"workload": ..., "median_ms": ...}.
 *
 * The decoder runs through lib/llama.h (SmolLM2-135M; SmolVLM-256M's text
 * model).  The vision and text towers run through lib/encoder.h's layer plus
 * the ops of their embeddings and heads: the same shapes and FLOPs as the
 * family files (DistilBERT's post-LN layer costs the same as this pre-LN one).
 * Reference times: PyTorch 1.13 + OpenBLAS, float32, on the same 2-core machine.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "encoder.h"
#include "llama.h"
#include "matmul_fast.h"
#include "ops.h"
#include "pixel_shuffle.h"
#include "tensor.h"
#include "util.h"

/* ---- random weights ---- */

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static float frand(void) { /* uniform in [-1, 1) */
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (float)((rng >> 40) * (1.0 / (1ull << 23)) - 1.0);
}

/* A [d0, d1] (d1 = 0: [d0]) tensor, uniform in [-s, s), or all `fill` when s == 0. */
static Tensor param(int64_t d0, int64_t d1, float s, float fill) {
    Tensor t = d1 ? tensor_f32(2, d0, d1) : tensor_f32(1, d0);
    float *p = tensor_f(&t);
    for (int64_t i = 0; i < tensor_numel(&t); i++) p[i] = s ? frand() * s : fill;
    return t;
}
static Tensor weight(int64_t out, int64_t in) { return param(out, in, 0.04f, 0); }

/* ---- an encoder tower: layers of lib/encoder.h ---- */

typedef struct {
    EncoderConfig c;
    int n_layers;
    EncoderLayer *layers;
} Tower;

static Tower tower_new(int hidden, int heads, int inter, int n_layers, Activation act) {
    Tower t = {{hidden, heads, inter, 1e-6f, act, "ln1", "ln2"}, n_layers, NULL};
    t.layers = xcalloc((size_t)n_layers, sizeof(EncoderLayer));
    for (int i = 0; i < n_layers; i++) {
        EncoderLayer *l = &t.layers[i];
        l->ln1_w = param(hidden, 0, 0, 1), l->ln1_b = param(hidden, 0, 0, 0);
        l->ln2_w = param(hidden, 0, 0, 1), l->ln2_b = param(hidden, 0, 0, 0);
        l->q_w = weight(hidden, hidden), l->q_b = param(hidden, 0, 0.02f, 0);
        l->k_w = weight(hidden, hidden), l->k_b = param(hidden, 0, 0.02f, 0);
        l->v_w = weight(hidden, hidden), l->v_b = param(hidden, 0, 0.02f, 0);
        l->o_w = weight(hidden, hidden), l->o_b = param(hidden, 0, 0.02f, 0);
        l->fc1_w = weight(inter, hidden), l->fc1_b = param(inter, 0, 0.02f, 0);
        l->fc2_w = weight(hidden, inter), l->fc2_b = param(hidden, 0, 0.02f, 0);
    }
    return t;
}

static void tower_forward(const Tower *t, float *x, int B, int L, const int64_t *mask, int causal) {
    for (int i = 0; i < t->n_layers; i++)
        encoder_layer_forward(&t->layers[i], &t->c, x, B, L, mask, causal, NULL, "", i);
}

static void tower_free(Tower *t) {
    for (int i = 0; i < t->n_layers; i++) {
        Tensor *p = &t->layers[i].ln1_w;
        for (size_t k = 0; k < sizeof(EncoderLayer) / sizeof(Tensor); k++) tensor_free(&p[k]);
    }
    free(t->layers);
}

/* A vision tower: patch embedding (a linear layer on patches), + position, layers, LN. */
typedef struct {
    Tower t;
    int image, patch, cls;
    Tensor patch_w, patch_b, pos, cls_emb, pre_ln_w, pre_ln_b, post_ln_w, post_ln_b;
} Vision;

static Vision vision_new(int image, int patch, int cls, int hidden, int heads, int inter, int layers,
                         Activation act) {
    Vision v = {tower_new(hidden, heads, inter, layers, act), image, patch, cls, {0}, {0}, {0}, {0},
                {0}, {0}, {0}, {0}};
    int n = (image / patch) * (image / patch) + cls;
    v.patch_w = weight(hidden, 3 * patch * patch), v.patch_b = param(hidden, 0, 0.02f, 0);
    v.pos = param(n, hidden, 0.02f, 0), v.cls_emb = param(hidden, 0, 0.02f, 0);
    v.pre_ln_w = param(hidden, 0, 0, 1), v.pre_ln_b = param(hidden, 0, 0, 0);
    v.post_ln_w = param(hidden, 0, 0, 1), v.post_ln_b = param(hidden, 0, 0, 0);
    return v;
}

static int vision_tokens(const Vision *v) { return (v->image / v->patch) * (v->image / v->patch) + v->cls; }

/* pixel_values [3, image, image] -> x [tokens, hidden] (last_hidden_state after post LN). */
static void vision_forward(const Vision *v, const float *pixels, float *x, int pre_ln) {
    int H = v->t.c.hidden, n = vision_tokens(v);
    patch_embed(x + (size_t)v->cls * H, pixels, 3, v->image, v->image, v->patch, tensor_f(&v->patch_w),
                tensor_f(&v->patch_b), H);
    if (v->cls) memcpy(x, tensor_f(&v->cls_emb), sizeof(float) * (size_t)H);
    add(x, x, tensor_f(&v->pos), (int64_t)n * H);
    if (pre_ln) layer_norm(x, x, tensor_f(&v->pre_ln_w), tensor_f(&v->pre_ln_b), n, H, 1e-5f);
    tower_forward(&v->t, x, 1, n, NULL, 0);
    layer_norm(x, x, tensor_f(&v->post_ln_w), tensor_f(&v->post_ln_b), n, H, 1e-6f);
}

static void vision_free(Vision *v) {
    tower_free(&v->t);
    Tensor *ts[] = {&v->patch_w, &v->patch_b, &v->pos, &v->cls_emb, &v->pre_ln_w, &v->pre_ln_b,
                    &v->post_ln_w, &v->post_ln_b};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) tensor_free(ts[i]);
}

/* A text tower: token + position embeddings, layers, final LN. */
typedef struct {
    Tower t;
    int vocab, max_pos;
    Tensor tok, pos, ln_w, ln_b;
} Text;

static Text text_new(int vocab, int max_pos, int hidden, int heads, int inter, int layers, Activation act) {
    Text t = {tower_new(hidden, heads, inter, layers, act), vocab, max_pos, {0}, {0}, {0}, {0}};
    t.tok = param(vocab, hidden, 0.02f, 0), t.pos = param(max_pos, hidden, 0.02f, 0);
    t.ln_w = param(hidden, 0, 0, 1), t.ln_b = param(hidden, 0, 0, 0);
    return t;
}

/* ids/mask [B, L] -> x [B, L, hidden] after the final LN. */
static void text_forward(const Text *t, const int64_t *ids, const int64_t *mask, int B, int L,
                         int causal, float *x) {
    int H = t->t.c.hidden;
    if (embedding(x, tensor_f(&t->tok), ids, B * L, H, t->vocab)) vlm_die("bench");
    for (int b = 0; b < B; b++) add(x + (size_t)b * L * H, x + (size_t)b * L * H, tensor_f(&t->pos), (int64_t)L * H);
    tower_forward(&t->t, x, B, L, mask, causal);
    layer_norm(x, x, tensor_f(&t->ln_w), tensor_f(&t->ln_b), B * L, H, 1e-6f);
}

static void text_free(Text *t) {
    tower_free(&t->t);
    tensor_free(&t->tok), tensor_free(&t->pos), tensor_free(&t->ln_w), tensor_free(&t->ln_b);
}

/* ---- SmolLM2-135M through lib/llama.h ---- */

static Llama smollm2_new(void) {
    LlamaConfig c = {.hidden_size = 576, .intermediate_size = 1536, .num_hidden_layers = 30,
                     .num_attention_heads = 9, .num_key_value_heads = 3, .head_dim = 64,
                     .vocab_size = 49152, .max_position_embeddings = 8192, .rms_norm_eps = 1e-5f,
                     .rope_theta = 100000.0f, .tie_word_embeddings = 1, .hidden_act = ACT_SILU,
                     .eos_token_id = 0};
    Llama m;
    memset(&m, 0, sizeof m);
    m.config = c;
    int H = c.hidden_size, I = c.intermediate_size, qd = 9 * 64, kvd = 3 * 64;
    m.embed_tokens = param(c.vocab_size, H, 0.04f, 0);
    m.lm_head = m.embed_tokens; /* tied, as in the checkpoint */
    m.norm = param(H, 0, 0, 1);
    m.layers = xcalloc((size_t)c.num_hidden_layers, sizeof(LlamaLayer));
    for (int i = 0; i < c.num_hidden_layers; i++) {
        LlamaLayer *l = &m.layers[i];
        l->input_layernorm = param(H, 0, 0, 1), l->post_attention_layernorm = param(H, 0, 0, 1);
        l->q_proj = weight(qd, H), l->k_proj = weight(kvd, H), l->v_proj = weight(kvd, H);
        l->o_proj = weight(H, qd);
        l->gate_proj = weight(I, H), l->up_proj = weight(I, H), l->down_proj = weight(H, I);
    }
    return m;
}

static void smollm2_free(Llama *m) {
    for (int i = 0; i < m->config.num_hidden_layers; i++) {
        Tensor *p = &m->layers[i].input_layernorm;
        for (size_t k = 0; k < sizeof(LlamaLayer) / sizeof(Tensor); k++) tensor_free(&p[k]);
    }
    tensor_free(&m->embed_tokens), tensor_free(&m->norm);
    free(m->layers);
}

/* ---- timing ---- */

static int quick, json;
static const char *only;

typedef struct {
    const char *name, *what;
    double ref_ms; /* PyTorch, 0 = none */
    double median_ms;
    double gflops; /* for the matmul lines */
} Result;

static Result results[32];
static int n_results;

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static long peak_rss_mb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024; /* kB on Linux */
}

/* Median wall time of fn(ctx) in ms: one warm-up + 5 runs (--quick: 1 run). */
static double time_it(void (*fn)(void *), void *ctx) {
    int runs = quick ? 1 : 5;
    double t[5];
    if (!quick) fn(ctx);
    for (int r = 0; r < runs; r++) {
        double t0 = now_seconds();
        fn(ctx);
        t[r] = (now_seconds() - t0) * 1e3;
    }
    qsort(t, (size_t)runs, sizeof t[0], cmp_double);
    return t[runs / 2];
}

static void report(const char *name, const char *what, double ref_ms, double ms, double gflops) {
    Result r = {name, what, ref_ms, ms, gflops};
    results[n_results++] = r;
    if (json) {
        printf("{\"workload\": \"%s\", \"median_ms\": %.3f", name, ms);
        if (ref_ms > 0) printf(", \"pytorch_ms\": %.1f, \"ratio\": %.3f", ref_ms, ms / ref_ms);
        if (gflops > 0) printf(", \"gflops\": %.1f", gflops);
        printf(", \"peak_rss_mb\": %ld}\n", peak_rss_mb());
    } else {
        fprintf(stderr, "  %-22s %10.1f ms\n", name, ms);
    }
    fflush(stdout);
}

static int want(const char *name) { return !only || strstr(name, only) != NULL; }

/* ---- the workloads ---- */

typedef struct {
    Llama *m;
    int L, steps;
    float *x, *logits;
    KVCache cache;
    int64_t next;
} LlamaRun;

/* 5-token prompt: decoder + logits for every position (what model(ids) returns). */
static void llama_prefill(void *p) {
    LlamaRun *r = p;
    int64_t ids[5] = {1, 504, 3458, 314, 253};
    if (llama_embed(r->m, ids, r->L, r->x) || llama_forward(r->m, r->x, 1, r->L, NULL, NULL, NULL, ""))
        vlm_die("bench");
    llama_logits(r->m, r->x, r->L, r->logits);
}

/* Greedy decode with the KV cache after a 5-token prompt; timed per token. */
static void llama_decode(void *p) {
    LlamaRun *r = p;
    int H = r->m->config.hidden_size;
    r->cache.len = 5; /* the prompt's keys/values stay in the cache */
    for (int s = 0; s < r->steps; s++) {
        if (llama_embed(r->m, &r->next, 1, r->x) || llama_forward(r->m, r->x, 1, 1, NULL, &r->cache, NULL, ""))
            vlm_die("bench");
        llama_logits(r->m, r->x, 1, r->logits);
        r->next = argmax(r->logits, r->m->config.vocab_size);
        (void)H;
    }
}

static void bench_smollm2(void) {
    if (!want("smollm2")) return;
    Llama m = smollm2_new();
    int V = m.config.vocab_size, H = m.config.hidden_size;
    LlamaRun r = {&m, 5, 32, xmalloc(sizeof(float) * 5 * H), xmalloc(sizeof(float) * 5 * (size_t)V),
                  {0, 0, NULL, NULL}, 0};
    report("smollm2_prefill", "SmolLM2-135M, 5-token prompt -> logits", 80, time_it(llama_prefill, &r), 0);
    /* prompt into the cache once; each timed run decodes 32 tokens after it */
    kv_cache_init(&r.cache, &m.config, 5 + r.steps);
    int64_t ids[5] = {1, 504, 3458, 314, 253};
    if (llama_embed(&m, ids, 5, r.x) || llama_forward(&m, r.x, 1, 5, NULL, &r.cache, NULL, "")) vlm_die("bench");
    r.next = 42;
    double ms = time_it(llama_decode, &r) / r.steps;
    report("smollm2_decode_token", "SmolLM2-135M, greedy decode (KV cache), per token", 63, ms, 0);
    kv_cache_free(&r.cache);
    free(r.x), free(r.logits);
    smollm2_free(&m);
}

typedef struct {
    Text *text;
    Tensor cls_w, cls_b, pre_w, pre_b;
    float *x, logits[2];
} BertRun;

/* DistilBERT-base (6 layers) on 8 tokens + the sequence-classification head. */
static void bert_run(void *p) {
    BertRun *r = p;
    int64_t ids[8] = {101, 1045, 2293, 2023, 3185, 999, 1012, 102}, mask[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    float h[768];
    text_forward(r->text, ids, mask, 1, 8, 0, r->x);
    linear(h, r->x, tensor_f(&r->pre_w), tensor_f(&r->pre_b), 1, 768, 768);
    activation(h, 768, ACT_RELU);
    linear(r->logits, h, tensor_f(&r->cls_w), tensor_f(&r->cls_b), 1, 768, 2);
}

static void bench_distilbert(void) {
    if (!want("distilbert")) return;
    Text t = text_new(30522, 512, 768, 12, 3072, 6, ACT_GELU);
    BertRun r = {&t, weight(2, 768), param(2, 0, 0, 0), weight(768, 768), param(768, 0, 0, 0),
                 xmalloc(sizeof(float) * 8 * 768), {0, 0}};
    report("distilbert_8tok", "DistilBERT-base, 8 tokens -> class logits", 23, time_it(bert_run, &r), 0);
    free(r.x), tensor_free(&r.cls_w), tensor_free(&r.cls_b), tensor_free(&r.pre_w), tensor_free(&r.pre_b);
    text_free(&t);
}

typedef struct {
    Vision *v;
    Tensor head_w, head_b;
    float *pixels, *x, *logits;
} VitRun;

static void vit_run(void *p) {
    VitRun *r = p;
    vision_forward(r->v, r->pixels, r->x, 0);
    linear(r->logits, r->x, tensor_f(&r->head_w), tensor_f(&r->head_b), 1, 768, 1000); /* CLS */
}

static float *random_image(int size) {
    float *px = xmalloc(sizeof(float) * 3 * (size_t)size * size);
    for (size_t i = 0; i < 3 * (size_t)size * size; i++) px[i] = frand();
    return px;
}

static void bench_vit(void) {
    if (!want("vit")) return;
    Vision v = vision_new(224, 16, 1, 768, 12, 3072, 12, ACT_GELU);
    VitRun r = {&v, weight(1000, 768), param(1000, 0, 0, 0), random_image(224),
                xmalloc(sizeof(float) * 197 * 768), xmalloc(sizeof(float) * 1000)};
    report("vit_b16_224", "ViT-B/16, one 224 image -> 1000 logits", 176, time_it(vit_run, &r), 0);
    free(r.pixels), free(r.x), free(r.logits), tensor_free(&r.head_w), tensor_free(&r.head_b);
    vision_free(&v);
}

/* Image-text similarity: logits[t] = scale * <img, txt_t> (both L2-normalised). */
static void similarity(float *img, float *txt, int n_txt, int dim, float *logits) {
    l2_normalize(img, 1, dim);
    l2_normalize(txt, n_txt, dim);
    for (int t = 0; t < n_txt; t++) {
        float s = 0;
        for (int d = 0; d < dim; d++) s += img[d] * txt[(size_t)t * dim + d];
        logits[t] = 100.0f * s;
    }
}

typedef struct {
    Vision *v;
    Text *t;
    Tensor vproj, tproj;
    float *pixels, *xv, *xt, emb_i[768], emb_t[2 * 768], logits[2];
} ClipRun;

/* CLIP-L/14: vision tower (257 tokens) + 2 texts of 8 tokens (causal) -> logits_per_image. */
static void clip_run(void *p) {
    ClipRun *r = p;
    int64_t ids[16] = {49406, 320, 1125, 539, 320, 2368, 49407, 49407,
                       49406, 320, 1125, 539, 320, 1929, 49407, 49407};
    int64_t mask[16] = {1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0};
    vision_forward(r->v, r->pixels, r->xv, 1);
    linear(r->emb_i, r->xv, tensor_f(&r->vproj), NULL, 1, 1024, 768); /* pooled CLS */
    text_forward(r->t, ids, mask, 2, 8, 1, r->xt);
    for (int b = 0; b < 2; b++) /* pooled at the EOS token (position 6) */
        linear(r->emb_t + b * 768, r->xt + ((size_t)b * 8 + 6) * 768, tensor_f(&r->tproj), NULL, 1, 768, 768);
    similarity(r->emb_i, r->emb_t, 2, 768, r->logits);
}

static void bench_clip(void) {
    if (!want("clip")) return;
    Vision v = vision_new(224, 14, 1, 1024, 16, 4096, 24, ACT_QUICK_GELU);
    Text t = text_new(49408, 77, 768, 12, 3072, 12, ACT_QUICK_GELU);
    ClipRun r = {&v, &t, weight(768, 1024), weight(768, 768), random_image(224),
                 xmalloc(sizeof(float) * 257 * 1024), xmalloc(sizeof(float) * 16 * 768), {0}, {0}, {0}};
    report("clip_l14_224", "CLIP-L/14, one 224 image + 2 texts -> logits", 760, time_it(clip_run, &r), 0);
    free(r.pixels), free(r.xv), free(r.xt), tensor_free(&r.vproj), tensor_free(&r.tproj);
    vision_free(&v), text_free(&t);
}

typedef struct {
    Vision *v;
    Text *t;
    /* multihead attention pooling head (SiglipMultiheadAttentionPoolingHead) */
    Tensor probe, in_w, in_b, out_w, out_b, ln_w, ln_b, fc1_w, fc1_b, fc2_w, fc2_b, thead_w, thead_b;
    float *pixels, *xv, *xt, *q, *kv, *ctx, pooled[1152], h[4304], emb_t[3 * 1152], scores[3];
} SiglipRun;

static void siglip_head(SiglipRun *r) {
    int H = 1152, n = 729, nh = 16, D = 72;
    const float *in_w = tensor_f(&r->in_w), *in_b = tensor_f(&r->in_b);
    float *k = r->kv, *v = r->kv + (size_t)n * H, *tmp = r->ctx;
    linear(r->q, tensor_f(&r->probe), in_w, in_b, 1, H, H);
    linear(tmp, r->xv, in_w + (size_t)H * H, in_b + H, n, H, H);
    split_heads(k, tmp, 1, n, nh, D);
    linear(tmp, r->xv, in_w + (size_t)2 * H * H, in_b + 2 * H, n, H, H);
    split_heads(v, tmp, 1, n, nh, D);
    attention(tmp, NULL, r->q, k, v, nh, nh, 1, n, n, D, 1.0f / sqrtf((float)D), NULL, 0, 0);
    linear(r->pooled, tmp, tensor_f(&r->out_w), tensor_f(&r->out_b), 1, H, H);
    float res[1152];
    memcpy(res, r->pooled, sizeof res);
    layer_norm(r->pooled, r->pooled, tensor_f(&r->ln_w), tensor_f(&r->ln_b), 1, H, 1e-6f);
    linear(r->h, r->pooled, tensor_f(&r->fc1_w), tensor_f(&r->fc1_b), 1, H, 4304);
    activation(r->h, 4304, ACT_GELU_TANH);
    linear(r->pooled, r->h, tensor_f(&r->fc2_w), tensor_f(&r->fc2_b), 1, 4304, H);
    add(r->pooled, r->pooled, res, H);
}

/* SigLIP so400m/14 at 384: vision (729 tokens) + pooling head; 3 texts padded to 64. */
static void siglip_run(void *p) {
    SiglipRun *r = p;
    int64_t ids[3 * 64];
    for (int i = 0; i < 3 * 64; i++) ids[i] = i % 64 < 6 ? 100 + i : 1; /* short prompt, then pad */
    vision_forward(r->v, r->pixels, r->xv, 0);
    siglip_head(r);
    text_forward(r->t, ids, NULL, 3, 64, 0, r->xt); /* SigLIP pads to 64 with no attention mask */
    for (int b = 0; b < 3; b++) /* pooled = last token, then the head */
        linear(r->emb_t + b * 1152, r->xt + ((size_t)b * 64 + 63) * 1152, tensor_f(&r->thead_w),
               tensor_f(&r->thead_b), 1, 1152, 1152);
    float logits[3];
    similarity(r->pooled, r->emb_t, 3, 1152, logits);
    for (int t = 0; t < 3; t++) r->scores[t] = sigmoid(logits[t] - 10.0f);
}

static void bench_siglip(void) {
    if (!want("siglip")) return;
    Vision v = vision_new(384, 14, 0, 1152, 16, 4304, 27, ACT_GELU_TANH);
    Text t = text_new(32000, 64, 1152, 16, 4304, 27, ACT_GELU_TANH);
    int H = 1152;
    SiglipRun r = {&v, &t, param(H, 0, 0.02f, 0), weight(3 * H, H), param(3 * H, 0, 0, 0), weight(H, H),
                   param(H, 0, 0, 0), param(H, 0, 0, 1), param(H, 0, 0, 0), weight(4304, H),
                   param(4304, 0, 0, 0), weight(H, 4304), param(H, 0, 0, 0), weight(H, H), param(H, 0, 0, 0),
                   random_image(384), xmalloc(sizeof(float) * 729 * H), xmalloc(sizeof(float) * 192 * H),
                   xmalloc(sizeof(float) * H), xmalloc(sizeof(float) * 2 * 729 * H),
                   xmalloc(sizeof(float) * 729 * H), {0}, {0}, {0}, {0}};
    report("siglip_so400m_384", "SigLIP so400m/14, one 384 image + 3 texts -> scores", 4720,
           time_it(siglip_run, &r), 0);
    Tensor *ts[] = {&r.probe, &r.in_w, &r.in_b, &r.out_w, &r.out_b, &r.ln_w, &r.ln_b,
                    &r.fc1_w, &r.fc1_b, &r.fc2_w, &r.fc2_b, &r.thead_w, &r.thead_b};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) tensor_free(ts[i]);
    free(r.pixels), free(r.xv), free(r.xt), free(r.q), free(r.kv), free(r.ctx);
    vision_free(&v), text_free(&t);
}

typedef struct {
    Vision *v;
    Llama *lm;
    Tensor connector;
    float *pixels, *xv, *shuffled, *x, *logits;
} SmolvlmRun;

/* SmolVLM-256M: SigLIP-B/16 at 512 (1024 patches) -> pixel shuffle r=4 (64 x 12288)
 * -> connector (12288 -> 576) -> 64 image + 20 text tokens through the decoder -> logits. */
static void smolvlm_run(void *p) {
    SmolvlmRun *r = p;
    int H = 576, n_img = 64, n_txt = 20, L = n_img + n_txt;
    vision_forward(r->v, r->pixels, r->xv, 0);
    if (pixel_shuffle(r->shuffled, r->xv, 1, 1024, 768, 4, "bench")) vlm_die("bench");
    int64_t ids[20];
    for (int i = 0; i < n_txt; i++) ids[i] = 100 + i;
    if (llama_embed(r->lm, ids, n_txt, r->x + (size_t)n_img * H)) vlm_die("bench");
    linear(r->x, r->shuffled, tensor_f(&r->connector), NULL, n_img, 12288, H);
    if (llama_forward(r->lm, r->x, 1, L, NULL, NULL, NULL, "")) vlm_die("bench");
    llama_logits(r->lm, r->x, L, r->logits);
}

static void bench_smolvlm(void) {
    if (!want("smolvlm")) return;
    Vision v = vision_new(512, 16, 0, 768, 12, 3072, 12, ACT_GELU_TANH);
    Llama lm = smollm2_new();
    SmolvlmRun r = {&v, &lm, weight(576, 12288), random_image(512), xmalloc(sizeof(float) * 1024 * 768),
                    xmalloc(sizeof(float) * 1024 * 768), xmalloc(sizeof(float) * 84 * 576),
                    xmalloc(sizeof(float) * 84 * (size_t)49152)};
    report("smolvlm_256m_512", "SmolVLM-256M, one 512 image + 20 text tokens -> logits", 1625,
           time_it(smolvlm_run, &r), 0);
    free(r.pixels), free(r.xv), free(r.shuffled), free(r.x), free(r.logits), tensor_free(&r.connector);
    vision_free(&v), smollm2_free(&lm);
}

typedef struct {
    int n, in, out;
    float *x, *W, *y;
} MatmulRun;

static void matmul_run(void *p) {
    MatmulRun *r = p;
    linear(r->y, r->x, r->W, NULL, r->n, r->in, r->out);
}

/* The same with BF16 weights (half the bytes per weight; widened in the kernel). */
static void matmul_bf16_run(void *p) {
    MatmulRun *r = p;
    linear_fast_bf16(r->y, r->x, (const uint16_t *)r->W, NULL, r->n, r->in, r->out);
}

static void bench_matmul(const char *name, const char *what, int n, int in, int out, int bf16) {
    if (!want(name)) return;
    MatmulRun r = {n, in, out, xmalloc(sizeof(float) * (size_t)n * in), xmalloc(sizeof(float) * (size_t)out * in),
                   xmalloc(sizeof(float) * (size_t)n * out)};
    for (size_t i = 0; i < (size_t)n * in; i++) r.x[i] = frand();
    for (size_t i = 0; i < (size_t)out * in; i++) r.W[i] = frand();
    if (bf16) { /* pack the bf16 patterns into the first half of the buffer */
        uint16_t *h = (uint16_t *)r.W;
        for (size_t i = 0; i < (size_t)out * in; i++) h[i] = f32_to_bf16(r.W[i]);
    }
    double ms = time_it(bf16 ? matmul_bf16_run : matmul_run, &r);
    report(name, what, 0, ms, 2.0 * n * in * out / (ms * 1e-3) / 1e9);
    if (n == 1 && !json) /* one row: memory-bound, so show the weight bandwidth too */
        fprintf(stderr, "  %-22s %10.1f GB/s of weights\n", "", (double)out * in * (bf16 ? 2 : 4) / (ms * 1e-3) / 1e9);
    free(r.x), free(r.W), free(r.y);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            quick = 1;
        else if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            only = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--quick] [--json] [--only NAME]\n", argv[0]);
            return 2;
        }
    }
    fprintf(stderr, "bench: %s kernels, %d threads, %s (random weights, full-size shapes)\n",
            fast_kernel_isa(), fast_num_threads(), quick ? "1 run each (--quick)" : "median of 5 after a warm-up");
    double load[1];
    if (getloadavg(load, 1) == 1 && load[0] > 0.5)
        fprintf(stderr, "bench: note: load average %.1f before starting: other processes share the "
                        "cores, times will be inflated\n", load[0]);
    double t0 = now_seconds();
    bench_matmul("matmul_1024", "linear 1024x1024 @ (1024x1024)^T", 1024, 1024, 1024, 0);
    bench_matmul("matmul_vit_fc1", "linear 197x768 @ (3072x768)^T", 197, 768, 3072, 0);
    bench_matmul("matmul_siglip_fc1", "linear 729x1152 @ (4304x1152)^T", 729, 1152, 4304, 0);
    bench_matmul("matmul_lm_head_f32", "linear 1x576 @ (49152x576)^T, f32 weights", 1, 576, 49152, 0);
    bench_matmul("matmul_lm_head_bf16", "linear 1x576 @ (49152x576)^T, bf16 weights", 1, 576, 49152, 1);
    bench_smollm2();
    bench_distilbert();
    bench_vit();
    bench_clip();
    bench_siglip();
    bench_smolvlm();
    if (!json) {
        printf("\n%-22s %12s %12s %8s   %s\n", "workload", "vlm.c ms", "PyTorch ms", "ratio", "what");
        for (int i = 0; i < n_results; i++) {
            Result *r = &results[i];
            if (r->gflops > 0)
                printf("%-22s %12.2f %12s %8s   %s: %.0f GFLOP/s\n", r->name, r->median_ms, "-", "-", r->what,
                       r->gflops);
            else
                printf("%-22s %12.1f %12.0f %7.2fx   %s\n", r->name, r->median_ms, r->ref_ms,
                       r->median_ms / r->ref_ms, r->what);
        }
        printf("\npeak RSS %ld MB; %d threads, %s kernels; total %.0f s.  ratio = vlm.c / PyTorch "
               "(below 1 is faster)\n",
               peak_rss_mb(), fast_num_threads(), fast_kernel_isa(), now_seconds() - t0);
    }
    return 0;
}

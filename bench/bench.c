/* bench — how fast are the real models?  Full-size, random weights, the real code.
 *
 *   build/bench [--quick] [--json] [--only NAME]
 *
 * Each workload builds a checkpoint in memory: every tensor of the real Hugging Face
 * checkpoint, under its real key name and shape, with seeded random values (matrices
 * and embeddings uniform with std 0.02, LayerNorm/RMSNorm weights 1, biases 0), stored
 * in the checkpoint's dtype (BF16 for SmolLM2 and SmolVLM, as they ship; f32 for the
 * rest).  st_from_tensors() wraps it as a SafeTensors, the family's own loader reads it
 * with a config.json string holding the real checkpoint's values, and the timed calls
 * are the ones a lesson makes (vit_forward, clip_get_image_features, llama_generate...).
 * So the numbers are those of the code a student runs, on the real shapes, without a
 * download.
 *
 * Timing: one warm-up, then the median of 5 runs (--quick: one run, no warm-up).
 * Every workload runs in its own child process (fork), so the peak RSS reported for it
 * (getrusage ru_maxrss = VmHWM) is its own: weights + activations + allocator.
 * --json prints one line per workload:
 *   {"workload": ..., "median_ms": ..., "ref_ms": ..., "ratio": ..., "peak_rss_mb": ...}
 * Reference times: PyTorch 1.13 + OpenBLAS, float32, best thread setting, on the same
 * 2-core machine, full-size models with random weights.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "clip.h"
#include "distilbert.h"
#include "encoder.h"
#include "idefics3.h"
#include "llama.h"
#include "matmul_fast.h"
#include "ops.h"
#include "safetensors.h"
#include "siglip.h"
#include "tensor.h"
#include "util.h"
#include "vit.h"

#define STD 0.02f /* of the random matrices and embeddings (HF's initializer_range) */
#define MIB 1048576.0 /* memory is reported in MiB ("MB"), like ru_maxrss / 1024 */

/* ---- random numbers (xorshift64, seeded per workload) ---- */

static uint64_t rng;
static float frand(void) { /* uniform in [-1, 1) */
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (float)((rng >> 40) * (1.0 / (1ull << 23)) - 1.0);
}

/* ---- a checkpoint in memory, under the real key names ---- */

typedef struct {
    DType dtype;      /* of every tensor: F32, or BF16 like SmolLM2 / SmolVLM ship */
    int n, cap;
    char **names;
    Tensor *tensors;
    double bytes;     /* total size, for the table */
} Checkpoint;

/* A tensor named name (taken over: malloc'd) of the given shape: uniform with standard
 * deviation std (std > 0), else every element = fill. */
static void put(Checkpoint *ck, char *name, int ndim, const int64_t *shape, float std, float fill) {
    if (ck->n == ck->cap) {
        ck->cap = ck->cap ? 2 * ck->cap : 256;
        ck->names = xrealloc(ck->names, sizeof(char *) * (size_t)ck->cap);
        ck->tensors = xrealloc(ck->tensors, sizeof(Tensor) * (size_t)ck->cap);
    }
    Tensor t = tensor_new(ck->dtype, ndim, shape);
    int64_t n = tensor_numel(&t);
    float a = std * sqrtf(3.0f); /* uniform [-a, a) has standard deviation a / sqrt(3) */
    if (ck->dtype == DT_BF16) {
        uint16_t *p = t.data;
        for (int64_t i = 0; i < n; i++) p[i] = f32_to_bf16(std > 0 ? a * frand() : fill);
    } else {
        float *p = t.data;
        for (int64_t i = 0; i < n; i++) p[i] = std > 0 ? a * frand() : fill;
    }
    ck->names[ck->n] = name;
    ck->tensors[ck->n++] = t;
    ck->bytes += (double)n * (double)dtype_size(ck->dtype);
}

static void mat(Checkpoint *ck, char *name, int64_t rows, int64_t cols) {
    put(ck, name, 2, (int64_t[]){rows, cols}, STD, 0);
}
static void vec(Checkpoint *ck, char *name, int64_t n, float fill) {
    put(ck, name, 1, (int64_t[]){n}, 0, fill);
}
/* "<key>.weight" [out, in] random and "<key>.bias" [out] zeros (nn.Linear). */
static void dense(Checkpoint *ck, const char *key, int64_t out, int64_t in) {
    mat(ck, xasprintf("%s.weight", key), out, in);
    vec(ck, xasprintf("%s.bias", key), out, 0);
}
/* "<key>.weight" ones and "<key>.bias" zeros (nn.LayerNorm). */
static void layernorm(Checkpoint *ck, const char *key, int64_t n) {
    vec(ck, xasprintf("%s.weight", key), n, 1);
    vec(ck, xasprintf("%s.bias", key), n, 0);
}
/* A Conv2d patch embedding "<key>.weight" [H, 3, p, p] (+ "<key>.bias" if bias). */
static void patch_conv(Checkpoint *ck, const char *key, int64_t H, int64_t p, int bias) {
    put(ck, xasprintf("%s.weight", key), 4, (int64_t[]){H, 3, p, p}, STD, 0);
    if (bias) vec(ck, xasprintf("%s.bias", key), H, 0);
}

/* n pre-LN encoder layers "<stem>{i}.<key>" with the family's key names (encoder.h). */
static void encoder_layers(Checkpoint *ck, const char *stem, const EncoderKeys *k, int n, int H, int I) {
    for (int i = 0; i < n; i++) {
        char p[256];
#define KEY(name) (snprintf(p, sizeof p, "%s%d.%s", stem, i, name), p)
        layernorm(ck, KEY(k->ln1), H);
        layernorm(ck, KEY(k->ln2), H);
        dense(ck, KEY(k->q), H, H);
        dense(ck, KEY(k->k), H, H);
        dense(ck, KEY(k->v), H, H);
        dense(ck, KEY(k->o), H, H);
        dense(ck, KEY(k->fc1), I, H);
        dense(ck, KEY(k->fc2), H, I);
#undef KEY
    }
}

/* A Llama decoder "<prefix>embed_tokens.weight", "<prefix>layers.{i}.*", "<prefix>norm.weight". */
static void llama_keys(Checkpoint *ck, const char *prefix, const LlamaConfig *c) {
    int H = c->hidden_size, I = c->intermediate_size;
    int qd = c->num_attention_heads * c->head_dim, kvd = c->num_key_value_heads * c->head_dim;
    mat(ck, xasprintf("%sembed_tokens.weight", prefix), c->vocab_size, H);
    vec(ck, xasprintf("%snorm.weight", prefix), H, 1);
    for (int i = 0; i < c->num_hidden_layers; i++) {
        vec(ck, xasprintf("%slayers.%d.input_layernorm.weight", prefix, i), H, 1);
        vec(ck, xasprintf("%slayers.%d.post_attention_layernorm.weight", prefix, i), H, 1);
        mat(ck, xasprintf("%slayers.%d.self_attn.q_proj.weight", prefix, i), qd, H);
        mat(ck, xasprintf("%slayers.%d.self_attn.k_proj.weight", prefix, i), kvd, H);
        mat(ck, xasprintf("%slayers.%d.self_attn.v_proj.weight", prefix, i), kvd, H);
        mat(ck, xasprintf("%slayers.%d.self_attn.o_proj.weight", prefix, i), H, qd);
        mat(ck, xasprintf("%slayers.%d.mlp.gate_proj.weight", prefix, i), I, H);
        mat(ck, xasprintf("%slayers.%d.mlp.up_proj.weight", prefix, i), I, H);
        mat(ck, xasprintf("%slayers.%d.mlp.down_proj.weight", prefix, i), H, I);
    }
}

/* The SigLIP tower "<prefix>embeddings.*", "<prefix>encoder.layers.*", post_layernorm and,
 * with the head, "<prefix>head.*" (SiglipMultiheadAttentionPoolingHead). */
static void siglip_vision_keys(Checkpoint *ck, const char *prefix, const SiglipVisionConfig *c) {
    int H = c->hidden_size, I = c->intermediate_size;
    char k[256];
#define KEY(name) (snprintf(k, sizeof k, "%s%s", prefix, name), k)
    patch_conv(ck, KEY("embeddings.patch_embedding"), H, c->patch_size, 1);
    mat(ck, xasprintf("%sembeddings.position_embedding.weight", prefix), siglip_vision_num_patches(c), H);
    encoder_layers(ck, KEY("encoder.layers."), &CLIP_ENCODER_KEYS, c->num_hidden_layers, H, I);
    layernorm(ck, KEY("post_layernorm"), H);
    if (c->vision_use_head) {
        put(ck, xasprintf("%shead.probe", prefix), 3, (int64_t[]){1, 1, H}, STD, 0);
        mat(ck, xasprintf("%shead.attention.in_proj_weight", prefix), 3 * H, H);
        vec(ck, xasprintf("%shead.attention.in_proj_bias", prefix), 3 * H, 0);
        dense(ck, KEY("head.attention.out_proj"), H, H);
        layernorm(ck, KEY("head.layernorm"), H);
        dense(ck, KEY("head.mlp.fc1"), I, H);
        dense(ck, KEY("head.mlp.fc2"), H, I);
    }
#undef KEY
}

/* st over the checkpoint's tensors (which stay owned by ck until checkpoint_free). */
static void checkpoint_open(Checkpoint *ck, SafeTensors *st, const char *where) {
    if (st_from_tensors(st, where, ck->n, (const char *const *)ck->names, ck->tensors)) vlm_die("bench");
}

static void checkpoint_free(Checkpoint *ck) {
    for (int i = 0; i < ck->n; i++) free(ck->names[i]), tensor_free(&ck->tensors[i]);
    free(ck->names), free(ck->tensors);
    memset(ck, 0, sizeof *ck);
}

static cJSON *config_json(const char *text) {
    cJSON *j = cJSON_Parse(text);
    if (!j) {
        fprintf(stderr, "bench: bad built-in config.json\n");
        exit(1);
    }
    return j;
}

/* ---- the real configurations (values of each checkpoint's config.json) ---- */

#define SMOLLM2_TEXT(vocab)                                                                      \
    "\"hidden_size\": 576, \"intermediate_size\": 1536, \"num_hidden_layers\": 30, "             \
    "\"num_attention_heads\": 9, \"num_key_value_heads\": 3, \"head_dim\": 64, "                 \
    "\"vocab_size\": " #vocab ", \"max_position_embeddings\": 8192, \"rms_norm_eps\": 1e-05, "   \
    "\"rope_theta\": 100000.0, \"rope_scaling\": null, \"hidden_act\": \"silu\", "               \
    "\"attention_bias\": false, \"mlp_bias\": false, \"model_type\": \"llama\""

/* HuggingFaceTB/SmolLM2-135M (bfloat16) */
static const char *SMOLLM2_CONFIG =
    "{\"architectures\": [\"LlamaForCausalLM\"], " SMOLLM2_TEXT(49152) ", \"tie_word_embeddings\": true, "
    "\"bos_token_id\": 0, \"eos_token_id\": 0, \"torch_dtype\": \"bfloat16\"}";

/* distilbert-base-uncased (DistilBertForMaskedLM) */
static const char *DISTILBERT_CONFIG =
    "{\"activation\": \"gelu\", \"architectures\": [\"DistilBertForMaskedLM\"], \"dim\": 768, "
    "\"hidden_dim\": 3072, \"max_position_embeddings\": 512, \"model_type\": \"distilbert\", "
    "\"n_heads\": 12, \"n_layers\": 6, \"pad_token_id\": 0, \"sinusoidal_pos_embds\": false, "
    "\"tie_weights_\": true, \"vocab_size\": 30522}";

/* google/vit-base-patch16-224-in21k (ViTModel, with pooler) */
static const char *VIT_CONFIG =
    "{\"architectures\": [\"ViTModel\"], \"hidden_act\": \"gelu\", \"hidden_size\": 768, "
    "\"image_size\": 224, \"intermediate_size\": 3072, \"layer_norm_eps\": 1e-12, "
    "\"model_type\": \"vit\", \"num_attention_heads\": 12, \"num_channels\": 3, "
    "\"num_hidden_layers\": 12, \"patch_size\": 16, \"qkv_bias\": true}";

/* openai/clip-vit-large-patch14 (legacy text config: eos_token_id 2 -> pool at argmax id) */
static const char *CLIP_CONFIG =
    "{\"architectures\": [\"CLIPModel\"], \"logit_scale_init_value\": 2.6592, \"model_type\": \"clip\", "
    "\"projection_dim\": 768, "
    "\"text_config\": {\"hidden_act\": \"quick_gelu\", \"hidden_size\": 768, \"intermediate_size\": 3072, "
    "\"layer_norm_eps\": 1e-05, \"max_position_embeddings\": 77, \"num_attention_heads\": 12, "
    "\"num_hidden_layers\": 12, \"projection_dim\": 768, \"vocab_size\": 49408, \"bos_token_id\": 0, "
    "\"eos_token_id\": 2, \"pad_token_id\": 1}, "
    "\"vision_config\": {\"hidden_act\": \"quick_gelu\", \"hidden_size\": 1024, \"image_size\": 224, "
    "\"intermediate_size\": 4096, \"layer_norm_eps\": 1e-05, \"num_attention_heads\": 16, "
    "\"num_channels\": 3, \"num_hidden_layers\": 24, \"patch_size\": 14, \"projection_dim\": 768}}";

/* google/siglip-so400m-patch14-384 */
static const char *SIGLIP_CONFIG =
    "{\"architectures\": [\"SiglipModel\"], \"model_type\": \"siglip\", "
    "\"text_config\": {\"hidden_act\": \"gelu_pytorch_tanh\", \"hidden_size\": 1152, "
    "\"intermediate_size\": 4304, \"layer_norm_eps\": 1e-06, \"max_position_embeddings\": 64, "
    "\"num_attention_heads\": 16, \"num_hidden_layers\": 27, \"vocab_size\": 32000, "
    "\"pad_token_id\": 1, \"eos_token_id\": 1}, "
    "\"vision_config\": {\"hidden_act\": \"gelu_pytorch_tanh\", \"hidden_size\": 1152, "
    "\"image_size\": 384, \"intermediate_size\": 4304, \"layer_norm_eps\": 1e-06, "
    "\"num_attention_heads\": 16, \"num_channels\": 3, \"num_hidden_layers\": 27, \"patch_size\": 14}}";

/* HuggingFaceTB/SmolVLM-256M-Instruct (bfloat16; lm_head not tied) */
static const char *SMOLVLM_CONFIG =
    "{\"architectures\": [\"Idefics3ForConditionalGeneration\"], \"model_type\": \"idefics3\", "
    "\"image_token_id\": 49190, \"scale_factor\": 4, \"tie_word_embeddings\": false, "
    "\"vocab_size\": 49280, \"torch_dtype\": \"bfloat16\", "
    "\"text_config\": {" SMOLLM2_TEXT(49280) ", \"tie_word_embeddings\": false, \"bos_token_id\": 1, "
    "\"eos_token_id\": 2, \"pad_token_id\": 2}, "
    "\"vision_config\": {\"hidden_act\": \"gelu_pytorch_tanh\", \"hidden_size\": 768, "
    "\"image_size\": 512, \"intermediate_size\": 3072, \"layer_norm_eps\": 1e-06, "
    "\"model_type\": \"idefics3_vision\", \"num_attention_heads\": 12, \"num_channels\": 3, "
    "\"num_hidden_layers\": 12, \"patch_size\": 16}}";

/* ---- timing ---- */

static int quick, json;
static const char *only;

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
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

/* The outputs must be numbers: a NaN would mean the timed code is broken. */
static void expect_finite(const char *what, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) {
            fprintf(stderr, "bench: %s[%zu] = %g is not finite\n", what, i, x[i]);
            exit(1);
        }
}

static float *random_image(int size) { /* pixel_values [1, 3, size, size], as normalised */
    float *px = xmalloc(sizeof(float) * 3 * (size_t)size * size);
    for (size_t i = 0; i < 3 * (size_t)size * size; i++) px[i] = frand();
    return px;
}

/* What a child process hands back to the parent through a pipe. */
typedef struct {
    int ok;
    double median_ms, gflops, gbps; /* gflops/gbps only for the matmul lines */
    double weights_mb, setup_s;
    long peak_rss_mb;
} Measure;

/* ---- SmolLM2-135M: prefill and decode through lib/llama.h ---- */

typedef struct {
    Checkpoint ck;
    SafeTensors st;
    Llama m;
} LlamaModel;

static void smollm2_build(LlamaModel *lm) {
    memset(lm, 0, sizeof *lm);
    cJSON *j = config_json(SMOLLM2_CONFIG);
    LlamaConfig c;
    if (llama_config_parse(j, "bench: SmolLM2-135M config.json", &c)) vlm_die("bench");
    cJSON_Delete(j);
    lm->ck.dtype = DT_BF16; /* the checkpoint is bfloat16 */
    llama_keys(&lm->ck, "model.", &c);
    checkpoint_open(&lm->ck, &lm->st, "bench: SmolLM2-135M (random weights)");
    if (llama_load(&lm->m, &lm->st, &c, "model.", "lm_head.weight")) vlm_die("bench");
}

static void llama_model_free(LlamaModel *lm) {
    llama_free(&lm->m), st_close(&lm->st), checkpoint_free(&lm->ck);
}

static const int64_t PROMPT[5] = {1, 504, 3458, 314, 253};

typedef struct {
    Llama *m;
    float *x, *logits, *prompt;
    int max_new;
    int64_t out[64];
} LlamaRun;

/* model(ids): 5-token prompt -> logits for every position. */
static void prefill_run(void *p) {
    LlamaRun *r = p;
    if (llama_embed(r->m, PROMPT, 5, r->x) || llama_forward(r->m, r->x, 1, 5, NULL, NULL, NULL, ""))
        vlm_die("bench");
    llama_logits(r->m, r->x, 5, r->logits);
}

/* Greedy generation with the KV cache (what the lessons call): prefill + max_new tokens. */
static void generate_run(void *p) {
    LlamaRun *r = p;
    if (llama_generate(r->m, r->prompt, 5, r->max_new, NULL, 0, r->out, NULL, NULL, NULL) != r->max_new)
        vlm_die("bench");
}

static void w_smollm2_prefill(Measure *o) {
    LlamaModel lm;
    smollm2_build(&lm);
    o->weights_mb = lm.ck.bytes / MIB;
    LlamaRun r = {&lm.m, xmalloc(sizeof(float) * 5 * 576), xmalloc(sizeof(float) * 5 * 49152), NULL, 0, {0}};
    o->median_ms = time_it(prefill_run, &r);
    expect_finite("smollm2 prefill logits", r.logits, 5 * 49152);
    free(r.x), free(r.logits);
    llama_model_free(&lm);
}

/* Per token = (generate 33 tokens - generate 1 token) / 32: the difference is 32 decode
 * steps (embed + 30 layers with the cache + lm_head + argmax), the prefill cancels. */
static void w_smollm2_decode(Measure *o) {
    LlamaModel lm;
    smollm2_build(&lm);
    o->weights_mb = lm.ck.bytes / MIB;
    LlamaRun r = {&lm.m, NULL, NULL, xmalloc(sizeof(float) * 5 * 576), 1, {0}};
    if (llama_embed(&lm.m, PROMPT, 5, r.prompt)) vlm_die("bench");
    double t1 = time_it(generate_run, &r);
    r.max_new = 33;
    double t33 = time_it(generate_run, &r);
    o->median_ms = (t33 - t1) / 32;
    for (int i = 0; i < 33; i++)
        if (r.out[i] < 0 || r.out[i] >= lm.m.config.vocab_size) {
            fprintf(stderr, "bench: generated token %lld is outside the vocabulary\n", (long long)r.out[i]);
            exit(1);
        }
    free(r.prompt);
    llama_model_free(&lm);
}

/* ---- DistilBERT-base: 8 tokens -> last_hidden_state (lesson 3's [CLS]) ---- */

typedef struct {
    DistilBert *m;
    float *out;
} BertRun;

static void bert_run(void *p) {
    BertRun *r = p;
    static const int64_t ids[8] = {101, 1045, 2293, 2023, 3185, 999, 1012, 102};
    static const int64_t mask[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    if (distilbert_forward(r->m, ids, mask, 1, 8, r->out, NULL, "")) vlm_die("bench");
}

static void w_distilbert(Measure *o) {
    cJSON *j = config_json(DISTILBERT_CONFIG);
    DistilBertConfig c;
    if (distilbert_config_parse(j, "bench: distilbert-base-uncased config.json", &c)) vlm_die("bench");
    cJSON_Delete(j);
    Checkpoint ck = {.dtype = DT_F32};
    int D = c.dim;
    mat(&ck, xstrdup("distilbert.embeddings.word_embeddings.weight"), c.vocab_size, D);
    mat(&ck, xstrdup("distilbert.embeddings.position_embeddings.weight"), c.max_position_embeddings, D);
    layernorm(&ck, "distilbert.embeddings.LayerNorm", D);
    for (int i = 0; i < c.n_layers; i++) {
        char p[128];
#define KEY(name) (snprintf(p, sizeof p, "distilbert.transformer.layer.%d.%s", i, name), p)
        dense(&ck, KEY("attention.q_lin"), D, D);
        dense(&ck, KEY("attention.k_lin"), D, D);
        dense(&ck, KEY("attention.v_lin"), D, D);
        dense(&ck, KEY("attention.out_lin"), D, D);
        layernorm(&ck, KEY("sa_layer_norm"), D);
        dense(&ck, KEY("ffn.lin1"), c.hidden_dim, D);
        dense(&ck, KEY("ffn.lin2"), D, c.hidden_dim);
        layernorm(&ck, KEY("output_layer_norm"), D);
#undef KEY
    }
    dense(&ck, "vocab_transform", D, D); /* the MLM head (DistilBertForMaskedLM) */
    layernorm(&ck, "vocab_layer_norm", D);
    vec(&ck, xstrdup("vocab_projector.bias"), c.vocab_size, 0);
    SafeTensors st;
    checkpoint_open(&ck, &st, "bench: distilbert-base-uncased (random weights)");
    DistilBert m;
    if (distilbert_load(&m, &st, &c)) vlm_die("bench");
    o->weights_mb = ck.bytes / MIB;
    BertRun r = {&m, xmalloc(sizeof(float) * 8 * (size_t)D)};
    o->median_ms = time_it(bert_run, &r);
    expect_finite("distilbert last_hidden_state", r.out, 8 * (size_t)D);
    free(r.out);
    distilbert_free(&m), st_close(&st), checkpoint_free(&ck);
}

/* ---- ViT-B/16: one 224 image -> last_hidden_state + pooler_output ---- */

typedef struct {
    ViT *m;
    float *pixels, *last, *pooled;
} VitRun;

static void vit_run(void *p) {
    VitRun *r = p;
    if (vit_forward(r->m, r->pixels, 1, 3, 224, 224, r->last, r->pooled, NULL, "")) vlm_die("bench");
}

static void w_vit(Measure *o) {
    cJSON *j = config_json(VIT_CONFIG);
    ViTConfig c;
    if (vit_config_parse(j, "bench: vit-base-patch16-224-in21k config.json", &c)) vlm_die("bench");
    cJSON_Delete(j);
    Checkpoint ck = {.dtype = DT_F32};
    int H = c.hidden_size;
    put(&ck, xstrdup("embeddings.cls_token"), 3, (int64_t[]){1, 1, H}, STD, 0);
    put(&ck, xstrdup("embeddings.position_embeddings"), 3, (int64_t[]){1, vit_seq_len(&c), H}, STD, 0);
    patch_conv(&ck, "embeddings.patch_embeddings.projection", H, c.patch_size, 1);
    static const EncoderKeys keys = {"layernorm_before",        "layernorm_after",
                                     "attention.attention.query", "attention.attention.key",
                                     "attention.attention.value", "attention.output.dense",
                                     "intermediate.dense",        "output.dense"};
    encoder_layers(&ck, "encoder.layer.", &keys, c.num_hidden_layers, H, c.intermediate_size);
    layernorm(&ck, "layernorm", H);
    dense(&ck, "pooler.dense", H, H);
    SafeTensors st;
    checkpoint_open(&ck, &st, "bench: vit-base-patch16-224-in21k (random weights)");
    ViT m;
    if (vit_load(&m, &st, &c)) vlm_die("bench");
    o->weights_mb = ck.bytes / MIB;
    VitRun r = {&m, random_image(224), xmalloc(sizeof(float) * (size_t)vit_seq_len(&c) * H),
                xmalloc(sizeof(float) * H)};
    o->median_ms = time_it(vit_run, &r);
    expect_finite("vit last_hidden_state", r.last, (size_t)vit_seq_len(&c) * H);
    expect_finite("vit pooler_output", r.pooled, (size_t)H);
    free(r.pixels), free(r.last), free(r.pooled);
    vit_free(&m), st_close(&st), checkpoint_free(&ck);
}

/* ---- CLIP-L/14: one 224 image + 2 captions -> logits_per_image ---- */

typedef struct {
    Clip *m;
    float *pixels;
    float logits[2];
} ClipRun;

/* "a photo of a cat" / "a photo of a plane": <|startoftext|> ... <|endoftext|>, 7 tokens each */
static void clip_run(void *p) {
    ClipRun *r = p;
    static const int64_t ids[14] = {49406, 320, 1125, 539, 320, 2368, 49407,
                                    49406, 320, 1125, 539, 320, 5363, 49407};
    static const int64_t mask[14] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    Tensor img, txt, logits;
    if (clip_get_image_features(r->m, r->pixels, 1, &img, NULL) ||
        clip_get_text_features(r->m, ids, mask, 2, 7, &txt, NULL))
        vlm_die("bench");
    clip_logits(r->m, &img, &txt, &logits, NULL);
    memcpy(r->logits, tensor_f(&logits), sizeof r->logits);
    tensor_free(&img), tensor_free(&txt), tensor_free(&logits);
}

static void w_clip(Measure *o) {
    cJSON *j = config_json(CLIP_CONFIG);
    ClipConfig c;
    if (clip_config_parse(j, "bench: clip-vit-large-patch14 config.json", &c)) vlm_die("bench");
    cJSON_Delete(j);
    const ClipVisionConfig *v = &c.vision_config;
    const ClipTextConfig *t = &c.text_config;
    Checkpoint ck = {.dtype = DT_F32};
    put(&ck, xstrdup("vision_model.embeddings.class_embedding"), 1, (int64_t[]){v->hidden_size}, STD, 0);
    patch_conv(&ck, "vision_model.embeddings.patch_embedding", v->hidden_size, v->patch_size, 0);
    mat(&ck, xstrdup("vision_model.embeddings.position_embedding.weight"), clip_vision_num_patches(v) + 1,
        v->hidden_size);
    layernorm(&ck, "vision_model.pre_layrnorm", v->hidden_size);
    encoder_layers(&ck, "vision_model.encoder.layers.", &CLIP_ENCODER_KEYS, v->num_hidden_layers,
                   v->hidden_size, v->intermediate_size);
    layernorm(&ck, "vision_model.post_layernorm", v->hidden_size);
    mat(&ck, xstrdup("text_model.embeddings.token_embedding.weight"), t->vocab_size, t->hidden_size);
    mat(&ck, xstrdup("text_model.embeddings.position_embedding.weight"), t->max_position_embeddings,
        t->hidden_size);
    encoder_layers(&ck, "text_model.encoder.layers.", &CLIP_ENCODER_KEYS, t->num_hidden_layers,
                   t->hidden_size, t->intermediate_size);
    layernorm(&ck, "text_model.final_layer_norm", t->hidden_size);
    mat(&ck, xstrdup("visual_projection.weight"), c.projection_dim, v->hidden_size);
    mat(&ck, xstrdup("text_projection.weight"), c.projection_dim, t->hidden_size);
    put(&ck, xstrdup("logit_scale"), 0, (int64_t[]){1}, 0, logf(100.0f)); /* a 0-d Parameter */
    SafeTensors st;
    checkpoint_open(&ck, &st, "bench: clip-vit-large-patch14 (random weights)");
    Clip m;
    if (clip_load(&m, &st, &c)) vlm_die("bench");
    o->weights_mb = ck.bytes / MIB;
    ClipRun r = {&m, random_image(v->image_size), {0, 0}};
    o->median_ms = time_it(clip_run, &r);
    expect_finite("clip logits_per_image", r.logits, 2);
    free(r.pixels);
    clip_free(&m), st_close(&st), checkpoint_free(&ck);
}

/* ---- SigLIP so400m/14-384: one 384 image + 3 captions padded to 64 -> sigmoid scores ---- */

typedef struct {
    Siglip *m;
    float *pixels;
    int64_t ids[3 * 64];
    float scores[3];
} SiglipRun;

static void siglip_run(void *p) {
    SiglipRun *r = p;
    Tensor img, txt, logits;
    if (siglip_get_image_features(r->m, r->pixels, 1, &img, NULL) ||
        siglip_get_text_features(r->m, r->ids, NULL, 3, 64, &txt, NULL)) /* no mask, as HF's processor */
        vlm_die("bench");
    siglip_logits(r->m, &img, &txt, &logits, NULL);
    for (int t = 0; t < 3; t++) r->scores[t] = sigmoid(tensor_f(&logits)[t]);
    tensor_free(&img), tensor_free(&txt), tensor_free(&logits);
}

static void w_siglip(Measure *o) {
    cJSON *j = config_json(SIGLIP_CONFIG);
    SiglipConfig c;
    if (siglip_config_parse(j, "bench: siglip-so400m-patch14-384 config.json", &c)) vlm_die("bench");
    cJSON_Delete(j);
    const SiglipTextConfig *t = &c.text_config;
    Checkpoint ck = {.dtype = DT_F32};
    siglip_vision_keys(&ck, "vision_model.", &c.vision_config);
    mat(&ck, xstrdup("text_model.embeddings.token_embedding.weight"), t->vocab_size, t->hidden_size);
    mat(&ck, xstrdup("text_model.embeddings.position_embedding.weight"), t->max_position_embeddings,
        t->hidden_size);
    encoder_layers(&ck, "text_model.encoder.layers.", &CLIP_ENCODER_KEYS, t->num_hidden_layers,
                   t->hidden_size, t->intermediate_size);
    layernorm(&ck, "text_model.final_layer_norm", t->hidden_size);
    dense(&ck, "text_model.head", t->projection_size, t->hidden_size);
    put(&ck, xstrdup("logit_scale"), 1, (int64_t[]){1}, 0, logf(10.0f));
    put(&ck, xstrdup("logit_bias"), 1, (int64_t[]){1}, 0, -10.0f);
    SafeTensors st;
    checkpoint_open(&ck, &st, "bench: siglip-so400m-patch14-384 (random weights)");
    Siglip m;
    if (siglip_load(&m, &st, &c)) vlm_die("bench");
    o->weights_mb = ck.bytes / MIB;
    SiglipRun r = {&m, random_image(c.vision_config.image_size), {0}, {0}};
    for (int i = 0; i < 3 * 64; i++) /* a few caption tokens, then pad (id 1) to 64 */
        r.ids[i] = i % 64 < 4 + i / 64 ? 300 + 7 * i : t->pad_token_id;
    o->median_ms = time_it(siglip_run, &r);
    expect_finite("siglip scores", r.scores, 3);
    free(r.pixels);
    siglip_free(&m), st_close(&st), checkpoint_free(&ck);
}

/* ---- SmolVLM-256M: one 512 image (64 image tokens) + 20 text tokens -> logits ---- */

typedef struct {
    Idefics3 *m;
    float *pixels, *x, *logits;
    int64_t ids[84];
} SmolvlmRun;

/* vision tower -> pixel shuffle -> connector -> splice into the prompt -> decoder -> logits
 * for every position (what model(**inputs) returns). */
static void smolvlm_run(void *p) {
    SmolvlmRun *r = p;
    float *features;
    int rows;
    if (idefics3_image_features(r->m, r->pixels, 1, &features, &rows, NULL) ||
        idefics3_embed(r->m, r->ids, 1, 84, features, rows, r->x, NULL) ||
        llama_forward(&r->m->text, r->x, 1, 84, NULL, NULL, NULL, ""))
        vlm_die("bench");
    llama_logits(&r->m->text, r->x, 84, r->logits);
    free(features);
}

static void w_smolvlm(Measure *o) {
    cJSON *j = config_json(SMOLVLM_CONFIG);
    Idefics3Config c;
    if (idefics3_config_parse(j, "bench: SmolVLM-256M-Instruct config.json", &c)) vlm_die("bench");
    cJSON_Delete(j);
    Checkpoint ck = {.dtype = DT_BF16}; /* the checkpoint is bfloat16 */
    siglip_vision_keys(&ck, "model.vision_model.", &c.vision);
    int s = c.scale_factor;
    mat(&ck, xstrdup("model.connector.modality_projection.proj.weight"), c.text.hidden_size,
        (int64_t)c.vision.hidden_size * s * s);
    llama_keys(&ck, "model.text_model.", &c.text);
    mat(&ck, xstrdup("lm_head.weight"), c.text.vocab_size, c.text.hidden_size);
    SafeTensors st;
    checkpoint_open(&ck, &st, "bench: SmolVLM-256M-Instruct (random weights)");
    Idefics3 m;
    if (idefics3_load(&m, &st, &c)) vlm_die("bench");
    o->weights_mb = ck.bytes / MIB;
    int T = c.image_seq_len, H = c.text.hidden_size, V = c.text.vocab_size;
    SmolvlmRun r = {&m, random_image(c.vision.image_size), xmalloc(sizeof(float) * 84 * (size_t)H),
                    xmalloc(sizeof(float) * 84 * (size_t)V), {0}};
    /* 5 text tokens, the 64 <image> tokens, 15 text tokens */
    for (int i = 0; i < 84; i++) r.ids[i] = i >= 5 && i < 5 + T ? c.image_token_id : 1000 + 13 * i;
    o->median_ms = time_it(smolvlm_run, &r);
    expect_finite("smolvlm logits", r.logits, 84 * (size_t)V);
    free(r.pixels), free(r.x), free(r.logits);
    idefics3_free(&m), st_close(&st), checkpoint_free(&ck);
}

/* ---- matmul GFLOP/s at the shapes that dominate ---- */

typedef struct {
    int n, in, out, bf16;
    float *x, *W, *y;
} MatmulRun;

static void matmul_run(void *p) {
    MatmulRun *r = p;
    if (r->bf16) /* BF16 weights (half the bytes per weight; widened in the kernel) */
        linear_fast_bf16(r->y, r->x, (const uint16_t *)r->W, NULL, r->n, r->in, r->out);
    else
        linear(r->y, r->x, r->W, NULL, r->n, r->in, r->out);
}

static void bench_matmul(Measure *o, int n, int in, int out, int bf16) {
    MatmulRun r = {n, in, out, bf16, xmalloc(sizeof(float) * (size_t)n * in),
                   xmalloc(sizeof(float) * (size_t)out * in), xmalloc(sizeof(float) * (size_t)n * out)};
    for (size_t i = 0; i < (size_t)n * in; i++) r.x[i] = frand();
    for (size_t i = 0; i < (size_t)out * in; i++) r.W[i] = frand();
    if (bf16) { /* the bf16 patterns in the first half of the buffer */
        uint16_t *h = (uint16_t *)r.W;
        for (size_t i = 0; i < (size_t)out * in; i++) h[i] = f32_to_bf16(r.W[i]);
    }
    double wbytes = (double)out * in * (bf16 ? 2 : 4);
    o->weights_mb = wbytes / MIB;
    o->median_ms = time_it(matmul_run, &r);
    o->gflops = 2.0 * n * in * out / (o->median_ms * 1e-3) / 1e9;
    o->gbps = wbytes / (o->median_ms * 1e-3) / 1e9;
    free(r.x), free(r.W), free(r.y);
}

static void m_1024(Measure *o) { bench_matmul(o, 1024, 1024, 1024, 0); }
static void m_vit_fc1(Measure *o) { bench_matmul(o, 197, 768, 3072, 0); }
static void m_siglip_fc1(Measure *o) { bench_matmul(o, 729, 1152, 4304, 0); }
static void m_lm_head_f32(Measure *o) { bench_matmul(o, 1, 576, 49152, 0); }
static void m_lm_head_bf16(Measure *o) { bench_matmul(o, 1, 576, 49152, 1); }

/* ---- the table ---- */

typedef struct {
    const char *name, *what;
    double ref_ms;   /* PyTorch; 0 for the matmul lines */
    void (*run)(Measure *);
    Measure m;
} Workload;

static Workload workloads[] = {
    {"matmul_1024", "linear 1024x1024 @ (1024x1024)^T (OpenBLAS sgemm: ~285 GFLOP/s)", 0, m_1024, {0}},
    {"matmul_vit_fc1", "linear 197x768 @ (3072x768)^T", 0, m_vit_fc1, {0}},
    {"matmul_siglip_fc1", "linear 729x1152 @ (4304x1152)^T", 0, m_siglip_fc1, {0}},
    {"matmul_lm_head_f32", "linear 1x576 @ (49152x576)^T, f32 weights", 0, m_lm_head_f32, {0}},
    {"matmul_lm_head_bf16", "linear 1x576 @ (49152x576)^T, bf16 weights", 0, m_lm_head_bf16, {0}},
    {"smollm2_prefill", "SmolLM2-135M (bf16), 5-token prompt -> logits", 80, w_smollm2_prefill, {0}},
    {"smollm2_decode_token", "SmolLM2-135M (bf16), llama_generate, per token", 63, w_smollm2_decode, {0}},
    {"distilbert_8tok", "DistilBERT-base, 8 tokens -> last_hidden_state", 23, w_distilbert, {0}},
    {"vit_b16_224", "ViT-B/16, one 224 image -> last_hidden_state, pooler", 176, w_vit, {0}},
    {"clip_l14_224", "CLIP-L/14, 224 image + 2 texts -> logits_per_image", 760, w_clip, {0}},
    {"siglip_so400m_384", "SigLIP so400m, 384 image + 3 texts (64) -> sigmoid", 4720, w_siglip, {0}},
    {"smolvlm_256m_512", "SmolVLM-256M (bf16), 512 image + 20 tokens -> logits", 1625, w_smolvlm, {0}},
};
#define N_WORKLOADS (int)(sizeof workloads / sizeof workloads[0])

/* Run one workload in a child process: its own seed, its own peak RSS. */
static Measure run_child(Workload *w) {
    Measure m = {0};
    int fd[2];
    if (pipe(fd)) {
        perror("bench: pipe");
        exit(1);
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("bench: fork");
        exit(1);
    }
    if (pid == 0) {
        close(fd[0]);
        rng = 0x2545F4914F6CDD1Dull;
        double t0 = now_seconds();
        Measure r = {0};
        w->run(&r);
        r.setup_s = now_seconds() - t0; /* everything, including the timed runs */
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        r.peak_rss_mb = ru.ru_maxrss / 1024; /* kB on Linux */
        r.ok = 1;
        if (write(fd[1], &r, sizeof r) != (ssize_t)sizeof r) _exit(1);
        exit(0); /* (not _exit: so LeakSanitizer checks the child under make SANITIZE=1) */
    }
    close(fd[1]);
    ssize_t got = read(fd[0], &m, sizeof m);
    close(fd[0]);
    int status;
    waitpid(pid, &status, 0);
    if (got != (ssize_t)sizeof m || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench: %s failed (see above)\n", w->name);
        memset(&m, 0, sizeof m);
    }
    return m;
}

/* One row of x is memory-bound: the weight bytes streamed per second say more. */
static const char *bandwidth(const Measure *m) {
    static char buf[64];
    snprintf(buf, sizeof buf, ", %.1f GB/s of weights", m->gbps);
    return buf;
}

static void print_json(const Workload *w) {
    const Measure *m = &w->m;
    printf("{\"workload\": \"%s\", \"median_ms\": %.3f", w->name, m->median_ms);
    if (w->ref_ms > 0) printf(", \"ref_ms\": %.1f, \"ratio\": %.3f", w->ref_ms, m->median_ms / w->ref_ms);
    if (m->gflops > 0) printf(", \"gflops\": %.1f, \"weight_gbps\": %.1f", m->gflops, m->gbps);
    printf(", \"peak_rss_mb\": %ld, \"weights_mb\": %.1f}\n", m->peak_rss_mb, m->weights_mb);
    fflush(stdout);
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
    setenv("VLM_PROGRESS", "0", 1); /* no progress lines between the results */
    fprintf(stderr, "bench: %s kernels, %d threads, %s (random weights, full-size shapes)\n",
            fast_kernel_isa(), fast_num_threads(), quick ? "1 run each (--quick)" : "median of 5 after a warm-up");
    double load[1];
    if (getloadavg(load, 1) == 1 && load[0] > 0.5)
        fprintf(stderr, "bench: note: load average %.1f before starting: other processes share the "
                        "cores, times will be inflated\n", load[0]);
    double t0 = now_seconds();
    int failed = 0, ran = 0;
    for (int i = 0; i < N_WORKLOADS; i++) {
        Workload *w = &workloads[i];
        if (only && !strstr(w->name, only)) continue;
        w->m = run_child(w);
        ran++;
        if (!w->m.ok) {
            failed++;
            continue;
        }
        if (json) print_json(w);
        else
            fprintf(stderr, "  %-22s %10.2f ms   (peak RSS %ld MB, %.0f s with setup)\n", w->name,
                    w->m.median_ms, w->m.peak_rss_mb, w->m.setup_s);
    }
    if (!json && ran) {
        printf("\n%-22s %10s %10s %7s %9s %10s   %s\n", "workload", "vlm.c ms", "PyTorch", "ratio", "RSS MB",
               "weights MB", "what");
        for (int i = 0; i < N_WORKLOADS; i++) {
            const Workload *w = &workloads[i];
            const Measure *m = &w->m;
            if ((only && !strstr(w->name, only)) || !m->ok) continue;
            if (w->ref_ms > 0)
                printf("%-22s %10.1f %10.0f %6.2fx %9ld %10.0f   %s\n", w->name, m->median_ms, w->ref_ms,
                       m->median_ms / w->ref_ms, m->peak_rss_mb, m->weights_mb, w->what);
            else
                printf("%-22s %10.2f %10s %7s %9ld %10.0f   %s: %.0f GFLOP/s%s\n", w->name, m->median_ms, "-",
                       "-", m->peak_rss_mb, m->weights_mb, w->what, m->gflops,
                       strstr(w->name, "lm_head") ? bandwidth(m) : "");
        }
        printf("\n%d threads, %s kernels; total %.0f s.  ratio = vlm.c / PyTorch (below 1 is faster); "
               "RSS = the workload's peak resident memory (its own process); weights = its "
               "checkpoint in MB\n",
               fast_num_threads(), fast_kernel_isa(), now_seconds() - t0);
    }
    return failed ? 1 : 0;
}

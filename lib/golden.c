/* golden.c — see golden.h. */
#include "golden.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "image_processor.h"
#include "json.h"
#include "llama.h"
#include "tokenizer.h"
#include "ops.h"
#include "util.h"

int golden_open(Golden *g, const char *dir, const char *json_name) {
    memset(g, 0, sizeof *g);
    g->dir = xstrdup(dir);
    g->json_path = path_join(dir, json_name ? json_name : "golden.json");
    g->json = json_load(g->json_path);
    if (!g->json) return -1;
    if (!cJSON_IsArray(json_get(g->json, "tensors")) || !json_str(g->json, "family", NULL))
        return vlm_fail("%s: not a golden manifest (needs \"family\" and \"tensors\")", g->json_path);
    const char *file = json_str(json_get(g->json, "files"), "golden", NULL);
    char *name;
    if (file) {
        name = xstrdup(file);
    } else {
        const char *base = json_name ? json_name : "golden.json";
        size_t n = strlen(base);
        if (n > 5 && strcmp(base + n - 5, ".json") == 0) n -= 5;
        name = xasprintf("%.*s.safetensors", (int)n, base);
    }
    if (strchr(name, '/')) {
        free(name);
        return vlm_fail("%s: \"files.golden\" must name a file in the folder", g->json_path);
    }
    char *path = path_join(dir, name);
    free(name);
    int rc = st_open(&g->st, path);
    free(path);
    return rc;
}

void golden_close(Golden *g) {
    cJSON_Delete(g->json);
    if (g->st.where) st_close(&g->st);
    free(g->dir);
    free(g->json_path);
    memset(g, 0, sizeof *g);
}

const char *golden_family(const Golden *g) { return json_str(g->json, "family", "?"); }

int golden_tensor(const Golden *g, const char *name, Tensor *out) {
    const StEntry *e = st_find(&g->st, name);
    if (!e) return st_missing(&g->st, name);
    *out = st_raw(e);
    return 0;
}

const cJSON *golden_inputs(const Golden *g) { return json_get(g->json, "inputs"); }

cJSON *golden_config(const Golden *g) {
    char *path = path_join(g->dir, "config.json");
    cJSON *c = json_load(path);
    free(path);
    return c;
}

int parity_run(const Golden *g, Recorder *rec) {
    static const struct {
        const char *family;
        int (*run)(const Golden *, Recorder *);
    } runners[] = {
        {"llama", parity_llama},   {"distilbert", parity_distilbert}, {"vit", parity_vit},
        {"clip", parity_clip},     {"siglip", parity_siglip},         {"idefics3", parity_idefics3},
        {"llava", parity_llava},
    };
    const char *family = golden_family(g);
    for (size_t i = 0; i < sizeof runners / sizeof runners[0]; i++)
        if (strcmp(family, runners[i].family) == 0) return runners[i].run(g, rec);
    return vlm_fail("%s: model family '%s' is not supported", g->json_path, family);
}

Compare golden_compare(const Golden *g, const cJSON *spec, const Tensor *mine) {
    Compare c;
    memset(&c, 0, sizeof c);
    const char *name = json_str(spec, "name", "?");
    Tensor ref;
    c.exact = json_bool(spec, "exact", 0) || !json_has(spec, "atol");
    c.atol = c.exact ? 0 : json_num(spec, "atol", 0);
    if (!mine) {
        c.missing = 1;
        return c;
    }
    if (golden_tensor(g, name, &ref)) {
        c.missing = 1;
        return c;
    }
    if (!tensor_same_shape(&ref, mine)) {
        c.shape_mismatch = 1;
        return c;
    }
    if (!dtype_is_float(ref.dtype)) c.exact = 1, c.atol = 0;
    int64_t n = tensor_numel(&ref);
    double worst = 0;
    int64_t differing = 0;
    for (int64_t i = 0; i < n; i++) {
        double a = tensor_get_flat(&ref, i), b = tensor_get_flat(mine, i);
        double err = fabs(a - b);
        if (isnan(err)) err = INFINITY; /* a NaN is never close */
        if (err > worst) worst = err;
        if (err != 0) differing++;
    }
    c.max_abs_err = worst;
    c.ok = c.exact ? differing == 0 : worst <= c.atol;
    return c;
}

void golden_record_topk(Recorder *rec, const float *logits, const int64_t *attention_mask, int B,
                        int L, int V, int k, int all_positions) {
    float *probs = xmalloc(sizeof(float) * (size_t)V);
    int *idx = xmalloc(sizeof(int) * (size_t)k);
    float *val = xmalloc(sizeof(float) * (size_t)k);
    Tensor last_pos = tensor_i64(1, B), last_ids = tensor_i64(2, B, k), last_p = tensor_f32(2, B, k);
    Tensor all_ids = tensor_i64(3, B, L, k), all_p = tensor_f32(3, B, L, k);
    for (int b = 0; b < B; b++) {
        int last = L - 1;
        if (attention_mask) {
            last = -1;
            for (int l = 0; l < L; l++) last += attention_mask[(size_t)b * L + l] != 0;
        }
        tensor_i(&last_pos)[b] = last;
        for (int l = 0; l < L; l++) {
            memcpy(probs, logits + ((size_t)b * L + l) * V, sizeof(float) * (size_t)V);
            softmax(probs, 1, V);
            topk(probs, V, k, idx, val);
            for (int j = 0; j < k; j++) {
                tensor_i(&all_ids)[((size_t)b * L + l) * k + j] = idx[j];
                tensor_f(&all_p)[((size_t)b * L + l) * k + j] = val[j];
                if (l == last) {
                    tensor_i(&last_ids)[(size_t)b * k + j] = idx[j];
                    tensor_f(&last_p)[(size_t)b * k + j] = val[j];
                }
            }
        }
    }
    rec_tensor(rec, &last_pos, "last_pos");
    rec_tensor(rec, &last_ids, "last_topk_ids");
    rec_tensor(rec, &last_p, "last_topk_probs");
    if (all_positions) {
        rec_tensor(rec, &all_ids, "topk_ids");
        rec_tensor(rec, &all_p, "topk_probs");
    }
    tensor_free(&last_pos), tensor_free(&last_ids), tensor_free(&last_p);
    tensor_free(&all_ids), tensor_free(&all_p);
    free(probs), free(idx), free(val);
}

int golden_texts(const Golden *g, const char *key, const char ***texts, int *n) {
    const cJSON *arr = json_get(golden_inputs(g), key);
    if (!cJSON_IsArray(arr)) return vlm_fail("%s: inputs.%s is not a list of strings", g->json_path, key);
    *n = cJSON_GetArraySize(arr);
    *texts = xcalloc((size_t)(*n ? *n : 1), sizeof(char *));
    for (int i = 0; i < *n; i++) {
        const cJSON *s = cJSON_GetArrayItem(arr, i);
        if (!cJSON_IsString(s)) {
            free(*texts);
            return vlm_fail("%s: inputs.%s[%d] is not a string", g->json_path, key, i);
        }
        (*texts)[i] = s->valuestring;
    }
    return 0;
}

void golden_record_texts(const Golden *g, Recorder *rec, int pad_to, int record_mask) {
    const char **texts;
    int n;
    Tokenizer tok;
    if (golden_texts(g, "texts", &texts, &n)) return;
    Tensor ids, mask;
    if (tokenizer_open(g->dir, &tok) == 0) {
        if (tokenizer_encode_batch(&tok, texts, n, pad_to, &ids, &mask) == 0) {
            rec_tensor(rec, &ids, "input_ids");
            if (record_mask) rec_tensor(rec, &mask, "attention_mask");
            tensor_free(&ids);
            tensor_free(&mask);
        } else {
            fprintf(stderr, "parity: tokenizer: %s\n", vlm_error());
        }
        tokenizer_close(&tok);
    } else {
        fprintf(stderr, "parity: tokenizer: %s\n", vlm_error());
    }
    free(texts);
}

void golden_record_image(const Golden *g, Recorder *rec) {
    const cJSON *in = golden_inputs(g);
    const char *file = json_str(json_get(in, "image"), "file", NULL);
    if (!file) return;
    char *parent = path_join(g->dir, "..");
    char *path = path_join(parent, file);
    ImageProcessor proc;
    Image img = {0};
    Tensor pixel_values = {0};
    const cJSON *pc = json_get(in, "processor");
    int rc = pc ? image_processor_from_json(pc, g->json_path, &proc) : image_processor_open(g->dir, &proc);
    if (rc == 0) rc = image_load(path, &img);
    if (rc == 0) rc = image_processor_run(&proc, &img, &pixel_values, rec);
    if (rc) fprintf(stderr, "parity: image preprocessing: %s\n", vlm_error());
    tensor_free(&pixel_values);
    image_free(&img);
    free(parent), free(path);
}

int golden_record_generation(const Golden *g, const Llama *m, const float *prompt_embeds, int L,
                             Recorder *rec) {
    Tensor want;
    if (golden_tensor(g, "gen.tokens", &want)) return -1;
    int n = (int)tensor_numel(&want), V = m->config.vocab_size;
    int64_t *tokens = xmalloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    float *step_logits = xmalloc(sizeof(float) * (size_t)(n ? n : 1) * V);
    /* no stop tokens: the goldens' generated tokens are never special */
    int got = llama_generate(m, prompt_embeds, L, n, NULL, 0, tokens, step_logits, NULL, NULL);
    if (got >= 0) {
        int64_t s1[1] = {got}, s2[2] = {got, V};
        rec_i64(rec, tokens, 1, s1, "gen.tokens");
        rec_f32(rec, step_logits, 2, s2, "gen.step_logits");
    }
    free(tokens), free(step_logits);
    return got < 0 ? -1 : 0;
}

int golden_model_inputs(const Golden *g, int pix_ndim, int channels, int size, Tensor *input_ids,
                        Tensor *attention_mask, Tensor *pixel_values) {
    Tensor ids, pix, mask = {0};
    int has_mask = st_find(&g->st, "attention_mask") != NULL;
    if (golden_tensor(g, "input_ids", &ids) || golden_tensor(g, "pixel_values", &pix) ||
        (has_mask && golden_tensor(g, "attention_mask", &mask)))
        return -1;
    int d = pix.ndim;
    if (ids.ndim != 2 || ids.dtype != DT_I64 || d != pix_ndim || pix.shape[d - 3] != channels ||
        pix.shape[d - 2] != size || pix.shape[d - 1] != size || (has_mask && !tensor_same_shape(&ids, &mask)))
        return vlm_fail("%s: input_ids / attention_mask / pixel_values do not fit config.json "
                        "(expected pixel_values of %d dimensions ending in [%d, %d, %d])",
                        g->json_path, pix_ndim, channels, size, size);
    *input_ids = tensor_clone(&ids);
    *attention_mask = has_mask ? tensor_clone(&mask) : (Tensor){0};
    *pixel_values = tensor_to_f32(&pix);
    return 0;
}

int golden_record_decoder(const Golden *g, const Llama *text, const float *merged, int B, int L,
                          const int64_t *attention_mask, Recorder *rec) {
    int H = text->config.hidden_size, V = text->config.vocab_size;
    float *x = xmalloc(sizeof(float) * (size_t)B * L * H);
    float *logits = xmalloc(sizeof(float) * (size_t)B * L * V);
    memcpy(x, merged, sizeof(float) * (size_t)B * L * H);
    int rc = llama_forward(text, x, B, L, attention_mask, NULL, rec, "text.");
    if (rc == 0) {
        llama_logits(text, x, B * L, logits);
        int64_t shape[3] = {B, L, V};
        rec_f32(rec, logits, 3, shape, "text.logits");
        golden_record_topk(rec, logits, attention_mask, B, L, V, 5, 0);
        int L0 = L; /* row 0 without its right padding */
        if (attention_mask)
            for (L0 = 0; L0 < L && attention_mask[L0]; L0++) {}
        rc = golden_record_generation(g, text, merged, L0, rec);
    }
    free(x), free(logits);
    return rc;
}

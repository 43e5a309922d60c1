/* test_bad_inputs — the catalogue of malformed files in tests/bad_inputs/.
 *
 * tests/bad_inputs/cases.json lists each file (or folder), the loader that reads
 * it (`kind`) and text its error message must contain.  Every case must fail
 * cleanly (no crash: run under `make test SANITIZE=1` too), and the message must
 * name the file or folder and the fault.  Each message is printed so a reader
 * sees what a student would see.  A case with "ok": true must load (and run)
 * instead: the edge cases that are valid (a 1x1 image, a 1x300 strip).
 *
 * Runtime kinds (llama_run) read an input file beside the model, as a lesson
 * reads a prompt: their errors (invalid UTF-8, too many tokens, ids outside the
 * vocabulary) are about that input, so the loader names the input file first,
 * the way a lesson names where its text came from.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clip.h"
#include "distilbert.h"
#include "idefics3.h"
#include "image.h"
#include "image_processor.h"
#include "json.h"
#include "llama.h"
#include "llava.h"
#include "safetensors.h"
#include "siglip.h"
#include "tokenizer.h"
#include "util.h"
#include "vit.h"

/* Each loader returns 0 if the input loaded (a test failure), -1 with vlm_error() set. */
static int load_safetensors(const char *path) {
    SafeTensors st;
    if (st_open(&st, path)) return -1;
    st_close(&st);
    return 0;
}

static int load_llama_dir(const char *dir) {
    char *cfg_path = path_join(dir, "config.json");
    cJSON *cfg = json_load(cfg_path);
    LlamaConfig c;
    SafeTensors st;
    Llama m;
    int rc = !cfg || llama_config_parse(cfg, cfg_path, &c) ? -1 : 0;
    free(cfg_path);
    cJSON_Delete(cfg);
    if (rc || st_open_dir(&st, dir)) return -1;
    rc = llama_load(&m, &st, &c, "model.", "lm_head.weight");
    llama_free(&m);
    st_close(&st);
    return rc;
}

static int load_tokenizer_dir(const char *dir) {
    Tokenizer t;
    if (tokenizer_open(dir, &t)) return -1;
    tokenizer_close(&t);
    return 0;
}

/* Prefix the current error with the input's name ("prompt.txt: invalid UTF-8 ..."). */
static void name_input(const char *input) {
    char *msg = xstrdup(vlm_error()); /* vlm_fail formats into the buffer vlm_error returns */
    vlm_fail("%s: %s", input, msg);
    free(msg);
}

/* A folder of safetensors (model.safetensors or a sharded index). */
static int load_safetensors_dir(const char *dir) {
    SafeTensors st;
    if (st_open_dir(&st, dir)) return -1;
    st_close(&st);
    return 0;
}

/* An image file, then every built-in model's image processor on it. */
static int load_image(const char *path) {
    static const char *const models[] = {
        "tests/golden/builtin/vit-tiny", "tests/golden/builtin/clip-tiny",
        "tests/golden/builtin/siglip-tiny", "tests/golden/builtin/smolvlm-tiny"};
    Image img;
    if (image_load(path, &img)) return -1;
    int rc = 0;
    for (size_t i = 0; i < sizeof models / sizeof models[0] && rc == 0; i++) {
        ImageProcessor p;
        Tensor pv;
        rc = image_processor_open(models[i], &p) || image_processor_run(&p, &img, &pv, NULL);
        if (rc == 0) {
            assert_true(tensor_numel(&pv) > 0);
            tensor_free(&pv);
        } else {
            name_input(path);
        }
    }
    image_free(&img);
    return rc ? -1 : 0;
}

static int load_preprocessor_config(const char *path) {
    cJSON *cfg = json_load(path);
    ImageProcessor p;
    int rc = cfg ? image_processor_from_json(cfg, path, &p) : -1;
    cJSON_Delete(cfg);
    return rc;
}

/* A preprocessor_config.json that parses but asks for absurd work: run it on the photo. */
static int run_preprocessor_config(const char *path) {
    if (load_preprocessor_config(path)) return -1;
    cJSON *cfg = json_load(path);
    ImageProcessor p;
    Image img = {0};
    Tensor pv = {0};
    int rc = image_processor_from_json(cfg, path, &p);
    if (rc == 0) rc = image_load("tests/golden/builtin/inputs/chelsea_256x170.png", &img);
    if (rc == 0) rc = image_processor_run(&p, &img, &pv, NULL);
    if (rc) name_input(path);
    tensor_free(&pv);
    image_free(&img);
    cJSON_Delete(cfg);
    return rc ? -1 : 0;
}

static int load_llama_config(const char *path) {
    cJSON *cfg = json_load(path);
    LlamaConfig c;
    int rc = cfg ? llama_config_parse(cfg, path, &c) : -1;
    cJSON_Delete(cfg);
    return rc;
}

/* config.json of any family: the parser its "model_type" names. */
static int load_model_config(const char *path) {
    cJSON *cfg = json_load(path);
    if (!cfg) return -1;
    const char *type = json_str(cfg, "model_type", "");
    union {
        LlamaConfig llama;
        DistilBertConfig distilbert;
        ViTConfig vit;
        ClipConfig clip;
        SiglipConfig siglip;
        Idefics3Config idefics3;
        LlavaConfig llava;
    } c;
    int rc;
    if (strcmp(type, "llama") == 0) rc = llama_config_parse(cfg, path, &c.llama);
    else if (strcmp(type, "distilbert") == 0) rc = distilbert_config_parse(cfg, path, &c.distilbert);
    else if (strcmp(type, "vit") == 0) rc = vit_config_parse(cfg, path, &c.vit);
    else if (strcmp(type, "clip") == 0) rc = clip_config_parse(cfg, path, &c.clip);
    else if (strcmp(type, "siglip") == 0) rc = siglip_config_parse(cfg, path, &c.siglip);
    else if (strcmp(type, "idefics3") == 0) rc = idefics3_config_parse(cfg, path, &c.idefics3);
    else if (strcmp(type, "llava") == 0) rc = llava_config_parse(cfg, path, &c.llava);
    else rc = vlm_fail("%s: test catalogue: unknown model_type '%s'", path, type);
    cJSON_Delete(cfg);
    return rc;
}

static int load_tokenizer_json(const char *path) {
    Tokenizer t;
    if (bpe_tokenizer_open(path, &t)) return -1;
    tokenizer_close(&t);
    return 0;
}

/* ids.json (a list of token ids) or prompt.txt (tokenized) -> ids. */
static int read_input(const char *dir, const Tokenizer *t, IdList *ids, char **input) {
    *input = path_join(dir, "ids.json");
    if (file_exists(*input)) {
        cJSON *a = json_load(*input);
        if (!cJSON_IsArray(a)) {
            cJSON_Delete(a);
            return vlm_fail("not a JSON list of token ids");
        }
        const cJSON *v;
        cJSON_ArrayForEach(v, a) ids_push(ids, (int64_t)v->valuedouble);
        cJSON_Delete(a);
        return 0;
    }
    free(*input);
    *input = path_join(dir, "prompt.txt");
    size_t len;
    char *text = read_file(*input, &len);
    if (!text) return -1;
    int rc = tokenizer_encode(t, text, ids);
    free(text);
    return rc;
}

/* A model folder plus an input: load, embed, run the decoder (a lesson's path). */
static int load_llama_run(const char *dir) {
    Llama m;
    SafeTensors st;
    Tokenizer t;
    if (llama_open(&m, &st, dir)) return -1;
    int rc = tokenizer_open(dir, &t);
    if (rc == 0) {
        IdList ids = {0};
        char *input = NULL;
        rc = read_input(dir, &t, &ids, &input);
        float *x = xcalloc((size_t)(ids.n ? ids.n : 1) * (size_t)m.config.hidden_size, sizeof(float));
        if (rc == 0) rc = llama_embed(&m, ids.ids, ids.n, x);
        if (rc == 0) rc = llama_forward(&m, x, 1, ids.n, NULL, NULL, NULL, "");
        if (rc) name_input(input);
        free(x);
        free(input);
        ids_free(&ids);
        tokenizer_close(&t);
    }
    llama_free(&m);
    st_close(&st);
    return rc ? -1 : 0;
}

static const struct {
    const char *kind;
    int (*load)(const char *path);
} loaders[] = {
    {"safetensors", load_safetensors},
    {"safetensors_dir", load_safetensors_dir},
    {"llama_dir", load_llama_dir},
    {"llama_config", load_llama_config},
    {"model_config", load_model_config},
    {"llama_run", load_llama_run},
    {"tokenizer_dir", load_tokenizer_dir},
    {"tokenizer_json", load_tokenizer_json},
    {"image", load_image},
    {"preprocessor_config", load_preprocessor_config},
    {"preprocessor_run", run_preprocessor_config},
};

static void test_catalogue(void **state) {
    (void)state;
    cJSON *root = json_load("tests/bad_inputs/cases.json");
    assert_non_null(root);
    int n = 0, bad = 0, good = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, json_get(root, "cases")) {
        const char *rel = json_str(c, "path", ""), *kind = json_str(c, "kind", ""),
                   *expect = json_str(c, "expect", "");
        int ok = json_bool(c, "ok", 0);
        char *path = path_join("tests/bad_inputs", rel);
        int (*load)(const char *) = NULL;
        for (size_t i = 0; i < sizeof loaders / sizeof loaders[0]; i++)
            if (strcmp(kind, loaders[i].kind) == 0) load = loaders[i].load;
        n++;
        vlm_fail("%s", "");
        if (!load) {
            printf("    FAIL %s: unknown kind '%s'\n", rel, kind);
            bad++;
        } else if (ok) {
            good++;
            if (load(path) == 0) {
                printf("    ok   %s: loads and runs (a valid edge case)\n", path);
            } else {
                printf("    FAIL %s: should load, got: %s\n", rel, vlm_error());
                bad++;
            }
        } else if (load(path) == 0) {
            printf("    FAIL %s: loaded without an error\n", rel);
            bad++;
        } else if (!strstr(vlm_error(), expect) || !strstr(vlm_error(), path)) {
            printf("    FAIL %s:\n      got:    %s\n      wanted: '%s' and the path\n", rel, vlm_error(), expect);
            bad++;
        } else {
            printf("    ok   %s\n", vlm_error());
        }
        free(path);
    }
    printf("    bad inputs: %d cases (%d valid edge cases), %d as expected\n", n, good, n - bad);
    cJSON_Delete(root);
    assert_true(n > 0);
    assert_int_equal(bad, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalogue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

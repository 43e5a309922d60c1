/* test_bad_inputs — the catalogue of malformed files in tests/bad_inputs/.
 *
 * tests/bad_inputs/cases.json lists each file (or folder), the loader that reads
 * it (`kind`) and text its error message must contain.  Every case must fail
 * cleanly (no crash: run under `make test SANITIZE=1` too), and the message must
 * name the file or folder and the fault.  Each message is printed so a reader
 * sees what a student would see.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"
#include "llama.h"
#include "safetensors.h"
#include "tokenizer.h"
#include "util.h"

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

static const struct {
    const char *kind;
    int (*load)(const char *path);
} loaders[] = {
    {"safetensors", load_safetensors},
    {"llama_dir", load_llama_dir},
    {"tokenizer_dir", load_tokenizer_dir},
};

static void test_catalogue(void **state) {
    (void)state;
    cJSON *root = json_load("tests/bad_inputs/cases.json");
    assert_non_null(root);
    int n = 0, bad = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, json_get(root, "cases")) {
        const char *rel = json_str(c, "path", ""), *kind = json_str(c, "kind", ""),
                   *expect = json_str(c, "expect", "");
        char *path = path_join("tests/bad_inputs", rel);
        int (*load)(const char *) = NULL;
        for (size_t i = 0; i < sizeof loaders / sizeof loaders[0]; i++)
            if (strcmp(kind, loaders[i].kind) == 0) load = loaders[i].load;
        n++;
        vlm_fail("%s", "");
        if (!load) {
            printf("    FAIL %s: unknown kind '%s'\n", rel, kind);
            bad++;
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
    printf("    bad inputs: %d cases, %d with the expected error\n", n, n - bad);
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

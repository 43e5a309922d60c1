/* parity — run a model on a golden folder and compare every tensor with PyTorch.
 *
 *   build/parity DIR [--golden golden.json] [--out FILE.safetensors]
 *
 * DIR holds config.json, model.safetensors, golden.safetensors and golden.json
 * (format: tests/golden/README.md).  One line per golden tensor:
 *   OK|FAIL <name> <shape> max_abs_err=<e> atol=<a>
 * (integer tensors and preprocessed inputs must match exactly: atol=0), then
 *   parity: N passed, M failed
 * Exit status 1 on any failure, a tensor the model did not produce, or a model
 * family that is not supported.  --out writes every computed tensor under the
 * same names, so any other tool can check them independently.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"
#include "json.h"
#include "util.h"

static void usage(void) {
    fprintf(stderr, "usage: parity DIR [--golden golden.json] [--out FILE.safetensors]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *dir = NULL, *json_name = "golden.json", *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--golden") == 0 && i + 1 < argc) json_name = argv[++i];
        else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) out = argv[++i];
        else if (argv[i][0] == '-') usage();
        else if (!dir) dir = argv[i];
        else usage();
    }
    if (!dir) usage();

    Golden g;
    if (golden_open(&g, dir, json_name)) vlm_die("parity");
    Recorder rec;
    rec_init(&rec);
    int run_failed = parity_run(&g, &rec) != 0;
    if (run_failed) fprintf(stderr, "parity: %s\n", vlm_error());

    int passed = 0, failed = 0;
    const cJSON *spec;
    cJSON_ArrayForEach(spec, json_get(g.json, "tensors")) {
        const char *name = json_str(spec, "name", "?");
        const char *kind = json_str(spec, "kind", "output");
        /* plain inputs are fed to the model; preprocessed ones must be reproduced */
        if (strcmp(kind, "input") == 0 && !json_bool(spec, "preprocessed", 0)) continue;
        const Tensor *mine = rec_find(&rec, name);
        Compare c = golden_compare(&g, spec, mine);
        char shape[128] = "[]";
        Tensor ref;
        if (golden_tensor(&g, name, &ref) == 0) {
            char tmp[128];
            shape_str(ref.ndim, ref.shape, tmp, sizeof tmp);
            /* "[1, 7, 64]" -> "[1,7,64]": one token per field */
            size_t k = 0;
            for (char *p = tmp; *p && k + 1 < sizeof shape; p++)
                if (*p != ' ') shape[k++] = *p;
            shape[k] = 0;
        }
        if (c.missing) {
            printf("FAIL %s %s not computed\n", name, shape);
        } else if (c.shape_mismatch) {
            char got[128];
            shape_str(mine->ndim, mine->shape, got, sizeof got);
            printf("FAIL %s %s shape mismatch: computed %s\n", name, shape, got);
        } else {
            printf("%s %s %s max_abs_err=%.3g atol=%g\n", c.ok ? "OK" : "FAIL", name, shape,
                   c.max_abs_err, c.atol);
        }
        if (c.ok) passed++;
        else failed++;
    }
    if (out && rec_write(&rec, out)) {
        fprintf(stderr, "parity: %s\n", vlm_error());
        failed++;
    }
    printf("parity: %d passed, %d failed\n", passed, failed);
    rec_free(&rec);
    golden_close(&g);
    return (failed || run_failed) ? 1 : 0;
}

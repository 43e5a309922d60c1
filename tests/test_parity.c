/* test_parity — every golden folder under tests/golden/ against PyTorch.
 *
 * One cmocka test per golden manifest (golden.json, golden_split.json): run the
 * model family's parity runner, compare every tensor, print the worst error of
 * each (the same lines as build/parity), fail on any mismatch or missing tensor.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "golden.h"
#include "json.h"
#include "util.h"

typedef struct {
    char *dir, *json;
} Case;

static Case cases[64];
static int ncases;

static int qsort_cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void find_goldens(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char *names[256];
    int n = 0;
    while ((e = readdir(d)) && n < 256)
        if (e->d_name[0] != '.') names[n++] = xstrdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof(char *), qsort_cmp_str);
    for (int i = 0; i < n; i++) {
        char *p = path_join(dir, names[i]);
        if (dir_exists(p)) find_goldens(p);
        else if ((strcmp(names[i], "golden.json") == 0 || strcmp(names[i], "golden_split.json") == 0) &&
                 ncases < 64) {
            cases[ncases].dir = xstrdup(dir);
            cases[ncases].json = xstrdup(names[i]);
            ncases++;
        }
        free(p);
        free(names[i]);
    }
}

static void run_case(void **state) {
    const Case *c = *state;
    Golden g;
    if (golden_open(&g, c->dir, c->json)) fail_msg("%s", vlm_error());
    Recorder rec;
    rec_init(&rec);
    int run_rc = parity_run(&g, &rec);
    if (run_rc) printf("    runner error: %s\n", vlm_error());
    int failed = 0, passed = 0;
    double worst_ratio = 0;
    const char *worst_name = "";
    const cJSON *spec;
    cJSON_ArrayForEach(spec, json_get(g.json, "tensors")) {
        const char *name = json_str(spec, "name", "?");
        if (strcmp(json_str(spec, "kind", "output"), "input") == 0 && !json_bool(spec, "preprocessed", 0))
            continue;
        Compare r = golden_compare(&g, spec, rec_find(&rec, name));
        if (r.missing) printf("    FAIL %s: not computed\n", name);
        else if (r.shape_mismatch) printf("    FAIL %s: shape mismatch\n", name);
        else
            printf("    %s %-34s max_abs_err=%.3g atol=%g\n", r.ok ? "OK  " : "FAIL", name,
                   r.max_abs_err, r.atol);
        if (r.ok) passed++;
        else failed++;
        if (r.ok && !r.exact && r.atol > 0 && r.max_abs_err / r.atol > worst_ratio) {
            worst_ratio = r.max_abs_err / r.atol;
            worst_name = name;
        }
    }
    printf("    %s/%s: %d passed, %d failed; worst float tensor %s at %.1f%% of its atol\n", c->dir,
           c->json, passed, failed, worst_name, 100 * worst_ratio);
    rec_free(&rec);
    golden_close(&g);
    assert_int_equal(run_rc, 0);
    assert_int_equal(failed, 0);
    assert_true(passed > 0);
}

int main(void) {
    find_goldens("tests/golden");
    if (ncases == 0) {
        fprintf(stderr, "test_parity: no golden folders under tests/golden (run from the repo root)\n");
        return 1;
    }
    struct CMUnitTest tests[64];
    for (int i = 0; i < ncases; i++) {
        tests[i] = (struct CMUnitTest){xasprintf("%s/%s", cases[i].dir + strlen("tests/golden/"), cases[i].json),
                                        run_case, NULL, NULL, &cases[i]};
    }
    int rc = _cmocka_run_group_tests("parity", tests, (size_t)ncases, NULL, NULL);
    for (int i = 0; i < ncases; i++) free((char *)tests[i].name); /* clean under LeakSanitizer */
    return rc;
}

/* compare — compare tensors from .npy and .safetensors files by name.
 *
 *   build/compare A B [--atol X] [--name NAME]
 *
 * A and B are each a .npy file (one tensor, named after the file: logits.npy ->
 * "logits") or a .safetensors file (many named tensors, e.g. a lesson's --dump or
 * build/parity --out).  Tensors with the same name are compared: shape agreement,
 * max abs error, and the first index whose difference exceeds atol.  --name
 * gives the name to use for a .npy file.  Prints one line per tensor and a last
 * line "compare: N passed, M failed"; exit 1 on any mismatch.
 *
 * From a notebook:  np.save("logits.npy", outputs.logits.detach().numpy())
 * then:             build/lessons/02_decoder_logits_topk --dump c.safetensors
 *                   build/compare logits.npy c.safetensors
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npy.h"
#include "safetensors.h"
#include "util.h"

typedef struct {
    int n;
    char **names;
    Tensor *t;      /* F32 or I64 (safetensors F16/BF16 widened) */
    SafeTensors st; /* when the file is a .safetensors */
} Set;

static int ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static int load_set(const char *path, const char *npy_name, Set *s) {
    memset(s, 0, sizeof *s);
    if (ends_with(path, ".npy")) {
        s->names = xmalloc(sizeof(char *));
        s->t = xmalloc(sizeof(Tensor));
        if (npy_read(path, &s->t[0])) return -1;
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        s->names[0] = npy_name ? xstrdup(npy_name) : xstrndup(base, strlen(base) - 4);
        s->n = 1;
        return 0;
    }
    if (!ends_with(path, ".safetensors"))
        return vlm_fail("%s: expected a .npy or .safetensors file", path);
    if (st_open(&s->st, path)) return -1;
    s->n = s->st.n;
    s->names = xmalloc(sizeof(char *) * (size_t)(s->n ? s->n : 1));
    s->t = xmalloc(sizeof(Tensor) * (size_t)(s->n ? s->n : 1));
    for (int i = 0; i < s->n; i++) {
        s->names[i] = xstrdup(s->st.entries[i].name);
        Tensor raw = st_raw(&s->st.entries[i]);
        if (dtype_is_float(raw.dtype)) {
            s->t[i] = tensor_to_f32(&raw);
        } else { /* integers widened to I64 */
            s->t[i] = tensor_new(DT_I64, raw.ndim, raw.shape);
            for (int64_t k = 0; k < tensor_numel(&raw); k++) tensor_i(&s->t[i])[k] = (int64_t)tensor_get_flat(&raw, k);
        }
    }
    return 0;
}

static void free_set(Set *s) {
    for (int i = 0; i < s->n; i++) {
        free(s->names[i]);
        tensor_free(&s->t[i]);
    }
    free(s->names);
    free(s->t);
    if (s->st.where) st_close(&s->st);
}

static int find(const Set *s, const char *name) {
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->names[i], name) == 0) return i;
    return -1;
}

static void index_str(const Tensor *t, int64_t flat, char *buf, size_t n) {
    int64_t idx[TENSOR_MAX_DIMS];
    for (int d = t->ndim - 1; d >= 0; d--) {
        idx[d] = flat % t->shape[d];
        flat /= t->shape[d];
    }
    shape_str(t->ndim, idx, buf, n);
}

/* One pair: print a line; return 1 if it matches. */
static int compare_pair(const char *name, const Tensor *a, const Tensor *b, double atol) {
    char sa[128], sb[128];
    shape_str(a->ndim, a->shape, sa, sizeof sa);
    shape_str(b->ndim, b->shape, sb, sizeof sb);
    if (!tensor_same_shape(a, b)) {
        printf("FAIL %s: shape mismatch %s vs %s\n", name, sa, sb);
        return 0;
    }
    double worst = 0;
    int64_t first = -1, n = tensor_numel(a);
    for (int64_t i = 0; i < n; i++) {
        double x = tensor_get_flat(a, i), y = tensor_get_flat(b, i), e = fabs(x - y);
        if (isnan(e) && !(isnan(x) && isnan(y))) e = INFINITY;
        if (isnan(e)) e = 0; /* NaN in both: same */
        if (e > worst) worst = e;
        if (e > atol && first < 0) first = i;
    }
    printf("%s %s: shape %s, max_abs_err=%.3g (atol %g)", first < 0 ? "OK  " : "FAIL", name, sa, worst, atol);
    if (first >= 0) {
        char idx[128];
        index_str(a, first, idx, sizeof idx);
        printf(", first difference at %s: %.7g vs %.7g", idx, tensor_get_flat(a, first), tensor_get_flat(b, first));
    }
    printf("\n");
    return first < 0;
}

int main(int argc, char **argv) {
    const char *files[2] = {NULL, NULL}, *name = NULL;
    double atol = 1e-4;
    int nf = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--atol") == 0 && i + 1 < argc) atol = atof(argv[++i]);
        else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc) name = argv[++i];
        else if (argv[i][0] != '-' && nf < 2) files[nf++] = argv[i];
        else nf = 3;
    }
    if (nf != 2) {
        fprintf(stderr, "usage: compare A.{npy,safetensors} B.{npy,safetensors} [--atol X] [--name NAME]\n");
        return 2;
    }
    Set a, b;
    if (load_set(files[0], name, &a) || load_set(files[1], name, &b)) vlm_die("compare");
    int passed = 0, failed = 0;
    if (a.n == 1 && b.n == 1 && ends_with(files[0], ".npy") && ends_with(files[1], ".npy")) {
        /* two single arrays: compare them whatever their file names */
        compare_pair(a.names[0], &a.t[0], &b.t[0], atol) ? passed++ : failed++;
    } else {
        for (int i = 0; i < a.n; i++) {
            int j = find(&b, a.names[i]);
            if (j < 0) continue;
            compare_pair(a.names[i], &a.t[i], &b.t[j], atol) ? passed++ : failed++;
        }
        if (passed + failed == 0) {
            printf("FAIL no tensor name appears in both files (first file: '%s'%s)\n", a.n ? a.names[0] : "",
                   a.n > 1 ? ", ..." : "");
            failed++;
        }
    }
    printf("compare: %d passed, %d failed\n", passed, failed);
    free_set(&a);
    free_set(&b);
    return failed ? 1 : 0;
}

/* test_compare — .npy reading and the build/compare tool, on files written here:
 * float32/float64/int64 and Fortran-order .npy, a safetensors file, a shape
 * mismatch, a value mismatch (first differing index), and a dtype it cannot read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "npy.h"
#include "safetensors.h"
#include "util.h"

static char tmpdir[256];
static char compare_bin[512];

/* A hand-made .npy v1.0 file with the given header dict and raw data. */
static char *write_raw_npy(const char *name, const char *dict, const void *data, size_t n) {
    char *path = xasprintf("%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    size_t dl = strlen(dict), total = 10 + dl + 1, pad = (64 - total % 64) % 64;
    unsigned hl = (unsigned)(dl + pad + 1);
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fputc((int)(hl & 0xff), f);
    fputc((int)(hl >> 8), f);
    fwrite(dict, 1, dl, f);
    for (size_t i = 0; i < pad; i++) fputc(' ', f);
    fputc('\n', f);
    fwrite(data, 1, n, f);
    fclose(f);
    return path;
}

static int run_compare(const char *a, const char *b, char *out, size_t outn) {
    char *cmd = xasprintf("%s %s %s 2>&1", compare_bin, a, b);
    FILE *p = popen(cmd, "r");
    free(cmd);
    size_t got = fread(out, 1, outn - 1, p);
    out[got] = 0;
    int status = pclose(p);
    printf("    $ compare %s %s\n%s", strrchr(a, '/') + 1, strrchr(b, '/') + 1, out);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_npy_read_variants(void **s) {
    (void)s;
    float f4[6] = {0, 1, 2, 3, 4, 5};
    double f8[6] = {0, 1, 2, 3, 4, 5};
    double fortran[6] = {0, 3, 1, 4, 2, 5}; /* the 2x3 matrix [[0,1,2],[3,4,5]] column-major */
    int64_t i8[3] = {504, -1, 7};
    char *a = write_raw_npy("a.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", f4, sizeof f4);
    char *b = write_raw_npy("b.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", f8, sizeof f8);
    char *c = write_raw_npy("c.npy", "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", fortran, sizeof fortran);
    char *d = write_raw_npy("d.npy", "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", i8, sizeof i8);
    Tensor ta, tb, tc, td;
    assert_int_equal(npy_read(a, &ta), 0);
    assert_int_equal(npy_read(b, &tb), 0);
    assert_int_equal(npy_read(c, &tc), 0);
    assert_int_equal(npy_read(d, &td), 0);
    for (int i = 0; i < 6; i++) {
        assert_true(tensor_f(&ta)[i] == (float)i);
        assert_true(tensor_f(&tb)[i] == (float)i);
        assert_true(tensor_f(&tc)[i] == (float)i);
    }
    assert_int_equal(td.dtype, DT_I64);
    assert_int_equal(tensor_i(&td)[0], 504);
    /* round trip through npy_write */
    char *e = xasprintf("%s/e.npy", tmpdir);
    assert_int_equal(npy_write(e, &ta), 0);
    Tensor te;
    assert_int_equal(npy_read(e, &te), 0);
    assert_true(tensor_same_shape(&ta, &te) && memcmp(ta.data, te.data, sizeof f4) == 0);
    tensor_free(&ta), tensor_free(&tb), tensor_free(&tc), tensor_free(&td), tensor_free(&te);
    free(a), free(b), free(c), free(d), free(e);
}

static void test_npy_errors(void **s) {
    (void)s;
    float z[2] = {0};
    Tensor t;
    char *c8 = write_raw_npy("complex.npy", "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", z, 8);
    assert_int_equal(npy_read(c8, &t), -1);
    assert_non_null(strstr(vlm_error(), "cannot read .npy dtype '<c8'"));
    assert_non_null(strstr(vlm_error(), c8));
    char *trunc = write_raw_npy("trunc.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", z, 8);
    assert_int_equal(npy_read(trunc, &t), -1);
    assert_non_null(strstr(vlm_error(), "truncated"));
    char *big = write_raw_npy("big.npy", "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", z, 8);
    assert_int_equal(npy_read(big, &t), -1);
    assert_non_null(strstr(vlm_error(), "'>f4'"));
    free(c8), free(trunc), free(big);
}

static void test_compare_tool(void **s) {
    (void)s;
    float x[6] = {0, 1, 2, 3, 4, 5}, y[6] = {0, 1, 2, 3.5f, 4, 5}, w[4] = {0};
    char out[4096];
    char *logits = write_raw_npy("logits.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", x, sizeof x);
    char *other = write_raw_npy("other.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", y, sizeof y);
    char *wrong = write_raw_npy("wrong.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", w, sizeof w);
    char *c8 = write_raw_npy("cplx.npy", "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", w, 8);
    /* a safetensors file holding "logits" = x */
    char *st = xasprintf("%s/dump.safetensors", tmpdir);
    int64_t shape[2] = {2, 3};
    Tensor tx = tensor_wrap(DT_F32, x, 2, shape);
    const char *names[1] = {"logits"};
    assert_int_equal(st_write(st, 1, names, &tx), 0);

    assert_int_equal(run_compare(logits, st, out, sizeof out), 0);   /* npy vs safetensors by name */
    assert_non_null(strstr(out, "compare: 1 passed, 0 failed"));
    assert_int_equal(run_compare(logits, other, out, sizeof out), 1); /* value mismatch */
    assert_non_null(strstr(out, "first difference at [1, 0]: 3 vs 3.5"));
    assert_int_equal(run_compare(logits, wrong, out, sizeof out), 1); /* shape mismatch */
    assert_non_null(strstr(out, "shape mismatch [2, 3] vs [4]"));
    assert_int_equal(run_compare(c8, st, out, sizeof out), 1);        /* unreadable dtype */
    assert_non_null(strstr(out, "cannot read .npy dtype '<c8'"));
    free(logits), free(other), free(wrong), free(c8), free(st);
}

int main(int argc, char **argv) {
    (void)argc;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/vlm_test_compare_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    /* build/tests/test_compare -> build/compare (also build-asan/...) */
    snprintf(compare_bin, sizeof compare_bin, "%s", argv[0]);
    char *slash = strrchr(compare_bin, '/');
    if (slash) *slash = 0;
    slash = strrchr(compare_bin, '/');
    if (slash) *slash = 0;
    strncat(compare_bin, "/compare", sizeof compare_bin - strlen(compare_bin) - 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_npy_read_variants),
        cmocka_unit_test(test_npy_errors),
        cmocka_unit_test(test_compare_tool),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char *rm = xasprintf("rm -rf %s", tmpdir);
    if (system(rm) != 0) rc = 1;
    free(rm);
    return rc;
}

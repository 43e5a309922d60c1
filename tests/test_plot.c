/* test_plot — lib/plot: heat-map PNGs have the right pixel size (read back with
 * stbi_info), bad sizes and folders fail with a message naming the file, and
 * plot_bars succeeds both with gnuplot (PNG written) and with gnuplot missing
 * from the PATH (data + script written, no PNG, still success). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>

#include <cmocka.h>
#include <stb/stb_image.h>

#include "plot.h"
#include "util.h"

static char tmpdir[256];

/* rm -rf without a shell: the tests run with PATH emptied. */
static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static void test_heatmap_size(void **state) {
    (void)state;
    float m[3 * 5];
    for (int i = 0; i < 15; i++) m[i] = (float)i / 14.0f;
    char *path = path_join(tmpdir, "heat.png");
    assert_int_equal(plot_heatmap_png(path, m, 3, 5, 4, 0.0f, 1.0f), 0);
    int w = 0, h = 0, comp = 0;
    assert_int_equal(stbi_info(path, &w, &h, &comp), 1);
    assert_int_equal(w, 5 * 4); /* cols x cell_px */
    assert_int_equal(h, 3 * 4); /* rows x cell_px */
    assert_int_equal(comp, 3);
    /* the corners: value 0 (dark) top-left, value 1 (bright) bottom-right */
    unsigned char *px = stbi_load(path, &w, &h, &comp, 3);
    assert_non_null(px);
    int dark = px[0] + px[1] + px[2];
    const unsigned char *br = px + ((size_t)(h - 1) * w + (w - 1)) * 3;
    int bright = br[0] + br[1] + br[2];
    assert_true(bright > dark + 200);
    stbi_image_free(px);
    free(path);
}

static void test_heatmap_bad(void **state) {
    (void)state;
    float m[4] = {0};
    char *path = path_join(tmpdir, "bad.png");
    assert_int_equal(plot_heatmap_png(path, m, 0, 4, 4, 0, 1), -1);
    assert_non_null(strstr(vlm_error(), "bad.png"));
    assert_int_equal(plot_heatmap_png(path, m, 2, 2, 0, 0, 1), -1);
    assert_int_equal(plot_heatmap_png(path, m, 100000, 100000, 8, 0, 1), -1); /* too big */
    free(path);
    /* a folder that cannot exist */
    assert_int_equal(plot_heatmap_png("/nonexistent_dir_vlm/x.png", m, 2, 2, 2, 0, 1), -1);
    assert_non_null(strstr(vlm_error(), "/nonexistent_dir_vlm/x.png"));
    /* a folder below a regular file cannot be created, not even by root */
    assert_int_equal(plot_dir("tests/data/ops_cases.json/a/b"), -1);
    assert_non_null(strstr(vlm_error(), "tests/data/ops_cases.json/a"));
}

static const char *labels[3] = {" fence", "a \"quoted\" one", "\\n"};
static const float v1[3] = {0.408f, 0.25f, 0.05f}, v2[3] = {0.5f, 0.1f, 0.9f};

/* The .dat file: one line per label, quotes in labels turned into ' for gnuplot. */
static void check_dat(const char *dir, const char *name, int two) {
    char *dat = xasprintf("%s/%s.dat", dir, name);
    size_t len;
    char *text = read_file(dat, &len);
    assert_non_null(text);
    assert_non_null(strstr(text, "\" fence\" 0.408000"));
    assert_non_null(strstr(text, "\"a 'quoted' one\" 0.250000"));
    if (two) assert_non_null(strstr(text, "0.050000 0.900000"));
    int lines = 0;
    for (char *p = text; *p; p++) lines += *p == '\n';
    assert_int_equal(lines, 3);
    free(text), free(dat);
    char *gp = xasprintf("%s/%s.gp", dir, name);
    assert_true(file_exists(gp));
    free(gp);
}

static void test_bars_without_gnuplot(void **state) {
    (void)state;
    char *old = xstrdup(getenv("PATH") ? getenv("PATH") : "");
    char *empty = path_join(tmpdir, "empty_bin"); /* a PATH with no gnuplot on it */
    assert_int_equal(plot_dir(empty), 0);
    setenv("PATH", empty, 1);
    assert_int_equal(plot_have_gnuplot(), 0);
    char *dir = path_join(tmpdir, "nognuplot");
    assert_int_equal(plot_bars(dir, "topk", "top-k", labels, v1, "p", v2, "q", 3), 0);
    setenv("PATH", old, 1);
    check_dat(dir, "topk", 1);
    char *png = path_join(dir, "topk.png");
    assert_false(file_exists(png)); /* nothing rendered, and no failure */
    free(png), free(dir), free(empty), free(old);
}

static void test_bars_with_gnuplot(void **state) {
    (void)state;
    if (!plot_have_gnuplot()) {
        print_message("gnuplot is not installed: the rendering half of plot_bars is not tested here\n");
        skip();
    }
    char *dir = path_join(tmpdir, "withgnuplot");
    assert_int_equal(plot_bars(dir, "bars", "one series", labels, v1, "p", NULL, NULL, 3), 0);
    check_dat(dir, "bars", 0);
    char *png = path_join(dir, "bars.png");
    int w = 0, h = 0, comp = 0;
    assert_int_equal(stbi_info(png, &w, &h, &comp), 1);
    assert_int_equal(w, 900); /* the size the .gp script asks for */
    assert_int_equal(h, 500);
    free(png), free(dir);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/vlm_test_plot_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heatmap_size),
        cmocka_unit_test(test_heatmap_bad),
        cmocka_unit_test(test_bars_without_gnuplot),
        cmocka_unit_test(test_bars_with_gnuplot),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (nftw(tmpdir, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0) rc = 1;
    return rc;
}

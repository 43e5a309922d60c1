/* test_images — image loading, PIL-exact resizing and the HF image processors.
 *
 *   - every case of tests/golden/images/cases.json, for ViT, CLIP and SigLIP:
 *     the decoded RGB, the uint8 image after each resize / crop (exact), the
 *     crop offsets, the value LUT, pixel_values (LUT-derived, statistics,
 *     samples, and the full stored tensors) — worst error printed per case;
 *   - Pillow's filter taps (pil_coeff_examples);
 *   - the built-in goldens' image.* / pixel_values (ViT, CLIP, SigLIP and the
 *     SmolVLM LANCZOS + splitting path of golden.json and golden_split.json);
 *   - bad input: corrupt PNG, non-image, empty file, folder, a PNG header
 *     claiming 100000x100000 pixels, bad preprocessor configs.
 * Run from the repository root (make test does).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "golden.h"
#include "image.h"
#include "image_processor.h"
#include "json.h"
#include "resize.h"
#include "safetensors.h"
#include "util.h"

#define IMG_DIR "tests/golden/images"
#define BUILTIN_DIR "tests/golden/builtin"

static cJSON *g_cases; /* cases.json */
static char g_tmp[64]; /* scratch folder for crafted bad files */

static const char *PROCS[3] = {"vit", "clip", "siglip"};

/* ---- helpers ---- */

static void load_ok(const char *path, Image *img) {
    if (image_load(path, img)) fail_msg("%s", vlm_error());
}

/* Number of differing bytes between two images (-1: sizes differ). */
static long image_diff(const Image *a, const Image *b, int *maxdiff) {
    if (a->width != b->width || a->height != b->height) return -1;
    long n = 0;
    int worst = 0;
    for (size_t i = 0; i < (size_t)a->width * a->height * 3; i++) {
        int d = abs((int)a->rgb[i] - (int)b->rgb[i]);
        if (d) n++;
        if (d > worst) worst = d;
    }
    if (maxdiff) *maxdiff = worst;
    return n;
}

/* The recorded U8 (H, W, 3) stage `name` equals the PNG at IMG_DIR/png. */
static void expect_stage(const Recorder *rec, const char *name, const char *png, const char *what) {
    const Tensor *t = rec_find(rec, name);
    if (!t) fail_msg("%s: %s was not recorded", what, name);
    char *path = path_join(IMG_DIR, png);
    Image want;
    load_ok(path, &want);
    if (t->dtype != DT_U8 || t->ndim != 3 || t->shape[0] != want.height ||
        t->shape[1] != want.width || t->shape[2] != 3)
        fail_msg("%s: %s has the wrong shape/dtype (expected U8 [%d, %d, 3])", what, name,
                 want.height, want.width);
    Image got = {want.width, want.height, t->data, NULL};
    int worst = 0;
    long n = image_diff(&got, &want, &worst);
    printf("    %-14s %-7s %4dx%-4d differing bytes %ld (max %d)\n", what, name + 6, want.width,
           want.height, n, worst);
    if (n != 0) fail_msg("%s: %s differs from %s in %ld bytes", what, name, path, n);
    image_free(&want);
    free(path);
}

/* Build a processor config from cases.json "processors".<proc>. */
static void proc_from_case(const char *proc, ImageProcessor *p) {
    const cJSON *pj = json_get(json_get(g_cases, "processors"), proc);
    assert_non_null(pj);
    cJSON *cfg = cJSON_CreateObject();
    cJSON_AddStringToObject(cfg, "image_processor_type", json_str(pj, "hf_class", "?"));
    cJSON_AddItemToObject(cfg, "size", cJSON_Duplicate(json_get(pj, "resize"), 1));
    const char *rs = json_str(pj, "resample", "?");
    int code = -1;
    for (int i = 0; i < 6; i++)
        if (resample_name(i) && strcmp(resample_name(i), rs) == 0) code = i;
    assert_true(code >= 0);
    cJSON_AddNumberToObject(cfg, "resample", code);
    const cJSON *crop = json_get(pj, "center_crop");
    cJSON_AddBoolToObject(cfg, "do_center_crop", crop != NULL);
    if (crop) cJSON_AddItemToObject(cfg, "crop_size", cJSON_Duplicate(crop, 1));
    cJSON_AddNumberToObject(cfg, "rescale_factor", json_num(pj, "rescale_factor", 0));
    cJSON_AddItemToObject(cfg, "image_mean", cJSON_Duplicate(json_get(pj, "image_mean"), 1));
    cJSON_AddItemToObject(cfg, "image_std", cJSON_Duplicate(json_get(pj, "image_std"), 1));
    if (image_processor_from_json(cfg, proc, p)) fail_msg("%s", vlm_error());
    cJSON_Delete(cfg);
}

/* ---- one image case ---- */

static void check_processor(const cJSON *c, const char *proc, const Image *rgb, SafeTensors *full) {
    const char *name = json_str(c, "name", "?");
    const cJSON *pc = json_get(json_get(c, "processors"), proc);
    ImageProcessor p;
    proc_from_case(proc, &p);

    /* The LUT equals the golden's float32 tables exactly. */
    float lut[3][256];
    image_processor_lut(&p, lut);
    const cJSON *glut = json_get(json_get(g_cases, "channel_lut"), proc);
    for (int ch = 0; ch < 3; ch++)
        for (int v = 0; v < 256; v++) {
            float want = (float)cJSON_GetArrayItem(cJSON_GetArrayItem(glut, ch), v)->valuedouble;
            if (lut[ch][v] != want)
                fail_msg("%s: LUT[%d][%d] = %.9g, golden %.9g", proc, ch, v, lut[ch][v], want);
        }

    Recorder rec;
    rec_init(&rec);
    Tensor pv;
    if (image_processor_run(&p, rgb, &pv, &rec)) fail_msg("%s %s: %s", name, proc, vlm_error());
    char what[64];
    snprintf(what, sizeof what, "%s", proc);
    expect_stage(&rec, "image.resized", json_str(pc, "resized_png", "?"), what);
    const char *final_png = json_str(pc, "resized_png", "?");
    if (json_has(pc, "cropped_png")) {
        expect_stage(&rec, "image.cropped", json_str(pc, "cropped_png", "?"), what);
        final_png = json_str(pc, "cropped_png", "?");
        /* crop offsets as HF computes them */
        const Tensor *rs = rec_find(&rec, "image.resized");
        Image resized = {(int)rs->shape[1], (int)rs->shape[0], rs->data, NULL}, crop;
        int top, left;
        assert_int_equal(image_center_crop(&resized, p.crop_height, p.crop_width, &crop, &top, &left), 0);
        const cJSON *tl = json_get(pc, "crop_top_left");
        assert_int_equal(top, cJSON_GetArrayItem(tl, 0)->valueint);
        assert_int_equal(left, cJSON_GetArrayItem(tl, 1)->valueint);
        image_free(&crop);
    } else {
        assert_null(rec_find(&rec, "image.cropped"));
    }

    /* pixel_values = LUT(expected uint8), channels first */
    char *path = path_join(IMG_DIR, final_png);
    Image fin;
    load_ok(path, &fin);
    free(path);
    assert_int_equal(pv.ndim, 4);
    assert_int_equal(pv.shape[0], 1);
    assert_int_equal(pv.shape[1], 3);
    assert_int_equal(pv.shape[2], fin.height);
    assert_int_equal(pv.shape[3], fin.width);
    const cJSON *st = json_get(pc, "pixel_values");
    const cJSON *shp = json_get(st, "shape");
    assert_int_equal(pv.shape[2], cJSON_GetArrayItem(shp, 1)->valueint);
    assert_int_equal(pv.shape[3], cJSON_GetArrayItem(shp, 2)->valueint);
    const float *x = tensor_f(&pv);
    size_t plane = (size_t)fin.width * fin.height;
    double worst = 0, sum[3] = {0, 0, 0};
    for (int ch = 0; ch < 3; ch++)
        for (size_t i = 0; i < plane; i++) {
            double want = lut[ch][fin.rgb[i * 3 + ch]];
            double err = fabs(x[ch * plane + i] - want);
            if (err > worst) worst = err;
            sum[ch] += x[ch * plane + i];
        }
    /* statistics and samples of the golden */
    double worst_sum = 0;
    for (int ch = 0; ch < 3; ch++) {
        double want = cJSON_GetArrayItem(json_get(st, "sum_per_channel"), ch)->valuedouble;
        double err = fabs(sum[ch] - want) / (fabs(want) > 1 ? fabs(want) : 1);
        if (err > worst_sum) worst_sum = err;
    }
    const cJSON *smp;
    cJSON_ArrayForEach(smp, json_get(st, "samples")) {
        int ch = cJSON_GetArrayItem(smp, 0)->valueint, yy = cJSON_GetArrayItem(smp, 1)->valueint,
            xx = cJSON_GetArrayItem(smp, 2)->valueint;
        double want = cJSON_GetArrayItem(smp, 3)->valuedouble;
        double err = fabs(x[ch * plane + (size_t)yy * fin.width + xx] - want);
        if (err > worst) worst = err;
    }
    /* the full stored tensor, when there is one */
    double worst_full = -1;
    if (full) {
        char key[64];
        snprintf(key, sizeof key, "%s.pixel_values", proc);
        const StEntry *e = st_find(full, key);
        if (!e) fail_msg("%s: no %s in the stored tensors", name, key);
        Tensor ref = st_raw(e);
        if (!tensor_same_shape(&ref, &pv)) fail_msg("%s: %s shape differs", name, key);
        worst_full = 0;
        for (int64_t i = 0; i < tensor_numel(&ref); i++) {
            double err = fabs(tensor_get_flat(&ref, i) - x[i]);
            if (err > worst_full) worst_full = err;
        }
    }
    printf("    %-14s pixel_values [1, 3, %d, %d] max|err| vs LUT+samples %.3g, sum rel err %.3g",
           proc, fin.height, fin.width, worst, worst_sum);
    if (worst_full >= 0) printf(", vs stored tensor %.3g", worst_full);
    printf("\n");
    if (worst > 1e-6) fail_msg("%s %s: pixel_values off by %g", name, proc, worst);
    if (worst_full > 1e-6) fail_msg("%s %s: pixel_values off the stored tensor by %g", name, proc, worst_full);
    if (worst_sum > 1e-9) fail_msg("%s %s: channel sums off (rel %g)", name, proc, worst_sum);
    float mn = x[0], mx = x[0];
    for (int64_t i = 0; i < tensor_numel(&pv); i++) {
        if (x[i] < mn) mn = x[i];
        if (x[i] > mx) mx = x[i];
    }
    assert_true(mn == (float)json_num(st, "min", 0));
    assert_true(mx == (float)json_num(st, "max", 0));
    image_free(&fin);
    tensor_free(&pv);
    rec_free(&rec);
}

static void run_image_case(void **state) {
    const cJSON *c = *state;
    const char *name = json_str(c, "name", "?");
    const char *file = json_str(c, "file", "?");
    printf("  %s (%s, %s)\n", name, file, json_str(c, "file_mode", "?"));
    char *in_path = path_join(IMG_DIR, file);
    char *exp_rel = xasprintf("expected/%s/input_rgb.png", name);
    char *exp_path = path_join(IMG_DIR, exp_rel);
    Image mine, pil;
    load_ok(in_path, &mine);
    load_ok(exp_path, &pil);
    const cJSON *wh = json_get(c, "file_size_wh");
    assert_int_equal(mine.width, cJSON_GetArrayItem(wh, 0)->valueint);
    assert_int_equal(mine.height, cJSON_GetArrayItem(wh, 1)->valueint);
    assert_int_equal((mine.alpha != NULL), strcmp(json_str(c, "file_mode", ""), "RGBA") == 0);
    int worst = 0;
    long n = image_diff(&mine, &pil, &worst);
    int is_jpeg = strstr(file, ".jpg") != NULL;
    printf("    decode vs PIL convert(\"RGB\"): %ld differing bytes (max %d)%s\n", n, worst,
           is_jpeg ? " [JPEG: stb_image != libjpeg-turbo, tolerated up to 3; processors run on the PIL decode]" : "");
    assert_true(n >= 0);
    if (is_jpeg) assert_true(worst <= 3);
    else assert_int_equal(n, 0);

    SafeTensors full, *fullp = NULL;
    const char *stf = json_str(c, "safetensors", NULL);
    if (stf) {
        char *p = path_join(IMG_DIR, stf);
        if (st_open(&full, p)) fail_msg("%s", vlm_error());
        free(p);
        fullp = &full;
        const StEntry *e = st_find(&full, "input_rgb");
        assert_non_null(e);
        Tensor ref = st_raw(e);
        Tensor t = image_as_tensor(&pil);
        assert_true(tensor_same_shape(&ref, &t));
        assert_memory_equal(ref.data, pil.rgb, (size_t)pil.width * pil.height * 3);
    }
    for (int i = 0; i < 3; i++) check_processor(c, PROCS[i], &pil, fullp);
    if (fullp) st_close(&full);
    image_free(&mine);
    image_free(&pil);
    free(in_path);
    free(exp_rel);
    free(exp_path);
}

/* ---- Pillow's taps ---- */

static void check_taps(const ResampleCoeffs *rc, int xx, const cJSON *want, const char *what) {
    assert_int_equal(rc->xmin[xx], json_int(want, "xmin", -1));
    const cJSON *ki = json_get(want, "k_int"), *kd = json_get(want, "k_double");
    assert_int_equal(rc->count[xx], cJSON_GetArraySize(ki));
    for (int x = 0; x < rc->count[xx]; x++) {
        int32_t k = rc->k[(size_t)xx * rc->ksize + x];
        double w = rc->w[(size_t)xx * rc->ksize + x];
        if (k != (int32_t)cJSON_GetArrayItem(ki, x)->valuedouble)
            fail_msg("%s out %d tap %d: k %d, Pillow %.0f", what, xx, x, k, cJSON_GetArrayItem(ki, x)->valuedouble);
        if (fabs(w - cJSON_GetArrayItem(kd, x)->valuedouble) > 1e-15)
            fail_msg("%s out %d tap %d: w %.17g, Pillow %.17g", what, xx, x, w, cJSON_GetArrayItem(kd, x)->valuedouble);
    }
}

static void test_pil_coeffs(void **state) {
    (void)state;
    const cJSON *ex;
    int n = 0;
    cJSON_ArrayForEach(ex, json_get(g_cases, "pil_coeff_examples")) {
        int in = json_int(ex, "in_size", 0), out = json_int(ex, "out_size", 0);
        const char *f = json_str(ex, "filter", "?");
        int code = -1;
        for (int i = 0; i < 6; i++)
            if (resample_name(i) && strcmp(resample_name(i), f) == 0) code = i;
        assert_true(code > 0);
        ResampleCoeffs rc;
        assert_int_equal(resample_coeffs(in, out, code, &rc), 0);
        char what[64];
        snprintf(what, sizeof what, "%d->%d %s", in, out, f);
        const cJSON *first = json_get(ex, "first_3");
        for (int i = 0; i < cJSON_GetArraySize(first); i++) check_taps(&rc, i, cJSON_GetArrayItem(first, i), what);
        check_taps(&rc, out - 1, json_get(ex, "last"), what);
        resample_coeffs_free(&rc);
        n++;
    }
    printf("  %d Pillow tap examples equal (k_int exact, k_double to 1e-15)\n", n);
    assert_true(n > 0);
}

/* ---- built-in goldens (SmolVLM LANCZOS + splitting included) ---- */

static void check_builtin(const char *folder, const char *json_name, const char *model_dir) {
    char *dir = path_join(BUILTIN_DIR, folder);
    Golden g;
    if (golden_open(&g, dir, json_name)) fail_msg("%s", vlm_error());
    const cJSON *inputs = golden_inputs(&g);
    assert_non_null(inputs);
    const cJSON *imgj = json_get(inputs, "image");
    char *img_path = path_join(BUILTIN_DIR, json_str(imgj, "file", "?"));
    Image img;
    load_ok(img_path, &img);

    ImageProcessor p;
    if (model_dir) { /* the folder's own preprocessor_config.json */
        if (image_processor_open(model_dir, &p)) fail_msg("%s", vlm_error());
    } else { /* the processor parameters the golden used (overrides applied) */
        if (image_processor_from_json(json_get(inputs, "processor"), g.json_path, &p))
            fail_msg("%s", vlm_error());
    }
    Recorder rec;
    rec_init(&rec);
    Tensor pv;
    ImageGrid grid;
    if (image_processor_run_grid(&p, &img, &pv, &grid, &rec)) fail_msg("%s", vlm_error());
    if (json_has(inputs, "n_frames")) {
        assert_int_equal(grid.frames, json_int(inputs, "n_frames", -1));
        assert_int_equal(grid.rows, json_int(inputs, "image_rows", -1));
        assert_int_equal(grid.cols, json_int(inputs, "image_cols", -1));
    }
    int checked = 0, bad = 0;
    const cJSON *spec;
    cJSON_ArrayForEach(spec, json_get(g.json, "tensors")) {
        const char *name = json_str(spec, "name", "");
        if (strncmp(name, "image.", 6) != 0 && strcmp(name, "pixel_values") != 0 &&
            strcmp(name, "pixel_attention_mask") != 0)
            continue;
        const Tensor *mine = rec_find(&rec, name);
        Compare cmp = golden_compare(&g, spec, mine);
        printf("  %s %s/%s %-26s %s", cmp.ok ? "OK  " : "FAIL", folder, json_name, name,
               cmp.missing ? "missing" : cmp.shape_mismatch ? "shape mismatch" : "");
        if (!cmp.missing && !cmp.shape_mismatch) printf("max|err| %.3g", cmp.max_abs_err);
        printf("\n");
        checked++;
        bad += !cmp.ok;
    }
    /* every stage we recorded must be one the golden knows */
    for (int i = 0; i < rec.n; i++) {
        int found = 0;
        cJSON_ArrayForEach(spec, json_get(g.json, "tensors"))
            found |= strcmp(json_str(spec, "name", ""), rec.names[i]) == 0;
        if (!found) {
            printf("  FAIL %s recorded but not in %s\n", rec.names[i], json_name);
            bad++;
        }
    }
    assert_true(checked >= 2);
    assert_int_equal(bad, 0);
    tensor_free(&pv);
    rec_free(&rec);
    image_free(&img);
    free(img_path);
    golden_close(&g);
    free(dir);
}

static void test_builtin_vit(void **s) { (void)s; check_builtin("vit-tiny", "golden.json", "data/models/vit-tiny"); }
static void test_builtin_clip(void **s) { (void)s; check_builtin("clip-tiny", "golden.json", "data/models/clip-tiny"); }
static void test_builtin_siglip(void **s) { (void)s; check_builtin("siglip-tiny", "golden.json", "data/models/siglip-tiny"); }
static void test_builtin_smolvlm(void **s) {
    (void)s;
    check_builtin("smolvlm-tiny", "golden.json", "data/models/smolvlm-tiny");
    check_builtin("smolvlm-tiny", "golden.json", NULL);
}
static void test_builtin_smolvlm_split(void **s) { (void)s; check_builtin("smolvlm-tiny", "golden_split.json", NULL); }

/* ---- resampling properties not covered by the goldens ---- */

static void test_resize_basics(void **state) {
    (void)state;
    Image a, b;
    assert_int_equal(image_new(4, 1, &a), 0);
    const uint8_t row[4] = {10, 21, 30, 40};
    for (int x = 0; x < 4; x++) a.rgb[x * 3] = a.rgb[x * 3 + 1] = a.rgb[x * 3 + 2] = row[x];
    /* BOX halving = average of pairs, rounded half up by the +2^21 */
    assert_int_equal(image_resize(&a, 2, 1, RESAMPLE_BOX, &b), 0);
    assert_int_equal(b.rgb[0], (10 + 21 + 1) / 2);
    assert_int_equal(b.rgb[3], (30 + 40 + 1) / 2);
    image_free(&b);
    /* NEAREST halving picks pixels 1 and 3 (centres at 1.0 and 3.0) */
    assert_int_equal(image_resize(&a, 2, 1, RESAMPLE_NEAREST, &b), 0);
    assert_int_equal(b.rgb[0], 21);
    assert_int_equal(b.rgb[3], 40);
    image_free(&b);
    /* same size = copy, for every filter */
    for (int f = 0; f <= 5; f++) {
        assert_int_equal(image_resize(&a, 4, 1, f, &b), 0);
        assert_memory_equal(a.rgb, b.rgb, 12);
        image_free(&b);
    }
    /* a constant image stays constant under every filter, up and down */
    memset(a.rgb, 77, 12);
    for (int f = 1; f <= 5; f++) {
        assert_int_equal(image_resize(&a, 9, 5, f, &b), 0);
        for (int i = 0; i < 9 * 5 * 3; i++) assert_int_equal(b.rgb[i], 77);
        image_free(&b);
    }
    /* errors */
    assert_int_equal(image_resize(&a, 2, 1, 7, &b), -1);
    assert_non_null(strstr(vlm_error(), "unknown resample filter 7"));
    assert_int_equal(image_resize(&a, 0, 1, RESAMPLE_BICUBIC, &b), -1);
    assert_int_equal(image_resize(&a, 100000, 1, RESAMPLE_BICUBIC, &b), -1);
    image_free(&a);
    image_free(&a); /* twice is safe */
}

/* Center crop of an image smaller than the crop zero-pads like HF. */
static void test_center_crop_pad(void **state) {
    (void)state;
    Image a, b;
    assert_int_equal(image_new(3, 2, &a), 0);
    memset(a.rgb, 200, 18);
    int top, left;
    assert_int_equal(image_center_crop(&a, 4, 6, &b, &top, &left), 0);
    assert_int_equal(b.width, 6);
    assert_int_equal(b.height, 4);
    /* HF: pad top ceil(2/2) = 1, left ceil(3/2) = 2 */
    assert_int_equal(top, -1);
    assert_int_equal(left, -2);
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 6; x++) {
            int inside = y >= 1 && y < 3 && x >= 2 && x < 5;
            assert_int_equal(b.rgb[(y * 6 + x) * 3], inside ? 200 : 0);
        }
    image_free(&b);
    image_free(&a);
}

/* PIL alpha_composite on white (Idefics3 convert_to_rgb). */
static void test_composite_on_white(void **state) {
    (void)state;
    Image a;
    assert_int_equal(image_new(3, 1, &a), 0);
    a.alpha = xmalloc(3);
    a.alpha[0] = 0;   /* transparent black -> white */
    a.alpha[1] = 255; /* opaque black stays black */
    a.alpha[2] = 128; /* half black -> 127 (PIL's integer rounding) */
    image_composite_on_white(&a);
    assert_null(a.alpha);
    assert_int_equal(a.rgb[0], 255);
    assert_int_equal(a.rgb[3], 0);
    assert_int_equal(a.rgb[6], 127);
    image_free(&a);

    /* RGBA file: the other processors drop alpha, Idefics3 composites. */
    Image rgba;
    load_ok(IMG_DIR "/inputs/rgba_40x40.png", &rgba);
    assert_non_null(rgba.alpha);
    int transparent = -1;
    for (int i = 0; i < 40 * 40; i++)
        if (rgba.alpha[i] == 0 && (rgba.rgb[i * 3] != 255 || rgba.rgb[i * 3 + 1] != 255)) transparent = i;
    Image c = image_clone(&rgba);
    image_composite_on_white(&c);
    if (transparent >= 0) assert_int_equal(c.rgb[transparent * 3], 255);
    for (int i = 0; i < 40 * 40; i++)
        if (rgba.alpha[i] == 255) assert_memory_equal(c.rgb + i * 3, rgba.rgb + i * 3, 3);
    image_free(&c);
    image_free(&rgba);
}

/* Idefics3 on extreme shapes: 1x1 and a thin strip must work, tiles exact. */
static void test_idefics3_shapes(void **state) {
    (void)state;
    cJSON *cfg = cJSON_Parse("{\"image_processor_type\": \"SmolVLMImageProcessor\","
                             " \"size\": {\"longest_edge\": 64}, \"max_image_size\": {\"longest_edge\": 32}}");
    ImageProcessor p;
    assert_int_equal(image_processor_from_json(cfg, "cfg", &p), 0);
    cJSON_Delete(cfg);
    assert_int_equal(p.do_image_splitting, 1); /* HF default */
    assert_int_equal(p.resample, RESAMPLE_LANCZOS);
    const int sizes[][2] = {{1, 1}, {300, 2}, {2, 300}, {64, 64}, {33, 31}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        Image a;
        assert_int_equal(image_new(sizes[i][0], sizes[i][1], &a), 0);
        for (size_t j = 0; j < (size_t)a.width * a.height * 3; j++) a.rgb[j] = (uint8_t)(j * 7);
        Tensor pv;
        ImageGrid g;
        Image *frames;
        int n;
        assert_int_equal(image_processor_frames(&p, &a, &frames, &n, &g, NULL), 0);
        for (int f = 0; f < n; f++) image_free(&frames[f]);
        free(frames);
        if (image_processor_run_grid(&p, &a, &pv, &g, NULL)) fail_msg("%s", vlm_error());
        printf("  %dx%d -> %d frame(s), %d rows x %d cols\n", a.width, a.height, g.frames, g.rows, g.cols);
        assert_int_equal(g.frames, n);
        assert_int_equal(g.frames, g.rows * g.cols + 1);
        assert_int_equal(pv.ndim, 5);
        assert_int_equal(pv.shape[1], g.frames);
        assert_int_equal(pv.shape[3], 32);
        assert_int_equal(pv.shape[4], 32);
        tensor_free(&pv);
        image_free(&a);
    }
}

/* ---- bad input ---- */

static char *write_tmp(const char *name, const void *data, size_t len) {
    char *path = path_join(g_tmp, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (len) assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    return path;
}

static void expect_load_error(const char *path, const char *text) {
    Image img;
    int rc = image_load(path, &img);
    printf("  %-40s -> %s\n", strrchr(path, '/') ? strrchr(path, '/') + 1 : path, vlm_error());
    assert_int_equal(rc, -1);
    assert_null(img.rgb);
    assert_non_null(strstr(vlm_error(), path));
    if (text) assert_non_null(strstr(vlm_error(), text));
}

static uint32_t crc32_png(const uint8_t *p, size_t n) {
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    }
    return c ^ 0xffffffffu;
}

static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* A PNG signature + a valid IHDR claiming w x h RGB8, + a tiny IDAT + IEND. */
static char *craft_png(const char *name, uint32_t w, uint32_t h) {
    uint8_t buf[128];
    size_t n = 0;
    const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    memcpy(buf, sig, 8), n = 8;
    put_be32(buf + n, 13), n += 4;
    memcpy(buf + n, "IHDR", 4);
    put_be32(buf + n + 4, w);
    put_be32(buf + n + 8, h);
    buf[n + 12] = 8, buf[n + 13] = 2, buf[n + 14] = 0, buf[n + 15] = 0, buf[n + 16] = 0;
    put_be32(buf + n + 17, crc32_png(buf + n, 17)), n += 21;
    const uint8_t idat[] = {0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01};
    put_be32(buf + n, sizeof idat), n += 4;
    memcpy(buf + n, "IDAT", 4), memcpy(buf + n + 4, idat, sizeof idat);
    put_be32(buf + n + 4 + sizeof idat, crc32_png(buf + n, 4 + sizeof idat)), n += 8 + sizeof idat;
    put_be32(buf + n, 0), memcpy(buf + n + 4, "IEND", 4);
    put_be32(buf + n + 8, crc32_png(buf + n + 4, 4)), n += 12;
    return write_tmp(name, buf, n);
}

static void test_bad_files(void **state) {
    (void)state;
    char *p;
    p = craft_png("huge_100000x100000.png", 100000, 100000);
    expect_load_error(p, "larger than the limit");
    free(p);
    p = craft_png("many_pixels_10000x10000.png", 10000, 10000);
    expect_load_error(p, "pixels, more than the limit");
    free(p);
    p = craft_png("zero_0x5.png", 0, 5);
    expect_load_error(p, NULL);
    free(p);

    /* a corrupt PNG: a real file cut in half */
    size_t len;
    char *data = read_file(IMG_DIR "/inputs/chelsea_256x170.png", &len);
    assert_non_null(data);
    p = write_tmp("truncated.png", data, len / 2);
    expect_load_error(p, "corrupt");
    free(p);
    /* ... and one with its compressed data overwritten */
    memset(data + 100, 0xAB, 4000);
    p = write_tmp("garbled.png", data, len);
    expect_load_error(p, NULL);
    free(p);
    free(data);

    p = write_tmp("notes.txt", "this is not an image\n", 21);
    expect_load_error(p, "not a readable image");
    free(p);
    p = write_tmp("empty.png", "", 0);
    expect_load_error(p, "empty file");
    free(p);
    expect_load_error(g_tmp, "folder");
    p = path_join(g_tmp, "does_not_exist.png");
    expect_load_error(p, NULL);
    free(p);
}

static void expect_config_error(const char *json, const char *text) {
    cJSON *cfg = cJSON_Parse(json);
    assert_non_null(cfg);
    ImageProcessor p;
    int rc = image_processor_from_json(cfg, "preprocessor_config.json", &p);
    printf("  %s\n", vlm_error());
    assert_int_equal(rc, -1);
    assert_non_null(strstr(vlm_error(), "preprocessor_config.json"));
    assert_non_null(strstr(vlm_error(), text));
    cJSON_Delete(cfg);
}

static void test_bad_configs(void **state) {
    (void)state;
    expect_config_error("{\"image_processor_type\": \"DetrImageProcessor\"}", "not supported");
    expect_config_error("{\"do_resize\": true}", "image_processor_type");
    expect_config_error("{\"image_processor_type\": \"ViTImageProcessor\", \"resample\": 9}", "resample");
    expect_config_error("{\"image_processor_type\": \"ViTImageProcessor\", \"size\": {\"height\": 32}}", "height and width");
    expect_config_error("{\"image_processor_type\": \"ViTImageProcessor\", \"size\": {\"height\": -1, \"width\": 3}}", "height");
    expect_config_error("{\"image_processor_type\": \"CLIPImageProcessor\", \"image_mean\": [0.5, 0.5]}", "image_mean");
    expect_config_error("{\"image_processor_type\": \"SiglipImageProcessor\", \"image_std\": [0, 1, 1]}", "image_std");
    ImageProcessor p;
    assert_int_equal(image_processor_open(g_tmp, &p), -1);
    printf("  %s\n", vlm_error());
    assert_non_null(strstr(vlm_error(), "preprocessor_config.json"));
    /* an old-style int size and a scalar mean are accepted */
    cJSON *cfg = cJSON_Parse("{\"feature_extractor_type\": \"CLIPFeatureExtractor\", \"size\": 40,"
                             " \"crop_size\": 24, \"image_mean\": 0.25}");
    assert_int_equal(image_processor_from_json(cfg, "cfg", &p), 0);
    assert_int_equal(p.shortest_edge, 40);
    assert_int_equal(p.crop_height, 24);
    assert_int_equal(p.crop_width, 24);
    assert_true(p.image_mean[2] == 0.25f);
    assert_true(p.image_std[0] == 0.26862954f); /* CLIP default */
    cJSON_Delete(cfg);
}

/* write_png round trip */
static void test_write_png(void **state) {
    (void)state;
    Image a, b;
    load_ok(IMG_DIR "/inputs/noise_37x53.png", &a);
    char *p = path_join(g_tmp, "roundtrip.png");
    assert_int_equal(image_write_png(p, &a), 0);
    load_ok(p, &b);
    assert_int_equal(image_diff(&a, &b, NULL), 0);
    free(p);
    assert_int_equal(image_write_png("/nonexistent-dir/x.png", &a), -1);
    assert_non_null(strstr(vlm_error(), "/nonexistent-dir/x.png"));
    image_free(&a);
    image_free(&b);
}

/* ---- main ---- */

static int cleanup_tmp(void) {
    const char *names[] = {"huge_100000x100000.png", "many_pixels_10000x10000.png", "zero_0x5.png",
                           "truncated.png", "garbled.png", "notes.txt", "empty.png", "roundtrip.png"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char *p = path_join(g_tmp, names[i]);
        unlink(p);
        free(p);
    }
    return rmdir(g_tmp);
}

int main(void) {
    g_cases = json_load(IMG_DIR "/cases.json");
    if (!g_cases) {
        fprintf(stderr, "test_images: %s (run from the repository root)\n", vlm_error());
        return 1;
    }
    snprintf(g_tmp, sizeof g_tmp, "/tmp/vlm_test_images_XXXXXX");
    if (!mkdtemp(g_tmp)) {
        perror("mkdtemp");
        return 1;
    }
    const cJSON *cases = json_get(g_cases, "cases");
    int n = cJSON_GetArraySize(cases);
    struct CMUnitTest *tests = xcalloc((size_t)n + 16, sizeof *tests);
    char **names = xcalloc((size_t)n, sizeof(char *));
    int t = 0;
    for (int i = 0; i < n; i++) {
        const cJSON *c = cJSON_GetArrayItem(cases, i);
        names[i] = xasprintf("image case %s", json_str(c, "name", "?"));
        tests[t++] = (struct CMUnitTest){names[i], run_image_case, NULL, NULL, (void *)c};
    }
    const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_pil_coeffs),
        cmocka_unit_test(test_builtin_vit),
        cmocka_unit_test(test_builtin_clip),
        cmocka_unit_test(test_builtin_siglip),
        cmocka_unit_test(test_builtin_smolvlm),
        cmocka_unit_test(test_builtin_smolvlm_split),
        cmocka_unit_test(test_resize_basics),
        cmocka_unit_test(test_center_crop_pad),
        cmocka_unit_test(test_composite_on_white),
        cmocka_unit_test(test_idefics3_shapes),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_bad_configs),
        cmocka_unit_test(test_write_png),
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) tests[t++] = fixed[i];
    int rc = _cmocka_run_group_tests("test_images", tests, (size_t)t, NULL, NULL);
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
    free(tests);
    cJSON_Delete(g_cases);
    cleanup_tmp();
    return rc;
}

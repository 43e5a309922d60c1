/* test_clip_siglip — the CLIP / SigLIP APIs beyond the golden comparison:
 * text pooling rules, stopping the vision tower early and HF's hidden_states
 * tuple (what LLaVA and Idefics3 use), explicit position ids, softmax vs sigmoid
 * when a caption is removed, and clear errors for bad configs and checkpoints.
 * Run from the repository root (reads tests/golden/clip_tiny and siglip_tiny). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clip.h"
#include "golden.h"
#include "json.h"
#include "siglip.h"
#include "util.h"

#define CLIP_DIR "tests/golden/clip_tiny"
#define SIGLIP_DIR "tests/golden/siglip_tiny"

static double max_diff(const float *a, const float *b, int64_t n) {
    double m = 0;
    for (int64_t i = 0; i < n; i++) m = fmax(m, fabs((double)a[i] - b[i]));
    return m;
}

static void open_clip(Clip *m, SafeTensors *st, Golden *g) {
    assert_int_equal(golden_open(g, CLIP_DIR, "golden.json"), 0);
    cJSON *cfg = golden_config(g);
    assert_non_null(cfg);
    ClipConfig c;
    assert_int_equal(clip_config_parse(cfg, CLIP_DIR "/config.json", &c), 0);
    cJSON_Delete(cfg);
    assert_int_equal(st_open_dir(st, CLIP_DIR), 0);
    if (clip_load(m, st, &c)) fail_msg("%s", vlm_error());
}

static void open_siglip(Siglip *m, SafeTensors *st, Golden *g) {
    assert_int_equal(golden_open(g, SIGLIP_DIR, "golden.json"), 0);
    cJSON *cfg = golden_config(g);
    assert_non_null(cfg);
    SiglipConfig c;
    assert_int_equal(siglip_config_parse(cfg, SIGLIP_DIR "/config.json", &c), 0);
    cJSON_Delete(cfg);
    assert_int_equal(st_open_dir(st, SIGLIP_DIR), 0);
    if (siglip_load(m, st, &c)) fail_msg("%s", vlm_error());
}

/* HF: eos_token_id == 2 -> argmax(input_ids); else the first eos position; none -> 0. */
static void test_pool_index(void **state) {
    (void)state;
    ClipTextConfig c = {0};
    int64_t ids[6] = {49406, 320, 49407, 49407, 49407, 49407};
    c.eos_token_id = 2;
    assert_int_equal(clip_text_pool_index(&c, ids, 6), 2); /* the first of equal maxima */
    int64_t other[5] = {7, 599, 3, 599, 1};
    c.eos_token_id = 599;
    assert_int_equal(clip_text_pool_index(&c, other, 5), 1);
    c.eos_token_id = 598;
    assert_int_equal(clip_text_pool_index(&c, other, 5), 0);
    c.eos_token_id = 2; /* legacy rule on ids whose largest is not EOS: still argmax */
    assert_int_equal(clip_text_pool_index(&c, other, 5), 1);
}

/* Stopping after k layers == HF hidden_states[k]; hidden_states[-1] == last_hidden_state;
 * hidden_states[1] == the golden layer-0 output. */
static void test_clip_hidden_states(void **state) {
    (void)state;
    Clip m;
    SafeTensors st;
    Golden g;
    open_clip(&m, &st, &g);
    Tensor pv, want;
    assert_int_equal(golden_tensor(&g, "pixel_values", &pv), 0);
    assert_int_equal(golden_tensor(&g, "vision.layer.0.output", &want), 0);
    Tensor pix = tensor_to_f32(&pv), w0 = tensor_to_f32(&want);
    ClipVisionOutput full, early;
    assert_int_equal(clip_vision_forward(&m.vision, tensor_f(&pix), 1, -1, 1, &full, NULL, ""), 0);
    assert_int_equal(clip_vision_forward(&m.vision, tensor_f(&pix), 1, 1, 0, &early, NULL, ""), 0);
    int nl = m.config.vision_config.num_hidden_layers;
    assert_int_equal(full.hidden_states.shape[0], nl + 1);
    assert_null(early.pooler_output.data); /* no pooler after an early stop */
    assert_non_null(full.pooler_output.data);
    Tensor h1, hlast, hbad;
    assert_int_equal(clip_vision_hidden_state(&full, 1, &h1), 0);
    assert_int_equal(clip_vision_hidden_state(&full, -1, &hlast), 0);
    int64_t n = tensor_numel(&early.last_hidden_state);
    assert_true(max_diff(tensor_f(&h1), tensor_f(&early.last_hidden_state), n) == 0);
    assert_true(max_diff(tensor_f(&hlast), tensor_f(&full.last_hidden_state), n) == 0);
    double e = max_diff(tensor_f(&h1), tensor_f(&w0), n);
    printf("hidden_states[1] vs golden vision.layer.0.output: %.3g\n", e);
    assert_true(e < 1e-4);
    assert_int_equal(clip_vision_hidden_state(&full, -(nl + 2), &hbad), -1);
    assert_non_null(strstr(vlm_error(), "out of range"));
    assert_int_equal(clip_vision_hidden_state(&early, 0, &hbad), -1); /* not kept */
    ClipVisionOutput none;
    assert_int_equal(clip_vision_forward(&m.vision, tensor_f(&pix), 1, nl + 1, 0, &none, NULL, ""), -1);
    clip_vision_output_free(&full), clip_vision_output_free(&early);
    tensor_free(&pix), tensor_free(&w0);
    clip_free(&m), st_close(&st), golden_close(&g);
}

/* Explicit arange position ids == the default; bad ids and sizes are errors. */
static void test_siglip_position_ids(void **state) {
    (void)state;
    Siglip m;
    SafeTensors st;
    Golden g;
    open_siglip(&m, &st, &g);
    const SiglipVisionConfig *c = &m.config.vision_config;
    int S = c->image_size, P = siglip_vision_num_patches(c);
    Tensor pv;
    assert_int_equal(golden_tensor(&g, "pixel_values", &pv), 0);
    Tensor pix = tensor_to_f32(&pv);
    int64_t *pos = xmalloc(sizeof(int64_t) * (size_t)P);
    for (int i = 0; i < P; i++) pos[i] = i;
    SiglipVisionOutput a, b;
    assert_int_equal(siglip_vision_forward(&m.vision, tensor_f(&pix), 1, S, S, NULL, NULL, -1, 0, &a,
                                           NULL, ""), 0);
    assert_int_equal(siglip_vision_forward(&m.vision, tensor_f(&pix), 1, S, S, pos, NULL, -1, 0, &b,
                                           NULL, ""), 0);
    assert_true(max_diff(tensor_f(&a.pooler_output), tensor_f(&b.pooler_output),
                         tensor_numel(&a.pooler_output)) == 0);
    siglip_vision_output_free(&b);
    pos[3] = P; /* outside the position table */
    assert_int_equal(siglip_vision_forward(&m.vision, tensor_f(&pix), 1, S, S, pos, NULL, -1, 0, &b,
                                           NULL, ""), -1);
    assert_non_null(strstr(vlm_error(), "position id"));
    /* half the height without position ids: fewer patches than the table */
    assert_int_equal(siglip_vision_forward(&m.vision, tensor_f(&pix), 1, S / 2, S, NULL, NULL, -1, 0,
                                           &b, NULL, ""), -1);
    assert_non_null(strstr(vlm_error(), "patches"));
    assert_int_equal(siglip_vision_forward(&m.vision, tensor_f(&pix), 1, c->patch_size - 1, S, pos,
                                           NULL, -1, 0, &b, NULL, ""), -1);
    assert_non_null(strstr(vlm_error(), "no"));
    siglip_vision_output_free(&a);
    free(pos);
    tensor_free(&pix);
    siglip_free(&m), st_close(&st), golden_close(&g);
}

/* Dropping a caption: the sigmoid scores of the others stay exactly the same, the
 * softmax probabilities renormalise (logits unchanged, probabilities larger). */
static void test_softmax_vs_sigmoid(void **state) {
    (void)state;
    Siglip sm;
    Clip cm;
    SafeTensors sst, cst;
    Golden sg, cg;
    open_siglip(&sm, &sst, &sg);
    open_clip(&cm, &cst, &cg);
    int64_t img_s[2] = {1, 8}, txt3[2] = {3, 8}, txt2[2] = {2, 8};
    Tensor img = tensor_new(DT_F32, 2, img_s), t3 = tensor_new(DT_F32, 2, txt3);
    for (int i = 0; i < 8; i++) tensor_f(&img)[i] = (float)sin(i + 1.0);
    for (int i = 0; i < 24; i++) tensor_f(&t3)[i] = (float)cos(0.7 * i);
    for (int i = 0; i < 8; i++) tensor_f(&t3)[16 + i] = tensor_f(&img)[i]; /* the best match */
    Tensor t2 = tensor_narrow(&t3, 0, 0, 2);
    t2 = tensor_clone(&t2);
    (void)txt2;
    Recorder r3, r2;
    rec_init(&r3), rec_init(&r2);
    Tensor l3, l2;
    siglip_logits(&sm, &img, &t3, &l3, &r3);
    siglip_logits(&sm, &img, &t2, &l2, &r2);
    const Tensor *p3 = rec_find(&r3, "probs_per_image"), *p2 = rec_find(&r2, "probs_per_image");
    assert_non_null(p3), assert_non_null(p2);
    for (int i = 0; i < 2; i++) assert_true(tensor_f(p3)[i] == tensor_f(p2)[i]);
    tensor_free(&l3), tensor_free(&l2), rec_free(&r3), rec_free(&r2);

    rec_init(&r3), rec_init(&r2);
    clip_logits(&cm, &img, &t3, &l3, &r3);
    clip_logits(&cm, &img, &t2, &l2, &r2);
    p3 = rec_find(&r3, "probs_per_image"), p2 = rec_find(&r2, "probs_per_image");
    float s3 = 0, s2 = 0;
    for (int i = 0; i < 3; i++) s3 += tensor_f(p3)[i];
    for (int i = 0; i < 2; i++) {
        s2 += tensor_f(p2)[i];
        assert_true(fabsf(tensor_f(&l3)[i] - tensor_f(&l2)[i]) < 1e-5f);
        assert_true(tensor_f(p2)[i] > tensor_f(p3)[i]); /* the removed caption's share moves */
        assert_true(fabsf(tensor_f(p2)[i] - tensor_f(p3)[i] / (tensor_f(p3)[0] + tensor_f(p3)[1])) < 1e-5f);
    }
    assert_true(fabsf(s3 - 1) < 1e-5f && fabsf(s2 - 1) < 1e-5f);
    tensor_free(&l3), tensor_free(&l2), rec_free(&r3), rec_free(&r2);
    tensor_free(&img), tensor_free(&t3), tensor_free(&t2);
    siglip_free(&sm), st_close(&sst), golden_close(&sg);
    clip_free(&cm), st_close(&cst), golden_close(&cg);
}

/* Bad configs and mismatching checkpoints: errors that name the file and the fault. */
static void test_bad_configs(void **state) {
    (void)state;
    ClipVisionConfig vc;
    SiglipTextConfig tc;
    cJSON *j = cJSON_Parse("{\"hidden_size\": 50, \"num_attention_heads\": 4}");
    assert_int_equal(clip_vision_config_parse(j, "x/config.json", &vc), -1);
    assert_non_null(strstr(vlm_error(), "x/config.json"));
    assert_non_null(strstr(vlm_error(), "num_attention_heads"));
    cJSON_Delete(j);
    j = cJSON_Parse("{\"hidden_act\": \"mystery\"}");
    assert_int_equal(siglip_text_config_parse(j, "y/config.json", &tc), -1);
    assert_non_null(strstr(vlm_error(), "mystery"));
    cJSON_Delete(j);
    j = cJSON_Parse("{\"image_size\": 8, \"patch_size\": 16}");
    assert_int_equal(clip_vision_config_parse(j, "z/config.json", &vc), -1);
    cJSON_Delete(j);
    j = cJSON_Parse("[1, 2]");
    assert_int_equal(clip_vision_config_parse(j, "w/config.json", &vc), -1);
    cJSON_Delete(j);

    /* a config that does not match the checkpoint: the key and both shapes are named */
    Golden g;
    assert_int_equal(golden_open(&g, CLIP_DIR, "golden.json"), 0);
    cJSON *cfg = golden_config(&g);
    ClipConfig c;
    assert_int_equal(clip_config_parse(cfg, "config.json", &c), 0);
    c.vision_config.patch_size = 4;
    SafeTensors st;
    Clip m;
    assert_int_equal(st_open_dir(&st, CLIP_DIR), 0);
    assert_int_equal(clip_load(&m, &st, &c), -1);
    assert_non_null(strstr(vlm_error(), "patch_embedding"));
    st_close(&st);
    cJSON_Delete(cfg);
    golden_close(&g);
    /* a CLIP checkpoint is not a SigLIP one */
    assert_int_equal(golden_open(&g, SIGLIP_DIR, "golden.json"), 0);
    cfg = golden_config(&g);
    SiglipConfig sc;
    assert_int_equal(siglip_config_parse(cfg, "config.json", &sc), 0);
    Siglip sm;
    assert_int_equal(st_open_dir(&st, CLIP_DIR), 0);
    assert_int_equal(siglip_load(&sm, &st, &sc), -1);
    st_close(&st);
    cJSON_Delete(cfg);
    golden_close(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_index),
        cmocka_unit_test(test_clip_hidden_states),
        cmocka_unit_test(test_siglip_position_ids),
        cmocka_unit_test(test_softmax_vs_sigmoid),
        cmocka_unit_test(test_bad_configs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

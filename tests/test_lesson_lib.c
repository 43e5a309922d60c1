/* test_lesson_lib — the helpers the lessons share (lib/lesson, clip_open / siglip_open,
 * clip_embed_texts / siglip_embed_texts, image_processor_check,
 * tensor_print_labeled_shape): each does what the lesson code it replaced did.
 * Run from the repository root (reads the tiny models in data/models and data/images). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "clip.h"
#include "image_processor.h"
#include "lesson.h"
#include "siglip.h"
#include "tensor_print.h"
#include "util.h"

#define CLIP_DIR "data/models/clip-tiny"
#define SIGLIP_DIR "data/models/siglip-tiny"

/* ---- stdout capture ------------------------------------------------------ */
static int saved_fd = -1;
static FILE *cap;

static void capture_start(void) {
    fflush(stdout);
    cap = tmpfile();
    assert_non_null(cap);
    saved_fd = dup(1);
    assert_true(saved_fd >= 0);
    assert_true(dup2(fileno(cap), 1) >= 0);
}

/* What was printed since capture_start (malloc'd). */
static char *capture_end(void) {
    fflush(stdout);
    dup2(saved_fd, 1);
    close(saved_fd);
    long n = ftell(cap);
    char *s = xmalloc((size_t)n + 1);
    rewind(cap);
    size_t got = fread(s, 1, (size_t)n, cap);
    s[got] = 0;
    fclose(cap);
    return s;
}

/* ---- clip_open / siglip_open --------------------------------------------- */
static void test_open_checks_model_type(void **state) {
    (void)state;
    Clip clip;
    Siglip siglip;
    SafeTensors st;
    if (clip_open(&clip, &st, CLIP_DIR)) fail_msg("%s", vlm_error());
    assert_true(clip.config.projection_dim > 0);
    assert_non_null(clip.visual_projection.data);
    clip_free(&clip);
    st_close(&st);
    if (siglip_open(&siglip, &st, SIGLIP_DIR)) fail_msg("%s", vlm_error());
    assert_true(siglip.config.vision_config.vision_use_head);
    siglip_free(&siglip);
    st_close(&st);
    /* the other model's folder: refused by config.json's model_type, naming the file */
    assert_int_equal(clip_open(&clip, &st, SIGLIP_DIR), -1);
    assert_non_null(strstr(vlm_error(), SIGLIP_DIR "/config.json"));
    assert_non_null(strstr(vlm_error(), "'siglip'"));
    assert_int_equal(siglip_open(&siglip, &st, CLIP_DIR), -1);
    assert_non_null(strstr(vlm_error(), "'clip'"));
    assert_int_equal(clip_open(&clip, &st, "data/models/no-such-model"), -1);
    assert_non_null(strstr(vlm_error(), "no-such-model/config.json"));
}

/* ---- clip_embed_texts / siglip_embed_texts -------------------------------- */
static const char *texts[] = {"a photo of a cat", "a plane", "sci-fi ship over the sea"};

static void test_clip_embed_texts(void **state) {
    (void)state;
    Clip m;
    SafeTensors st;
    Tokenizer tok;
    if (clip_open(&m, &st, CLIP_DIR) || tokenizer_open(CLIP_DIR, &tok)) fail_msg("%s", vlm_error());
    Tensor ids, features, want_ids, want_mask, want;
    Recorder rec;
    rec_init(&rec);
    if (clip_embed_texts(&m, &tok, texts, 3, &ids, &features, &rec)) fail_msg("%s", vlm_error());
    /* the same as the two steps by hand: padding=True with the mask, then get_text_features */
    assert_int_equal(tokenizer_encode_batch(&tok, texts, 3, 0, &want_ids, &want_mask), 0);
    assert_int_equal(clip_get_text_features(&m, tensor_i(&want_ids), tensor_i(&want_mask), 3,
                                            (int)want_ids.shape[1], &want, NULL), 0);
    assert_int_equal(ids.ndim, 2);
    assert_int_equal(ids.shape[1], want_ids.shape[1]);
    assert_memory_equal(tensor_i(&ids), tensor_i(&want_ids), sizeof(int64_t) * 3 * ids.shape[1]);
    assert_int_equal(features.shape[0], 3);
    assert_int_equal(features.shape[1], m.config.projection_dim);
    assert_memory_equal(tensor_f(&features), tensor_f(&want), sizeof(float) * 3 * features.shape[1]);
    /* the texts differ in length: the shorter ones were padded and masked */
    assert_int_equal(tensor_i(rec_find(&rec, "attention_mask"))[ids.shape[1] * 2 - 1], 0);
    assert_non_null(rec_find(&rec, "input_ids"));
    assert_non_null(rec_find(&rec, "text_features"));
    tensor_free(&ids), tensor_free(&features), tensor_free(&want_ids), tensor_free(&want_mask);
    tensor_free(&want);
    rec_free(&rec);
    tokenizer_close(&tok);
    clip_free(&m);
    st_close(&st);
}

static void test_siglip_embed_texts(void **state) {
    (void)state;
    Siglip m;
    SafeTensors st;
    Tokenizer tok;
    if (siglip_open(&m, &st, SIGLIP_DIR) || tokenizer_open(SIGLIP_DIR, &tok))
        fail_msg("%s", vlm_error());
    Tensor ids, features, want_ids, want_mask, want;
    Recorder rec;
    rec_init(&rec);
    if (siglip_embed_texts(&m, &tok, texts, 3, 16, &ids, &features, &rec)) fail_msg("%s", vlm_error());
    assert_int_equal(ids.shape[0], 3);
    assert_int_equal(ids.shape[1], 16); /* padding="max_length" */
    assert_int_equal(tensor_i(&ids)[15], tok.pad_id);
    /* HF's processor gives the model no attention_mask: the pads are read */
    assert_int_equal(tokenizer_encode_batch(&tok, texts, 3, 16, &want_ids, &want_mask), 0);
    assert_int_equal(siglip_get_text_features(&m, tensor_i(&want_ids), NULL, 3, 16, &want, NULL), 0);
    assert_memory_equal(tensor_i(&ids), tensor_i(&want_ids), sizeof(int64_t) * 3 * 16);
    assert_memory_equal(tensor_f(&features), tensor_f(&want), sizeof(float) * 3 * features.shape[1]);
    assert_non_null(rec_find(&rec, "input_ids"));
    assert_null(rec_find(&rec, "attention_mask"));
    tensor_free(&ids), tensor_free(&features), tensor_free(&want_ids), tensor_free(&want_mask);
    tensor_free(&want);
    rec_free(&rec);
    tokenizer_close(&tok);
    siglip_free(&m);
    st_close(&st);
}

/* ---- image_processor_check, lesson_image ------------------------------------ */
static void test_image_processor_check(void **state) {
    (void)state;
    Tensor four = tensor_f32(4, 1, 3, 8, 6), five = tensor_f32(5, 1, 2, 3, 8, 6);
    assert_int_equal(image_processor_check(&four, 3, 8, 6, "dir"), 0);
    assert_int_equal(image_processor_check(&five, 3, 8, 6, "dir"), 0);
    assert_int_equal(image_processor_check(&four, 3, 6, 8, "some/model"), -1); /* H, W swapped */
    assert_non_null(strstr(vlm_error(), "some/model: preprocessor_config.json"));
    assert_non_null(strstr(vlm_error(), "[1, 3, 8, 6]"));
    assert_int_equal(image_processor_check(&four, 1, 8, 6, "dir"), -1);
    Tensor three = tensor_f32(3, 3, 8, 6);
    assert_int_equal(image_processor_check(&three, 3, 8, 6, "dir"), -1);
    tensor_free(&four), tensor_free(&five), tensor_free(&three);
}

static void test_lesson_image(void **state) {
    (void)state;
    LessonArgs a = {0};
    Image img;
    char *path;
    a.image = "data/images/chelsea_256x170.png";
    if (lesson_image(&a, &img, &path)) fail_msg("%s", vlm_error());
    assert_string_equal(path, a.image);
    assert_int_equal(img.width, 256);
    assert_int_equal(img.height, 170);
    image_free(&img), free(path);
    a.image = NULL; /* the built-in photo, found from the executable's folder */
    if (lesson_image(&a, &img, &path)) fail_msg("%s", vlm_error());
    assert_non_null(strstr(path, "data/images/chelsea_256x170.png"));
    image_free(&img), free(path);
    a.image = "data/images/no_such_photo.png";
    assert_int_equal(lesson_image(&a, &img, &path), -1);
    assert_null(path);
    assert_non_null(strstr(vlm_error(), "no_such_photo.png"));
}

/* ---- printing ----------------------------------------------------------------- */
static void check_py_str(const char *s, const char *want) {
    capture_start();
    lesson_print_py_str(s);
    char *got = capture_end();
    assert_string_equal(got, want);
    free(got);
}

static void test_print_py_str(void **state) { /* Python 3: print(repr(s)) */
    (void)state;
    check_py_str("Ġdog", "'Ġdog'");
    check_py_str("it's", "\"it's\"");
    check_py_str("'", "\"'\"");
    check_py_str("a'b\"c", "'a\\'b\"c'");
    check_py_str("\\", "'\\\\'");
    check_py_str("\n\t\r\x01\x7f", "'\\n\\t\\r\\x01\\x7f'");
    check_py_str("", "''");
}

static void test_labeled_shape(void **state) {
    (void)state;
    Tensor t = tensor_f32(3, 1, 5, 576);
    capture_start();
    tensor_print_labeled_shape("embeddings: ", &t);
    char *got = capture_end();
    assert_string_equal(got, "embeddings: torch.Size([1, 5, 576])\n");
    free(got);
    tensor_free(&t);
}

static void test_lap(void **state) {
    (void)state;
    LessonArgs a = {0};
    char *argv[] = {"lesson", "--time", NULL};
    lesson_args(2, argv, "test", &a);
    assert_int_equal(a.time, 1);
    capture_start();
    lesson_lap(&a, "load model");
    a.time = 0;
    lesson_lap(&a, "silent");
    char *got = capture_end();
    assert_non_null(strstr(got, "[time] load model"));
    assert_non_null(strstr(got, " ms\n"));
    assert_null(strstr(got, "silent"));
    free(got);
}

/* The streamed text is tokenizer.decode(all ids) once lesson_stream_end ran, also when
 * the ids stop inside a character (every prefix of byte-level ids of multibyte text). */
static void test_stream(void **state) {
    (void)state;
    Tokenizer tok;
    if (tokenizer_open("data/models/smollm2-tiny", &tok)) fail_msg("%s", vlm_error());
    const char *texts2[] = {"The dog jumped", "日本語 🐱 über"};
    int cut = 0; /* prefixes whose decode ends in U+FFFD: the case held back */
    for (int k = 0; k < 2; k++) {
        IdList ids = {0};
        assert_int_equal(tokenizer_encode(&tok, texts2[k], &ids), 0);
        for (int n = 1; n <= ids.n; n++) {
            LessonStream s = {&tok, {0}, 0};
            capture_start();
            for (int i = 0; i < n; i++) lesson_stream_token(ids.ids[i], &s);
            lesson_stream_end(&s);
            char *got = capture_end();
            char *want = tokenizer_decode(&tok, ids.ids, n, 1);
            assert_string_equal(got, want);
            cut += strlen(want) >= 3 && strcmp(want + strlen(want) - 3, "\xef\xbf\xbd") == 0;
            free(got), free(want);
            lesson_stream_free(&s);
        }
        ids_free(&ids);
    }
    assert_true(cut > 0);
    tokenizer_close(&tok);
}

static void test_plot_attention(void **state) {
    (void)state;
    char dir[] = "/tmp/vlm_test_lesson_XXXXXX";
    assert_non_null(mkdtemp(dir));
    Recorder rec;
    rec_init(&rec);
    Tensor ap = tensor_f32(4, 1, 2, 3, 3);
    for (int i = 0; i < 18; i++) tensor_f(&ap)[i] = (i % 3) / 3.0f;
    rec_tensor(&rec, &ap, "layer.1.attn_probs");
    capture_start();
    int rc = lesson_plot_attention(dir, "att.png", &rec, 1);
    char *got = capture_end();
    if (rc) fail_msg("%s", vlm_error());
    assert_non_null(strstr(got, "att.png: last layer, mean of 2 heads"));
    char *png = path_join(dir, "att.png");
    assert_true(file_exists(png));
    unlink(png);
    free(png), free(got);
    assert_int_equal(lesson_plot_attention(dir, "att.png", &rec, 0), -1); /* nothing recorded */
    assert_non_null(strstr(vlm_error(), "layer.0.attn_probs"));
    rmdir(dir);
    tensor_free(&ap);
    rec_free(&rec);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_checks_model_type),
        cmocka_unit_test(test_clip_embed_texts),
        cmocka_unit_test(test_siglip_embed_texts),
        cmocka_unit_test(test_image_processor_check),
        cmocka_unit_test(test_lesson_image),
        cmocka_unit_test(test_print_py_str),
        cmocka_unit_test(test_labeled_shape),
        cmocka_unit_test(test_lap),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_plot_attention),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Lesson 5 — two dual encoders: CLIP scores with a softmax, SigLIP with a sigmoid.
 *
 * Both models embed an image and some texts into one space and compare them with
 * the cosine similarity.  CLIP (openai/clip-vit-large-patch14) turns the
 * similarities of one image with all texts into a softmax: the probabilities
 * compete and sum to 1.  SigLIP (google/siglip-so400m-patch14-384) scores every
 * (image, text) pair on its own with a sigmoid: each score is an independent yes/no.
 *
 *   build/lessons/05_clip_vs_siglip [--clip DIR] [--siglip DIR] [--image FILE] [--dump F] [--time]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clip.h"
#include "image.h"
#include "image_processor.h"
#include "lesson.h"
#include "plot.h"
#include "siglip.h"
#include "tensor_print.h"
#include "tokenizer.h"
#include "util.h"

/* The photo is Chelsea the cat: one caption fits, one does not. */
static const char *clip_captions[] = {"a photo of a cat", "a photo of a plane"};
/* The notebook's SigLIP captions; the side-by-side cell scores these with both models. */
static const char *siglip_captions[] = {"an alien ship", "a cat", "sci-fi ship"};
#define N_CLIP 2
#define N_SIGLIP 3
#define SIGLIP_MAX_LENGTH 64 /* the SigLIP processor: padding="max_length" */

static const char *prog = "05_clip_vs_siglip"; /* argv[0], for error messages */
/* |x|: the length of a feature vector */
static float l2_norm(const float *x, int n) {
    float s = 0;
    for (int i = 0; i < n; i++) s += x[i] * x[i];
    return sqrtf(s);
}

/* ------------------------------------------------------------------------- */
static void clip_part(const Clip *m, const Tokenizer *tok, const char *dir, const Image *img,
                      LessonArgs *a, Recorder *rec, Tensor *image_features) {
    const ClipConfig *c = &m->config;
    const ClipVisionConfig *vc = &c->vision_config;
    Tensor pixel_values, ids, text_features, logits;
    ImageProcessor proc;
    lesson_cell("CLIP: inputs");
    if (image_processor_open(dir, &proc) || image_processor_run(&proc, img, &pixel_values, NULL) ||
        image_processor_check(&pixel_values, vc->num_channels, vc->image_size, vc->image_size, dir) ||
        clip_embed_texts(m, tok, clip_captions, N_CLIP, &ids, &text_features, rec))
        vlm_die(prog);
    printf("captions: \"%s\", \"%s\"\n", clip_captions[0], clip_captions[1]);
    tensor_print_labeled_shape("input_ids: ", &ids);
    tensor_print(&ids);
    tensor_print_labeled_shape("pixel_values: ", &pixel_values);
    rec_tensor(rec, &pixel_values, "pixel_values");

    lesson_cell("CLIP: logits_per_image and softmax probabilities");
    /* the vision tower runs once: image_features = visual_projection(pooler_output),
     * exactly get_image_features; last_hidden_state is shown further down */
    ClipVisionOutput vo;
    if (clip_vision_forward(&m->vision, tensor_f(&pixel_values), 1, -1, 0, &vo, rec, "vision."))
        vlm_die(prog);
    *image_features = tensor_f32(2, 1, c->projection_dim);
    linear(tensor_f(image_features), tensor_f(&vo.pooler_output), tensor_f(&m->visual_projection),
           NULL, 1, vc->hidden_size, c->projection_dim);
    rec_tensor(rec, image_features, "image_features");
    lesson_lap(a, "CLIP image + text towers");
    clip_logits(m, image_features, &text_features, &logits, rec);
    Tensor probs = tensor_clone(&logits);
    softmax(tensor_f(&probs), 1, N_CLIP);
    printf("logits_per_image: ");
    tensor_print(&logits);
    printf("probs = logits_per_image.softmax(dim=1): ");
    tensor_print(&probs);
    for (int t = 0; t < N_CLIP; t++)
        printf("  %5.1f%%  \"%s\"\n", 100 * tensor_f(&probs)[t], clip_captions[t]);

    lesson_cell("CLIP: features computed separately (get_image_features / get_text_features)");
    tensor_print_labeled_shape("image_features: ", image_features);
    tensor_print_labeled_shape("text_features:  ", &text_features);
    /* the notebook's pitfall: the dot product of the raw features */
    int D = c->projection_dim;
    Tensor raw = tensor_f32(2, 1, N_CLIP), cos = tensor_f32(2, 1, N_CLIP);
    linear(tensor_f(&raw), tensor_f(image_features), tensor_f(&text_features), NULL, 1, D, N_CLIP);
    printf("image_features @ text_features.T (no normalisation): ");
    tensor_print(&raw);
    Tensor img_n = tensor_clone(image_features), txt_n = tensor_clone(&text_features);
    l2_normalize(tensor_f(&img_n), 1, D);
    l2_normalize(tensor_f(&txt_n), N_CLIP, D);
    linear(tensor_f(&cos), tensor_f(&img_n), tensor_f(&txt_n), NULL, 1, D, N_CLIP);
    printf("cosine similarity (after L2 normalisation):        ");
    tensor_print(&cos);
    printf("|image_features| = %.4f, |text_features| =", l2_norm(tensor_f(image_features), D));
    for (int t = 0; t < N_CLIP; t++) printf(" %.4f", l2_norm(tensor_f(&text_features) + (size_t)t * D, D));
    printf("   (raw = |image| * |text| * cosine)\n");
    float temp = expf(m->logit_scale);
    printf("logit_scale = %.4f, logit_scale.exp() = %.4f\n", m->logit_scale, temp);
    printf("cosine * logit_scale.exp() == logits_per_image:     ");
    scale(tensor_f(&cos), temp, N_CLIP);
    tensor_print(&cos);
    softmax(tensor_f(&raw), 1, N_CLIP);
    printf("softmax of the raw dot products (not CLIP's answer): ");
    tensor_print(&raw);
    printf("The raw dot product mixes the lengths of the two vectors into the score: its size\n"
           "says how long the features are, not how well they match.  CLIP normalises both\n"
           "(cosine in [-1, 1]) and multiplies by exp(logit_scale), a learned inverse\n"
           "\"temperature\" (capped at 100 in training): a cosine gap of 0.01 becomes a logit\n"
           "gap of %.2f, which is what lets the softmax be confident.\n", 0.01f * temp);

    lesson_cell("CLIP vision tower: last_hidden_state");
    int g = vc->image_size / vc->patch_size;
    tensor_print_labeled_shape("vision_model(pixel_values).last_hidden_state.shape: ",
                               &vo.last_hidden_state);
    printf("= %d x %d = %d patches of %d x %d pixels + 1 CLS token; pooler_output = "
           "post_layernorm(CLS): ", g, g, g * g, vc->patch_size, vc->patch_size);
    tensor_print_shape(&vo.pooler_output);

    clip_vision_output_free(&vo);
    tensor_free(&pixel_values), tensor_free(&ids), tensor_free(&text_features);
    tensor_free(&logits), tensor_free(&probs), tensor_free(&raw), tensor_free(&cos);
    tensor_free(&img_n), tensor_free(&txt_n);
}

/* ------------------------------------------------------------------------- */
static void siglip_part(const Siglip *m, const Tokenizer *tok, const char *dir, const Image *img,
                        LessonArgs *a, Recorder *rec, Tensor *image_features, Tensor *text_features) {
    const SiglipVisionConfig *vc = &m->config.vision_config;
    Tensor pixel_values, ids, logits;
    ImageProcessor proc;
    lesson_cell("SigLIP: inputs (padding=\"max_length\")");
    if (image_processor_open(dir, &proc) || image_processor_run(&proc, img, &pixel_values, NULL) ||
        image_processor_check(&pixel_values, vc->num_channels, vc->image_size, vc->image_size, dir) ||
        siglip_embed_texts(m, tok, siglip_captions, N_SIGLIP, SIGLIP_MAX_LENGTH, &ids, text_features, rec))
        vlm_die(prog);
    tensor_print_labeled_shape("input_ids: ", &ids);
    tensor_print_labeled_shape("pixel_values: ", &pixel_values);
    printf("(every text is padded to %d ids; the model gets no attention_mask and reads the pads)\n",
           SIGLIP_MAX_LENGTH);
    rec_tensor(rec, &pixel_values, "pixel_values");

    lesson_cell("SigLIP: one sigmoid per (image, text) pair");
    /* the vision tower runs once: image_features = pooler_output (SigLIP has no projection) */
    SiglipVisionOutput vo;
    if (siglip_vision_forward(&m->vision, tensor_f(&pixel_values), 1, vc->image_size,
                              vc->image_size, NULL, NULL, -1, 0, &vo, rec, "vision."))
        vlm_die(prog);
    *image_features = tensor_clone(&vo.pooler_output);
    rec_tensor(rec, image_features, "image_features");
    lesson_lap(a, "SigLIP image + text towers");
    siglip_logits(m, image_features, text_features, &logits, rec);
    printf("logits_per_image = cos * exp(logit_scale) + logit_bias  (%.4f, %.4f): ",
           expf(m->logit_scale), m->logit_bias);
    tensor_print(&logits);
    float sum = 0;
    for (int t = 0; t < N_SIGLIP; t++) {
        float p = sigmoid(tensor_f(&logits)[t]);
        sum += p;
        printf("%.1f%% confidence score for '%s'\n", 100 * p, siglip_captions[t]);
    }
    printf("sum = %.1f%%: the scores do not add up to 1, each is its own yes/no\n", 100 * sum);

    lesson_cell("SigLIP vision tower: is there a CLS token?  What is pooler_output?");
    int g = vc->image_size / vc->patch_size;
    tensor_print_labeled_shape("last_hidden_state: ", &vo.last_hidden_state);
    tensor_print_labeled_shape("pooler_output:     ", &vo.pooler_output);
    int dropped = vc->image_size - g * vc->patch_size;
    printf("No CLS token: %d / %d = %d patches per side, %d x %d = %d patch states, nothing else",
           vc->image_size, vc->patch_size, g, g, g, g * g);
    if (dropped) printf("\n(the conv drops the last %d pixels of each side)", dropped);
    printf(".\n");
    printf("pooler_output is not a token: a learned probe vector (head.probe) is the one query of\n"
           "a %d-head attention over all %d patch states (nn.MultiheadAttention), followed by\n"
           "a LayerNorm + MLP with a residual: attention pooling.\n", vc->num_attention_heads, g * g);

    siglip_vision_output_free(&vo);
    tensor_free(&pixel_values), tensor_free(&ids), tensor_free(&logits);
}

/* ------------------------------------------------------------------------- */
/* Score the captions in keep[] (indices into siglip_captions) with both models. */
static void score_both(const Clip *clip, const Siglip *siglip, const Tensor *clip_img,
                       const Tensor *clip_txt, const Tensor *sig_img, const Tensor *sig_txt,
                       const int *keep, int n, float *clip_p, float *sig_p) {
    int Dc = (int)clip_txt->shape[1], Ds = (int)sig_txt->shape[1];
    int64_t sc[2] = {n, Dc}, ss[2] = {n, Ds};
    Tensor ct = tensor_new(DT_F32, 2, sc), stx = tensor_new(DT_F32, 2, ss), cl, sl;
    for (int i = 0; i < n; i++) { /* each text's features do not depend on the others */
        memcpy(tensor_f(&ct) + (size_t)i * Dc, tensor_f(clip_txt) + (size_t)keep[i] * Dc, sizeof(float) * Dc);
        memcpy(tensor_f(&stx) + (size_t)i * Ds, tensor_f(sig_txt) + (size_t)keep[i] * Ds, sizeof(float) * Ds);
    }
    clip_logits(clip, clip_img, &ct, &cl, NULL);
    siglip_logits(siglip, sig_img, &stx, &sl, NULL);
    softmax(tensor_f(&cl), 1, n);
    for (int i = 0; i < n; i++) {
        clip_p[i] = tensor_f(&cl)[i];
        sig_p[i] = sigmoid(tensor_f(&sl)[i]);
    }
    tensor_free(&ct), tensor_free(&stx), tensor_free(&cl), tensor_free(&sl);
}

static void side_by_side(const Clip *clip, const Tokenizer *clip_tok, const Siglip *siglip,
                         const Tensor *clip_img, const Tensor *sig_img, const Tensor *sig_txt,
                         LessonArgs *a) {
    lesson_cell("Side by side: softmax (CLIP) vs sigmoid (SigLIP), same image, same captions");
    Tensor ids, clip_txt;
    if (clip_embed_texts(clip, clip_tok, siglip_captions, N_SIGLIP, &ids, &clip_txt, NULL))
        vlm_die(prog);
    int all[N_SIGLIP] = {0, 1, 2}, rest[N_SIGLIP - 1];
    float c_all[N_SIGLIP], s_all[N_SIGLIP], c_rest[N_SIGLIP - 1], s_rest[N_SIGLIP - 1];
    score_both(clip, siglip, clip_img, &clip_txt, sig_img, sig_txt, all, N_SIGLIP, c_all, s_all);
    /* then remove the caption CLIP likes best: where does its probability go? */
    int drop = argmax(c_all, N_SIGLIP), n = 0;
    for (int t = 0; t < N_SIGLIP; t++)
        if (t != drop) rest[n++] = t;
    score_both(clip, siglip, clip_img, &clip_txt, sig_img, sig_txt, rest, n, c_rest, s_rest);
    printf("%-14s | %-29s | %s\n", "", "CLIP softmax", "SigLIP sigmoid");
    printf("%-14s | %14s %14s | %14s %14s\n", "caption", "all 3", "without best", "all 3",
           "without best");
    float sum[4] = {0};
    for (int t = 0, k = 0; t < N_SIGLIP; t++) {
        char w[2][16] = {"-", "-"};
        if (t != drop) {
            snprintf(w[0], sizeof w[0], "%.1f%%", 100 * c_rest[k]);
            snprintf(w[1], sizeof w[1], "%.1f%%", 100 * s_rest[k]);
            sum[1] += c_rest[k], sum[3] += s_rest[k];
            k++;
        }
        sum[0] += c_all[t], sum[2] += s_all[t];
        printf("%-14s | %13.1f%% %14s | %13.1f%% %14s\n", siglip_captions[t], 100 * c_all[t], w[0],
               100 * s_all[t], w[1]);
    }
    printf("%-14s | %13.1f%% %13.1f%% | %13.1f%% %13.1f%%\n", "sum", 100 * sum[0], 100 * sum[1],
           100 * sum[2], 100 * sum[3]);
    printf("Removing '%s': CLIP's softmax hands its share to the captions that are left\n"
           "(they always sum to 100%%, even when none fits the image); SigLIP's sigmoid scores do\n"
           "not move, because each pair is scored alone.  Softmax answers \"which of these\n"
           "captions?\", sigmoid answers \"does this caption fit?\".\n", siglip_captions[drop]);

    /* ---- --plot DIR: the two columns of the table as bars, with and without the best caption ---- */
    if (a->plot_dir) {
        float cp[N_SIGLIP], sp[N_SIGLIP];
        const char *rest_captions[N_SIGLIP - 1];
        for (int t = 0; t < N_SIGLIP; t++) cp[t] = 100 * c_all[t], sp[t] = 100 * s_all[t];
        if (plot_bars(a->plot_dir, "softmax_vs_sigmoid", "same image, same captions: scores in %",
                      siglip_captions, cp, "CLIP softmax", sp, "SigLIP sigmoid", N_SIGLIP))
            vlm_die(prog);
        for (int t = 0; t < n; t++) {
            rest_captions[t] = siglip_captions[rest[t]];
            cp[t] = 100 * c_rest[t], sp[t] = 100 * s_rest[t];
        }
        char *title = xasprintf("without '%s': softmax redistributes, sigmoid stays (%%)", siglip_captions[drop]);
        if (plot_bars(a->plot_dir, "softmax_vs_sigmoid_without_best", title, rest_captions, cp,
                      "CLIP softmax", sp, "SigLIP sigmoid", n))
            vlm_die(prog);
        free(title);
    }
    /* ---- end --plot ---- */
    lesson_lap(a, "side by side");
    tensor_free(&ids), tensor_free(&clip_txt);
}

/* Copy every tensor of src into dst under "<prefix><name>". */
static void merge_into(Recorder *dst, const Recorder *src, const char *prefix) {
    for (int i = 0; i < src->n; i++) rec_tensor(dst, &src->tensors[i], "%s%s", prefix, src->names[i]);
}

int main(int argc, char **argv) {
    LessonArgs a;
    prog = argv[0];
    lesson_args(argc, argv, "Lesson 5: CLIP (softmax over texts) vs SigLIP (sigmoid per pair)", &a);
    int clip_builtin, siglip_builtin;
    char *clip_dir = lesson_model(a.clip, "clip-vit-large-patch14", "clip-tiny", &clip_builtin);
    char *siglip_dir = lesson_model(a.siglip, "siglip-so400m-patch14-384", "siglip-tiny", &siglip_builtin);
    Recorder crec, srec, *cr = a.dump ? &crec : NULL, *sr = a.dump ? &srec : NULL;
    rec_init(&crec);
    rec_init(&srec);

    Image img;
    char *image_path;
    if (lesson_image(&a, &img, &image_path)) vlm_die(prog);
    printf("Image: %s (%d x %d)\n", lesson_display_path(image_path), img.width, img.height);
    if (clip_builtin || siglip_builtin)
        printf("(random weights: the percentages below show the mechanics, not real judgements)\n");
    Clip clip;
    Siglip siglip;
    SafeTensors clip_st, siglip_st;
    Tokenizer clip_tok, siglip_tok;
    Tensor clip_img, sig_img, sig_txt;
    if (clip_open(&clip, &clip_st, clip_dir) || tokenizer_open(clip_dir, &clip_tok)) vlm_die(prog);
    lesson_lap(&a, "load CLIP");
    clip_part(&clip, &clip_tok, clip_dir, &img, &a, cr, &clip_img);
    if (siglip_open(&siglip, &siglip_st, siglip_dir) || tokenizer_open(siglip_dir, &siglip_tok))
        vlm_die(prog);
    lesson_lap(&a, "load SigLIP");
    siglip_part(&siglip, &siglip_tok, siglip_dir, &img, &a, sr, &sig_img, &sig_txt);
    side_by_side(&clip, &clip_tok, &siglip, &clip_img, &sig_img, &sig_txt, &a);

    if (a.dump) {
        Recorder all;
        rec_init(&all);
        merge_into(&all, &crec, "clip.");
        merge_into(&all, &srec, "siglip.");
        if (rec_write(&all, a.dump)) vlm_die(prog);
        printf("Wrote %s (%d tensors: golden names under clip. and siglip.)\n", a.dump, all.n);
        rec_free(&all);
    }
    tensor_free(&clip_img), tensor_free(&sig_img), tensor_free(&sig_txt);
    tokenizer_close(&clip_tok), tokenizer_close(&siglip_tok);
    clip_free(&clip), siglip_free(&siglip);
    st_close(&clip_st), st_close(&siglip_st);
    image_free(&img);
    rec_free(&crec), rec_free(&srec);
    free(clip_dir), free(siglip_dir), free(image_path);
    return 0;
}

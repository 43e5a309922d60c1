/* Lesson 4 — an image becomes a sequence of patch vectors: the Vision Transformer.
 *
 * google/vit-base-patch16-224-in21k resizes a photo to 224 x 224, cuts it into
 * 14 x 14 = 196 patches of 16 x 16 x 3 = 768 numbers, projects each patch
 * (a Conv2d with stride = kernel IS a linear layer on flattened patches),
 * prepends [CLS] and adds position embeddings: 197 tokens of 768, exactly like
 * the token embeddings of a text model.  Then the encoder of lesson 3 runs.
 *
 *   build/lessons/04_vit_patches [--model DIR] [--image FILE] [--plot DIR] [--dump F] [--time]
 * Writes vit_patches.png (the image cut into its tokens) to the current folder,
 * or into --plot DIR together with vit_position_similarity.png.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "image_processor.h"
#include "lesson.h"
#include "plot.h"
#include "tensor_print.h"
#include "util.h"
#include "vit.h"

/* The resized image, scaled up (nearest) so a patch is easy to see, with white
 * lines between the patches: every cell is one token of the sequence. */
static int write_patch_grid(const char *path, const Image *img, int p) {
    int scale = 1;
    while ((img->width > img->height ? img->width : img->height) * scale < 448) scale++;
    int line = scale >= 4 ? 2 : 1;
    Image out;
    if (image_new(img->width * scale, img->height * scale, &out)) return -1;
    for (int y = 0; y < out.height; y++)
        for (int x = 0; x < out.width; x++) {
            uint8_t *o = out.rgb + ((size_t)y * out.width + x) * 3;
            int on_line = (y % (p * scale)) < line || (x % (p * scale)) < line ||
                          y >= out.height - line || x >= out.width - line;
            const uint8_t *s = img->rgb + ((size_t)(y / scale) * img->width + x / scale) * 3;
            for (int c = 0; c < 3; c++) o[c] = on_line ? 255 : s[c];
        }
    int rc = image_write_png(path, &out);
    image_free(&out);
    return rc;
}

/* A short viridis-like colour ramp for values in [-1, 1]. */
static void colour(float v, uint8_t rgb[3]) {
    static const float stops[5][3] = {
        {68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
    float t = (v + 1) * 0.5f * 4;
    if (!(t > 0)) t = 0;
    if (t > 4) t = 4;
    int i = t >= 4 ? 3 : (int)t;
    float f = t - i;
    for (int c = 0; c < 3; c++) rgb[c] = (uint8_t)lrintf(stops[i][c] + f * (stops[i + 1][c] - stops[i][c]));
}

/* The ViT paper's figure: for every patch position (r, c), a small gh x gw tile
 * of the cosine similarity of its position embedding with all the others. */
static int write_position_similarity(const char *path, const ViT *m) {
    const ViTConfig *c = &m->config;
    int gh = vit_grid_h(c), gw = vit_grid_w(c), N = gh * gw, H = c->hidden_size;
    const float *pos = tensor_f(&m->position_embeddings) + H; /* skip the [CLS] row */
    float *unit = xmalloc(sizeof(float) * (size_t)N * H);
    memcpy(unit, pos, sizeof(float) * (size_t)N * H);
    l2_normalize(unit, N, H);
    int big = gh > gw ? gh : gw, cell = 600 / (big * big); /* pixels per value: ~600 px in all */
    if (cell < 1) cell = 1;
    int gap = 2, tw = gw * cell + gap, th = gh * cell + gap;
    Image out;
    if (image_new(gw * tw + gap, gh * th + gap, &out)) {
        free(unit);
        return -1;
    }
    memset(out.rgb, 255, (size_t)out.width * out.height * 3);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            float s = 0;
            for (int k = 0; k < H; k++) s += unit[(size_t)i * H + k] * unit[(size_t)j * H + k];
            uint8_t rgb[3];
            colour(s, rgb);
            int x0 = gap + (i % gw) * tw + (j % gw) * cell, y0 = gap + (i / gw) * th + (j / gw) * cell;
            for (int y = 0; y < cell; y++)
                for (int x = 0; x < cell; x++)
                    memcpy(out.rgb + ((size_t)(y0 + y) * out.width + x0 + x) * 3, rgb, 3);
        }
    int rc = image_write_png(path, &out);
    image_free(&out);
    free(unit);
    return rc;
}

int main(int argc, char **argv) {
    LessonArgs a;
    lesson_args(argc, argv, "Lesson 4: an image as a sequence of patch embeddings (ViT)", &a);
    if (a.plot_dir && plot_dir(a.plot_dir)) vlm_die(argv[0]);
    int builtin;
    char *dir = lesson_model(a.model, "vit-base-patch16-224-in21k", "vit-tiny", &builtin);
    Recorder rec, *r = a.dump ? &rec : NULL;
    rec_init(&rec);

    ViT m;
    SafeTensors st;
    ImageProcessor proc;
    if (vit_open(&m, &st, dir) || image_processor_open(dir, &proc)) vlm_die(argv[0]);
    const ViTConfig *c = &m.config;
    int p = c->patch_size, C = c->num_channels, H = c->hidden_size;
    int N = vit_num_patches(c), L = N + 1, K = C * p * p;
    lesson_lap(&a, "load model");

    lesson_cell("The image and the processor");
    Image img;
    char *image_path;
    if (lesson_image(&a, &img, &image_path)) vlm_die(argv[0]);
    printf("Image: %s (%d x %d)\n", lesson_display_path(image_path), img.width, img.height);
    image_processor_print(&proc);
    Tensor pixel_values;
    if (image_processor_run(&proc, &img, &pixel_values, r) ||
        image_processor_check(&pixel_values, C, c->image_h, c->image_w, dir))
        vlm_die(argv[0]);
    tensor_print_labeled_shape("pixel_values: ", &pixel_values);
    lesson_lap(&a, "load + preprocess image");

    lesson_cell("Patches: a Conv2d with stride = kernel is a linear layer");
    Tensor patches = tensor_f32(3, 1, N, K), patch_embeds = tensor_f32(3, 1, N, H);
    vit_patches(&m, tensor_f(&pixel_values), 1, tensor_f(&patches));
    printf("%d x %d grid of %d x %d patches, each %d x %d x %d = %d numbers\n", vit_grid_h(c),
           vit_grid_w(c), p, p, C, p, p, K);
    tensor_print_labeled_shape("patches: ", &patches);
    vit_patch_embed(&m, tensor_f(&patches), 1, tensor_f(&patch_embeds));
    tensor_print_labeled_shape("patch embeddings: ", &patch_embeds);
    rec_tensor(r, &patches, "patches");
    rec_tensor(r, &patch_embeds, "patch_embeds");

    lesson_cell("Prepend [CLS], add position embeddings");
    Tensor manual = tensor_f32(3, 1, L, H);
    vit_embeddings(&m, tensor_f(&patch_embeds), 1, tensor_f(&manual));
    tensor_print_labeled_shape("embeddings (CLS + positions): ", &manual);
    rec_tensor(r, &manual, "embeddings");
    lesson_lap(&a, "patch embedding");

    lesson_cell("Encoder by hand: embeddings -> layers -> layernorm");
    for (int i = 0; i < c->num_hidden_layers; i++) vit_layer(&m, i, tensor_f(&manual), 1, r, "");
    vit_final_layernorm(&m, tensor_f(&manual), 1);
    lesson_lap(&a, "encoder (by hand)");
    Tensor last = tensor_f32(3, 1, L, H), pooled = tensor_f32(2, 1, H);
    if (vit_forward(&m, tensor_f(&pixel_values), 1, C, c->image_h, c->image_w, tensor_f(&last),
                    tensor_f(&pooled), NULL, ""))
        vlm_die(argv[0]);
    lesson_lap(&a, "full forward");
    double diff = 0;
    for (int64_t i = 0; i < (int64_t)L * H; i++)
        diff = fmax(diff, fabs((double)tensor_f(&manual)[i] - tensor_f(&last)[i]));
    printf("max |manual - model(pixel_values).last_hidden_state| = %g  (%s)\n", diff,
           diff == 0 ? "identical" : "differs!");

    lesson_cell("Outputs");
    tensor_print_labeled_shape("last_hidden_state: ", &last);
    tensor_print(&last);
    Tensor cls = tensor_select(&last, 1, 0); /* last_hidden_state[:, 0], a view [1, H] */
    tensor_print_labeled_shape("CLS vector (last_hidden_state[:, 0]): ", &cls);
    tensor_print(&cls);
    rec_tensor(r, &last, "last_hidden_state");
    if (m.has_pooler) {
        tensor_print_labeled_shape("pooler_output = tanh(pooler.dense(CLS)): ", &pooled);
        rec_tensor(r, &pooled, "pooler_output");
    }

    lesson_cell("Pictures");
    Image *frames = NULL;
    int nframes = 0;
    if (image_processor_frames(&proc, &img, &frames, &nframes, NULL, NULL)) vlm_die(argv[0]);
    char *grid_png = a.plot_dir ? path_join(a.plot_dir, "vit_patches.png") : xstrdup("vit_patches.png");
    if (nframes < 1 || write_patch_grid(grid_png, &frames[0], p)) vlm_die(argv[0]);
    printf("Wrote %s: the %d x %d image the model sees, cut into its %d patch tokens\n", grid_png,
           frames[0].width, frames[0].height, N);
    if (a.plot_dir) {
        char *sim_png = path_join(a.plot_dir, "vit_position_similarity.png");
        if (write_position_similarity(sim_png, &m)) vlm_die(argv[0]);
        printf("Wrote %s: cosine similarity of each patch position's embedding with all others\n",
               sim_png);
        if (builtin) printf("       (random weights: no structure yet; a trained ViT shows rows and columns)\n");
        free(sim_png);
    }
    lesson_lap(&a, "pictures");

    if (a.dump) {
        if (rec_write(&rec, a.dump)) vlm_die(argv[0]);
        printf("Wrote %s (%d tensors, golden names)\n", a.dump, rec.n);
    }
    for (int i = 0; i < nframes; i++) image_free(&frames[i]);
    free(frames), free(grid_png);
    tensor_free(&patches), tensor_free(&patch_embeds), tensor_free(&manual);
    tensor_free(&last), tensor_free(&pooled);
    tensor_free(&pixel_values);
    image_free(&img);
    rec_free(&rec);
    vit_free(&m);
    st_close(&st);
    free(dir), free(image_path);
    return 0;
}

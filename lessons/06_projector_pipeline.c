/* Lesson 6 — the whole projector-to-LLM pipeline: an image question answered in C.
 *
 * HuggingFaceTB/SmolVLM-256M-Instruct is built from the parts of the earlier lessons:
 *   image processor (LANCZOS) -> pixel_values            [1, frames, 3, 512, 512]
 *   SigLIP vision tower (lessons 4-5) -> patch states     [1, 1024, 768]
 *   pixel shuffle: every 4 x 4 block of patches -> 1 token [1, 64, 12288]
 *   projector (one Linear)                                [1, 64, 576]
 *   the prompt, with one <image> placeholder per image token, embedded by the LLM;
 *   the placeholder rows replaced by the image features ("unified embedding decoder")
 *   SmolLM2-style decoder (lessons 1-2) -> logits, then greedy generation with a KV cache.
 * The LLaVA contrast: CLIP-L/14 at 336 gives 576 tokens per image, SmolVLM 64.
 *
 *   build/lessons/06_projector_pipeline [--model DIR] [--image FILE] [--text QUESTION]
 *                                       [--max-new-tokens N] [--dump F] [--time]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idefics3.h"
#include "image.h"
#include "image_processor.h"
#include "image_splice.h"
#include "json.h"
#include "lesson.h"
#include "llava.h"
#include "ops.h"
#include "pixel_shuffle.h"
#include "plot.h"
#include "tensor_print.h"
#include "tokenizer.h"
#include "util.h"

/* The prompt as tokens, each run of <image> shown once with its length. */
static void print_tokens(const Tokenizer *tok, const int64_t *ids, int n, int64_t image_id) {
    int row = 0;
    for (int i = 0; i < n;) {
        if (ids[i] == image_id) {
            int j = i;
            while (j < n && ids[j] == image_id) j++;
            printf(" [<image> x %d = image features %d..%d]", j - i, row, row + j - i - 1);
            row += j - i;
            i = j;
            continue;
        }
        const char *s = tokenizer_token(tok, ids[i]);
        printf(" %s", s ? s : "?");
        i++;
    }
    printf("\n");
}

/* The same photo through the tiny LLaVA of the goldens (random weights, CLIP tower):
 * one token per patch, no pixel shuffle, a 2-layer MLP projector. */
static void llava_contrast(const Image *img, LessonArgs *a) {
    char *dir = lesson_repo_path("tests/golden/llava_tiny");
    char *cfg_path = path_join(dir, "config.json");
    cJSON *cfg = file_exists(cfg_path) ? json_load(cfg_path) : NULL;
    LlavaConfig c;
    SafeTensors st;
    Llava m;
    if (!cfg || llava_config_parse(cfg, cfg_path, &c) || st_open_dir(&st, dir)) {
        printf("(tiny LLaVA model not found in %s: skipped)\n", dir);
        cJSON_Delete(cfg), free(cfg_path), free(dir);
        return;
    }
    cJSON_Delete(cfg);
    free(cfg_path);
    if (llava_load(&m, &st, &c)) {
        printf("(tiny LLaVA: %s)\n", vlm_error());
        st_close(&st), free(dir);
        return;
    }
    /* LLaVA-1.5 ships a CLIPImageProcessor: shortest edge -> S (BICUBIC), center crop S x S */
    int S = c.vision.image_size;
    char *json = xasprintf("{\"image_processor_type\": \"CLIPImageProcessor\", \"size\": "
                           "{\"shortest_edge\": %d}, \"crop_size\": {\"height\": %d, \"width\": %d}}",
                           S, S, S);
    cJSON *pj = cJSON_Parse(json);
    ImageProcessor proc;
    Tensor pv = {0};
    float *features = NULL;
    int rows = 0;
    if (image_processor_from_json(pj, "CLIP processor", &proc) ||
        image_processor_run(&proc, img, &pv, NULL) ||
        llava_image_features(&m, tensor_f(&pv), 1, &features, &rows, NULL)) {
        printf("(tiny LLaVA: %s)\n", vlm_error());
    } else {
        int P = c.image_seq_len, Dv = c.vision.hidden_size, Dt = c.text.hidden_size;
        printf("\nTiny LLaVA (%s, random weights) on the same photo:\n", lesson_display_path(dir));
        tensor_print_labeled_shape("pixel_values: ", &pv);
        printf("CLIP hidden_states[%d]: torch.Size([1, %d, %d]) (CLS + %d patches)\n",
               c.vision_feature_layer, P + 1, Dv, P);
        printf("without CLS: torch.Size([1, %d, %d])\n", P, Dv);
        Tensor ft = tensor_wrap(DT_F32, features, 3, (int64_t[]){1, rows, Dt});
        tensor_print_labeled_shape("linear_1 -> GELU -> linear_2: ", &ft);
        printf("%d tokens per image: one per patch (SmolVLM-256M packs every 4 x 4 block of "
               "patches into one)\n", rows);
        lesson_lap(a, "tiny LLaVA (load + run)");
    }
    free(features), free(json);
    cJSON_Delete(pj);
    tensor_free(&pv);
    llava_free(&m);
    st_close(&st);
    free(dir);
}

int main(int argc, char **argv) {
    LessonArgs a;
    lesson_args(argc, argv, "Lesson 6: the projector-to-LLM pipeline (SmolVLM / Idefics3)", &a);
    int builtin;
    char *dir = lesson_model(a.model, "SmolVLM-256M-Instruct", "smolvlm-tiny", &builtin);
    const char *question = a.text ? a.text : "What is in this image?";
    int max_new = a.max_new_tokens >= 0 ? a.max_new_tokens : (builtin ? 16 : 64);
    Recorder rec, *r = a.dump ? &rec : NULL;
    rec_init(&rec);

    Idefics3Config c;
    SafeTensors st;
    Idefics3 m;
    Tokenizer tok;
    ImageProcessor proc;
    if (idefics3_config_load(dir, &c) || st_open_dir(&st, dir) || idefics3_load(&m, &st, &c) ||
        tokenizer_open(dir, &tok) || image_processor_open(dir, &proc))
        vlm_die(argv[0]);
    int Dv = c.vision.hidden_size, Dt = c.text.hidden_size, s = c.scale_factor;
    int N = c.patches_per_frame, T = c.image_seq_len, V = c.text.vocab_size;
    lesson_lap(&a, "load model");

    lesson_cell("The image processor");
    Image img;
    char *image_path;
    if (lesson_image(&a, &img, &image_path)) vlm_die(argv[0]);
    printf("Image: %s (%d x %d), question: \"%s\"\n", lesson_display_path(image_path), img.width, img.height, question);
    if (proc.do_image_splitting && !a.image_splitting) {
        /* SmolVLM's processor would also cut the image into 512 x 512 tiles, each one
         * more frame of 64 tokens; the lesson follows one frame, the global image
         * (--image-splitting keeps the tiles, as HF's default pipeline does) */
        printf("(image splitting switched off: one %dx%d frame; --image-splitting keeps the tiles)\n",
               proc.max_image_size, proc.max_image_size);
        proc.do_image_splitting = 0;
    }
    image_processor_print(&proc);
    Tensor pixel_values;
    ImageGrid grid;
    int S = c.vision.image_size;
    if (image_processor_run_grid(&proc, &img, &pixel_values, &grid, r) ||
        image_processor_check(&pixel_values, c.vision.num_channels, S, S, dir))
        vlm_die(argv[0]);
    int frames = (int)(pixel_values.shape[0] * pixel_values.shape[1]);
    tensor_print_labeled_shape("pixel_values: ", &pixel_values);
    lesson_lap(&a, "preprocess image");

    lesson_cell("Vision tower (SigLIP): one vector per patch");
    float *states;
    int n;
    if (idefics3_vision(&m, tensor_f(&pixel_values), frames, &states, &n, r)) vlm_die(argv[0]);
    Tensor patch_states = tensor_wrap(DT_F32, states, 3, (int64_t[]){n, N, Dv});
    int g = S / c.vision.patch_size;
    printf("%d x %d pixels / patch %d = %d x %d = %d patches of width %d\n", S, S,
           c.vision.patch_size, g, g, N, Dv);
    tensor_print_labeled_shape("patch states: ", &patch_states);
    lesson_lap(&a, "vision tower");

    lesson_cell("Pixel shuffle: s x s neighbouring patches -> one token");
    Tensor shuffled = tensor_f32(3, n, T, Dv * s * s);
    if (pixel_shuffle(tensor_f(&shuffled), states, n, N, Dv, s, dir)) vlm_die(argv[0]);
    printf("scale_factor %d: %d patches -> %d tokens, width %d x %d = %d\n", s, N, T, Dv, s * s,
           Dv * s * s);
    tensor_print_labeled_shape("after pixel shuffle: ", &shuffled);

    lesson_cell("Projector: one Linear into the LLM's embedding space");
    Tensor features = tensor_f32(3, n, T, Dt);
    idefics3_project(&m, tensor_f(&shuffled), n * T, tensor_f(&features));
    rec_tensor(r, &shuffled, "connector.pixel_shuffle");
    rec_tensor(r, &features, "connector.image_features");
    printf("modality_projection.proj.weight [%d, %d] (no bias)\n", Dt, Dv * s * s);
    tensor_print_labeled_shape("after the projector: ", &features);
    lesson_lap(&a, "pixel shuffle + projector");

    lesson_cell("The prompt: one <image> token per image feature");
    char *prompt = idefics3_prompt(question, grid.rows, grid.cols, T);
    IdList ids = {0};
    if (tokenizer_encode(&tok, prompt, &ids)) vlm_die(argv[0]);
    int L = ids.n, placeholders = count_image_tokens(ids.ids, L, c.image_token_id);
    Tensor ids_t = tensor_wrap(DT_I64, ids.ids, 2, (int64_t[]){1, L});
    tensor_print_labeled_shape("input_ids: ", &ids_t);
    tensor_print(&ids_t);
    printf("tokens:");
    print_tokens(&tok, ids.ids, L, c.image_token_id);
    printf("%d <image> tokens (id %lld) for %d frame(s) x %d features\n", placeholders,
           (long long)c.image_token_id, n, T);

    /* ---- --plot DIR: the spliced sequence as a strip of cells, one per token ---- */
    if (a.plot_dir) {
        if (plot_dir(a.plot_dir)) vlm_die(argv[0]);
        int cols = 32, rows = (L + cols - 1) / cols;
        float *cells = xcalloc((size_t)rows * cols, sizeof(float)); /* 0 = past the end */
        for (int i = 0; i < L; i++) {
            const char *t = tokenizer_token(&tok, ids.ids[i]);
            int marker = t && (strncmp(t, "<fake_token_around_image>", 25) == 0 ||
                               strncmp(t, "<global-img>", 12) == 0 || strncmp(t, "<row_", 5) == 0);
            cells[i] = ids.ids[i] == c.image_token_id ? 1.0f : marker ? 0.75f : 0.45f;
        }
        char *png = path_join(a.plot_dir, "token_layout.png");
        if (plot_heatmap_png(png, cells, rows, cols, 16, 0.0f, 1.0f)) vlm_die(argv[0]);
        printf("%s: the %d tokens left to right, %d per row: yellow = <image> (replaced by an image\n"
               "feature), green = <fake_token_around_image> / <global-img> / <row_r_col_c>, teal = text\n",
               png, L, cols);
        free(png), free(cells);
    }
    /* ---- end --plot ---- */

    lesson_cell("Merged embeddings: the <image> rows replaced by the image features");
    Tensor x = tensor_f32(3, 1, L, Dt);
    if (llama_embed(&m.text, ids.ids, L, tensor_f(&x))) vlm_die(argv[0]);
    int first = 0;
    while (first < L && ids.ids[first] != c.image_token_id) first++;
    const float *row = tensor_f(&x) + (size_t)first * Dt; /* the first <image> row */
    printf("token embedding of the first <image> (position %d): [%.4f, %.4f, %.4f, ...]\n", first,
           row[0], row[1], row[2]);
    if (idefics3_embed(&m, ids.ids, 1, L, tensor_f(&features), n * T, tensor_f(&x), r))
        vlm_die(argv[0]);
    printf("after the splice (image feature 0):          [%.4f, %.4f, %.4f, ...]\n", row[0],
           row[1], row[2]);
    tensor_print_labeled_shape("merged embeddings: ", &x);
    Tensor merged = tensor_clone(&x); /* generation starts again from these */

    lesson_cell("The decoder reads it like any other prompt");
    if (llama_forward(&m.text, tensor_f(&x), 1, L, NULL, NULL, r, "text.")) vlm_die(argv[0]);
    Tensor logits = tensor_f32(3, 1, L, V);
    llama_logits(&m.text, tensor_f(&x), L, tensor_f(&logits));
    rec_tensor(r, &logits, "text.logits");
    tensor_print_labeled_shape("logits: ", &logits);
    float *last = tensor_f(&logits) + (size_t)(L - 1) * V;
    softmax(last, 1, V);
    int top[5];
    float prob[5];
    topk(last, V, 5, top, prob);
    printf("next token after \"Assistant:\":\n");
    for (int i = 0; i < 5; i++) {
        const char *t = tokenizer_token(&tok, top[i]);
        printf("  %6d %-16s %.4f\n", top[i], t ? t : "?", prob[i]);
    }
    lesson_lap(&a, "decoder (prompt)");

    lesson_cell("The answer, greedy, token by token (KV cache)");
    int64_t stop[8];
    int n_stop = idefics3_stop_ids(dir, &c, stop, 8);
    LessonStream stream = {&tok, {0}, 0};
    int64_t *out = xmalloc(sizeof(int64_t) * (size_t)(max_new > 0 ? max_new : 1));
    printf("Assistant:");
    int got = llama_generate(&m.text, tensor_f(&merged), L, max_new, stop, n_stop, out, NULL,
                             lesson_stream_token, &stream);
    if (got < 0) vlm_die(argv[0]);
    lesson_stream_end(&stream);
    printf("\n(%d tokens%s)\n", got,
           got > 0 && got < max_new ? ", stopped at <end_of_utterance>" : "");
    lesson_lap(&a, "generation");

    lesson_cell("LLaVA contrast: tokens per image");
    printf("this model: (%d/%d)^2 = %d patches / %d^2 = %d tokens per %dx%d frame\n", S,
           c.vision.patch_size, N, s, T, S, S);
    printf("LLaVA-1.5 (CLIP-L/14 at 336, hidden_states[-2] without CLS, 2-layer MLP): "
           "(336/14)^2 = 576 tokens per image\n");
    printf("SmolVLM-256M (SigLIP-B/16 at 512, pixel shuffle 4): (512/16)^2 / 4^2 = 64 tokens\n");
    llava_contrast(&img, &a);

    if (r && rec_write(r, a.dump)) vlm_die(argv[0]);
    if (r) printf("\nwrote %d tensors to %s\n", r->n, a.dump);
    lesson_stream_free(&stream);
    free(out), free(prompt), free(states);
    tensor_free(&logits), tensor_free(&x), tensor_free(&merged);
    tensor_free(&features), tensor_free(&shuffled);
    ids_free(&ids);
    tensor_free(&pixel_values);
    image_free(&img);
    tokenizer_close(&tok);
    idefics3_free(&m);
    st_close(&st);
    rec_free(&rec);
    free(dir), free(image_path);
    return 0;
}

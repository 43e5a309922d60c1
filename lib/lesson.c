/* lesson.c — see lesson.h. */
#include "lesson.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plot.h"
#include "util.h"

static void usage(const char *prog, const char *about, int code) {
    fprintf(code ? stderr : stdout,
            "%s\n\nusage: %s [--model DIR] [--text \"...\"] [--image FILE] [--clip DIR] [--siglip DIR]\n"
            "          [--plot DIR] [--dump FILE.safetensors] [--time] [--max-new-tokens N]\n"
            "          [--image-splitting]\n",
            about, prog);
    exit(code);
}

void lesson_args(int argc, char **argv, const char *about, LessonArgs *a) {
    memset(a, 0, sizeof *a);
    a->max_new_tokens = -1;
    a->t_lap = now_seconds();
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        const char **slot = NULL;
        if (strcmp(f, "--help") == 0 || strcmp(f, "-h") == 0) usage(argv[0], about, 0);
        else if (strcmp(f, "--time") == 0) { a->time = 1; continue; }
        else if (strcmp(f, "--image-splitting") == 0) { a->image_splitting = 1; continue; }
        else if (strcmp(f, "--model") == 0) slot = &a->model;
        else if (strcmp(f, "--text") == 0) slot = &a->text;
        else if (strcmp(f, "--image") == 0) slot = &a->image;
        else if (strcmp(f, "--clip") == 0) slot = &a->clip;
        else if (strcmp(f, "--siglip") == 0) slot = &a->siglip;
        else if (strcmp(f, "--plot") == 0) slot = &a->plot_dir;
        else if (strcmp(f, "--dump") == 0) slot = &a->dump;
        else if (strcmp(f, "--max-new-tokens") == 0 && i + 1 < argc) {
            char *end;
            long n = strtol(argv[++i], &end, 10);
            if (*end || n < 0 || n > 100000) {
                fprintf(stderr, "%s: --max-new-tokens needs a number from 0 to 100000\n", argv[0]);
                exit(2);
            }
            a->max_new_tokens = (int)n;
            continue;
        } else {
            fprintf(stderr, "%s: unknown argument '%s'\n", argv[0], f);
            usage(argv[0], about, 2);
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "%s: %s needs a value\n", argv[0], f);
            exit(2);
        }
        *slot = argv[++i];
    }
}

/* The repository root: the executable is <repo>/build/lessons/NN_name or
 * <repo>/build/tool; the root is the first folder above it holding data/models.
 * "" when not found (then paths are relative to the working directory). */
static const char *repo_root(void) {
    static char root[PATH_MAX];
    static int done;
    if (done) return root;
    done = 1;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return root;
    exe[n] = 0;
    for (int up = 0; up < 3; up++) {
        char *slash = strrchr(exe, '/');
        if (!slash) break;
        *slash = 0;
        char *probe = path_join(exe, "data/models");
        int found = dir_exists(probe);
        free(probe);
        if (found) {
            snprintf(root, sizeof root, "%s", exe);
            break;
        }
    }
    return root;
}

char *lesson_repo_path(const char *rel) {
    return repo_root()[0] ? path_join(repo_root(), rel) : xstrdup(rel);
}

const char *lesson_display_path(const char *path) {
    size_t n = strlen(repo_root());
    if (n && strncmp(path, repo_root(), n) == 0 && path[n] == '/') return path + n + 1;
    return path;
}

char *lesson_model(const char *explicit_dir, const char *real_name, const char *builtin_name,
                   int *builtin) {
    *builtin = 0;
    if (explicit_dir) {
        printf("Model: %s (from --model)\n", explicit_dir);
        return xstrdup(explicit_dir);
    }
    char rel[256];
    snprintf(rel, sizeof rel, "models/%s", real_name);
    char *real = lesson_repo_path(rel);
    char *cfg = path_join(real, "config.json");
    int have = file_exists(cfg);
    free(cfg);
    if (have) {
        printf("Model: %s (the real %s checkpoint)\n", lesson_display_path(real), real_name);
        return real;
    }
    free(real);
    snprintf(rel, sizeof rel, "data/models/%s", builtin_name);
    char *dir = lesson_repo_path(rel);
    *builtin = 1;
    printf("Model: %s\n"
           "       built-in tiny model with RANDOM weights (same layout as %s): every number\n"
           "       is exactly reproducible and checked against PyTorch, but the predictions are\n"
           "       meaningless. Download the real one with scripts/download_models.sh, or pass\n"
           "       --model DIR.\n",
           lesson_display_path(dir), real_name);
    return dir;
}

int lesson_image(const LessonArgs *a, Image *img, char **path) {
    *path = a->image ? xstrdup(a->image) : lesson_repo_path("data/images/chelsea_256x170.png");
    if (image_load(*path, img)) {
        free(*path);
        *path = NULL;
        return -1;
    }
    return 0;
}

void lesson_cell(const char *title) { printf("\n=== %s ===\n", title); }

void lesson_lap(LessonArgs *a, const char *what) {
    double t = now_seconds();
    if (a->time) printf("[time] %-28s %8.2f ms\n", what, (t - a->t_lap) * 1e3);
    a->t_lap = t;
}

void lesson_print_py_str(const char *s) {
    char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
    putchar(q);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '\n') printf("\\n");
        else if (*c == '\t') printf("\\t");
        else if (*c == '\r') printf("\\r");
        else if (*c == '\\' || *c == q) printf("\\%c", *c);
        else if (*c < 0x20 || *c == 0x7f) printf("\\x%02x", *c);
        else putchar(*c);
    }
    putchar(q);
}

int lesson_plot_attention(const char *dir, const char *file, const Recorder *rec, int layer) {
    char name[64];
    snprintf(name, sizeof name, "layer.%d.attn_probs", layer);
    const Tensor *ap = rec_find(rec, name);
    if (!ap || ap->dtype != DT_F32 || ap->ndim != 4 || ap->shape[2] != ap->shape[3] || ap->shape[2] < 1)
        return vlm_fail("%s: no [1, heads, L, L] attention map was recorded", name);
    int nh = (int)ap->shape[1], L = (int)ap->shape[2], cell = L < 384 ? 384 / L : 1;
    float *avg = xcalloc((size_t)L * L, sizeof(float));
    for (int h = 0; h < nh; h++)
        for (size_t q = 0; q < (size_t)L * L; q++) avg[q] += tensor_f(ap)[(size_t)h * L * L + q] / nh;
    for (size_t q = 0; q < (size_t)L * L; q++) avg[q] = sqrtf(avg[q]);
    char *png = path_join(dir, file);
    int rc = plot_heatmap_png(png, avg, L, L, cell, 0.0f, 1.0f);
    if (!rc)
        printf("%s: last layer, mean of %d heads, sqrt scale; row = query token, column = key token.\n",
               png, nh);
    free(png), free(avg);
    return rc;
}

/* Print the decoded text past s->printed; hold_back: not a trailing U+FFFD. */
static void stream_print(LessonStream *s, int hold_back) {
    char *text = tokenizer_decode(s->tok, s->ids.ids, s->ids.n, 1);
    if (!text) return;
    size_t len = strlen(text);
    if (hold_back && len >= 3 && memcmp(text + len - 3, "\xEF\xBF\xBD", 3) == 0) len -= 3;
    if (len > s->printed) {
        fwrite(text + s->printed, 1, len - s->printed, stdout);
        s->printed = len;
    }
    fflush(stdout);
    free(text);
}

void lesson_stream_token(int64_t id, void *stream) {
    LessonStream *s = stream;
    ids_push(&s->ids, id);
    stream_print(s, 1);
}

void lesson_stream_end(LessonStream *s) { stream_print(s, 0); }

void lesson_stream_free(LessonStream *s) { ids_free(&s->ids); }

/* lesson.h — what every lesson program shares: its command line, where its model
 * and picture come from, and the plumbing that would otherwise be copied into each
 * lesson (the --time stopwatch, Python-style str printing, the streamed answer, the
 * --plot attention map).  Lessons stay notebook cells; this file does the chores.
 *
 * Flags (every lesson accepts these; each uses the ones that apply):
 *   --model DIR     a Hugging Face folder (config.json, *.safetensors, tokenizer files)
 *   --text "..."    the input text        --image FILE   the input image
 *   --clip DIR / --siglip DIR   lesson 5's two models
 *   --plot DIR      write pictures (PNG; gnuplot optional) into DIR
 *   --dump FILE     write the lesson's named tensors to a .safetensors file
 *   --time          print per-stage timings
 *   --max-new-tokens N
 *   --image-splitting   lesson 6: keep SmolVLM's tiling (off by default: one frame)
 * Model choice: --model if given; else models/<real name> if the user downloaded
 * it (scripts/download_models.sh); else the built-in tiny model in data/models/.
 * The lesson says which, and says plainly when the weights are random.
 */
#ifndef VLM_LESSON_H
#define VLM_LESSON_H

#include "image.h"
#include "recorder.h"
#include "tokenizer.h"

typedef struct {
    const char *model, *text, *image, *clip, *siglip, *plot_dir, *dump;
    int time;
    int max_new_tokens;
    int image_splitting;
    double t_lap;           /* lesson_lap's stopwatch: when the last lap ended */
} LessonArgs;

/* Parse argv; on an unknown flag or --help print usage (with `about`) and exit. */
void lesson_args(int argc, char **argv, const char *about, LessonArgs *a);
/* Resolve the model folder (see above) and print "Model: ...". Returns a malloc'd path.
 * *builtin is set to 1 for the built-in random-weight model. */
char *lesson_model(const char *explicit_dir, const char *real_name, const char *builtin_name,
                   int *builtin);
/* A path inside the repository (data/..., models/...), found from the executable's
 * location so lessons work from any working directory.  malloc'd. */
char *lesson_repo_path(const char *rel);
/* The lesson's picture: --image FILE, else the built-in photo of Chelsea the cat
 * (data/images/chelsea_256x170.png).  *path gets the malloc'd path (for "Image: ..."
 * lines); -1 with an error naming the file when it cannot be read. */
int lesson_image(const LessonArgs *a, Image *img, char **path);
/* path without the repository root in front ("data/models/vit-tiny"), for printing:
 * the output then reads the same on every machine.  Other paths come back unchanged. */
const char *lesson_display_path(const char *path);
/* "=== title ===" section header, so output reads like notebook cells. */
void lesson_cell(const char *title);
/* --time: print "[time] what   12.34 ms", the time since the previous lap (or since
 * lesson_args), and restart the stopwatch.  Prints nothing without --time. */
void lesson_lap(LessonArgs *a, const char *what);

/* Python's repr() of a str, as the notebook shows tokens and decoded text: 'Ġdog', '\n',
 * "it's".  Single quotes unless the text holds ' and no "; backslashes, the quote,
 * \n \r \t and other ASCII controls escaped (non-ASCII bytes printed as they are). */
void lesson_print_py_str(const char *s);

/* --plot: layer `layer`'s attention map from a Recorder a forward pass filled
 * ("layer.{i}.attn_probs", [1, heads, L, L]): the mean over the heads, on a sqrt scale
 * so that small weights show, as <dir>/<file> (about 384 px; row = query, column = key).
 * Prints "<png>: last layer, mean of H heads, sqrt scale; row = query token, column =
 * key token."; the lesson adds what to look for.  -1 with an error. */
int lesson_plot_attention(const char *dir, const char *file, const Recorder *rec, int layer);

/* Streaming a greedy answer: pass lesson_stream_token as llama_generate's on_token and a
 * LessonStream as its ctx.  After every token the text decoded so far (special tokens
 * skipped) is printed from where the last print stopped, holding back a trailing U+FFFD:
 * half a UTF-8 character that the next byte token may complete. */
typedef struct {
    const Tokenizer *tok;
    IdList ids;      /* the tokens generated so far */
    size_t printed;  /* bytes of their decoded text already on stdout */
} LessonStream;
void lesson_stream_token(int64_t id, void *stream);
/* After generation: print what was held back, so stdout holds tokenizer.decode(ids) in full. */
void lesson_stream_end(LessonStream *s);
void lesson_stream_free(LessonStream *s);

#endif

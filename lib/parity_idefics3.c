/* parity_idefics3.c — Idefics3ForConditionalGeneration goldens (smolvlm_tiny, builtin
 * smolvlm-tiny golden.json / golden_split.json).
 *
 * The model is fed the golden input_ids / attention_mask / pixel_values; for the
 * built-in folder the runner also rebuilds those from the raw inputs (question +
 * image file, through the image processor, the SmolVLM prompt and the tokenizer) and
 * records them so build/parity checks the preprocessing bit for bit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"
#include "idefics3.h"
#include "image.h"
#include "image_processor.h"
#include "image_splice.h"
#include "json.h"
#include "tokenizer.h"
#include "util.h"

/* inputs: image file (relative to the folder above the model folder, as the built-in
 * README says), processor settings, question -> image.*, pixel_values, input_ids. */
static int record_preprocessing(const Golden *g, const Idefics3Config *c, Recorder *rec) {
    const cJSON *in = golden_inputs(g);
    const char *question = json_str(in, "question", NULL);
    const char *file = json_str(json_get(in, "image"), "file", NULL);
    const cJSON *proc_json = json_get(in, "processor");
    if (!question || !file || !proc_json)
        return vlm_fail("%s: inputs needs \"question\", \"image.file\" and \"processor\"", g->json_path);
    char *rel = xasprintf("../%s", file);
    char *path = path_join(g->dir, rel);
    free(rel);
    ImageProcessor proc;
    Image img = {0};
    Tensor pv = {0};
    ImageGrid grid;
    int rc = image_processor_from_json(proc_json, g->json_path, &proc);
    if (rc == 0) rc = image_load(path, &img);
    if (rc == 0) rc = image_processor_run_grid(&proc, &img, &pv, &grid, rec);
    free(path);
    image_free(&img);
    tensor_free(&pv);
    if (rc) return -1;

    char *prompt = idefics3_prompt(question, grid.rows, grid.cols, c->image_seq_len);
    Tokenizer tok;
    IdList ids = {0};
    rc = tokenizer_open(g->dir, &tok);
    if (rc == 0) {
        rc = tokenizer_encode(&tok, prompt, &ids);
        tokenizer_close(&tok);
    }
    free(prompt);
    if (rc == 0) {
        int placeholders = count_image_tokens(ids.ids, ids.n, c->image_token_id);
        if (placeholders != grid.frames * c->image_seq_len)
            rc = vlm_fail("%s: the tokenized prompt has %d <image> tokens, the processor made %d "
                          "frames x %d tokens", g->dir, placeholders, grid.frames, c->image_seq_len);
    }
    if (rc == 0) {
        int64_t shape[2] = {1, ids.n};
        int64_t *ones = xmalloc(sizeof(int64_t) * (size_t)ids.n);
        for (int i = 0; i < ids.n; i++) ones[i] = 1;
        rec_i64(rec, ids.ids, 2, shape, "input_ids");
        rec_i64(rec, ones, 2, shape, "attention_mask");
        free(ones);
    }
    ids_free(&ids);
    return rc;
}

static int run_model(const Golden *g, const Idefics3 *m, Recorder *rec) {
    const Idefics3Config *c = &m->config;
    Tensor ids, mask, pv;
    if (golden_model_inputs(g, 5, c->vision.num_channels, c->vision.image_size, &ids, &mask, &pv)) return -1;
    int B = (int)ids.shape[0], L = (int)ids.shape[1], frames = (int)(pv.shape[0] * pv.shape[1]);
    float *features = NULL, *merged = xmalloc(sizeof(float) * (size_t)B * L * c->text.hidden_size);
    int n_rows = 0;
    int rc = idefics3_image_features(m, tensor_f(&pv), frames, &features, &n_rows, rec);
    if (rc == 0) rc = idefics3_embed(m, tensor_i(&ids), B, L, features, n_rows, merged, rec);
    if (rc == 0) rc = golden_record_decoder(g, &m->text, merged, B, L, mask.data ? tensor_i(&mask) : NULL, rec);
    free(features), free(merged);
    tensor_free(&ids), tensor_free(&pv), tensor_free(&mask);
    return rc;
}

int parity_idefics3(const Golden *g, Recorder *rec) {
    Idefics3Config c;
    SafeTensors st;
    Idefics3 m;
    if (idefics3_config_load(g->dir, &c) || st_open_dir(&st, g->dir)) return -1;
    if (idefics3_load(&m, &st, &c)) {
        st_close(&st);
        return -1;
    }
    int rc = 0;
    /* a preprocessing failure is reported, but the model still runs on the golden inputs */
    if (golden_inputs(g) && record_preprocessing(g, &c, rec))
        fprintf(stderr, "parity: preprocessing: %s\n", vlm_error());
    rc = run_model(g, &m, rec);
    idefics3_free(&m);
    st_close(&st);
    return rc;
}

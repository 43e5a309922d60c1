/* parity_clip.c — CLIPModel goldens (clip_tiny, builtin clip-tiny).
 *
 * The model runs on the golden's input_ids / attention_mask / pixel_values, so its
 * numbers are checked on their own.  For the built-in golden the runner also
 * reproduces those inputs from the raw ones (golden.json "inputs"): the texts through
 * the folder's CLIP tokenizer (padding to the longest row) and the photo through the
 * CLIP image processor; build/parity compares them exactly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clip.h"
#include "golden.h"
#include "image.h"
#include "image_processor.h"
#include "json.h"
#include "tokenizer.h"
#include "util.h"

/* inputs.texts -> input_ids, attention_mask, padded to the longest (padding=True). */
static void record_tokenization(const Golden *g, Recorder *rec) {
    const char **texts;
    int n;
    Tokenizer tok;
    if (golden_texts(g, "texts", &texts, &n)) return;
    if (tokenizer_open(g->dir, &tok)) {
        fprintf(stderr, "parity: tokenizer: %s\n", vlm_error());
        free(texts);
        return;
    }
    Tensor ids, mask;
    if (tokenizer_encode_batch(&tok, texts, n, 0, &ids, &mask) == 0) {
        rec_tensor(rec, &ids, "input_ids");
        rec_tensor(rec, &mask, "attention_mask");
        tensor_free(&ids);
        tensor_free(&mask);
    } else {
        fprintf(stderr, "parity: tokenizer: %s\n", vlm_error());
    }
    tokenizer_close(&tok);
    free(texts);
}

/* inputs.image.file (relative to the folder above the model folder, as the built-in
 * README says) through inputs.processor (else the folder's preprocessor_config.json)
 * -> image.* and pixel_values, recorded for the exact comparison. */
static void record_image(const Golden *g, Recorder *rec) {
    const cJSON *in = golden_inputs(g);
    const char *file = json_str(json_get(in, "image"), "file", NULL);
    if (!file) return;
    char *rel = xasprintf("../%s", file);
    char *path = path_join(g->dir, rel);
    free(rel);
    ImageProcessor proc;
    Image img = {0};
    Tensor pv = {0};
    const cJSON *pj = json_get(in, "processor");
    int rc = pj ? image_processor_from_json(pj, g->json_path, &proc) : image_processor_open(g->dir, &proc);
    if (rc == 0) rc = image_load(path, &img);
    if (rc == 0) rc = image_processor_run(&proc, &img, &pv, rec);
    if (rc) fprintf(stderr, "parity: image: %s\n", vlm_error());
    free(path);
    image_free(&img);
    tensor_free(&pv);
}

int parity_clip(const Golden *g, Recorder *rec) {
    cJSON *cfg = golden_config(g);
    if (!cfg) return -1;
    char *cfg_path = path_join(g->dir, "config.json");
    ClipConfig c;
    int rc = clip_config_parse(cfg, cfg_path, &c);
    free(cfg_path);
    cJSON_Delete(cfg);
    SafeTensors st;
    Clip m;
    if (rc || st_open_dir(&st, g->dir)) return -1;
    if (clip_load(&m, &st, &c)) {
        st_close(&st);
        return -1;
    }
    if (golden_inputs(g)) {
        record_tokenization(g, rec);
        record_image(g, rec);
    }

    Tensor ids, pix, mask = {0};
    int has_mask = st_find(&g->st, "attention_mask") != NULL;
    rc = golden_tensor(g, "input_ids", &ids) || golden_tensor(g, "pixel_values", &pix) ||
         (has_mask && golden_tensor(g, "attention_mask", &mask));
    if (rc == 0 && (ids.ndim != 2 || pix.ndim != 4 || pix.shape[1] != c.vision_config.num_channels ||
                    pix.shape[2] != c.vision_config.image_size ||
                    pix.shape[3] != c.vision_config.image_size ||
                    (has_mask && !tensor_same_shape(&ids, &mask))))
        rc = vlm_fail("%s: input_ids / attention_mask / pixel_values shapes do not fit config.json",
                      g->json_path);
    if (rc == 0) {
        /* contiguous copies in the dtypes the model reads */
        Tensor id_copy = tensor_clone(&ids), pix_f = tensor_to_f32(&pix);
        Tensor mask_copy = has_mask ? tensor_clone(&mask) : (Tensor){0};
        Tensor img = {0}, txt = {0}, logits = {0};
        rc = clip_get_image_features(&m, tensor_f(&pix_f), (int)pix.shape[0], &img, rec);
        if (rc == 0)
            rc = clip_get_text_features(&m, tensor_i(&id_copy), has_mask ? tensor_i(&mask_copy) : NULL,
                                        (int)ids.shape[0], (int)ids.shape[1], &txt, rec);
        if (rc == 0) clip_logits(&m, &img, &txt, &logits, rec);
        tensor_free(&img), tensor_free(&txt), tensor_free(&logits);
        tensor_free(&id_copy), tensor_free(&pix_f), tensor_free(&mask_copy);
    }
    clip_free(&m);
    st_close(&st);
    return rc;
}

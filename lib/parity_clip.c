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

int parity_clip(const Golden *g, Recorder *rec) {
    Clip m;
    SafeTensors st;
    if (clip_open(&m, &st, g->dir)) return -1;
    if (golden_inputs(g)) {
        golden_record_texts(g, rec, 0, 1);
        golden_record_image(g, rec);
    }
    const ClipVisionConfig *vc = &m.config.vision_config;
    Tensor ids, mask, pix;
    int rc = golden_model_inputs(g, 4, vc->num_channels, vc->image_size, &ids, &mask, &pix);
    if (rc == 0) {
        Tensor img = {0}, txt = {0}, logits = {0};
        rc = clip_get_image_features(&m, tensor_f(&pix), (int)pix.shape[0], &img, rec);
        if (rc == 0)
            rc = clip_get_text_features(&m, tensor_i(&ids), mask.data ? tensor_i(&mask) : NULL,
                                        (int)ids.shape[0], (int)ids.shape[1], &txt, rec);
        if (rc == 0) clip_logits(&m, &img, &txt, &logits, rec);
        tensor_free(&img), tensor_free(&txt), tensor_free(&logits);
        tensor_free(&ids), tensor_free(&mask), tensor_free(&pix);
    }
    clip_free(&m);
    st_close(&st);
    return rc;
}

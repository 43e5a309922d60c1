/* parity_siglip.c — SiglipModel goldens (siglip_tiny, builtin siglip-tiny).
 *
 * The model runs on the golden's input_ids / pixel_values (and attention_mask if the
 * golden has one; HF's SigLIP processor gives none).  For the built-in golden the
 * runner also reproduces the inputs from the raw texts and photo: SentencePiece with
 * padding="max_length" to 64 (HF's SigLIP processor default), and the SigLIP image
 * processor; build/parity compares them exactly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"
#include "image.h"
#include "image_processor.h"
#include "json.h"
#include "siglip.h"
#include "tokenizer.h"
#include "util.h"

/* The SigLIP processor pads every text to 64 ids (padding="max_length"). */
#define SIGLIP_MAX_LENGTH 64

int parity_siglip(const Golden *g, Recorder *rec) {
    Siglip m;
    SafeTensors st;
    if (siglip_open(&m, &st, g->dir)) return -1;
    if (golden_inputs(g)) {
        golden_record_texts(g, rec, SIGLIP_MAX_LENGTH, 0);
        golden_record_image(g, rec);
    }
    const SiglipVisionConfig *vc = &m.config.vision_config;
    Tensor ids, mask, pix;
    int rc = golden_model_inputs(g, 4, vc->num_channels, vc->image_size, &ids, &mask, &pix);
    if (rc == 0) {
        Tensor img = {0}, txt = {0}, logits = {0};
        rc = siglip_get_image_features(&m, tensor_f(&pix), (int)pix.shape[0], &img, rec);
        if (rc == 0)
            rc = siglip_get_text_features(&m, tensor_i(&ids), mask.data ? tensor_i(&mask) : NULL,
                                        (int)ids.shape[0], (int)ids.shape[1], &txt, rec);
        if (rc == 0) siglip_logits(&m, &img, &txt, &logits, rec);
        tensor_free(&img), tensor_free(&txt), tensor_free(&logits);
        tensor_free(&ids), tensor_free(&mask), tensor_free(&pix);
    }
    siglip_free(&m);
    st_close(&st);
    return rc;
}

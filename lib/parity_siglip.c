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
    cJSON *cfg = golden_config(g);
    if (!cfg) return -1;
    char *cfg_path = path_join(g->dir, "config.json");
    SiglipConfig c;
    int rc = siglip_config_parse(cfg, cfg_path, &c);
    free(cfg_path);
    cJSON_Delete(cfg);
    SafeTensors st;
    Siglip m;
    if (rc || st_open_dir(&st, g->dir)) return -1;
    if (siglip_load(&m, &st, &c)) {
        st_close(&st);
        return -1;
    }
    if (golden_inputs(g)) {
        golden_record_texts(g, rec, SIGLIP_MAX_LENGTH, 0);
        golden_record_image(g, rec);
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
        Tensor id_copy = tensor_clone(&ids), pix_f = tensor_to_f32(&pix);
        Tensor mask_copy = has_mask ? tensor_clone(&mask) : (Tensor){0};
        Tensor img = {0}, txt = {0}, logits = {0};
        rc = siglip_get_image_features(&m, tensor_f(&pix_f), (int)pix.shape[0], &img, rec);
        if (rc == 0)
            rc = siglip_get_text_features(&m, tensor_i(&id_copy), has_mask ? tensor_i(&mask_copy) : NULL,
                                          (int)ids.shape[0], (int)ids.shape[1], &txt, rec);
        if (rc == 0) siglip_logits(&m, &img, &txt, &logits, rec);
        tensor_free(&img), tensor_free(&txt), tensor_free(&logits);
        tensor_free(&id_copy), tensor_free(&pix_f), tensor_free(&mask_copy);
    }
    siglip_free(&m);
    st_close(&st);
    return rc;
}

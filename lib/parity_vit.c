/* parity_vit.c — ViTModel goldens (vit_tiny, vit_tiny_f16, builtin vit-tiny).
 *
 * The model runs on the golden pixel_values, so a preprocessing fault cannot hide a
 * model fault (or the reverse).  The built-in golden starts from a raw photo
 * (golden.json inputs.image, a path relative to the parent of the golden folder):
 * there the image processor also runs and records image.resized and pixel_values,
 * which must match bit for bit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"
#include "image.h"
#include "image_processor.h"
#include "json.h"
#include "util.h"
#include "vit.h"

int parity_vit(const Golden *g, Recorder *rec) {
    cJSON *cfg = golden_config(g);
    if (!cfg) return -1;
    char *cfg_path = path_join(g->dir, "config.json");
    ViTConfig c;
    SafeTensors st;
    ViT m;
    int rc = vit_config_parse(cfg, cfg_path, &c);
    free(cfg_path);
    cJSON_Delete(cfg);
    if (rc || st_open_dir(&st, g->dir)) return -1;
    if (vit_load(&m, &st, &c)) {
        st_close(&st);
        return -1;
    }
    if (golden_inputs(g)) golden_record_image(g, rec);

    Tensor pv;
    rc = golden_tensor(g, "pixel_values", &pv);
    if (rc == 0 && pv.ndim != 4) rc = vlm_fail("%s: pixel_values must be [B, C, H, W]", g->dir);
    if (rc == 0) {
        Tensor pixels = tensor_to_f32(&pv);
        int B = (int)pv.shape[0], L = vit_seq_len(&c), H = c.hidden_size;
        float *last = xmalloc(sizeof(float) * (size_t)B * L * H);
        float *pooled = xmalloc(sizeof(float) * (size_t)B * H);
        rc = vit_forward(&m, tensor_f(&pixels), B, (int)pv.shape[1], (int)pv.shape[2],
                         (int)pv.shape[3], last, pooled, rec, "");
        free(last), free(pooled);
        tensor_free(&pixels);
    }
    vit_free(&m);
    st_close(&st);
    return rc;
}

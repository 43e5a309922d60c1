/* resize.h — PIL's image resampling, bit for bit, and HF's center crop.
 *
 * Hugging Face's slow image processors call PIL `Image.resize((w, h), resample)`
 * on a uint8 image.  image_resize() reproduces Pillow's Resample.c exactly
 * (verified against the image goldens, tests/golden/images/):
 *   - separable: horizontal pass first (only on the rows the vertical pass
 *     needs), then vertical; the intermediate is an 8-bit image (rounded and
 *     clipped), so results are NOT those of a float implementation;
 *   - kernel support scaled by max(in/out, 1) (antialiasing when shrinking);
 *   - taps computed in double, normalised to sum 1, quantised to 22-bit fixed
 *     point; acc = 2^21 + sum(pixel * tap), out = clamp(acc >> 22, 0, 255);
 *   - same size = plain copy.
 * Filters use PIL's / HF's `resample` codes (preprocessor_config.json).
 * NEAREST is PIL's affine nearest-neighbour (not covered by the goldens).
 */
#ifndef VLM_RESIZE_H
#define VLM_RESIZE_H

#include <stdint.h>

#include "image.h"

enum {
    RESAMPLE_NEAREST = 0,
    RESAMPLE_LANCZOS = 1,  /* support 3: SmolVLM / Idefics3 */
    RESAMPLE_BILINEAR = 2, /* support 1: ViT */
    RESAMPLE_BICUBIC = 3,  /* support 2, a = -0.5: CLIP, SigLIP */
    RESAMPLE_BOX = 4,      /* support 0.5 */
    RESAMPLE_HAMMING = 5,  /* support 1 */
};

#define RESAMPLE_PRECISION_BITS 22 /* 32 - 8 - 2, Pillow's PRECISION_BITS */

/* "BILINEAR", ... or NULL for an unknown code. */
const char *resample_name(int resample);

/* Resize to out_w x out_h with the given PIL filter.  out is a new image.
 * -1 with an error for an unknown filter or a size < 1 / over the limits. */
int image_resize(const Image *in, int out_w, int out_h, int resample, Image *out);

/* The taps of one axis (in_size -> out_size), exactly as Pillow computes them;
 * lessons print them, tests compare them with cases.json pil_coeff_examples.
 * Output pixel i reads input pixels xmin[i] .. xmin[i]+count[i]-1 with weights
 * w[i*ksize + x] (double, sum 1) / k[i*ksize + x] (22-bit fixed point). */
typedef struct {
    int in_size, out_size, ksize;
    int *xmin, *count;
    double *w;
    int32_t *k;
} ResampleCoeffs;

int resample_coeffs(int in_size, int out_size, int resample, ResampleCoeffs *c);
void resample_coeffs_free(ResampleCoeffs *c);

/* Hugging Face image_transforms.center_crop: top = (H - crop_h) // 2,
 * left = (W - crop_w) // 2 (floor); an image smaller than the crop is zero
 * padded first (centred, extra row/column of padding on the top/left).
 * *top / *left (may be NULL) get the offsets in the input image (negative when
 * padded).  -1 if a crop side is < 1. */
int image_center_crop(const Image *in, int crop_h, int crop_w, Image *out, int *top, int *left);

#endif

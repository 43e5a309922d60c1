/* image.h — an 8-bit RGB image: load (stb_image), save (PNG), crop.
 *
 * Contract
 *   - An Image is `height` rows of `width` pixels, 3 bytes each (R, G, B),
 *     row-major: pixel (y, x) channel c is rgb[(y * width + x) * 3 + c].
 *     This is exactly the uint8 (H, W, 3) array Hugging Face's slow image
 *     processors work on, and the layout of the goldens' `image.*` tensors.
 *   - image_load() decodes PNG, JPEG, BMP, GIF (first frame), TGA, PSD, PNM with
 *     stb_image and converts to RGB the way PIL's `convert("RGB")` does:
 *     grayscale L is copied into R, G and B; alpha is DROPPED (no compositing).
 *     When the file has an alpha channel it is kept in `alpha` (H*W bytes) so
 *     a processor that composites (Idefics3's convert_to_rgb: on white) can.
 *     Note: JPEG decoders differ (stb_image vs PIL's libjpeg-turbo: up to +-3
 *     per value), PNG decodes identically.
 *   - Limits, checked from the header BEFORE decoding (stbi_info): at most
 *     IMAGE_MAX_SIDE pixels per side and IMAGE_MAX_PIXELS pixels in all.  Any
 *     fault (missing file, not an image, corrupt data, 0 size, too large)
 *     returns -1 with "<path>: <what is wrong>" (see util.h).
 *   - Images own their buffers; image_free() releases them (safe on a zeroed
 *     Image and twice in a row).
 *
 * Typical use (a lesson):
 *     Image img;
 *     if (image_load(path, &img)) vlm_die(argv[0]);
 *     ... image_processor_run(&proc, &img, &pixel_values, rec) ...
 *     image_free(&img);
 */
#ifndef VLM_IMAGE_H
#define VLM_IMAGE_H

#include <stdint.h>

#include "tensor.h"

#define IMAGE_MAX_SIDE 16384
#define IMAGE_MAX_PIXELS (1L << 26)

typedef struct {
    int width, height;
    uint8_t *rgb;   /* H*W*3, row-major RGB */
    uint8_t *alpha; /* H*W, or NULL when the file has no alpha channel */
} Image;

/* Load an image file as RGB (see contract).  0, or -1 with an error naming path. */
int image_load(const char *path, Image *img);
/* Same from memory; `what` names the source in error messages. */
int image_load_memory(const uint8_t *data, size_t len, const char *what, Image *img);

/* A zeroed width x height image (no alpha); exits on out-of-memory.
 * -1 with an error if a side is < 1 or the size exceeds the limits. */
int image_new(int width, int height, Image *img);
/* Deep copy (alpha too). */
Image image_clone(const Image *img);
void image_free(Image *img);

/* Write as an 8-bit RGB PNG (stb_image_write).  -1 with "<path>: ..." on failure. */
int image_write_png(const char *path, const Image *img);

/* A U8 tensor view (H, W, 3) of the pixels, as the goldens store `image.*`.
 * It shares img->rgb: valid while img lives. */
Tensor image_as_tensor(const Image *img);

/* out = in[top:top+h, left:left+w]; pixels outside `in` are zero (black),
 * which is how Hugging Face's center_crop pads an image smaller than the crop.
 * Alpha is not carried over.  -1 if h or w < 1. */
int image_crop(const Image *in, int top, int left, int h, int w, Image *out);

/* Composite the alpha channel onto a white background exactly like PIL's
 * Image.alpha_composite(white, image.convert("RGBA")).convert("RGB")
 * (Idefics3/SmolVLM convert_to_rgb).  No-op when img->alpha is NULL;
 * afterwards img->alpha is NULL. */
void image_composite_on_white(Image *img);

#endif

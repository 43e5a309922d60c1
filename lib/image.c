/* image.c — see image.h.  Decoding is stb_image's (Debian libstb), writing
 * stb_image_write's; this file adds the checks, the RGB conversion PIL does,
 * and errors that name the file. */
#include "image.h"

#include <stdlib.h>
#include <string.h>

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include "util.h"

/* stb_image's last failure reason, never empty. */
static const char *stb_reason(void) {
    const char *r = stbi_failure_reason();
    return r && *r ? r : "decoding failed";
}

static int check_size(const char *what, long w, long h) {
    if (w < 1 || h < 1) return vlm_fail("%s: image has size %ldx%ld (zero-sized)", what, w, h);
    if (w > IMAGE_MAX_SIDE || h > IMAGE_MAX_SIDE)
        return vlm_fail("%s: image is %ldx%ld, larger than the limit of %d pixels per side", what, w,
                        h, IMAGE_MAX_SIDE);
    if (w * h > IMAGE_MAX_PIXELS)
        return vlm_fail("%s: image is %ldx%ld = %ld pixels, more than the limit of %ld", what, w, h,
                        w * h, (long)IMAGE_MAX_PIXELS);
    return 0;
}

int image_new(int width, int height, Image *img) {
    memset(img, 0, sizeof *img);
    if (check_size("image_new", width, height)) return -1;
    img->width = width;
    img->height = height;
    img->rgb = xcalloc((size_t)width * (size_t)height, 3);
    return 0;
}

void image_free(Image *img) {
    if (!img) return;
    free(img->rgb);
    free(img->alpha);
    memset(img, 0, sizeof *img);
}

Image image_clone(const Image *img) {
    Image c = *img;
    size_t n = (size_t)img->width * (size_t)img->height;
    c.rgb = xmalloc(n * 3);
    memcpy(c.rgb, img->rgb, n * 3);
    if (img->alpha) {
        c.alpha = xmalloc(n);
        memcpy(c.alpha, img->alpha, n);
    }
    return c;
}

/* Width and height from a PNG's IHDR (signature + chunk header), or 0.  Used to
 * explain a refusal: stb_image rejects very large PNGs itself ("unknown image
 * type"), and the user should read the real reason. */
static int png_header_size(const uint8_t *d, size_t len, long *w, long *h) {
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (len < 24 || memcmp(d, sig, 8) != 0 || memcmp(d + 12, "IHDR", 4) != 0) return 0;
    *w = ((long)d[16] << 24) | ((long)d[17] << 16) | ((long)d[18] << 8) | d[19];
    *h = ((long)d[20] << 24) | ((long)d[21] << 16) | ((long)d[22] << 8) | d[23];
    return 1;
}

int image_load_memory(const uint8_t *data, size_t len, const char *what, Image *img) {
    memset(img, 0, sizeof *img);
    if (len == 0) return vlm_fail("%s: empty file, not an image", what);
    if (len > (size_t)0x7fffffff) return vlm_fail("%s: file too large (%zu bytes)", what, len);
    /* Read only the header first: a file claiming 100000x100000 pixels must be
     * refused before a 30 GB decode buffer is requested. */
    int w = 0, h = 0, comp = 0;
    if (!stbi_info_from_memory(data, (int)len, &w, &h, &comp)) {
        long pw, ph;
        if (png_header_size(data, len, &pw, &ph)) {
            if (check_size(what, pw, ph)) return -1;
            return vlm_fail("%s: corrupt PNG header (stb_image: %s)", what, stb_reason());
        }
        return vlm_fail("%s: not a readable image (stb_image: %s)", what, stb_reason());
    }
    if (check_size(what, w, h)) return -1;
    /* Files with alpha (gray+alpha, RGBA, palette with transparency) are
     * decoded as RGBA so the alpha plane can be kept; the rest straight to RGB
     * (stb expands L to L, L, L like PIL's convert("RGB")). */
    int has_alpha = comp == 2 || comp == 4;
    int req = has_alpha ? 4 : 3;
    int w2 = 0, h2 = 0, c2 = 0;
    uint8_t *pix = stbi_load_from_memory(data, (int)len, &w2, &h2, &c2, req);
    if (!pix) return vlm_fail("%s: corrupt or unsupported image data (stb_image: %s)", what,
                              stb_reason());
    if (w2 != w || h2 != h) {
        stbi_image_free(pix);
        return vlm_fail("%s: image header says %dx%d but the data decodes as %dx%d", what, w, h, w2,
                        h2);
    }
    size_t n = (size_t)w * (size_t)h;
    img->width = w;
    img->height = h;
    img->rgb = xmalloc(n * 3);
    if (has_alpha) {
        img->alpha = xmalloc(n);
        for (size_t i = 0; i < n; i++) {
            memcpy(img->rgb + 3 * i, pix + 4 * i, 3); /* convert("RGB"): alpha dropped */
            img->alpha[i] = pix[4 * i + 3];
        }
    } else {
        memcpy(img->rgb, pix, n * 3);
    }
    stbi_image_free(pix);
    return 0;
}

int image_load(const char *path, Image *img) {
    memset(img, 0, sizeof *img);
    if (dir_exists(path)) return vlm_fail("%s: is a folder, not an image file", path);
    size_t len = 0;
    char *data = read_file(path, &len);
    if (!data) return -1;
    int rc = image_load_memory((const uint8_t *)data, len, path, img);
    free(data);
    return rc;
}

int image_write_png(const char *path, const Image *img) {
    if (!img->rgb || img->width < 1 || img->height < 1)
        return vlm_fail("%s: cannot write an empty image", path);
    if (!stbi_write_png(path, img->width, img->height, 3, img->rgb, img->width * 3))
        return vlm_fail("%s: cannot write PNG (folder missing or not writable?)", path);
    return 0;
}

Tensor image_as_tensor(const Image *img) {
    int64_t shape[3] = {img->height, img->width, 3};
    return tensor_wrap(DT_U8, img->rgb, 3, shape);
}

int image_crop(const Image *in, int top, int left, int h, int w, Image *out) {
    if (image_new(w, h, out)) return -1;
    for (int y = 0; y < h; y++) {
        int sy = top + y;
        if (sy < 0 || sy >= in->height) continue; /* outside: stays zero */
        for (int x = 0; x < w; x++) {
            int sx = left + x;
            if (sx < 0 || sx >= in->width) continue;
            memcpy(out->rgb + ((size_t)y * w + x) * 3, in->rgb + ((size_t)sy * in->width + sx) * 3, 3);
        }
    }
    return 0;
}

/* PIL's ImagingAlphaComposite (AlphaComposite.c) with dst = opaque white and
 * src = the image as RGBA: integer arithmetic with 7 extra bits, divisions by
 * 255 done as ((v >> 8) + v) >> 8 with rounding. */
void image_composite_on_white(Image *img) {
    if (!img->alpha) return;
    const uint32_t PB = 7, dst_c = 255, dst_a = 255;
    size_t n = (size_t)img->width * (size_t)img->height;
    for (size_t i = 0; i < n; i++) {
        uint32_t a = img->alpha[i];
        uint8_t *p = img->rgb + 3 * i;
        if (a == 0) {
            p[0] = p[1] = p[2] = (uint8_t)dst_c;
            continue;
        }
        uint32_t blend = dst_a * (255 - a);
        uint32_t outa255 = a * 255 + blend;
        uint32_t coef1 = a * 255 * 255 * (1u << PB) / outa255;
        uint32_t coef2 = 255 * (1u << PB) - coef1;
        for (int c = 0; c < 3; c++) {
            uint32_t t = p[c] * coef1 + dst_c * coef2 + (0x80u << PB);
            p[c] = (uint8_t)((((t >> 8) + t) >> 8) >> PB);
        }
    }
    free(img->alpha);
    img->alpha = NULL;
}

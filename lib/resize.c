/* resize.c — see resize.h.  Pillow's Resample.c rewritten plainly:
 * precompute_coeffs -> normalize_coeffs_8bpc -> horizontal pass -> vertical
 * pass, with Pillow's rounding at every step (tests/golden/images/README.md,
 * "How PIL resizes an 8-bit image"). */
#include "resize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* ---- filter kernels, in double, exactly as Pillow writes them ---- */

static double box_filter(double x) { return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0; }

static double bilinear_filter(double x) {
    if (x < 0.0) x = -x;
    return x < 1.0 ? 1.0 - x : 0.0;
}

static double hamming_filter(double x) {
    if (x < 0.0) x = -x;
    if (x == 0.0) return 1.0;
    if (x >= 1.0) return 0.0;
    x = x * M_PI;
    return sin(x) / x * (0.54f + 0.46f * cos(x)); /* float constants, as in Pillow */
}

static double bicubic_filter(double x) {
    const double a = -0.5; /* Pillow's (and Keys') a; not OpenCV's -0.75 */
    if (x < 0.0) x = -x;
    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

static double sinc_filter(double x) {
    if (x == 0.0) return 1.0;
    x = x * M_PI;
    return sin(x) / x;
}

static double lanczos_filter(double x) {
    if (-3.0 <= x && x < 3.0) return sinc_filter(x) * sinc_filter(x / 3);
    return 0.0;
}

typedef struct {
    double (*f)(double);
    double support;
    const char *name;
} Filter;

static const Filter *get_filter(int resample) {
    static const Filter filters[6] = {
        {NULL, 0.0, "NEAREST"},          {lanczos_filter, 3.0, "LANCZOS"},
        {bilinear_filter, 1.0, "BILINEAR"}, {bicubic_filter, 2.0, "BICUBIC"},
        {box_filter, 0.5, "BOX"},        {hamming_filter, 1.0, "HAMMING"},
    };
    if (resample < 0 || resample > 5) return NULL;
    return &filters[resample];
}

const char *resample_name(int resample) {
    const Filter *f = get_filter(resample);
    return f ? f->name : NULL;
}

/* ---- coefficients of one axis (Pillow's precompute_coeffs) ---- */

int resample_coeffs(int in_size, int out_size, int resample, ResampleCoeffs *c) {
    memset(c, 0, sizeof *c);
    const Filter *flt = get_filter(resample);
    if (!flt || !flt->f) return vlm_fail("resample_coeffs: filter %d is not a convolution filter", resample);
    if (in_size < 1 || out_size < 1 || in_size > IMAGE_MAX_SIDE || out_size > IMAGE_MAX_SIDE)
        return vlm_fail("resample_coeffs: bad sizes %d -> %d", in_size, out_size);
    double scale = (double)in_size / out_size;
    double filterscale = scale < 1.0 ? 1.0 : scale; /* widen the kernel only when shrinking */
    double support = flt->support * filterscale;
    int ksize = (int)ceil(support) * 2 + 1;
    c->in_size = in_size;
    c->out_size = out_size;
    c->ksize = ksize;
    c->xmin = xmalloc(sizeof(int) * (size_t)out_size);
    c->count = xmalloc(sizeof(int) * (size_t)out_size);
    c->w = xcalloc((size_t)out_size * (size_t)ksize, sizeof(double));
    c->k = xcalloc((size_t)out_size * (size_t)ksize, sizeof(int32_t));
    double ss = 1.0 / filterscale;
    for (int xx = 0; xx < out_size; xx++) {
        double center = (xx + 0.5) * scale; /* output pixel xx's centre, in input pixels */
        int xmin = (int)(center - support + 0.5); /* C cast truncates, as in Pillow */
        if (xmin < 0) xmin = 0;
        int xmax = (int)(center + support + 0.5);
        if (xmax > in_size) xmax = in_size;
        int count = xmax - xmin;
        double *w = c->w + (size_t)xx * ksize;
        double ww = 0.0;
        for (int x = 0; x < count; x++) {
            w[x] = flt->f((x + xmin - center + 0.5) * ss); /* input pixel centred at i + 0.5 */
            ww += w[x];
        }
        for (int x = 0; x < count; x++)
            if (ww != 0.0) w[x] /= ww; /* border taps are cut: renormalise to sum 1 */
        /* 22-bit fixed point, round half away from zero; NOT renormalised. */
        int32_t *k = c->k + (size_t)xx * ksize;
        for (int x = 0; x < count; x++)
            k[x] = (int32_t)(w[x] < 0 ? -0.5 + w[x] * (1 << RESAMPLE_PRECISION_BITS)
                                      : 0.5 + w[x] * (1 << RESAMPLE_PRECISION_BITS));
        c->xmin[xx] = xmin;
        c->count[xx] = count;
    }
    return 0;
}

void resample_coeffs_free(ResampleCoeffs *c) {
    if (!c) return;
    free(c->xmin);
    free(c->count);
    free(c->w);
    free(c->k);
    memset(c, 0, sizeof *c);
}

/* acc >> 22 clamped to 0..255.  Floor division keeps the shift arithmetic
 * for negative sums on any compiler. */
static uint8_t clip8(int32_t acc) {
    int32_t v = acc >= 0 ? acc >> RESAMPLE_PRECISION_BITS
                         : -((-acc + (1 << RESAMPLE_PRECISION_BITS) - 1) >> RESAMPLE_PRECISION_BITS);
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* Horizontal pass over rows [row0, row0 + out->height) of `in`. */
static void pass_horizontal(const Image *in, int row0, const ResampleCoeffs *c, Image *out) {
    for (int y = 0; y < out->height; y++) {
        const uint8_t *src = in->rgb + (size_t)(row0 + y) * in->width * 3;
        uint8_t *dst = out->rgb + (size_t)y * out->width * 3;
        for (int xx = 0; xx < out->width; xx++) {
            const int32_t *k = c->k + (size_t)xx * c->ksize;
            const uint8_t *p = src + (size_t)c->xmin[xx] * 3;
            for (int ch = 0; ch < 3; ch++) {
                int32_t acc = 1 << (RESAMPLE_PRECISION_BITS - 1); /* +0.5: round */
                for (int x = 0; x < c->count[xx]; x++) acc += (int32_t)p[x * 3 + ch] * k[x];
                dst[xx * 3 + ch] = clip8(acc);
            }
        }
    }
}

/* Vertical pass; the coefficients' xmin are shifted by -row0 (the first row
 * the horizontal pass produced). */
static void pass_vertical(const Image *in, int row0, const ResampleCoeffs *c, Image *out) {
    size_t stride = (size_t)in->width * 3;
    for (int yy = 0; yy < out->height; yy++) {
        const int32_t *k = c->k + (size_t)yy * c->ksize;
        const uint8_t *src = in->rgb + (size_t)(c->xmin[yy] - row0) * stride;
        uint8_t *dst = out->rgb + (size_t)yy * out->width * 3;
        for (int i = 0; i < out->width * 3; i++) {
            int32_t acc = 1 << (RESAMPLE_PRECISION_BITS - 1);
            for (int y = 0; y < c->count[yy]; y++) acc += (int32_t)src[y * stride + i] * k[y];
            dst[i] = clip8(acc);
        }
    }
}

/* PIL's NEAREST resize: an affine scale with pixel centres at +0.5,
 * positions accumulated in double like ImagingScaleAffine. */
static void resize_nearest(const Image *in, Image *out) {
    int *xin = xmalloc(sizeof(int) * (size_t)out->width);
    double ax = (double)in->width / out->width, ay = (double)in->height / out->height;
    double xo = ax * 0.5;
    for (int x = 0; x < out->width; x++, xo += ax) {
        int v = xo < 0.0 ? 0 : (int)xo;
        xin[x] = v < in->width ? v : in->width - 1;
    }
    double yo = ay * 0.5;
    for (int y = 0; y < out->height; y++, yo += ay) {
        int yi = yo < 0.0 ? 0 : (int)yo;
        if (yi >= in->height) yi = in->height - 1;
        for (int x = 0; x < out->width; x++)
            memcpy(out->rgb + ((size_t)y * out->width + x) * 3,
                   in->rgb + ((size_t)yi * in->width + xin[x]) * 3, 3);
    }
    free(xin);
}

int image_resize(const Image *in, int out_w, int out_h, int resample, Image *out) {
    memset(out, 0, sizeof *out);
    if (!get_filter(resample))
        return vlm_fail("resize: unknown resample filter %d (PIL codes: 0 NEAREST, 1 LANCZOS, "
                        "2 BILINEAR, 3 BICUBIC, 4 BOX, 5 HAMMING)", resample);
    if (!in->rgb || in->width < 1 || in->height < 1) return vlm_fail("resize: empty input image");
    if (out_w < 1 || out_h < 1 || out_w > IMAGE_MAX_SIDE || out_h > IMAGE_MAX_SIDE ||
        (long)out_w * out_h > IMAGE_MAX_PIXELS)
        return vlm_fail("resize: cannot resize %dx%d to %dx%d (size out of range)", in->width,
                        in->height, out_w, out_h);
    if (out_w == in->width && out_h == in->height) { /* PIL returns a copy */
        *out = image_clone(in);
        free(out->alpha);
        out->alpha = NULL;
        return 0;
    }
    image_new(out_w, out_h, out);
    if (resample == RESAMPLE_NEAREST) {
        resize_nearest(in, out);
        return 0;
    }
    int need_h = out_w != in->width, need_v = out_h != in->height;
    /* Vertical coefficients first: they say which input rows are needed. */
    ResampleCoeffs cv, ch;
    resample_coeffs(in->height, out_h, resample, &cv);
    int row0 = cv.xmin[0];
    int row1 = cv.xmin[out_h - 1] + cv.count[out_h - 1];
    if (need_h) {
        resample_coeffs(in->width, out_w, resample, &ch);
        if (!need_v) {
            pass_horizontal(in, 0, &ch, out);
        } else {
            /* The 8-bit intermediate: rounded and clipped.  Allocated directly:
             * out_w x (rows used) may exceed the limits that apply to files. */
            Image tmp = {out_w, row1 - row0, NULL, NULL};
            tmp.rgb = xmalloc((size_t)tmp.width * (size_t)tmp.height * 3);
            pass_horizontal(in, row0, &ch, &tmp);
            pass_vertical(&tmp, row0, &cv, out);
            image_free(&tmp);
        }
        resample_coeffs_free(&ch);
    } else {
        pass_vertical(in, 0, &cv, out);
    }
    resample_coeffs_free(&cv);
    return 0;
}

int image_center_crop(const Image *in, int crop_h, int crop_w, Image *out, int *top, int *left) {
    memset(out, 0, sizeof *out);
    if (crop_h < 1 || crop_w < 1)
        return vlm_fail("center crop: bad crop size %dx%d", crop_w, crop_h);
    /* HF image_transforms.center_crop.  In range: top = (H - h) // 2.  Else
     * the image is first zero padded to max(H, h) x max(W, w) with
     * ceil(pad / 2) before it, and the same window is taken from the padded
     * image; in input coordinates that is a window starting at t - pad_top. */
    int H = in->height, W = in->width;
    int t = (int)floor((H - crop_h) / 2.0), l = (int)floor((W - crop_w) / 2.0);
    if (!(t >= 0 && t + crop_h <= H && l >= 0 && l + crop_w <= W)) {
        int nh = H > crop_h ? H : crop_h, nw = W > crop_w ? W : crop_w;
        int pad_t = (nh - H + 1) / 2, pad_l = (nw - W + 1) / 2;
        /* crop of the padded image: [max(0, t + pad_t), min(nh, t + pad_t + h)) */
        int pt = t + pad_t, pl = l + pad_l;
        int pt0 = pt < 0 ? 0 : pt, pl0 = pl < 0 ? 0 : pl;
        int pt1 = pt + crop_h > nh ? nh : pt + crop_h, pl1 = pl + crop_w > nw ? nw : pl + crop_w;
        t = pt0 - pad_t;
        l = pl0 - pad_l;
        crop_h = pt1 - pt0;
        crop_w = pl1 - pl0;
    }
    if (top) *top = t;
    if (left) *left = l;
    return image_crop(in, t, l, crop_h, crop_w, out);
}

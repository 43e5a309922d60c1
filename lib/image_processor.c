/* image_processor.c — see image_processor.h.  Follows transformers' slow
 * processors (image_processing_vit.py, image_processing_clip.py,
 * image_processing_siglip.py, image_processing_idefics3.py): every resize is
 * PIL's (resize.c), every value step numpy's float64/float32 arithmetic. */
#include "image_processor.h"

/* at most this many tiles when an Idefics3 image is split (see split_frames) */
#define IMAGE_MAX_TILES 1024

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "resize.h"
#include "util.h"

/* ---- configuration ---- */

static const float IMAGENET_STANDARD[3] = {0.5f, 0.5f, 0.5f};
static const float CLIP_MEAN[3] = {0.48145466f, 0.4578275f, 0.40821073f};
static const float CLIP_STD[3] = {0.26862954f, 0.26130258f, 0.27577711f};

static int kind_of(const char *type, ImageProcessorKind *kind) {
    static const struct {
        const char *name;
        ImageProcessorKind kind;
    } known[] = {
        {"ViTImageProcessor", IP_VIT},       {"ViTFeatureExtractor", IP_VIT},
        {"CLIPImageProcessor", IP_CLIP},     {"CLIPFeatureExtractor", IP_CLIP},
        {"SiglipImageProcessor", IP_SIGLIP}, {"Idefics3ImageProcessor", IP_IDEFICS3},
        {"SmolVLMImageProcessor", IP_IDEFICS3},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(type, known[i].name) == 0) {
            *kind = known[i].kind;
            return 0;
        }
    return -1;
}

/* The defaults of each class's __init__ (transformers). */
static void set_defaults(ImageProcessor *p) {
    p->do_resize = 1;
    p->do_rescale = 1;
    p->rescale_factor = 1.0 / 255.0;
    p->do_normalize = 1;
    memcpy(p->image_mean, IMAGENET_STANDARD, sizeof p->image_mean);
    memcpy(p->image_std, IMAGENET_STANDARD, sizeof p->image_std);
    switch (p->kind) {
    case IP_VIT:
        p->resample = RESAMPLE_BILINEAR;
        p->size_height = p->size_width = 224;
        break;
    case IP_SIGLIP:
        p->resample = RESAMPLE_BICUBIC;
        p->size_height = p->size_width = 224;
        break;
    case IP_CLIP:
        p->resample = RESAMPLE_BICUBIC;
        p->shortest_edge = 224;
        p->do_center_crop = 1;
        p->crop_height = p->crop_width = 224;
        p->do_convert_rgb = 1;
        memcpy(p->image_mean, CLIP_MEAN, sizeof p->image_mean);
        memcpy(p->image_std, CLIP_STD, sizeof p->image_std);
        break;
    case IP_IDEFICS3:
        p->resample = RESAMPLE_LANCZOS;
        p->longest_edge = 4 * 364;
        p->max_image_size = 364;
        p->do_image_splitting = 1;
        p->do_convert_rgb = 1;
        break;
    }
}

static int side_ok(const cJSON *v, const char *where, const char *key, int *out) {
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < 1 ||
        v->valuedouble > IMAGE_MAX_SIDE)
        return vlm_fail("%s: '%s' must be an integer in 1..%d", where, key, IMAGE_MAX_SIDE);
    *out = (int)v->valuedouble;
    return 0;
}

/* size / crop_size: an int, or {height, width}, {shortest_edge}, {longest_edge}. */
static int read_size(const cJSON *cfg, const char *where, const char *key, int *h, int *w,
                     int *shortest, int *longest) {
    const cJSON *s = json_get(cfg, key);
    if (!s) return 0; /* keep the default */
    if (cJSON_IsNumber(s)) {
        /* Old configs: a bare int.  HF's get_size_dict makes it square, except
         * for CLIP (shortest edge) and Idefics3 (longest edge). */
        int v;
        if (side_ok(s, where, key, &v)) return -1;
        *h = *w = 0;
        if (shortest) *shortest = 0;
        if (longest) *longest = 0;
        if (shortest) *shortest = v;
        else if (longest) *longest = v;
        else *h = *w = v;
        return 0;
    }
    if (!cJSON_IsObject(s)) return vlm_fail("%s: '%s' must be a number or an object", where, key);
    int nh = 0, nw = 0, ns = 0, nl = 0;
    const cJSON *v;
    if ((v = json_get(s, "height")) && side_ok(v, where, "height", &nh)) return -1;
    if ((v = json_get(s, "width")) && side_ok(v, where, "width", &nw)) return -1;
    if ((v = json_get(s, "shortest_edge")) && side_ok(v, where, "shortest_edge", &ns)) return -1;
    if ((v = json_get(s, "longest_edge")) && side_ok(v, where, "longest_edge", &nl)) return -1;
    if ((nh > 0) != (nw > 0))
        return vlm_fail("%s: '%s' needs both height and width", where, key);
    if (nh > 0) {
        *h = nh;
        *w = nw;
        if (shortest) *shortest = 0;
        if (longest) *longest = 0;
    } else if (ns > 0 && shortest) {
        *shortest = ns;
        *h = *w = 0;
    } else if (nl > 0 && longest) {
        *longest = nl;
        *h = *w = 0;
    } else {
        return vlm_fail("%s: '%s' has no usable size (expected %s)", where, key,
                        shortest ? "shortest_edge or height + width"
                        : longest ? "longest_edge or height + width"
                                  : "height and width");
    }
    return 0;
}

static int read_mean_std(const cJSON *cfg, const char *where, const char *key, float out[3]) {
    const cJSON *a = json_get(cfg, key);
    if (!a) return 0;
    if (cJSON_IsNumber(a)) { /* HF accepts one float for all channels */
        out[0] = out[1] = out[2] = (float)a->valuedouble;
        return 0;
    }
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 3)
        return vlm_fail("%s: '%s' must be a list of 3 numbers (one per RGB channel)", where, key);
    for (int c = 0; c < 3; c++) {
        const cJSON *v = cJSON_GetArrayItem(a, c);
        if (!cJSON_IsNumber(v)) return vlm_fail("%s: '%s'[%d] is not a number", where, key, c);
        out[c] = (float)v->valuedouble; /* numpy: np.array(mean, dtype=float32) */
    }
    return 0;
}

int image_processor_from_json(const cJSON *cfg, const char *where, ImageProcessor *p) {
    memset(p, 0, sizeof *p);
    if (!cJSON_IsObject(cfg)) return vlm_fail("%s: not a JSON object", where);
    const char *type = json_str(cfg, "image_processor_type", NULL);
    if (!type) type = json_str(cfg, "feature_extractor_type", NULL);
    if (!type) return vlm_fail("%s: no 'image_processor_type'", where);
    if (kind_of(type, &p->kind))
        return vlm_fail("%s: image_processor_type '%s' is not supported (ViTImageProcessor, "
                        "CLIPImageProcessor, SiglipImageProcessor, Idefics3ImageProcessor, "
                        "SmolVLMImageProcessor)", where, type);
    snprintf(p->type, sizeof p->type, "%s", type);
    set_defaults(p);

    p->do_resize = json_bool(cfg, "do_resize", p->do_resize);
    p->resample = json_int(cfg, "resample", p->resample);
    if (!resample_name(p->resample))
        return vlm_fail("%s: 'resample' %d is not a PIL filter (0..5)", where, p->resample);
    int dummy_h = 0, dummy_w = 0;
    switch (p->kind) {
    case IP_VIT:
    case IP_SIGLIP:
        if (read_size(cfg, where, "size", &p->size_height, &p->size_width, NULL, NULL)) return -1;
        break;
    case IP_CLIP:
        if (read_size(cfg, where, "size", &p->size_height, &p->size_width, &p->shortest_edge, NULL))
            return -1;
        if (read_size(cfg, where, "crop_size", &p->crop_height, &p->crop_width, NULL, NULL))
            return -1;
        p->do_center_crop = json_bool(cfg, "do_center_crop", p->do_center_crop);
        break;
    case IP_IDEFICS3:
        if (read_size(cfg, where, "size", &p->size_height, &p->size_width, NULL, &p->longest_edge))
            return -1;
        if (json_has(cfg, "max_image_size")) {
            int m = 0;
            if (read_size(cfg, where, "max_image_size", &dummy_h, &dummy_w, NULL, &m)) return -1;
            if (m == 0) return vlm_fail("%s: 'max_image_size' needs longest_edge", where);
            p->max_image_size = m;
        }
        p->do_image_splitting = json_bool(cfg, "do_image_splitting", p->do_image_splitting);
        break;
    }
    p->do_rescale = json_bool(cfg, "do_rescale", p->do_rescale);
    p->rescale_factor = json_num(cfg, "rescale_factor", p->rescale_factor);
    if (!(p->rescale_factor > 0) || !isfinite(p->rescale_factor))
        return vlm_fail("%s: 'rescale_factor' must be a positive number", where);
    p->do_normalize = json_bool(cfg, "do_normalize", p->do_normalize);
    if (read_mean_std(cfg, where, "image_mean", p->image_mean)) return -1;
    if (read_mean_std(cfg, where, "image_std", p->image_std)) return -1;
    for (int c = 0; c < 3; c++)
        if (!(p->image_std[c] != 0) || !isfinite(p->image_std[c]) || !isfinite(p->image_mean[c]))
            return vlm_fail("%s: image_std must be non-zero and image_mean/std finite", where);
    p->do_convert_rgb = json_bool(cfg, "do_convert_rgb", p->do_convert_rgb);
    return 0;
}

int image_processor_open(const char *model_dir, ImageProcessor *p) {
    memset(p, 0, sizeof *p);
    char *path = path_join(model_dir, "preprocessor_config.json");
    if (!file_exists(path)) {
        vlm_fail("%s: missing (the model folder has no image processor config)", path);
        free(path);
        return -1;
    }
    cJSON *cfg = json_load(path);
    int rc = cfg ? image_processor_from_json(cfg, path, p) : -1;
    cJSON_Delete(cfg);
    free(path);
    return rc;
}

/* ---- the uint8 stages ---- */

static void rec_image(Recorder *rec, const Image *img, const char *name) {
    if (!rec) return;
    Tensor t = image_as_tensor(img);
    rec_tensor(rec, &t, "%s", name);
}

/* Replace *img by out (freeing the old one). */
static void swap_in(Image *img, Image *out) {
    image_free(img);
    *img = *out;
}

/* transformers get_resize_output_image_size(default_to_square=False):
 * the short side becomes S, the long side int(S * long / short) (truncation). */
static void shortest_edge_size(int w, int h, int S, int *ow, int *oh) {
    int short_ = w <= h ? w : h, long_ = w <= h ? h : w;
    int new_long = (int)((double)S * long_ / short_);
    if (w <= h) {
        *ow = S;
        *oh = new_long;
    } else {
        *ow = new_long;
        *oh = S;
    }
}

/* Idefics3 _resize_output_size_rescale_to_max_len + _scale_below_upper_bound (4096). */
static void longest_edge_size(int w, int h, int L, int *ow, int *oh) {
    double aspect = (double)w / h;
    int nw, nh;
    if (w >= h) {
        nw = L;
        nh = (int)(nw / aspect);
        if (nh % 2 != 0) nh++;
    } else {
        nh = L;
        nw = (int)(nh * aspect);
        if (nw % 2 != 0) nw++;
    }
    if (nh < 1) nh = 1;
    if (nw < 1) nw = 1;
    const int upper = 4096; /* transformers MAX_IMAGE_SIZE */
    aspect = (double)nw / nh;
    if (nw >= nh && nw > upper) {
        nw = upper;
        nh = (int)(nw / aspect);
    } else if (nh > nw && nh > upper) {
        nh = upper;
        nw = (int)(nh * aspect);
    }
    *ow = nw < 1 ? 1 : nw;
    *oh = nh < 1 ? 1 : nh;
}

static int ceil_mult(int v, int m) { return (v + m - 1) / m * m; }

static int resize_to(Image *img, int w, int h, int resample, Recorder *rec, const char *name) {
    Image out;
    if (image_resize(img, w, h, resample, &out)) return -1;
    swap_in(img, &out);
    rec_image(rec, img, name);
    return 0;
}

/* Idefics3: returns frames in *frames (n of them). */
static int idefics3_frames(const ImageProcessor *p, Image *img, Image **frames, int *n,
                           ImageGrid *grid, Recorder *rec) {
    int M = p->max_image_size;
    if (M < 1) return vlm_fail("%s: max_image_size must be positive", p->type);
    if (p->do_resize) {
        int w = p->size_width, h = p->size_height;
        if (p->longest_edge > 0) longest_edge_size(img->width, img->height, p->longest_edge, &w, &h);
        if (resize_to(img, w, h, p->resample, rec, "image.resized")) return -1;
    }
    grid->rows = grid->cols = 0;
    if (!p->do_image_splitting) {
        /* Square to M x M, aspect ratio not kept. */
        if (resize_to(img, M, M, p->resample, rec, "image.square")) return -1;
        *frames = xmalloc(sizeof(Image));
        (*frames)[0] = image_clone(img);
        *n = 1;
        return 0;
    }
    /* resize_for_vision_encoder: both sides to multiples of M; the short side
     * is derived from the ROUNDED long side. */
    int w = img->width, h = img->height;
    double aspect = (double)w / h;
    if (w >= h) {
        w = ceil_mult(w, M);
        h = ceil_mult((int)(w / aspect), M);
    } else {
        h = ceil_mult(h, M);
        w = ceil_mult((int)(h * aspect), M);
    }
    if (w < 1 || h < 1)
        return vlm_fail("%s: image %dx%d is too thin to split into %dx%d tiles", p->type,
                        img->width, img->height, M, M);
    /* Real configs give a handful of tiles (SmolVLM: at most 4 x 4 = 16 of 512 px); a
     * config with a tiny max_image_size would ask for millions, each a frame of work. */
    if ((int64_t)(w / M) * (h / M) > IMAGE_MAX_TILES)
        return vlm_fail("%s: splitting %dx%d into %dx%d tiles gives %lld tiles (at most %d): "
                        "check max_image_size in preprocessor_config.json",
                        p->type, w, h, M, M, (long long)(w / M) * (h / M), IMAGE_MAX_TILES);
    if (resize_to(img, w, h, p->resample, rec, "image.resized_for_encoder")) return -1;
    if (h > M || w > M) {
        int rows = h / M, cols = w / M; /* exact: both are multiples of M */
        *n = rows * cols + 1;
        *frames = xmalloc(sizeof(Image) * (size_t)*n);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) image_crop(img, r * M, c * M, M, M, &(*frames)[r * cols + c]);
        Image global;
        if (image_resize(img, M, M, p->resample, &global)) {
            for (int i = 0; i < rows * cols; i++) image_free(&(*frames)[i]);
            free(*frames);
            *frames = NULL;
            return -1;
        }
        rec_image(rec, &global, "image.global");
        (*frames)[rows * cols] = global;
        grid->rows = rows;
        grid->cols = cols;
    } else {
        *frames = xmalloc(sizeof(Image));
        (*frames)[0] = image_clone(img);
        *n = 1;
    }
    return 0;
}

int image_processor_frames(const ImageProcessor *p, const Image *in, Image **frames, int *n,
                           ImageGrid *grid_out, Recorder *rec) {
    *frames = NULL;
    *n = 0;
    ImageGrid grid = {1, 0, 0};
    if (!in->rgb || in->width < 1 || in->height < 1) return vlm_fail("%s: empty image", p->type);
    Image img = image_clone(in);
    /* Idefics3's convert_to_rgb composites transparent pixels on white; the
     * other processors' convert("RGB") just drops alpha (image_load did). */
    if (p->kind == IP_IDEFICS3 && p->do_convert_rgb) image_composite_on_white(&img);
    free(img.alpha);
    img.alpha = NULL;

    int rc = 0;
    if (p->kind == IP_IDEFICS3) {
        rc = idefics3_frames(p, &img, frames, n, &grid, rec);
        image_free(&img);
        if (rc) return -1;
        grid.frames = *n;
        if (grid_out) *grid_out = grid;
        return 0;
    }
    if (p->do_resize) {
        int w = p->size_width, h = p->size_height;
        if (p->kind == IP_CLIP && p->shortest_edge > 0)
            shortest_edge_size(img.width, img.height, p->shortest_edge, &w, &h);
        rc = resize_to(&img, w, h, p->resample, rec, "image.resized");
    }
    if (!rc && p->kind == IP_CLIP && p->do_center_crop) {
        Image out;
        rc = image_center_crop(&img, p->crop_height, p->crop_width, &out, NULL, NULL);
        if (!rc) {
            swap_in(&img, &out);
            rec_image(rec, &img, "image.cropped");
        }
    }
    if (rc) {
        image_free(&img);
        return -1;
    }
    *frames = xmalloc(sizeof(Image));
    (*frames)[0] = img;
    *n = 1;
    if (grid_out) *grid_out = grid;
    return 0;
}

/* ---- values ---- */

void image_processor_lut(const ImageProcessor *p, float lut[3][256]) {
    for (int c = 0; c < 3; c++)
        for (int v = 0; v < 256; v++) {
            /* rescale: numpy float64 multiply, then astype(float32) */
            float x = p->do_rescale ? (float)((double)v * p->rescale_factor) : (float)v;
            /* normalize: float32 arithmetic with float32 mean/std */
            if (p->do_normalize) x = (x - p->image_mean[c]) / p->image_std[c];
            lut[c][v] = x;
        }
}

int image_processor_run_grid(const ImageProcessor *p, const Image *img, Tensor *pixel_values,
                             ImageGrid *grid_out, Recorder *rec) {
    memset(pixel_values, 0, sizeof *pixel_values);
    Image *frames;
    int n;
    ImageGrid grid;
    if (image_processor_frames(p, img, &frames, &n, &grid, rec)) return -1;
    int H = frames[0].height, W = frames[0].width;
    float lut[3][256];
    image_processor_lut(p, lut);
    Tensor pv;
    if (p->kind == IP_IDEFICS3)
        pv = tensor_new(DT_F32, 5, (int64_t[]){1, n, 3, H, W});
    else
        pv = tensor_new(DT_F32, 4, (int64_t[]){1, 3, H, W});
    float *out = tensor_f(&pv);
    size_t plane = (size_t)H * W;
    for (int f = 0; f < n; f++) {
        const uint8_t *src = frames[f].rgb; /* (H, W, 3) -> (3, H, W): channels first */
        float *dst = out + (size_t)f * 3 * plane;
        for (size_t i = 0; i < plane; i++)
            for (int c = 0; c < 3; c++) dst[c * plane + i] = lut[c][src[i * 3 + c]];
        image_free(&frames[f]);
    }
    free(frames);
    if (rec) {
        rec_tensor(rec, &pv, "pixel_values");
        if (p->kind == IP_IDEFICS3) { /* no padding for one image: all real pixels */
            Tensor mask = tensor_new(DT_I64, 4, (int64_t[]){1, n, H, W});
            for (int64_t i = 0; i < tensor_numel(&mask); i++) tensor_i(&mask)[i] = 1;
            rec_tensor(rec, &mask, "pixel_attention_mask");
            tensor_free(&mask);
        }
    }
    *pixel_values = pv;
    if (grid_out) *grid_out = grid;
    return 0;
}

int image_processor_run(const ImageProcessor *p, const Image *img, Tensor *pixel_values,
                        Recorder *rec) {
    return image_processor_run_grid(p, img, pixel_values, NULL, rec);
}

int image_processor_check(const Tensor *pixel_values, int C, int H, int W, const char *model_dir) {
    const Tensor *p = pixel_values;
    int d = p->ndim;
    if ((d == 4 || d == 5) && p->shape[0] == 1 && p->shape[d - 3] == C && p->shape[d - 2] == H &&
        p->shape[d - 1] == W)
        return 0;
    char got[128];
    tensor_shape_str(p, got, sizeof got);
    return vlm_fail("%s: preprocessor_config.json gives pixel_values of %s, config.json's vision "
                    "tower reads %d channels of %d x %d", model_dir, got, C, H, W);
}

void image_processor_print(const ImageProcessor *p) {
    printf("%s\n", p->type);
    if (p->do_resize) {
        const char *rs = resample_name(p->resample);
        if (p->shortest_edge) printf("  resize: shortest edge -> %d (%s)\n", p->shortest_edge, rs);
        else if (p->longest_edge) printf("  resize: longest edge -> %d (%s)\n", p->longest_edge, rs);
        else printf("  resize: %dx%d (%s)\n", p->size_width, p->size_height, rs);
    }
    if (p->kind == IP_CLIP && p->do_center_crop)
        printf("  center crop: %dx%d\n", p->crop_width, p->crop_height);
    if (p->kind == IP_IDEFICS3) {
        if (p->do_image_splitting)
            printf("  split: %dx%d tiles + a %dx%d global image\n", p->max_image_size,
                   p->max_image_size, p->max_image_size, p->max_image_size);
        else
            printf("  square: %dx%d\n", p->max_image_size, p->max_image_size);
    }
    if (p->do_rescale) printf("  rescale: x * %.17g\n", p->rescale_factor);
    if (p->do_normalize)
        printf("  normalize: mean [%.8g, %.8g, %.8g] std [%.8g, %.8g, %.8g]\n", p->image_mean[0],
               p->image_mean[1], p->image_mean[2], p->image_std[0], p->image_std[1],
               p->image_std[2]);
}

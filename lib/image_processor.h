/* image_processor.h — Hugging Face image processors from preprocessor_config.json.
 *
 * Reproduces the slow (PIL-based) processors of transformers bit for bit:
 *   ViTImageProcessor      resize to size {height, width} (BILINEAR)
 *   CLIPImageProcessor     resize shortest edge (BICUBIC), center crop
 *   SiglipImageProcessor   resize to size {height, width} (BICUBIC)
 *   Idefics3ImageProcessor / SmolVLMImageProcessor
 *                          longest edge -> size.longest_edge (LANCZOS), then
 *                          either one M x M square (M = max_image_size.longest_edge)
 *                          or, with do_image_splitting, rows x cols M x M tiles
 *                          + the M x M global image
 * then rescale and normalise, channels first:
 *   pixel_values[c][y][x] = ((float)((double)u8 * rescale_factor) - mean_f32[c]) / std_f32[c]
 * (the double multiply, then float32 arithmetic, exactly like numpy in HF).
 *
 * Usage
 *     ImageProcessor proc;
 *     if (image_processor_open(model_dir, &proc)) vlm_die(argv[0]);
 *     Tensor pixel_values;                  // f32, owned: tensor_free() it
 *     ImageGrid grid;                       // Idefics3: frames, rows, cols
 *     if (image_processor_run_grid(&proc, &img, &pixel_values, &grid, rec)) ...
 * pixel_values is [1, 3, H, W] (ViT/CLIP/SigLIP) or [1, frames, 3, M, M]
 * (Idefics3).  The fields of ImageProcessor are plain and may be changed after
 * opening (e.g. golden_split's overrides: do_image_splitting = 1,
 * longest_edge = 64).
 *
 * Recorder names (a NULL rec records nothing), U8 (H, W, 3) tensors:
 *   ViT, SigLIP:  image.resized
 *   CLIP:         image.resized, image.cropped
 *   Idefics3:     image.resized, then image.square (no splitting) or
 *                 image.resized_for_encoder + image.global (splitting)
 * and always `pixel_values` (F32); Idefics3 also `pixel_attention_mask`
 * (I64 [1, frames, M, M], all ones).
 * Only stages that ran are recorded (do_resize = false: no image.resized).
 */
#ifndef VLM_IMAGE_PROCESSOR_H
#define VLM_IMAGE_PROCESSOR_H

#include <cjson/cJSON.h>

#include "image.h"
#include "recorder.h"
#include "tensor.h"

typedef enum { IP_VIT, IP_CLIP, IP_SIGLIP, IP_IDEFICS3 } ImageProcessorKind;

typedef struct {
    ImageProcessorKind kind;
    char type[64];          /* image_processor_type as written in the file */
    /* resize */
    int do_resize;
    int resample;           /* PIL code, see resize.h */
    int size_height, size_width; /* size {height, width}; 0 when not used */
    int shortest_edge;      /* size {shortest_edge} (CLIP); 0 when not used */
    int longest_edge;       /* size {longest_edge} (Idefics3); 0 when not used */
    /* crop (CLIP) */
    int do_center_crop;
    int crop_height, crop_width;
    /* Idefics3 */
    int do_image_splitting;
    int max_image_size;     /* max_image_size {longest_edge}: M */
    /* values */
    int do_rescale;
    double rescale_factor;  /* 1/255 */
    int do_normalize;
    float image_mean[3], image_std[3]; /* rounded to float32 like numpy does */
    int do_convert_rgb;     /* Idefics3: composite alpha on white first */
} ImageProcessor;

/* Idefics3 tiling: frames = rows * cols + 1 when split (tiles row-major, then
 * the global image), else frames = 1 and rows = cols = 0.  Other processors:
 * frames = 1, rows = cols = 0. */
typedef struct {
    int frames, rows, cols;
} ImageGrid;

/* Read <model_dir>/preprocessor_config.json (absent keys get the HF defaults of
 * the class named by image_processor_type).  -1 with "<file>: ..." on error. */
int image_processor_open(const char *model_dir, ImageProcessor *p);
/* Same from a parsed object (e.g. golden.json inputs.processor); `where` names it in errors. */
int image_processor_from_json(const cJSON *cfg, const char *where, ImageProcessor *p);

/* Preprocess one image: *pixel_values = new f32 tensor (see contract).
 * grid may be NULL.  -1 with an error (e.g. an impossible size). */
int image_processor_run(const ImageProcessor *p, const Image *img, Tensor *pixel_values,
                        Recorder *rec);
int image_processor_run_grid(const ImageProcessor *p, const Image *img, Tensor *pixel_values,
                             ImageGrid *grid, Recorder *rec);
/* Is pixel_values ([1, C, H, W], or [1, frames, C, H, W] for Idefics3) what a vision tower
 * reading C channels of H x W pixels takes (config.json's num_channels and image_size)?
 * -1 with "<model_dir>: preprocessor_config.json gives pixel_values [...], config.json's
 * vision tower reads ..." when not: the two files of a folder disagree. */
int image_processor_check(const Tensor *pixel_values, int C, int H, int W, const char *model_dir);

/* The uint8 frames the model sees (after resize / crop / split), in order;
 * *frames is a new array of *n images: free each with image_free, then free().
 * Lessons use it to draw the patch grid of what the model actually reads. */
int image_processor_frames(const ImageProcessor *p, const Image *img, Image **frames, int *n,
                           ImageGrid *grid, Recorder *rec);

/* lut[c][v] = the float32 pixel value of uint8 v in channel c (rescale +
 * normalise), i.e. pixel_values is a per-channel lookup of the final uint8 image. */
void image_processor_lut(const ImageProcessor *p, float lut[3][256]);

/* Print the settings in one line per stage (lessons show what the processor does). */
void image_processor_print(const ImageProcessor *p);

#endif

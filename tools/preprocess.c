/* preprocess — run a model folder's image processor on one image.
 *
 *   build/preprocess DIR IMAGE OUT.safetensors
 *
 * Reads DIR/preprocessor_config.json (ViT, CLIP, SigLIP, Idefics3/SmolVLM),
 * preprocesses IMAGE exactly like Hugging Face's slow (PIL) processor and
 * writes OUT.safetensors with `pixel_values` (F32, [1, 3, H, W]; Idefics3
 * [1, frames, 3, M, M]) and the uint8 stages under the goldens' names
 * (`image.resized`, `image.cropped`, ... as U8 (H, W, 3)); compare them with
 * Python's output using build/compare.
 */
#include <stdio.h>
#include <string.h>

#include "image.h"
#include "image_processor.h"
#include "recorder.h"
#include "util.h"

int main(int argc, char **argv) {
    if (argc != 4 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fprintf(stderr,
                "usage: %s MODEL_DIR IMAGE OUT.safetensors\n"
                "  writes pixel_values and the uint8 resize/crop stages of MODEL_DIR's\n"
                "  preprocessor_config.json applied to IMAGE\n",
                argv[0]);
        return argc == 2 ? 0 : 2;
    }
    ImageProcessor proc;
    if (image_processor_open(argv[1], &proc)) vlm_die(argv[0]);
    Image img;
    if (image_load(argv[2], &img)) vlm_die(argv[0]);

    Recorder rec;
    rec_init(&rec);
    Tensor pixel_values;
    ImageGrid grid;
    if (image_processor_run_grid(&proc, &img, &pixel_values, &grid, &rec)) vlm_die(argv[0]);

    char buf[128];
    printf("%s: %dx%d -> %s\n", argv[2], img.width, img.height, proc.type);
    for (int i = 0; i < rec.n; i++)
        printf("  %-26s %s %s\n", rec.names[i], dtype_name(rec.tensors[i].dtype),
               tensor_shape_str(&rec.tensors[i], buf, sizeof buf));
    if (grid.rows > 0) printf("  tiles: %d rows x %d cols + global image\n", grid.rows, grid.cols);
    if (rec_write(&rec, argv[3])) vlm_die(argv[0]);
    printf("wrote %s\n", argv[3]);

    tensor_free(&pixel_values);
    rec_free(&rec);
    image_free(&img);
    return 0;
}

/* fuzz_image — image_load_memory (stb_image: PNG, JPEG, BMP, GIF, ...) with the
 * size limits checked before decoding, then every image processor kind on the
 * decoded image (small target sizes so a run stays fast). */
#include "fuzz_util.h"
#include "image.h"
#include "image_processor.h"
#include "json.h"

static const char *CONFIGS[] = {
    "{\"image_processor_type\": \"ViTImageProcessor\", \"size\": {\"height\": 16, \"width\": 16}}",
    "{\"image_processor_type\": \"CLIPImageProcessor\", \"size\": {\"shortest_edge\": 20},"
    " \"crop_size\": {\"height\": 16, \"width\": 16}}",
    "{\"image_processor_type\": \"SiglipImageProcessor\", \"size\": {\"height\": 12, \"width\": 20}}",
    "{\"image_processor_type\": \"Idefics3ImageProcessor\", \"size\": {\"longest_edge\": 48},"
    " \"max_image_size\": {\"longest_edge\": 16}, \"do_image_splitting\": true}",
    "{\"image_processor_type\": \"SmolVLMImageProcessor\", \"size\": {\"longest_edge\": 24},"
    " \"max_image_size\": {\"longest_edge\": 24}, \"do_image_splitting\": false}",
};
enum { NPROC = sizeof CONFIGS / sizeof CONFIGS[0] };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static ImageProcessor proc[NPROC];
    static int init;
    if (!init) {
        for (int i = 0; i < NPROC; i++) {
            cJSON *j = cJSON_Parse(CONFIGS[i]);
            if (!j || image_processor_from_json(j, "fuzz config", &proc[i])) abort();
            cJSON_Delete(j);
        }
        init = 1;
    }
    Image img;
    if (image_load_memory(data, size, "fuzz.img", &img)) return 0;
    if (img.width < 1 || img.height < 1 || !img.rgb) abort(); /* loaded means usable */
    /* Preprocessing cost grows with the pixels; the decode above already ran
     * at full size, which is what the limits are about. */
    if ((long)img.width * img.height <= 1L << 18) {
        for (int i = 0; i < NPROC; i++) {
            Tensor pv;
            ImageGrid grid;
            if (image_processor_run_grid(&proc[i], &img, &pv, &grid, NULL) == 0) tensor_free(&pv);
        }
    }
    image_free(&img);
    return 0;
}

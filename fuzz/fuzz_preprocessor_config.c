/* fuzz_preprocessor_config — preprocessor_config.json through
 * image_processor_from_json, then (when the sizes it asks for are small enough
 * to run quickly) preprocessing of a fixed 7x5 RGBA image with it. */
#include "fuzz_util.h"
#include "image.h"
#include "image_processor.h"
#include "json.h"

static int small(int v) { return v <= 128; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static Image img;
    if (!img.rgb) {
        image_new(7, 5, &img);
        img.alpha = malloc(7 * 5);
        for (int i = 0; i < 7 * 5 * 3; i++) img.rgb[i] = (uint8_t)(i * 37);
        for (int i = 0; i < 7 * 5; i++) img.alpha[i] = (uint8_t)(i * 53);
    }
    const char *path = fuzz_write("preprocessor_config.json", data, size);
    cJSON *cfg = json_load(path);
    if (!cfg) return 0;
    ImageProcessor p;
    if (image_processor_from_json(cfg, path, &p) == 0 && small(p.size_height) &&
        small(p.size_width) && small(p.shortest_edge) && small(p.longest_edge) &&
        small(p.crop_height) && small(p.crop_width) && small(p.max_image_size)) {
        Tensor pv;
        ImageGrid grid;
        if (image_processor_run_grid(&p, &img, &pv, &grid, NULL) == 0) tensor_free(&pv);
    }
    cJSON_Delete(cfg);
    return 0;
}

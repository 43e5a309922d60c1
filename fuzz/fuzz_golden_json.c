/* fuzz_golden_json — golden.json manifests as build/parity reads them: open the manifest
 * (with a fixed valid golden.safetensors beside it) and compare every listed tensor. */
#include "fuzz_util.h"
#include "golden.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int written;
    if (!written) {
        fuzz_write_tiny_safetensors("golden.safetensors", "x");
        written = 1;
    }
    fuzz_write("golden.json", data, size);
    Golden g;
    if (golden_open(&g, fuzz_dir(), "golden.json") == 0) {
        float v[2] = {0, 1};
        int64_t shape[1] = {2};
        Tensor mine = tensor_wrap(DT_F32, v, 1, shape);
        const cJSON *spec;
        cJSON_ArrayForEach(spec, json_get(g.json, "tensors")) (void)golden_compare(&g, spec, &mine);
    }
    golden_close(&g);
    return 0;
}

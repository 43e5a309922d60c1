/* fuzz_safetensors_index — st_open_dir on a folder whose model.safetensors.index.json
 * is the fuzz input; one valid shard (shard-1.safetensors) sits beside it. */
#include "fuzz_util.h"
#include "safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int written;
    if (!written) {
        fuzz_write_tiny_safetensors("shard-1.safetensors", "w");
        written = 1;
    }
    fuzz_write("model.safetensors.index.json", data, size);
    SafeTensors st;
    if (st_open_dir(&st, fuzz_dir()) == 0) st_close(&st);
    return 0;
}

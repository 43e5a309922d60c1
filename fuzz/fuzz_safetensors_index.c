/* fuzz_safetensors_index — st_open_dir on a folder whose model.safetensors.index.json
 * is the fuzz input; one valid shard (shard-1.safetensors) sits beside it. */
#include "fuzz_util.h"
#include "safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int shard_written;
    if (!shard_written) {
        /* a valid one-tensor shard: {"w": F32 [2]} */
        static const char hdr[] = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}    ";
        uint8_t buf[8 + sizeof hdr - 1 + 8] = {0};
        uint64_t n = sizeof hdr - 1;
        for (int i = 0; i < 8; i++) buf[i] = (uint8_t)(n >> (8 * i));
        memcpy(buf + 8, hdr, n);
        fuzz_write("shard-1.safetensors", buf, sizeof buf);
        shard_written = 1;
    }
    fuzz_write("model.safetensors.index.json", data, size);
    SafeTensors st;
    if (st_open_dir(&st, fuzz_dir()) == 0) st_close(&st);
    return 0;
}

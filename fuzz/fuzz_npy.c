/* fuzz_npy — the .npy reader of build/compare on arbitrary bytes. */
#include "fuzz_util.h"
#include "npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write("x.npy", data, size);
    Tensor t;
    if (npy_read(path, &t) == 0) tensor_free(&t);
    return 0;
}

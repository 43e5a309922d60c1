/* fuzz_safetensors — st_open on arbitrary bytes, then read every tensor it accepted. */
#include "fuzz_util.h"
#include "safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write("model.safetensors", data, size);
    SafeTensors st;
    if (st_open(&st, path) == 0) {
        double sum = 0;
        for (int i = 0; i < st.n; i++) {
            Tensor t;
            if (st_get(&st, st.entries[i].name, &t) == 0)
                for (int64_t k = 0; k < tensor_numel(&t); k++) sum += tensor_get_flat(&t, k);
        }
        Tensor t;
        (void)st_get(&st, "no.such.tensor", &t); /* the near-miss message path */
        st_close(&st);
        (void)sum;
    }
    return 0;
}

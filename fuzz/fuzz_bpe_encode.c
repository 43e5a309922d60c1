/* fuzz_bpe_encode — byte-level BPE (SmolVLM's tokenizer.json: added tokens like
 * <image>, Digits + ByteLevel pre-tokenizers) on arbitrary bytes, then decode. */
#include "fuzz_tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static Tokenizer t;
    static int loaded;
    if (!loaded) {
        if (bpe_tokenizer_open("tests/golden/builtin/smolvlm-tiny/tokenizer.json", &t)) {
            fprintf(stderr, "fuzz_bpe_encode: %s\n", vlm_error());
            abort();
        }
        loaded = 1;
    }
    fuzz_tokenizer_exercise(&t, data, size);
    return 0;
}

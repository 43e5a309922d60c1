/* fuzz_tokenizer_json — bpe_tokenizer_open on an arbitrary tokenizer.json (with a
 * valid tokenizer_config.json beside it), then encode/decode a fixed text. */
#include "fuzz_tokenizer.h"

static const char TEXT[] = "Hello <image> world 123 \xc3\xa9t\xc3\xa9 <|endoftext|>\n\n  x";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int init;
    if (!init) {
        fuzz_copy("tests/golden/builtin/smolvlm-tiny/tokenizer_config.json", "tokenizer_config.json");
        init = 1;
    }
    const char *path = fuzz_write("tokenizer.json", data, size);
    Tokenizer t;
    if (bpe_tokenizer_open(path, &t) == 0) {
        fuzz_tokenizer_exercise(&t, (const uint8_t *)TEXT, sizeof TEXT - 1);
        tokenizer_close(&t);
    }
    return 0;
}

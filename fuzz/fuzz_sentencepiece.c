/* fuzz_sentencepiece — spiece.model (a protobuf read field by field, with a
 * Darts-clone charsmap trie) and SiglipTokenizer + Unigram Viterbi encode.
 * Each input is used two ways: as text for the built-in SigLIP tokenizer, and
 * as a spiece.model (then a fixed text is encoded with it). */
#include "fuzz_tokenizer.h"

static const char TEXT[] = "A photo of 2 cats</s> \xef\xbc\xa1\xe2\x85\xa0 <unk>caf\xc3\xa9!  x";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static Tokenizer fixed;
    static int init;
    if (!init) {
        if (spm_tokenizer_open("tests/golden/builtin/siglip-tiny", &fixed)) {
            fprintf(stderr, "fuzz_sentencepiece: %s\n", vlm_error());
            abort();
        }
        init = 1;
    }
    fuzz_tokenizer_exercise(&fixed, data, size);
    fuzz_write("spiece.model", data, size);
    Tokenizer t;
    if (spm_tokenizer_open(fuzz_dir(), &t) == 0) {
        fuzz_tokenizer_exercise(&t, (const uint8_t *)TEXT, sizeof TEXT - 1);
        tokenizer_close(&t);
    }
    return 0;
}

/* fuzz_wordpiece — WordPiece (BERT uncased: clean text, CJK split, accents
 * stripped, lower-cased, greedy longest-match ##pieces).  Each input is used
 * three ways: as text for the built-in vocabulary, as a vocab.txt beside a valid
 * tokenizer_config.json, and as a tokenizer_config.json beside a valid vocab.txt. */
#include "fuzz_tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_tokenizer_two_files(wordpiece_tokenizer_open, "tests/golden/builtin/distilbert-tiny",
                             "vocab.txt", "tokenizer_config.json",
                             "Hello, my dog is cute! \xe4\xbd\xa0\xe5\xa5\xbd caf\xc3\xa9 [MASK] unaffable",
                             data, size);
    return 0;
}

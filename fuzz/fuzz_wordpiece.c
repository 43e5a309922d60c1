/* fuzz_wordpiece — WordPiece (BERT uncased: clean text, CJK split, accents
 * stripped, lower-cased, greedy longest-match ##pieces).  Each input is used
 * three ways: as text for the built-in vocabulary, as a vocab.txt, and as a
 * tokenizer_config.json beside a valid vocab.txt. */
#include "fuzz_tokenizer.h"

static const char TEXT[] = "Hello, my dog is cute! \xe4\xbd\xa0\xe5\xa5\xbd caf\xc3\xa9 [MASK] unaffable";

static void load_and_encode(const char *dir) {
    Tokenizer t;
    if (wordpiece_tokenizer_open(dir, &t) == 0) {
        fuzz_tokenizer_exercise(&t, (const uint8_t *)TEXT, sizeof TEXT - 1);
        tokenizer_close(&t);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static Tokenizer fixed;
    static int init;
    if (!init) {
        if (wordpiece_tokenizer_open("tests/golden/builtin/distilbert-tiny", &fixed)) {
            fprintf(stderr, "fuzz_wordpiece: %s\n", vlm_error());
            abort();
        }
        fuzz_subdir("v");
        fuzz_copy("tests/golden/builtin/distilbert-tiny/tokenizer_config.json", "v/tokenizer_config.json");
        fuzz_subdir("c");
        fuzz_copy("tests/golden/builtin/distilbert-tiny/vocab.txt", "c/vocab.txt");
        init = 1;
    }
    fuzz_tokenizer_exercise(&fixed, data, size);
    fuzz_write("v/vocab.txt", data, size);
    load_and_encode(fuzz_subdir("v"));
    fuzz_write("c/tokenizer_config.json", data, size);
    load_and_encode(fuzz_subdir("c"));
    return 0;
}

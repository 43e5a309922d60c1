/* fuzz_clip_tokenizer — CLIP BPE (ftfy-free basic clean, lower-case, the CLIP
 * regex, </w> word ends).  Each input is used three ways: as text for the
 * built-in tokenizer, as merges.txt beside a valid vocab.json, and as vocab.json
 * beside a valid merges.txt. */
#include "fuzz_tokenizer.h"

static const char TEXT[] = "a photo of a CAT, 2 dogs! <|endoftext|> \xc3\xa9\xc3\xa9 don't";

static void load_and_encode(const char *dir) {
    Tokenizer t;
    if (clip_tokenizer_open(dir, &t) == 0) {
        fuzz_tokenizer_exercise(&t, (const uint8_t *)TEXT, sizeof TEXT - 1);
        tokenizer_close(&t);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static Tokenizer fixed;
    static int init;
    if (!init) {
        if (clip_tokenizer_open("tests/golden/builtin/clip-tiny", &fixed)) {
            fprintf(stderr, "fuzz_clip_tokenizer: %s\n", vlm_error());
            abort();
        }
        fuzz_subdir("m");
        fuzz_copy("tests/golden/builtin/clip-tiny/vocab.json", "m/vocab.json");
        fuzz_subdir("v");
        fuzz_copy("tests/golden/builtin/clip-tiny/merges.txt", "v/merges.txt");
        init = 1;
    }
    fuzz_tokenizer_exercise(&fixed, data, size);
    fuzz_write("m/merges.txt", data, size);
    load_and_encode(fuzz_subdir("m"));
    fuzz_write("v/vocab.json", data, size);
    load_and_encode(fuzz_subdir("v"));
    return 0;
}

/* fuzz_clip_tokenizer — CLIP BPE (ftfy-free basic clean, lower-case, the CLIP
 * regex, </w> word ends).  Each input is used three ways: as text for the
 * built-in tokenizer, as merges.txt beside a valid vocab.json, and as vocab.json
 * beside a valid merges.txt. */
#include "fuzz_tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_tokenizer_two_files(clip_tokenizer_open, "tests/golden/builtin/clip-tiny", "merges.txt",
                             "vocab.json", "a photo of a CAT, 2 dogs! <|endoftext|> \xc3\xa9\xc3\xa9 don't",
                             data, size);
    return 0;
}

/* bpe.c — placeholder until this tokenizer kind lands (see tokenizer.h). */
#include "tokenizer.h"
#include "util.h"

int bpe_tokenizer_open(const char *tokenizer_json, Tokenizer *t) {
    (void)t;
    return vlm_fail("%s: this tokenizer kind is not implemented yet", tokenizer_json);
}

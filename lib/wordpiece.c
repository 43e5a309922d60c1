/* wordpiece.c — placeholder until this tokenizer kind lands (see tokenizer.h). */
#include "tokenizer.h"
#include "util.h"

int wordpiece_tokenizer_open(const char *dir, Tokenizer *t) {
    (void)t;
    return vlm_fail("%s: this tokenizer kind is not implemented yet", dir);
}

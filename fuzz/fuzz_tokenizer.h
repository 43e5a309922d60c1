/* fuzz_tokenizer.h — what every tokenizer harness does with a loaded tokenizer.
 *
 * exercise(): text -> utf8_validate (as tokenizer_encode does: invalid text
 * must be refused, never tokenized) -> encode -> check every id is in the
 * vocabulary -> decode (with and without special tokens) -> id_to_token of
 * each id.  Then the same bytes read as little-endian int32 ids (arbitrary,
 * out-of-range and negative included) go through decode and id_to_token, which
 * must skip or refuse them, never read outside the vocabulary.
 */
#ifndef FUZZ_TOKENIZER_H
#define FUZZ_TOKENIZER_H

#include "fuzz_util.h"
#include "tokenizer.h"
#include "util.h"

static inline void fuzz_tokenizer_exercise(const Tokenizer *t, const uint8_t *data, size_t size) {
    char *text = fuzz_string(data, size);
    IdList ids = {0};
    if (utf8_validate(text, size) == 0 && t->encode(t->impl, text, size, &ids) == 0) {
        for (int i = 0; i < ids.n; i++) {
            if (ids.ids[i] < 0 || !tokenizer_token(t, ids.ids[i])) {
                fprintf(stderr, "fuzz: encode produced id %lld with no token\n", (long long)ids.ids[i]);
                abort();
            }
        }
        free(tokenizer_decode(t, ids.ids, ids.n, 0));
        free(tokenizer_decode(t, ids.ids, ids.n, 1));
    }
    ids_free(&ids);
    /* The bytes as ids: anything a caller might pass to decode. */
    int n = (int)(size / 4);
    if (n > 256) n = 256;
    int64_t *raw = malloc(sizeof(int64_t) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        int32_t v;
        memcpy(&v, data + 4 * i, 4);
        raw[i] = (i % 2) ? v : v % (t->vocab_size + 8); /* half near the vocabulary */
        (void)tokenizer_token(t, raw[i]);
    }
    free(tokenizer_decode(t, raw, n, 0));
    free(tokenizer_decode(t, raw, n, 1));
    free(raw);
    free(text);
}

#endif

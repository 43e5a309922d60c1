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

/* The body of a harness for a tokenizer kind whose folder holds two files (CLIP:
 * vocab.json + merges.txt; WordPiece: vocab.txt + tokenizer_config.json).  Each
 * input is used three ways: as text for the built-in tokenizer in `builtin`; as
 * file_a beside the built-in file_b; as file_b beside the built-in file_a.  Each
 * folder that opens is exercised on `text`. */
typedef int (*TokenizerOpenFn)(const char *dir, Tokenizer *t);

static inline void fuzz_open_and_encode(TokenizerOpenFn open_fn, const char *dir, const char *text) {
    Tokenizer t;
    if (open_fn(dir, &t) == 0) {
        fuzz_tokenizer_exercise(&t, (const uint8_t *)text, strlen(text));
        tokenizer_close(&t);
    }
}

static inline void fuzz_tokenizer_two_files(TokenizerOpenFn open_fn, const char *builtin,
                                            const char *file_a, const char *file_b, const char *text,
                                            const uint8_t *data, size_t size) {
    static Tokenizer fixed; /* one harness per binary: one built-in tokenizer */
    static int init;
    char from[512], to[64];
    if (!init) {
        if (open_fn(builtin, &fixed)) {
            fprintf(stderr, "fuzz: %s\n", vlm_error());
            abort();
        }
        fuzz_subdir("a"); /* folder a: the fuzzed file_a beside the real file_b */
        snprintf(from, sizeof from, "%s/%s", builtin, file_b);
        snprintf(to, sizeof to, "a/%s", file_b);
        fuzz_copy(from, to);
        fuzz_subdir("b"); /* folder b: the real file_a beside the fuzzed file_b */
        snprintf(from, sizeof from, "%s/%s", builtin, file_a);
        snprintf(to, sizeof to, "b/%s", file_a);
        fuzz_copy(from, to);
        init = 1;
    }
    fuzz_tokenizer_exercise(&fixed, data, size);
    snprintf(to, sizeof to, "a/%s", file_a);
    fuzz_write(to, data, size);
    fuzz_open_and_encode(open_fn, fuzz_subdir("a"), text);
    snprintf(to, sizeof to, "b/%s", file_b);
    fuzz_write(to, data, size);
    fuzz_open_and_encode(open_fn, fuzz_subdir("b"), text);
}

#endif

/* tokenizer.c — choose the tokenizer kind from the files of a model folder. */
#include "tokenizer.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

void ids_push(IdList *l, int64_t id) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->ids = xrealloc(l->ids, sizeof(int64_t) * (size_t)l->cap);
    }
    l->ids[l->n++] = id;
}

void ids_free(IdList *l) {
    free(l->ids);
    memset(l, 0, sizeof *l);
}

void ids_pad(IdList *l, int max_len, int64_t pad_id, IdList *attention_mask) {
    int real = l->n;
    while (l->n < max_len) ids_push(l, pad_id);
    if (attention_mask)
        for (int i = 0; i < l->n; i++) ids_push(attention_mask, i < real);
}

int utf8_validate(const char *s, size_t len) {
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned c = u[i];
        int n;
        unsigned min;
        if (c < 0x80) { i++; continue; }
        else if ((c & 0xe0) == 0xc0) { n = 1; min = 0x80; c &= 0x1f; }
        else if ((c & 0xf0) == 0xe0) { n = 2; min = 0x800; c &= 0x0f; }
        else if ((c & 0xf8) == 0xf0) { n = 3; min = 0x10000; c &= 0x07; }
        else return vlm_fail("invalid UTF-8 at byte %zu (0x%02x)", i, u[i]);
        for (int k = 1; k <= n; k++) {
            if (i + (size_t)k >= len)
                return vlm_fail("invalid UTF-8 at byte %zu (truncated sequence)", i);
            if ((u[i + k] & 0xc0) != 0x80)
                return vlm_fail("invalid UTF-8 at byte %zu (bad continuation byte)", i);
            c = (c << 6) | (u[i + k] & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            return vlm_fail("invalid UTF-8 at byte %zu (overlong, surrogate or out of range)", i);
        i += (size_t)n + 1;
    }
    return 0;
}

/* CLIP folders ship vocab.json + merges.txt and say so in tokenizer_config.json. */
static int is_clip_folder(const char *dir) {
    char *vocab = path_join(dir, "vocab.json"), *merges = path_join(dir, "merges.txt");
    char *cfg = path_join(dir, "tokenizer_config.json");
    int yes = file_exists(vocab) && file_exists(merges);
    if (yes && file_exists(cfg)) {
        cJSON *j = json_load(cfg);
        const char *cls = json_str(j, "tokenizer_class", "");
        yes = strstr(cls, "CLIP") != NULL;
        cJSON_Delete(j);
    }
    free(vocab);
    free(merges);
    free(cfg);
    return yes;
}

int tokenizer_open(const char *dir, Tokenizer *t) {
    memset(t, 0, sizeof *t);
    char *spm = path_join(dir, "spiece.model"), *vocab_txt = path_join(dir, "vocab.txt");
    char *tok_json = path_join(dir, "tokenizer.json");
    int rc;
    if (file_exists(spm)) rc = spm_tokenizer_open(dir, t);
    else if (file_exists(vocab_txt)) rc = wordpiece_tokenizer_open(dir, t);
    else if (is_clip_folder(dir)) rc = clip_tokenizer_open(dir, t);
    else if (file_exists(tok_json)) rc = bpe_tokenizer_open(tok_json, t);
    else
        rc = vlm_fail("%s: no tokenizer found (expected tokenizer.json, vocab.txt, "
                      "vocab.json + merges.txt, or spiece.model)", dir);
    free(spm);
    free(vocab_txt);
    free(tok_json);
    return rc;
}

int tokenizer_encode(const Tokenizer *t, const char *text, IdList *out) {
    size_t len = strlen(text);
    if (utf8_validate(text, len)) return -1;
    return t->encode(t->impl, text, len, out);
}

char *tokenizer_decode(const Tokenizer *t, const int64_t *ids, int n, int skip_special) {
    return t->decode(t->impl, ids, n, skip_special);
}

const char *tokenizer_token(const Tokenizer *t, int64_t id) { return t->id_to_token(t->impl, id); }

int tokenizer_encode_batch(const Tokenizer *t, const char *const *texts, int n, int pad_to,
                           Tensor *ids, Tensor *attention_mask) {
    IdList *rows = xcalloc((size_t)n, sizeof(IdList));
    int longest = 0, rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        rc = tokenizer_encode(t, texts[i], &rows[i]);
        if (rows[i].n > longest) longest = rows[i].n;
    }
    int len = pad_to > longest ? pad_to : longest;
    if (rc == 0) {
        *ids = tensor_i64(2, n, len);
        *attention_mask = tensor_i64(2, n, len);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < len; j++) {
                tensor_i(ids)[(size_t)i * len + j] = j < rows[i].n ? rows[i].ids[j] : t->pad_id;
                tensor_i(attention_mask)[(size_t)i * len + j] = j < rows[i].n;
            }
    }
    for (int i = 0; i < n; i++) ids_free(&rows[i]);
    free(rows);
    return rc;
}

void tokenizer_close(Tokenizer *t) {
    if (t->destroy) t->destroy(t->impl);
    memset(t, 0, sizeof *t);
}

/* clip_tokenizer.c — CLIP's BPE tokenizer (CLIPTokenizerFast) from vocab.json +
 * merges.txt.
 *
 * Contract: clip_tokenizer_open(dir) reads dir/vocab.json (token -> id) and
 * dir/merges.txt ("#version" header, then one "left right" merge per line, rank
 * = order) and fills a Tokenizer whose encode() returns what HF's
 * CLIPTokenizerFast returns for `tokenizer(text)["input_ids"]`:
 *
 *   1. normalise: NFC; every run of Unicode whitespace -> one ' '; lower-case
 *      char by char (Rust char::to_lowercase: "İ" -> "i̇", Σ -> σ even at a
 *      word end — checked against the Rust library);
 *   2. cut out the special tokens <|startoftext|> / <|endoftext|> — in the
 *      NORMALISED text, so "<|ENDOFTEXT|>" is special too;
 *   3. keep only the matches of CLIP's regex (each match is one word, the
 *      whitespace between them disappears, a digit is a word on its own);
 *   4. word bytes -> GPT-2 byte symbols, "</w>" glued to the last symbol, then
 *      BPE: merge the adjacent pair with the lowest rank (leftmost first) until
 *      no pair is in merges.txt (bpe_merge.h, shared with bpe.c); a symbol
 *      missing from the vocab becomes the unk token (<|endoftext|> for CLIP);
 *   5. <|startoftext|> + ids + <|endoftext|>.
 * decode(): byte symbols -> bytes (U+FFFD for invalid UTF-8), "</w>" -> ' ',
 * strip — CLIPTokenizerFast's wrapped decode.  Rules and their checks against
 * the Rust library: tests/golden/tokenizers/README.md.
 * Malformed files give errors naming the file, the line or the token.
 */
#include "clip_tokenizer.h"

#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <utf8proc.h>

#include "bpe_merge.h"
#include "json.h"
#include "str_ids.h"
#include "tokenizer.h"
#include "unicode_text.h"
#include "util.h"

/* CLIP's pre-tokenizer pattern, as CLIPTokenizerFast's Split pre-tokenizer has it. */
static const char CLIP_PATTERN[] =
    "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";
static const char BOS[] = "<|startoftext|>", EOS[] = "<|endoftext|>", EOW[] = "</w>";

typedef struct {
    char **tokens;     /* id -> token string (NULL for ids vocab.json skips) */
    int vocab_size;
    StrIds vocab;      /* token string -> id */
    BpeMerges merges;  /* (left id, right id) -> rank, merged id */
    int bos_id, eos_id, unk_id;
    pcre2_code *re;
} Clip;

/* ---- loading ---- */

static int load_vocab(Clip *c, const char *path) {
    cJSON *root = json_load(path);
    if (!root) return -1;
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return vlm_fail("%s: expected a JSON object {\"token\": id, ...}", path);
    }
    int count = cJSON_GetArraySize(root), max_id = -1;
    const cJSON *item;
    cJSON_ArrayForEach(item, root) {
        double v = cJSON_IsNumber(item) ? item->valuedouble : -1;
        /* ids are dense in real vocabularies; allow holes but no absurd ids */
        if (!cJSON_IsNumber(item) || v < 0 || v > 4.0 * count + 1024 || v != (double)(int)v) {
            vlm_fail("%s: token \"%.40s\" has no valid id (want an integer in 0..%d)", path,
                     item->string ? item->string : "", 4 * count + 1024);
            cJSON_Delete(root);
            return -1;
        }
        if ((int)v > max_id) max_id = (int)v;
    }
    if (count == 0) {
        cJSON_Delete(root);
        return vlm_fail("%s: the vocabulary is empty", path);
    }
    c->vocab_size = max_id + 1;
    c->tokens = xcalloc((size_t)c->vocab_size, sizeof(char *));
    strids_init(&c->vocab, (size_t)count);
    cJSON_ArrayForEach(item, root) {
        int id = (int)item->valuedouble;
        if (c->tokens[id]) {
            vlm_fail("%s: id %d is used twice (\"%.40s\" and \"%.40s\")", path, id, c->tokens[id], item->string);
            cJSON_Delete(root);
            return -1;
        }
        c->tokens[id] = xstrdup(item->string);
        strids_put(&c->vocab, item->string, strlen(item->string), id);
    }
    cJSON_Delete(root);
    c->bos_id = strids_get(&c->vocab, BOS, strlen(BOS));
    c->eos_id = strids_get(&c->vocab, EOS, strlen(EOS));
    if (c->bos_id < 0 || c->eos_id < 0)
        return vlm_fail("%s: %s or %s is missing from the vocabulary", path, BOS, EOS);
    c->unk_id = c->eos_id;  /* CLIPTokenizer: unk_token = <|endoftext|> */
    return 0;
}

/* merges.txt: "#version: 0.2" header, then "left right" per line.  As HF's BPE
 * builder, both symbols and their concatenation must be in the vocabulary. */
static int load_merges(Clip *c, const char *path) {
    size_t len;
    char *text = read_file(path, &len);
    if (!text) return -1;
    if (memchr(text, '\0', len)) {
        free(text);
        return vlm_fail("%s: contains a NUL byte (not a text file)", path);
    }
    int line_no = 0, rc = 0;
    char *p = text, *end = text + len;
    while (p < end && rc == 0) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *eol = nl ? nl : end;
        size_t n = (size_t)(eol - p);
        if (n && p[n - 1] == '\r') n--;
        line_no++;
        char *line = p;
        p = nl ? nl + 1 : end;
        if (n >= 8 && memcmp(line, "#version", 8) == 0) continue;
        if (n == 0 && p >= end) break;  /* the final newline */
        char *sp = memchr(line, ' ', n);
        if (!sp || sp == line || sp + 1 == line + n || memchr(sp + 1, ' ', (size_t)(line + n - sp - 1))) {
            rc = vlm_fail("%s: line %d: expected two symbols separated by one space, got \"%.*s\"", path,
                          line_no, (int)(n > 60 ? 60 : n), line);
            break;
        }
        size_t la = (size_t)(sp - line), lb = n - la - 1;
        int a = strids_get(&c->vocab, line, la), b = strids_get(&c->vocab, sp + 1, lb);
        char *joined = xmalloc(la + lb + 1);
        memcpy(joined, line, la);
        memcpy(joined + la, sp + 1, lb);
        int ab = strids_get(&c->vocab, joined, la + lb);
        if (a < 0 || b < 0 || ab < 0)
            rc = vlm_fail("%s: line %d: merge \"%.*s\" uses \"%.*s\", which is not in vocab.json", path, line_no,
                          (int)(n > 60 ? 60 : n), line, (int)(a < 0 ? la : b < 0 ? lb : la + lb),
                          a < 0 ? line : b < 0 ? sp + 1 : joined);
        free(joined);
        if (rc) break;
        bpe_merges_add(&c->merges, a, b, ab);  /* a repeated merge: the later rank wins, as in HF */
    }
    free(text);
    return rc;
}

/* ---- encoding ---- */

/* BPE on one word (its raw UTF-8 bytes), ids appended to out. */
static void bpe_word(const Clip *c, const char *w, size_t n, IdList *out) {
    IdList syms = {0};
    for (size_t i = 0; i < n; i++) {
        TextBuf s = {0};
        tb_cp(&s, gpt2_byte_to_cp((unsigned char)w[i]));
        if (i + 1 == n) tb_put(&s, EOW, strlen(EOW));
        int id = strids_get(&c->vocab, s.s, s.n);
        ids_push(&syms, id >= 0 ? id : c->unk_id);
        tb_free(&s);
    }
    bpe_merge(&c->merges, &syms);
    for (int i = 0; i < syms.n; i++) ids_push(out, syms.ids[i]);
    ids_free(&syms);
}

/* CLIP's regex over one stretch without special tokens. */
static int encode_words(const Clip *c, const char *s, size_t len, IdList *out) {
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(c->re, NULL);
    size_t pos = 0;
    int rc = 0;
    while (pos < len) {
        int r = pcre2_match(c->re, (PCRE2_SPTR)s, len, pos, 0, md, NULL);
        if (r == PCRE2_ERROR_NOMATCH) break;
        if (r < 0) {
            rc = vlm_fail("CLIP tokenizer: regex match failed (PCRE2 error %d)", r);
            break;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        if (ov[1] > ov[0]) bpe_word(c, s + ov[0], ov[1] - ov[0], out);
        pos = ov[1] > pos ? ov[1] : pos + 1;
    }
    pcre2_match_data_free(md);
    return rc;
}

/* The special token starting at s[i], or -1. */
static int special_at(const Clip *c, const char *s, size_t len, size_t i, size_t *n) {
    if (len - i >= strlen(BOS) && memcmp(s + i, BOS, strlen(BOS)) == 0) { *n = strlen(BOS); return c->bos_id; }
    if (len - i >= strlen(EOS) && memcmp(s + i, EOS, strlen(EOS)) == 0) { *n = strlen(EOS); return c->eos_id; }
    return -1;
}

/* The text's ids without the surrounding <|startoftext|> ... <|endoftext|>. */
static int clip_text_ids(const Clip *c, const char *text, size_t len, IdList *out) {
    utf8proc_uint8_t *nfc = NULL;
    utf8proc_ssize_t nn = utf8proc_map((const utf8proc_uint8_t *)text, (utf8proc_ssize_t)len, &nfc,
                                       UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (nn < 0) return vlm_fail("CLIP tokenizer: cannot NFC-normalise the text (%s)", utf8proc_errmsg(nn));
    TextBuf ws = {0}, low = {0};
    size_t i = 0;
    int prev_space = 0;
    tb_put(&ws, "", 0);
    while (i < (size_t)nn) {
        size_t at = i;
        int32_t cp = utf8_next((const char *)nfc, (size_t)nn, &i);
        int space = cp >= 0 && uni_is_white_space(cp);
        if (!space) tb_put(&ws, nfc + at, i - at);
        else if (!prev_space) tb_putc(&ws, ' ');
        prev_space = space;
    }
    free(nfc);
    tb_put(&low, "", 0);
    uni_lower_append(&low, ws.s, ws.n, 0);   /* per char: HF's Lowercase has no final-sigma rule */
    tb_free(&ws);

    int rc = 0;
    size_t start = 0;
    for (i = 0; i < low.n && rc == 0; i++) {
        size_t n;
        int id = special_at(c, low.s, low.n, i, &n);
        if (id < 0) continue;
        rc = encode_words(c, low.s + start, i - start, out);
        ids_push(out, id);
        start = i + n;
        i = start - 1;
    }
    if (rc == 0) rc = encode_words(c, low.s + start, low.n - start, out);
    tb_free(&low);
    return rc;
}

static int clip_encode(void *impl, const char *text, size_t len, IdList *out) {
    const Clip *c = impl;
    ids_push(out, c->bos_id);
    if (clip_text_ids(c, text, len, out)) return -1;
    ids_push(out, c->eos_id);
    return 0;
}

int clip_encode_padded(const Tokenizer *t, const char *text, size_t len, int max_len, int truncate,
                       IdList *ids, IdList *attention_mask) {
    if (!t->kind || strcmp(t->kind, "CLIP BPE") != 0)
        return vlm_fail("clip_encode_padded: the tokenizer is %s, not CLIP BPE", t->kind ? t->kind : "closed");
    if (max_len < 2) return vlm_fail("clip_encode_padded: max_len %d leaves no room for the special tokens", max_len);
    const Clip *c = t->impl;
    if (utf8_validate(text, len)) return -1;
    IdList body = {0};
    if (clip_text_ids(c, text, len, &body)) {
        ids_free(&body);
        return -1;
    }
    /* HF truncates the text ids to max_len - 2 (room for the two specials). */
    int n = truncate && body.n + 2 > max_len ? max_len - 2 : body.n;
    ids_push(ids, c->bos_id);
    for (int i = 0; i < n; i++) ids_push(ids, body.ids[i]);
    ids_push(ids, c->eos_id);
    ids_free(&body);
    ids_pad(ids, max_len, t->pad_id, attention_mask);
    return 0;
}

/* ---- decoding ---- */

static const char *clip_id_to_token(void *impl, int64_t id) {
    const Clip *c = impl;
    return id >= 0 && id < c->vocab_size ? c->tokens[id] : NULL;
}

static char *clip_decode(void *impl, const int64_t *ids, int n, int skip_special) {
    const Clip *c = impl;
    TextBuf bytes = {0}, text = {0};
    tb_put(&bytes, "", 0);
    for (int i = 0; i < n; i++) {
        const char *tok = clip_id_to_token(impl, ids[i]);
        if (!tok) continue;  /* HF skips ids it has no token for */
        if (skip_special && (ids[i] == c->bos_id || ids[i] == c->eos_id || ids[i] == c->unk_id)) continue;
        gpt2_token_bytes(&bytes, tok);   /* HF's ByteLevel decoder */
    }
    size_t len;
    char *s = utf8_lossy((unsigned char *)bytes.s, bytes.n, &len);
    tb_free(&bytes);
    tb_put(&text, "", 0);
    for (size_t i = 0; i < len;) {
        if (len - i >= 4 && memcmp(s + i, EOW, 4) == 0) {
            tb_putc(&text, ' ');
            i += 4;
        } else {
            tb_putc(&text, s[i++]);
        }
    }
    free(s);
    size_t a = 0, b = text.n;
    py_strip(text.s, &a, &b, 1, 1);   /* Python str.strip() */
    char *out = xstrndup(text.s + a, b - a);
    tb_free(&text);
    return out;
}

static void clip_destroy(void *impl) {
    Clip *c = impl;
    if (!c) return;
    for (int i = 0; i < c->vocab_size; i++) free(c->tokens[i]);
    free(c->tokens);
    strids_free(&c->vocab);
    bpe_merges_free(&c->merges);
    if (c->re) pcre2_code_free(c->re);
    free(c);
}

int clip_tokenizer_open(const char *dir, Tokenizer *t) {
    Clip *c = xcalloc(1, sizeof *c);
    char *vocab = path_join(dir, "vocab.json"), *merges = path_join(dir, "merges.txt");
    int rc = load_vocab(c, vocab);
    if (rc == 0) rc = load_merges(c, merges);
    if (rc == 0) {
        int err;
        PCRE2_SIZE off;
        c->re = pcre2_compile((PCRE2_SPTR)CLIP_PATTERN, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &err, &off,
                              NULL);
        if (!c->re) rc = vlm_fail("CLIP tokenizer: cannot compile the pre-tokenizer regex (PCRE2 error %d)", err);
    }
    free(vocab);
    free(merges);
    if (rc) {
        clip_destroy(c);
        return -1;
    }
    memset(t, 0, sizeof *t);
    t->kind = "CLIP BPE";
    t->impl = c;
    t->vocab_size = c->vocab_size;
    t->pad_id = c->eos_id;  /* CLIP pads with <|endoftext|> */
    t->encode = clip_encode;
    t->decode = clip_decode;
    t->id_to_token = clip_id_to_token;
    t->destroy = clip_destroy;
    return 0;
}

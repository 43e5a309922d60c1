/* bpe.c — byte-level BPE driven by a Hugging Face tokenizer.json (GPT-2 family:
 * SmolLM2, SmolVLM's text side).
 *
 * Contract: bpe_tokenizer_open(path) reads tokenizer.json (plus pad/eos from the
 * tokenizer_config.json beside it) and fills a Tokenizer whose encode() returns
 * exactly what HF's Rust `tokenizers` returns for `tokenizer(text)["input_ids"]`.
 * The pipeline, in HF's order (rules: tests/golden/tokenizers/README.md):
 *
 *   1. added tokens ("<|endoftext|>", "<image>", ...) are cut out of the RAW text
 *      first, leftmost-longest, wherever they occur (lstrip/rstrip eat the
 *      whitespace next to them, single_word needs non-word neighbours);
 *   2. every other stretch goes through the pre_tokenizer the file declares:
 *      Digits (each Unicode Nd/Nl/No char isolated, or digit runs kept together)
 *      and ByteLevel (the GPT-2 regex below, then every UTF-8 byte -> one
 *      printable "byte symbol": space -> 'Ġ' U+0120, '\n' -> 'Ċ' U+010A);
 *   3. BPE on each piece: start from single symbols, repeatedly merge the
 *      adjacent pair with the lowest merge rank (leftmost first; bpe_merge.h,
 *      O(n log n)); a symbol missing from the vocab is dropped when the model
 *      has no unk_token;
 *   4. the post_processor adds special tokens (SmolLM2: null, so no BOS).
 * decode() maps byte symbols back to bytes and repairs invalid UTF-8 with U+FFFD.
 * Everything unsupported or malformed in the file is an error naming the file.
 */
#include <stdio.h>
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

/* The GPT-2 pre-tokenization regex exactly as HF's ByteLevel writes it.  With
 * PCRE2_UCP, \s is Unicode whitespace and \p{L}/\p{N} are Unicode categories. */
static const char GPT2_PATTERN[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/* ---- the tokenizer ---- */
typedef struct {
    char *content;
    size_t len;
    int id;
    int special, lstrip, rstrip, single_word;
} AddedToken;

typedef enum { PRE_DIGITS, PRE_BYTELEVEL } PreKind;
typedef struct {
    PreKind kind;
    int individual_digits;           /* Digits */
    int add_prefix_space, use_regex; /* ByteLevel */
} PreTok;

#define MAX_PRE 8
#define MAX_SPECIAL 8

typedef struct {
    char *path;
    int n_ids;           /* max id + 1 over vocab and added tokens */
    char **tokens;       /* id -> vocab string (NULL where unused) */
    StrIds vocab;        /* model.vocab */
    BpeMerges merges;
    AddedToken *added;
    int n_added;
    int *added_of_id;    /* id -> index into added, -1 */
    int unk_id, fuse_unk, byte_fallback, ignore_merges;
    PreTok pre[MAX_PRE];
    int n_pre;
    pcre2_code *re;
    int64_t prefix[MAX_SPECIAL], suffix[MAX_SPECIAL]; /* post_processor ids around the text */
    int n_prefix, n_suffix;
    char byte_sym[256][3]; /* byte -> UTF-8 of its GPT-2 symbol (all < U+0800: 2 bytes) */
} Bpe;

/* GPT-2's bytes_to_unicode() (unicode_text.h) as UTF-8 strings, for encode_piece:
 * a space becomes 'Ġ' (U+0120) and every token is printable text in vocab.json. */
static void build_byte_map(Bpe *b) {
    for (int byte = 0; byte < 256; byte++) {
        utf8proc_ssize_t n = utf8proc_encode_char(gpt2_byte_to_cp((unsigned char)byte),
                                                  (utf8proc_uint8_t *)b->byte_sym[byte]);
        b->byte_sym[byte][n] = 0;
    }
}

/* ---- small Unicode helpers ---- */

/* Rust char::is_numeric: general category Nd, Nl or No (so ², ½, Ⅻ, ① count). */
static int is_numeric(int32_t cp) {
    utf8proc_category_t c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_ND || c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_NO;
}

static int is_word_char(int32_t cp) {
    utf8proc_category_t c = utf8proc_category(cp);
    return cp == '_' || (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
           (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO);
}

/* the code point that ends just before byte i */
static int32_t prev_cp(const char *s, size_t i) {
    size_t j = i;
    while (j > 0 && ((unsigned char)s[j - 1] & 0xc0) == 0x80) j--;
    if (j == 0) return 0;
    j--;
    return utf8_next(s, i, &j);
}

/* ---- pieces: the pre-tokenizer splits text into a list of byte ranges ---- */
typedef struct {
    size_t *off, *len;
    char *prefix_space; /* ByteLevel(add_prefix_space): this piece gets a ' ' in front */
    int n, cap;
} Pieces;

static void pieces_push(Pieces *p, size_t off, size_t len) {
    if (len == 0) return;
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 32;
        p->off = xrealloc(p->off, sizeof(size_t) * (size_t)p->cap);
        p->len = xrealloc(p->len, sizeof(size_t) * (size_t)p->cap);
        p->prefix_space = xrealloc(p->prefix_space, (size_t)p->cap);
    }
    p->off[p->n] = off;
    p->prefix_space[p->n] = 0;
    p->len[p->n++] = len;
}

static void pieces_free(Pieces *p) {
    free(p->off);
    free(p->len);
    free(p->prefix_space);
    memset(p, 0, sizeof *p);
}

/* Digits: isolate every numeric char (individual) or every run of them. */
static void split_digits(const char *s, size_t off, size_t len, int individual, Pieces *out) {
    size_t start = off, end = off + len, i = off;
    while (i < end) {
        size_t at = i;
        if (!is_numeric(utf8_next(s, end, &i))) continue;
        pieces_push(out, start, at - start);
        size_t j = i;
        while (!individual && j < end) {
            size_t k = j;
            if (!is_numeric(utf8_next(s, end, &k))) break;
            j = k;
        }
        pieces_push(out, at, j - at);
        i = start = j;
    }
    pieces_push(out, start, end - start);
}

/* ByteLevel regex: every match is a piece, and so is any gap between matches
 * (HF's SplitDelimiterBehavior::Isolated; the GPT-2 pattern leaves no gaps). */
static void split_regex(const Bpe *b, const char *s, size_t off, size_t len, pcre2_match_data *md,
                        Pieces *out) {
    size_t pos = off, end = off + len, last = off;
    while (pos < end) {
        int rc = pcre2_match(b->re, (PCRE2_SPTR)s, end, pos, PCRE2_NO_UTF_CHECK, md, NULL);
        if (rc < 0) break;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        if (ov[1] == ov[0]) { /* an empty match cannot happen with GPT-2's pattern; step on */
            pos = ov[0];
            utf8_next(s, end, &pos);
            continue;
        }
        pieces_push(out, last, ov[0] - last);
        pieces_push(out, ov[0], ov[1] - ov[0]);
        pos = last = ov[1];
    }
    pieces_push(out, last, end - last);
}

/* ---- BPE on one piece ---- */
static void push_symbol(const Bpe *b, const char *sym, size_t n, IdList *syms, int *pending_unk) {
    int id = strids_get(&b->vocab, sym, n);
    if (id >= 0) {
        ids_push(syms, id);
        *pending_unk = 0;
        return;
    }
    if (b->byte_fallback) { /* "<0x41>" tokens for each byte, if all exist */
        int ids[4], ok = n <= 4;
        for (size_t i = 0; ok && i < n; i++) {
            char hex[8];
            snprintf(hex, sizeof hex, "<0x%02X>", (unsigned char)sym[i]);
            ids[i] = strids_get(&b->vocab, hex, strlen(hex));
            ok = ids[i] >= 0;
        }
        if (ok) {
            for (size_t i = 0; i < n; i++) ids_push(syms, ids[i]);
            *pending_unk = 0;
            return;
        }
    }
    if (b->unk_id < 0) return; /* HF: no unk token -> the symbol silently disappears */
    if (b->fuse_unk && *pending_unk) return;
    ids_push(syms, b->unk_id);
    *pending_unk = 1;
}

/* Bytes of one piece -> byte symbols -> BPE ids appended to out. */
static void encode_piece(const Bpe *b, const char *s, size_t len, int add_prefix_space, IdList *out) {
    size_t cap = 2 * len + 3, n = 0;
    char *mapped = xmalloc(cap);
    if (add_prefix_space) n += (size_t)sprintf(mapped, "%s", b->byte_sym[' ']);
    for (size_t i = 0; i < len; i++) {
        const char *sym = b->byte_sym[(unsigned char)s[i]];
        size_t k = strlen(sym);
        memcpy(mapped + n, sym, k);
        n += k;
    }
    mapped[n] = 0;
    if (b->ignore_merges) {
        int id = strids_get(&b->vocab, mapped, n);
        if (id >= 0) {
            ids_push(out, id);
            free(mapped);
            return;
        }
    }
    IdList syms = {0};
    int pending_unk = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        utf8_next(mapped, n, &j);
        push_symbol(b, mapped + i, j - i, &syms, &pending_unk);
        i = j;
    }
    bpe_merge(&b->merges, &syms);
    for (int i = 0; i < syms.n; i++) ids_push(out, syms.ids[i]);
    ids_free(&syms);
    free(mapped);
}

/* Text between added tokens: pre-tokenizer sequence, then BPE per piece. */
static void encode_text(const Bpe *b, const char *s, size_t off, size_t len, pcre2_match_data *md,
                        IdList *out) {
    Pieces cur = {0};
    pieces_push(&cur, off, len);
    for (int p = 0; p < b->n_pre; p++) {
        Pieces next = {0};
        const PreTok *pt = &b->pre[p];
        for (int i = 0; i < cur.n; i++) {
            int first = next.n;
            if (pt->kind == PRE_DIGITS)
                split_digits(s, cur.off[i], cur.len[i], pt->individual_digits, &next);
            else if (pt->use_regex)
                split_regex(b, s, cur.off[i], cur.len[i], md, &next);
            else
                pieces_push(&next, cur.off[i], cur.len[i]);
            /* ByteLevel(add_prefix_space) puts ' ' before every piece that does not start
             * with one.  HF prepends it before its regex; with the GPT-2 pattern the space
             * would join the first match, so adding it to the first sub-piece is the same
             * (except for a piece starting with other whitespace, a corner we accept). */
            if (first < next.n)
                next.prefix_space[first] = cur.prefix_space[i] ||
                    (pt->kind == PRE_BYTELEVEL && pt->add_prefix_space && s[cur.off[i]] != ' ');
        }
        pieces_free(&cur);
        cur = next;
    }
    for (int i = 0; i < cur.n; i++) encode_piece(b, s + cur.off[i], cur.len[i], cur.prefix_space[i], out);
    pieces_free(&cur);
}

/* The next added token at or after pos: leftmost start, longest on ties.
 * Returns its index (or -1) and the span it takes (after lstrip / rstrip). */
static int find_added(const Bpe *b, const char *s, size_t len, size_t pos, size_t *mstart, size_t *mend) {
    for (size_t i = pos; i < len; i++) {
        int best = -1;
        for (int k = 0; k < b->n_added; k++) {
            const AddedToken *a = &b->added[k];
            if (a->len == 0 || a->len > len - i || memcmp(s + i, a->content, a->len) != 0) continue;
            if (a->single_word && ((i > 0 && is_word_char(prev_cp(s, i))) ||
                                   (i + a->len < len && is_word_char(utf8_next(s, len, &(size_t){i + a->len})))))
                continue;
            if (best < 0 || a->len > b->added[best].len) best = k;
        }
        if (best < 0) continue;
        const AddedToken *a = &b->added[best];
        size_t st = i, en = i + a->len;
        while (a->lstrip && st > pos && uni_is_white_space(prev_cp(s, st))) {
            int32_t cp = prev_cp(s, st);
            st -= (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t[4]){0});
        }
        while (a->rstrip && en < len) {
            size_t k = en;
            if (!uni_is_white_space(utf8_next(s, len, &k))) break;
            en = k;
        }
        *mstart = st;
        *mend = en;
        return best;
    }
    return -1;
}

static int bpe_encode(void *impl, const char *text, size_t len, IdList *out) {
    const Bpe *b = impl;
    if (utf8_validate(text, len)) return -1;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(b->re, NULL);
    for (int i = 0; i < b->n_prefix; i++) ids_push(out, b->prefix[i]);
    size_t pos = 0;
    while (pos < len) {
        size_t st, en;
        int k = find_added(b, text, len, pos, &st, &en);
        if (k < 0) st = en = len;
        encode_text(b, text, pos, st - pos, md, out);
        if (k >= 0) ids_push(out, b->added[k].id);
        pos = en;
    }
    for (int i = 0; i < b->n_suffix; i++) ids_push(out, b->suffix[i]);
    pcre2_match_data_free(md);
    return 0;
}

/* ---- decode ---- */
static const char *bpe_id_to_token(void *impl, int64_t id) {
    const Bpe *b = impl;
    if (id < 0 || id >= b->n_ids) return NULL;
    if (b->added_of_id[id] >= 0) return b->added[b->added_of_id[id]].content;
    return b->tokens[id];
}

/* HF ByteLevel decoder: a token made only of byte symbols gives those bytes, any
 * other token (e.g. an added token with a space) its own UTF-8; then lossy UTF-8. */
static char *bpe_decode(void *impl, const int64_t *ids, int n, int skip_special) {
    const Bpe *b = impl;
    TextBuf bytes = {0};
    tb_put(&bytes, "", 0);
    for (int i = 0; i < n; i++) {
        const char *tok = bpe_id_to_token(impl, ids[i]);
        if (!tok) continue;
        if (skip_special && b->added_of_id[ids[i]] >= 0 && b->added[b->added_of_id[ids[i]]].special)
            continue;
        gpt2_token_bytes(&bytes, tok);
    }
    char *text = utf8_lossy((const unsigned char *)bytes.s, bytes.n, NULL);
    tb_free(&bytes);
    return text;
}

static void bpe_destroy(void *impl) {
    Bpe *b = impl;
    if (!b) return;
    for (int i = 0; i < b->n_ids; i++) free(b->tokens[i]);
    for (int i = 0; i < b->n_added; i++) free(b->added[i].content);
    free(b->tokens), free(b->added), free(b->added_of_id);
    strids_free(&b->vocab);
    bpe_merges_free(&b->merges);
    if (b->re) pcre2_code_free(b->re);
    free(b->path);
    free(b);
}

/* ---- loading tokenizer.json ---- */
#define MAX_ID 16777216 /* 2^24: far above any real vocabulary, keeps arrays sane */

static int json_id(const cJSON *v, int *out) {
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble >= MAX_ID ||
        v->valuedouble != (double)(int)v->valuedouble)
        return -1;
    *out = (int)v->valuedouble;
    return 0;
}

static int load_vocab(Bpe *b, const cJSON *vocab, const cJSON *added) {
    const char *p = b->path;
    if (!cJSON_IsObject(vocab)) return vlm_fail("%s: model.vocab is missing or not an object", p);
    int max_id = -1, id;
    const cJSON *e;
    cJSON_ArrayForEach(e, vocab) {
        if (json_id(e, &id)) return vlm_fail("%s: model.vocab[\"%s\"] is not a token id (integer 0..2^24)", p, e->string);
        if (id > max_id) max_id = id;
    }
    if (!cJSON_IsArray(added) && added) return vlm_fail("%s: added_tokens is not an array", p);
    cJSON_ArrayForEach(e, added) {
        if (json_id(json_get(e, "id"), &id))
            return vlm_fail("%s: added_tokens entry without an integer 'id'", p);
        if (!cJSON_IsString(json_get(e, "content")))
            return vlm_fail("%s: added token %d has no string 'content'", p, id);
        /* HF (serde_json) refuses a file that is not UTF-8; an added token starting
         * with a stray continuation byte would otherwise split a character of the
         * text (found by fuzz_tokenizer_json) */
        const char *content = json_get(e, "content")->valuestring;
        if (utf8_validate(content, strlen(content)))
            return vlm_fail("%s: added token %d: content is not valid UTF-8", p, id);
        if (id > max_id) max_id = id;
    }
    if (max_id < 0) return vlm_fail("%s: model.vocab is empty", p);
    b->n_ids = max_id + 1;
    b->tokens = xcalloc((size_t)b->n_ids, sizeof(char *));
    b->added_of_id = xmalloc(sizeof(int) * (size_t)b->n_ids);
    for (int i = 0; i < b->n_ids; i++) b->added_of_id[i] = -1;
    strids_init(&b->vocab, (size_t)cJSON_GetArraySize(vocab));
    cJSON_ArrayForEach(e, vocab) {
        json_id(e, &id);
        if (!b->tokens[id]) b->tokens[id] = xstrdup(e->string);
        strids_put(&b->vocab, b->tokens[id], strlen(b->tokens[id]), id);
    }
    b->n_added = cJSON_GetArraySize(added);
    b->added = xcalloc((size_t)b->n_added + 1, sizeof(AddedToken));
    int k = 0;
    cJSON_ArrayForEach(e, added) {
        AddedToken *a = &b->added[k];
        json_id(json_get(e, "id"), &a->id);
        a->content = xstrdup(json_str(e, "content", ""));
        a->len = strlen(a->content);
        a->special = json_bool(e, "special", 0);
        a->lstrip = json_bool(e, "lstrip", 0);
        a->rstrip = json_bool(e, "rstrip", 0);
        a->single_word = json_bool(e, "single_word", 0);
        b->added_of_id[a->id] = k++;
    }
    return 0;
}

/* merges: "a b" strings (tokenizers < 0.20) or ["a", "b"] pairs (newer files). */
static int load_merges(Bpe *b, const cJSON *merges) {
    const char *p = b->path;
    if (!cJSON_IsArray(merges)) return vlm_fail("%s: model.merges is missing or not an array", p);
    int rank = 0;
    strids_init(&b->merges.pairs, (size_t)cJSON_GetArraySize(merges));
    const cJSON *m;
    cJSON_ArrayForEach(m, merges) {
        char *left = NULL, *right = NULL;
        if (cJSON_IsString(m)) {
            const char *sp = strchr(m->valuestring, ' ');
            if (sp) {
                left = xstrndup(m->valuestring, (size_t)(sp - m->valuestring));
                right = xstrdup(sp + 1);
            }
        } else if (cJSON_IsArray(m) && cJSON_GetArraySize(m) == 2 &&
                   cJSON_IsString(cJSON_GetArrayItem(m, 0)) && cJSON_IsString(cJSON_GetArrayItem(m, 1))) {
            left = xstrdup(cJSON_GetArrayItem(m, 0)->valuestring);
            right = xstrdup(cJSON_GetArrayItem(m, 1)->valuestring);
        }
        if (!left) return vlm_fail("%s: model.merges[%d] is neither \"a b\" nor [\"a\", \"b\"]", p, rank);
        char *both = xasprintf("%s%s", left, right);
        int a = strids_get(&b->vocab, left, strlen(left)), c = strids_get(&b->vocab, right, strlen(right));
        int ab = strids_get(&b->vocab, both, strlen(both));
        const char *missing = a < 0 ? left : c < 0 ? right : ab < 0 ? both : NULL;
        if (missing) {
            vlm_fail("%s: model.merges[%d] (\"%s\" + \"%s\") uses \"%s\", which is not in model.vocab",
                     p, rank, left, right, missing);
            free(left), free(right), free(both);
            return -1;
        }
        bpe_merges_add(&b->merges, a, c, ab); /* a repeated merge: the later rank wins, as in HF */
        free(left), free(right), free(both);
        rank++;
    }
    return 0;
}

static int load_pre_tokenizer(Bpe *b, const cJSON *pt) {
    if (!pt) return 0;
    const char *type = json_str(pt, "type", "");
    if (strcmp(type, "Sequence") == 0) {
        const cJSON *list = json_get(pt, "pretokenizers"), *e;
        if (!cJSON_IsArray(list)) return vlm_fail("%s: pre_tokenizer Sequence without a 'pretokenizers' array", b->path);
        cJSON_ArrayForEach(e, list) if (load_pre_tokenizer(b, e)) return -1;
        return 0;
    }
    if (b->n_pre == MAX_PRE) return vlm_fail("%s: more than %d pre-tokenizers", b->path, MAX_PRE);
    PreTok *p = &b->pre[b->n_pre];
    if (strcmp(type, "Digits") == 0) {
        p->kind = PRE_DIGITS;
        p->individual_digits = json_bool(pt, "individual_digits", 0);
    } else if (strcmp(type, "ByteLevel") == 0) {
        p->kind = PRE_BYTELEVEL;
        p->add_prefix_space = json_bool(pt, "add_prefix_space", 1);
        p->use_regex = json_bool(pt, "use_regex", 1);
    } else {
        return vlm_fail("%s: pre_tokenizer type '%s' is not supported (byte-level BPE supports "
                        "Sequence, Digits, ByteLevel)", b->path, type);
    }
    b->n_pre++;
    return 0;
}

/* Special-token ids from a processor description: "[CLS]"-style [string, id] pair. */
static int push_pair(Bpe *b, const cJSON *pair, int64_t *list, int *n) {
    int id;
    if (!cJSON_IsArray(pair) || json_id(cJSON_GetArrayItem(pair, 1), &id) || *n == MAX_SPECIAL)
        return vlm_fail("%s: post_processor: expected a [token, id] pair", b->path);
    list[(*n)++] = id;
    return 0;
}

/* post_processor: what tokenizer(text) adds around the ids (SmolLM2: null = nothing). */
static int load_post_processor(Bpe *b, const cJSON *pp) {
    if (!pp) return 0;
    const char *type = json_str(pp, "type", "");
    if (strcmp(type, "ByteLevel") == 0) return 0; /* only trims offsets */
    if (strcmp(type, "Sequence") == 0) {
        const cJSON *e;
        cJSON_ArrayForEach(e, json_get(pp, "processors")) if (load_post_processor(b, e)) return -1;
        return 0;
    }
    if (strcmp(type, "BertProcessing") == 0 || strcmp(type, "RobertaProcessing") == 0)
        return push_pair(b, json_get(pp, "cls"), b->prefix, &b->n_prefix) ||
               push_pair(b, json_get(pp, "sep"), b->suffix, &b->n_suffix) ? -1 : 0;
    if (strcmp(type, "TemplateProcessing") == 0) {
        const cJSON *single = json_get(pp, "single"), *specials = json_get(pp, "special_tokens"), *e;
        if (!cJSON_IsArray(single)) return vlm_fail("%s: TemplateProcessing without a 'single' template", b->path);
        int after = 0;
        cJSON_ArrayForEach(e, single) {
            if (json_get(e, "Sequence")) { after = 1; continue; }
            const char *name = json_str(json_get(e, "SpecialToken"), "id", NULL);
            const cJSON *ids = json_get(json_get(specials, name ? name : ""), "ids"), *id;
            if (!name || !cJSON_IsArray(ids))
                return vlm_fail("%s: TemplateProcessing names a special token it does not define", b->path);
            cJSON_ArrayForEach(id, ids) {
                int v, *n = after ? &b->n_suffix : &b->n_prefix;
                if (json_id(id, &v) || *n == MAX_SPECIAL)
                    return vlm_fail("%s: TemplateProcessing special token '%s' has a bad id", b->path, name);
                (after ? b->suffix : b->prefix)[(*n)++] = v;
            }
        }
        return 0;
    }
    return vlm_fail("%s: post_processor type '%s' is not supported", b->path, type);
}

/* "pad_token" of tokenizer_config.json (a string or {"content": ...}); HF pads with it.
 * SmolLM2 sets none and pads with eos (tokenizer.pad_token = tokenizer.eos_token). */
static int64_t pad_from_config(const Bpe *b, const cJSON *padding) {
    int id;
    if (padding && json_id(json_get(padding, "pad_id"), &id) == 0) return id;
    char *dir = xstrdup(b->path), *slash = strrchr(dir, '/');
    if (slash) *slash = 0; else strcpy(dir, ".");
    char *cfg_path = path_join(dir, "tokenizer_config.json");
    int64_t pad = -1;
    cJSON *cfg = file_exists(cfg_path) ? json_load(cfg_path) : NULL;
    const char *keys[2] = {"pad_token", "eos_token"};
    for (int k = 0; k < 2 && cfg && pad < 0; k++) {
        const cJSON *v = json_get(cfg, keys[k]);
        const char *s = cJSON_IsString(v) ? v->valuestring : json_str(v, "content", NULL);
        for (int i = 0; s && i < b->n_added && pad < 0; i++)
            if (strcmp(b->added[i].content, s) == 0) pad = b->added[i].id;
        if (s && pad < 0) pad = strids_get(&b->vocab, s, strlen(s));
    }
    cJSON_Delete(cfg);
    free(cfg_path);
    free(dir);
    return pad;
}

static int load(Bpe *b, const cJSON *root) {
    const char *p = b->path;
    if (!cJSON_IsObject(root)) return vlm_fail("%s: not a JSON object", p);
    const cJSON *model = json_get(root, "model");
    if (!cJSON_IsObject(model)) return vlm_fail("%s: 'model' is missing or not an object", p);
    const char *type = json_str(model, "type", "BPE");
    if (strcmp(type, "BPE") != 0) return vlm_fail("%s: model type '%s' is not byte-level BPE", p, type);
    const cJSON *norm = json_get(root, "normalizer");
    if (norm) return vlm_fail("%s: normalizer '%s' is not supported (byte-level BPE expects none)", p,
                              json_str(norm, "type", "?"));
    const char *dec = json_str(json_get(root, "decoder"), "type", "ByteLevel");
    if (strcmp(dec, "ByteLevel") != 0) return vlm_fail("%s: decoder '%s' is not supported (expected ByteLevel)", p, dec);
    if (load_vocab(b, json_get(model, "vocab"), json_get(root, "added_tokens")) ||
        load_merges(b, json_get(model, "merges")) || load_pre_tokenizer(b, json_get(root, "pre_tokenizer")) ||
        load_post_processor(b, json_get(root, "post_processor")))
        return -1;
    const char *unk = json_str(model, "unk_token", NULL);
    b->unk_id = unk ? strids_get(&b->vocab, unk, strlen(unk)) : -1;
    if (unk && b->unk_id < 0) return vlm_fail("%s: model.unk_token \"%s\" is not in model.vocab", p, unk);
    b->fuse_unk = json_bool(model, "fuse_unk", 0);
    b->byte_fallback = json_bool(model, "byte_fallback", 0);
    b->ignore_merges = json_bool(model, "ignore_merges", 0);
    if (json_get(model, "continuing_subword_prefix") || json_get(model, "end_of_word_suffix"))
        return vlm_fail("%s: continuing_subword_prefix / end_of_word_suffix are not supported", p);
    int err;
    PCRE2_SIZE at;
    b->re = pcre2_compile((PCRE2_SPTR)GPT2_PATTERN, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &err, &at, NULL);
    if (!b->re) return vlm_fail("%s: cannot compile the GPT-2 regex (PCRE2 error %d)", p, err);
    pcre2_jit_compile(b->re, PCRE2_JIT_COMPLETE); /* faster when available; fine without */
    build_byte_map(b);
    return 0;
}

int bpe_tokenizer_open(const char *tokenizer_json, Tokenizer *t) {
    memset(t, 0, sizeof *t);
    cJSON *root = json_load(tokenizer_json);
    if (!root) return -1;
    Bpe *b = xcalloc(1, sizeof *b);
    b->path = xstrdup(tokenizer_json);
    int rc = load(b, root);
    if (rc == 0) {
        t->kind = "byte-level BPE";
        t->impl = b;
        t->vocab_size = b->n_ids;
        t->pad_id = pad_from_config(b, json_get(root, "padding"));
        t->encode = bpe_encode;
        t->decode = bpe_decode;
        t->id_to_token = bpe_id_to_token;
        t->destroy = bpe_destroy;
    } else {
        bpe_destroy(b);
    }
    cJSON_Delete(root);
    return rc;
}

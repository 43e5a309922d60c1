/* wordpiece.c — the BERT / DistilBERT tokenizer (vocab.txt + tokenizer_config.json).
 *
 * Contract (what `BertTokenizerFast(text)["input_ids"]` returns; rules confirmed
 * against HF's Rust `tokenizers`, see tests/golden/tokenizers/README.md):
 *   1. The special tokens ([PAD] [UNK] [CLS] [SEP] [MASK], names from
 *      tokenizer_config.json) are split off the raw text first, wherever they
 *      occur, case-sensitively: "hello[MASK]world" -> hello [MASK] world.
 *   2. BertNormalizer on the rest: drop U+0000, U+FFFD and control characters
 *      (category Cc, Cf, Co, except \t \n \r which are whitespace); whitespace (category
 *      Zs/Zl/Zp, \t \n \r) -> ' '; spaces around CJK ideographs; NFC; for
 *      uncased models: NFD and drop the non-spacing marks (accents), lower-case.
 *   3. BertPreTokenizer: split on spaces, and every punctuation character
 *      (ASCII !../:..@[..`{..~ and Unicode P*) is a word of its own.
 *   4. WordPiece: greedy longest match from the left, later pieces prefixed
 *      "##"; a word longer than 100 characters, or one that cannot be covered,
 *      becomes a single [UNK].
 *   5. [CLS] + ids + [SEP].
 * decode(): tokens joined by spaces, "##" pieces glued to the previous one,
 * special tokens skipped on request, then HF's clean_up_tokenization (" ." ->
 * ".", " n't" -> "n't", ...) when tokenizer_config.json says
 * clean_up_tokenization_spaces (key absent: true, BertTokenizer's default; no
 * tokenizer_config.json at all: false).
 * Ids come from the line numbers of vocab.txt (a duplicated line: the later id
 * wins, as HF's load_vocab); nothing is assumed about where [CLS] lives.
 * Unicode categories, NFC/NFD and case mapping come from utf8proc.
 * Checked against the Rust library (npm tokenizers 0.23.2) on the bert-base-uncased
 * vocabulary: identical ids on the golden texts and 5,500 random Unicode strings,
 * except for characters assigned or re-categorised after Unicode 9 (e.g. U+2E55,
 * U+08D3): the Rust crate behind is_punctuation / is_mark_nonspacing / is_other
 * has Unicode 8/9-era tables, utf8proc has current ones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "json.h"
#include "str_ids.h"
#include "tokenizer.h"
#include "unicode_text.h"
#include "util.h"

#define MAX_WORD_CHARS 100 /* BertTokenizer max_input_chars_per_word */

enum { SP_PAD, SP_UNK, SP_CLS, SP_SEP, SP_MASK, N_NAMED };

typedef struct {
    char **tokens;        /* id -> vocab line */
    int n;                /* number of lines */
    StrIds vocab;         /* token -> id (a duplicated line: the later id) */
    char **special;       /* strings split off before normalisation */
    int64_t *special_id;
    int n_special;
    int64_t named[N_NAMED];
    int lowercase, strip_accents, chinese_chars, clean_up;
} WordPiece;

/* ---- vocabulary --------------------------------------------------------- */

/* id of the n bytes at s, or -1 */
static int vocab_find(const WordPiece *w, const char *s, size_t n) { return strids_get(&w->vocab, s, n); }

static int load_vocab(WordPiece *w, const char *path) {
    size_t len;
    char *text = read_file(path, &len);
    if (!text) return -1;
    if (utf8_validate(text, len)) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s", vlm_error());
        free(text);
        return vlm_fail("%s: %s", path, msg);
    }
    int cap = 1024;
    w->tokens = xmalloc(sizeof(char *) * (size_t)cap);
    for (size_t at = 0; at < len;) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - text) : len, n = end - at;
        if (n > 0 && text[at + n - 1] == '\r') n--; /* Windows line ends */
        if (memchr(text + at, 0, n)) {
            free(text);
            return vlm_fail("%s: line %d contains a NUL byte", path, w->n + 1);
        }
        if (w->n == cap) w->tokens = xrealloc(w->tokens, sizeof(char *) * (size_t)(cap *= 2));
        w->tokens[w->n++] = xstrndup(text + at, n);
        at = end + 1;
    }
    free(text);
    if (w->n == 0) return vlm_fail("%s: empty vocabulary", path);
    strids_init(&w->vocab, (size_t)w->n);
    /* an existing entry is overwritten, so the later line wins (HF load_vocab) */
    for (int id = 0; id < w->n; id++) strids_put(&w->vocab, w->tokens[id], strlen(w->tokens[id]), id);
    return 0;
}

/* ---- tokenizer_config.json ---------------------------------------------- */

/* A special token is written as "[UNK]" or as {"content": "[UNK]", ...}. */
static const char *token_content(const cJSON *cfg, const char *key, const char *def) {
    const cJSON *v = json_get(cfg, key);
    if (cJSON_IsString(v)) return v->valuestring;
    if (cJSON_IsObject(v)) return json_str(v, "content", def);
    return def;
}

static void add_special(WordPiece *w, const char *s) {
    if (!*s) return;
    int id = vocab_find(w, s, strlen(s));
    if (id < 0) return; /* HF only splits off tokens the vocabulary has */
    for (int i = 0; i < w->n_special; i++)
        if (strcmp(w->special[i], s) == 0) return;
    w->special = xrealloc(w->special, sizeof(char *) * (size_t)(w->n_special + 1));
    w->special_id = xrealloc(w->special_id, sizeof(int64_t) * (size_t)(w->n_special + 1));
    w->special[w->n_special] = xstrdup(s);
    w->special_id[w->n_special++] = id;
}

static int load_config(WordPiece *w, const char *dir, const char *vocab_path) {
    static const char *keys[N_NAMED] = {"pad_token", "unk_token", "cls_token", "sep_token", "mask_token"};
    static const char *defs[N_NAMED] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
    char *path = path_join(dir, "tokenizer_config.json");
    cJSON *cfg = NULL;
    if (file_exists(path) && !(cfg = json_load(path))) {
        free(path);
        return -1;
    }
    /* BertTokenizer defaults: do_lower_case=True, strip_accents=None (= follow lower-casing) */
    w->lowercase = json_bool(cfg, "do_lower_case", 1);
    w->strip_accents = json_bool(cfg, "strip_accents", w->lowercase);
    w->chinese_chars = json_bool(cfg, "tokenize_chinese_chars", 1);
    /* BertTokenizer's own default is True (saved BERT configs all say so; the hub's
     * distilbert-base-uncased config omits the key); a bare vocab.txt with no config
     * at all decodes plainly, as the tokenizer goldens' "decoded". */
    w->clean_up = json_bool(cfg, "clean_up_tokenization_spaces", cfg != NULL);
    for (int i = 0; i < N_NAMED; i++) {
        const char *s = token_content(cfg, keys[i], defs[i]);
        w->named[i] = vocab_find(w, s, strlen(s));
        add_special(w, s);
    }
    /* newer configs also list every added token under "added_tokens_decoder" */
    const cJSON *added = json_get(cfg, "added_tokens_decoder"), *it;
    cJSON_ArrayForEach(it, added) add_special(w, json_str(it, "content", ""));
    cJSON_Delete(cfg);
    free(path);
    if (w->named[SP_UNK] < 0 || w->named[SP_CLS] < 0 || w->named[SP_SEP] < 0)
        return vlm_fail("%s: the vocabulary lacks the unknown, [CLS] or [SEP] token", vocab_path);
    return 0;
}

/* ---- BertNormalizer ------------------------------------------------------- */

/* HF tokenizers' is_other() (crate unicode_categories): Cc, Cf and Co.  Unassigned
 * code points (Cn) are kept, unlike Python's slow BertTokenizer, which drops all C*. */
static int is_control(utf8proc_int32_t c) {
    if (c == '\t' || c == '\n' || c == '\r') return 0;
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_CO: return 1;
    default: return 0;
    }
}

/* Rust char::is_whitespace minus the controls already dropped (U+0085, VT, FF, ...). */
static int is_whitespace(utf8proc_int32_t c) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') return 1;
    utf8proc_category_t k = utf8proc_category(c);
    return k == UTF8PROC_CATEGORY_ZS || k == UTF8PROC_CATEGORY_ZL || k == UTF8PROC_CATEGORY_ZP;
}

/* The CJK Unified Ideographs blocks of BertNormalizer's is_chinese_char (not Hangul or
 * kana).  The Rust code starts the fifth range at U+2B920 where Python's BertTokenizer
 * has U+2B820; we follow Rust (the fast tokenizer AutoTokenizer returns). */
static int is_cjk(utf8proc_int32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
           (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

static int is_punctuation(utf8proc_int32_t c) {
    if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126))
        return 1; /* all ASCII non-letters/digits, even $ + < = > ^ ` | ~ (categories S*) */
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO: return 1;
    default: return 0;
    }
}

/* Apply step 2 of the contract to s[0..len); returns a malloc'd NUL-terminated string. */
static char *normalize(const WordPiece *w, const char *s, size_t len) {
    TextBuf b = {0};
    tb_put(&b, "", 0);
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &c);
        if (k <= 0) { i++; continue; } /* unreachable: the input was validated */
        i += (size_t)k;
        if (c == 0 || c == 0xFFFD || is_control(c)) continue;
        if (is_whitespace(c)) tb_putc(&b, ' ');
        else if (w->chinese_chars && is_cjk(c)) { tb_putc(&b, ' '); tb_cp(&b, c); tb_putc(&b, ' '); }
        else tb_cp(&b, c);
    }
    char *nfc = (char *)utf8proc_NFC((const utf8proc_uint8_t *)b.s);
    free(b.s);
    if (!nfc) return NULL;
    if (!w->strip_accents && !w->lowercase) return nfc;
    char *src = nfc;
    if (w->strip_accents) {
        src = (char *)utf8proc_NFD((const utf8proc_uint8_t *)nfc);
        free(nfc);
        if (!src) return NULL;
    }
    TextBuf out = {0};
    tb_put(&out, "", 0);
    for (size_t i = 0; src[i];) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)src + i, -1, &c);
        if (k <= 0) { i++; continue; }
        i += (size_t)k;
        if (w->strip_accents && utf8proc_category(c) == UTF8PROC_CATEGORY_MN) continue;
        if (w->lowercase) {
            /* İ is the one character whose full lower-case mapping (Rust/Python) is two
             * characters, i + U+0307; utf8proc gives the simple mapping "i". */
            if (c == 0x130) { tb_putc(&out, 'i'); c = 0x307; }
            else c = utf8proc_tolower(c);
        }
        tb_cp(&out, c);
    }
    free(src);
    return out.s;
}

/* ---- WordPiece ------------------------------------------------------------ */

/* Greedy longest-match-first over one word of n bytes (nchars characters). */
static void wordpiece_word(const WordPiece *w, const char *word, size_t n, int nchars, IdList *out) {
    if (nchars > MAX_WORD_CHARS) {
        ids_push(out, w->named[SP_UNK]);
        return;
    }
    IdList pieces = {0};
    char *cand = xmalloc(n + 3);
    for (size_t start = 0; start < n;) {
        int found = -1;
        size_t end = n;
        while (end > start) {
            size_t m = 0;
            if (start > 0) cand[m++] = '#', cand[m++] = '#';
            memcpy(cand + m, word + start, end - start);
            found = vocab_find(w, cand, m + end - start);
            if (found >= 0) break;
            /* step back one whole UTF-8 character */
            do end--; while (end > start && ((unsigned char)word[end] & 0xC0) == 0x80);
        }
        if (found < 0) { /* not coverable: the whole word is one [UNK] */
            pieces.n = 0;
            ids_push(&pieces, w->named[SP_UNK]);
            break;
        }
        ids_push(&pieces, found);
        start = end;
    }
    for (int i = 0; i < pieces.n; i++) ids_push(out, pieces.ids[i]);
    free(cand);
    ids_free(&pieces);
}

/* Pre-tokenize normalized text (spaces and punctuation) and WordPiece each word. */
static void encode_normalized(const WordPiece *w, const char *s, IdList *out) {
    size_t i = 0, word = 0;
    int nchars = 0;
    while (1) {
        utf8proc_int32_t c = 0;
        utf8proc_ssize_t k = s[i] ? utf8proc_iterate((const utf8proc_uint8_t *)s + i, -1, &c) : 0;
        int at_end = k <= 0, space = !at_end && c == ' ', punct = !at_end && is_punctuation(c);
        if (at_end || space || punct) {
            if (i > word) wordpiece_word(w, s + word, i - word, nchars, out);
            if (punct) wordpiece_word(w, s + i, (size_t)k, 1, out);
            if (at_end) return;
            i += (size_t)k;
            word = i;
            nchars = 0;
        } else {
            i += (size_t)k;
            nchars++;
        }
    }
}

static void encode_plain(const WordPiece *w, const char *s, size_t len, IdList *out) {
    char *norm = normalize(w, s, len);
    if (norm) encode_normalized(w, norm, out);
    free(norm);
}

static int wp_encode(void *impl, const char *text, size_t len, IdList *out) {
    const WordPiece *w = impl;
    if (utf8_validate(text, len)) return -1;
    ids_push(out, w->named[SP_CLS]);
    /* split off special tokens (leftmost, then longest) before normalising */
    size_t at = 0;
    while (at < len) {
        size_t best_pos = len, best_len = 0;
        int best = -1;
        for (int i = 0; i < w->n_special; i++) {
            size_t sl = strlen(w->special[i]);
            const char *hit = memmem(text + at, len - at, w->special[i], sl);
            if (!hit) continue;
            size_t pos = (size_t)(hit - text);
            if (pos < best_pos || (pos == best_pos && sl > best_len)) best_pos = pos, best_len = sl, best = i;
        }
        encode_plain(w, text + at, best_pos - at, out);
        if (best < 0) break;
        ids_push(out, w->special_id[best]);
        at = best_pos + best_len;
    }
    ids_push(out, w->named[SP_SEP]);
    return 0;
}

/* ---- decode --------------------------------------------------------------- */

static int is_special_id(const WordPiece *w, int64_t id) {
    for (int i = 0; i < w->n_special; i++)
        if (w->special_id[i] == id) return 1;
    return 0;
}

static char *wp_decode(void *impl, const int64_t *ids, int n, int skip_special) {
    const WordPiece *w = impl;
    TextBuf b = {0};
    tb_put(&b, "", 0);
    int count = 0;
    for (int i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= w->n) continue; /* HF skips unknown ids */
        if (skip_special && is_special_id(w, ids[i])) continue;
        const char *tok = w->tokens[ids[i]];
        /* the WordPiece decoder: "##" glues a piece to the previous one, else a space */
        if (count > 0) {
            if (strncmp(tok, "##", 2) == 0) tok += 2;
            else tb_putc(&b, ' ');
        }
        tb_put(&b, tok, strlen(tok));
        count++;
    }
    if (w->clean_up) clean_up_tokenization(b.s);
    return b.s;
}

static const char *wp_token(void *impl, int64_t id) {
    const WordPiece *w = impl;
    return id >= 0 && id < w->n ? w->tokens[id] : NULL;
}

static void wp_destroy(void *impl) {
    WordPiece *w = impl;
    if (!w) return;
    for (int i = 0; i < w->n; i++) free(w->tokens[i]);
    for (int i = 0; i < w->n_special; i++) free(w->special[i]);
    free(w->tokens);
    strids_free(&w->vocab);
    free(w->special);
    free(w->special_id);
    free(w);
}

int wordpiece_tokenizer_open(const char *dir, Tokenizer *t) {
    memset(t, 0, sizeof *t);
    WordPiece *w = xcalloc(1, sizeof *w);
    char *vocab = path_join(dir, "vocab.txt");
    int rc = load_vocab(w, vocab);
    if (rc == 0) rc = load_config(w, dir, vocab);
    free(vocab);
    if (rc) {
        wp_destroy(w);
        return -1;
    }
    /* HF's vocab_size is the number of distinct tokens (a duplicated line counts once) */
    t->kind = "WordPiece";
    t->impl = w;
    t->vocab_size = (int)w->vocab.n;
    t->pad_id = w->named[SP_PAD];
    t->encode = wp_encode;
    t->decode = wp_decode;
    t->id_to_token = wp_token;
    t->destroy = wp_destroy;
    return 0;
}

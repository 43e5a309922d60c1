/* unicode_text.c — see unicode_text.h. */
#include "unicode_text.h"

#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "util.h"

void tb_put(TextBuf *b, const void *p, size_t n) {
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n + 1) cap *= 2;
        b->s = xrealloc(b->s, cap);
        b->cap = cap;
    }
    if (n) memcpy(b->s + b->n, p, n);
    b->n += n;
    b->s[b->n] = '\0';
}

void tb_putc(TextBuf *b, char c) { tb_put(b, &c, 1); }

void tb_cp(TextBuf *b, int32_t cp) {
    utf8proc_uint8_t u[4];
    utf8proc_ssize_t k = utf8proc_encode_char(cp, u);
    tb_put(b, u, (size_t)k);
}

void tb_free(TextBuf *b) {
    free(b->s);
    memset(b, 0, sizeof *b);
}

int32_t utf8_next(const char *s, size_t len, size_t *i) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + *i, (utf8proc_ssize_t)(len - *i), &cp);
    if (k <= 0) {
        (*i)++;
        return -1;
    }
    *i += (size_t)k;
    return cp;
}

int uni_is_white_space(int32_t c) {
    return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
           c == 0x3000;
}

int uni_is_py_space(int32_t c) { return uni_is_white_space(c) || (c >= 0x1c && c <= 0x1f); }

/* Unicode "Cased" (approximated: has a case mapping or is a cased letter). */
static int is_cased(int32_t c) {
    utf8proc_category_t k = utf8proc_category(c);
    return k == UTF8PROC_CATEGORY_LU || k == UTF8PROC_CATEGORY_LL || k == UTF8PROC_CATEGORY_LT ||
           utf8proc_tolower(c) != c || utf8proc_toupper(c) != c;
}

/* Unicode "Case_Ignorable": marks, format chars, modifiers and the word-internal
 * punctuation of Word_Break MidLetter / MidNumLet / Single_Quote. */
static int is_case_ignorable(int32_t c) {
    utf8proc_category_t k = utf8proc_category(c);
    if (k == UTF8PROC_CATEGORY_MN || k == UTF8PROC_CATEGORY_ME || k == UTF8PROC_CATEGORY_CF ||
        k == UTF8PROC_CATEGORY_LM || k == UTF8PROC_CATEGORY_SK)
        return 1;
    static const int32_t mid[] = {0x27, 0x2e, 0x3a, 0xb7, 0x387, 0x5f4, 0x2018, 0x2019,
                                  0x2024, 0x2027, 0xfe13, 0xfe52, 0xfe55, 0xff07, 0xff0e, 0xff1a};
    for (size_t i = 0; i < sizeof mid / sizeof mid[0]; i++)
        if (c == mid[i]) return 1;
    return 0;
}

/* Σ at byte offset [at, at+2) is word-final: a cased letter before it (skipping
 * case-ignorables) and none after it. */
static int sigma_is_final(const char *s, size_t len, size_t at) {
    int before = 0;
    size_t j = at;
    while (j > 0) {
        size_t k = j - 1;
        while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80) k--;
        size_t t = k;
        int32_t c = utf8_next(s, len, &t);
        j = k;
        if (c >= 0 && is_case_ignorable(c)) continue;
        before = c >= 0 && is_cased(c);
        break;
    }
    if (!before) return 0;
    size_t t = at + 2;
    while (t < len) {
        int32_t c = utf8_next(s, len, &t);
        if (c >= 0 && is_case_ignorable(c)) continue;
        return !(c >= 0 && is_cased(c));
    }
    return 1;
}

void uni_lower_append(TextBuf *out, const char *s, size_t len, int final_sigma) {
    size_t i = 0;
    while (i < len) {
        size_t at = i;
        int32_t c = utf8_next(s, len, &i);
        if (c < 0) {
            tb_put(out, s + at, 1);
        } else if (c == 0x130) {           /* İ -> i + COMBINING DOT ABOVE */
            tb_cp(out, 0x69);
            tb_cp(out, 0x307);
        } else if (c == 0x3a3 && final_sigma && sigma_is_final(s, len, at)) {
            tb_cp(out, 0x3c2);
        } else {
            tb_cp(out, utf8proc_tolower(c));
        }
    }
}

char *utf8_lossy(const unsigned char *s, size_t n, size_t *out_len) {
    TextBuf b = {0};
    tb_put(&b, "", 0);
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        int need;
        unsigned lo = 0x80, hi = 0xbf;   /* allowed range of the second byte */
        if (c < 0x80) { tb_put(&b, s + i, 1); i++; continue; }
        else if (c >= 0xc2 && c <= 0xdf) need = 1;
        else if (c >= 0xe0 && c <= 0xef) { need = 2; if (c == 0xe0) lo = 0xa0; if (c == 0xed) hi = 0x9f; }
        else if (c >= 0xf0 && c <= 0xf4) { need = 3; if (c == 0xf0) lo = 0x90; if (c == 0xf4) hi = 0x8f; }
        else { tb_put(&b, "\xef\xbf\xbd", 3); i++; continue; }
        int k = 1;
        for (; k <= need && i + (size_t)k < n; k++) {
            unsigned d = s[i + k];
            if (k == 1 ? (d < lo || d > hi) : (d & 0xc0) != 0x80) break;
        }
        if (k == need + 1) tb_put(&b, s + i, (size_t)need + 1);
        else tb_put(&b, "\xef\xbf\xbd", 3);
        i += (size_t)k;
    }
    if (out_len) *out_len = b.n;
    return b.s;
}

/* bytes_to_unicode(): '!'..'~', '¡'..'¬', '®'..'ÿ' keep their code point; the
 * remaining 68 bytes get U+0100 + their index among them, in byte order. */
static int byte_is_printable(unsigned b) {
    return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
}

int32_t gpt2_byte_to_cp(unsigned char b) {
    if (byte_is_printable(b)) return b;
    int n = 0;
    for (unsigned x = 0; x < b; x++) n += !byte_is_printable(x);
    return 0x100 + n;
}

int gpt2_cp_to_byte(int32_t cp) {
    if (cp >= 0 && cp < 0x100) return byte_is_printable((unsigned)cp) ? cp : -1;
    if (cp < 0x100 || cp >= 0x100 + 68) return -1;
    int n = cp - 0x100;
    for (unsigned x = 0; x < 256; x++)
        if (!byte_is_printable(x) && n-- == 0) return (int)x;
    return -1;
}

void gpt2_token_bytes(TextBuf *out, const char *tok) {
    size_t len = strlen(tok), start = out->n, i = 0;
    while (i < len) {
        int byte = gpt2_cp_to_byte(utf8_next(tok, len, &i));
        if (byte < 0) {   /* not all byte symbols: the token's text as it is */
            out->n = start;
            tb_put(out, tok, len);
            return;
        }
        tb_putc(out, (char)byte);
    }
}

void py_strip(const char *s, size_t *start, size_t *end, int left, int right) {
    size_t a = *start, b = *end;
    while (left && a < b) {
        size_t j = a;
        int32_t cp = utf8_next(s, b, &j);
        if (cp < 0 || !uni_is_py_space(cp)) break;
        a = j;
    }
    while (right && b > a) {   /* step back one whole character */
        size_t k = b - 1;
        while (k > a && ((unsigned char)s[k] & 0xc0) == 0x80) k--;
        size_t j = k;
        int32_t cp = utf8_next(s, b, &j);
        if (cp < 0 || !uni_is_py_space(cp)) break;
        b = k;
    }
    *start = a;
    *end = b;
}

/* Replace every `from` by `to` in place (to is never longer than from). */
static void replace_all(char *s, const char *from, const char *to) {
    size_t fl = strlen(from), tl = strlen(to);
    char *r = s, *w = s;
    while (*r) {
        if (strncmp(r, from, fl) == 0) {
            memcpy(w, to, tl);
            w += tl, r += fl;
        } else {
            *w++ = *r++;
        }
    }
    *w = 0;
}

/* PreTrainedTokenizerBase.clean_up_tokenization, its replacements in its order. */
void clean_up_tokenization(char *s) {
    static const char *rules[][2] = {{" .", "."},     {" ?", "?"},     {" !", "!"},   {" ,", ","},
                                     {" ' ", "'"},    {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"},
                                     {" 've", "'ve"}, {" 're", "'re"}};
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) replace_all(s, rules[i][0], rules[i][1]);
}

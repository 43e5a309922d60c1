/* unicode_text.h — small Unicode / UTF-8 / text helpers the tokenizers share.
 *
 * Contract
 *   TextBuf: a growable byte buffer (always NUL-terminated after tb_*).
 *   utf8_next: decode one code point; on a malformed sequence returns -1 and
 *     advances one byte (callers validate input first with utf8_validate).
 *   uni_is_white_space: the Unicode White_Space property (Rust char::is_whitespace,
 *     the `\s` of HF tokenizers' regexes).
 *   uni_is_py_space: Python's str.isspace() (also true for U+001C..U+001F),
 *     what `re` `\s` and str.strip() use in the slow (Python) tokenizers.
 *   uni_lower_append: full lower-case mapping like Python str.lower() and Rust
 *     str::to_lowercase(): utf8proc's simple mapping plus the one unconditional
 *     multi-character rule (U+0130 İ -> "i̇") and, when final_sigma is set,
 *     Σ -> ς at the end of a word (Rust str::to_lowercase and whole-string
 *     Python str.lower() do this; HF's Lowercase normaliser and the slow
 *     tokenizers' char-by-char lower() do not).
 *   utf8_lossy: bytes -> valid UTF-8, each maximal invalid prefix -> U+FFFD
 *     (Rust String::from_utf8_lossy / Python errors="replace").
 *   gpt2_byte_to_cp / gpt2_cp_to_byte: GPT-2's bytes_to_unicode() table, which
 *     maps every byte to a printable code point (printable Latin-1 bytes map to
 *     themselves, the other 68 to U+0100.. in byte order).
 *   gpt2_token_bytes: HF's ByteLevel decoder for one token: a token made only
 *     of byte symbols appends those bytes to out, any other token (an added
 *     token such as "<|im_start|>" or "a b") its own text.
 *   py_strip: Python str.strip() (left and right) / lstrip() / rstrip() on the
 *     UTF-8 range s[*start, *end): moves *start past the leading and *end before
 *     the trailing uni_is_py_space characters.
 *   clean_up_tokenization: transformers' clean_up_tokenization, in place
 *     (" ." -> ".", " n't" -> "n't", ...; the text only gets shorter).
 */
#ifndef VLM_UNICODE_TEXT_H
#define VLM_UNICODE_TEXT_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *s;
    size_t n, cap;
} TextBuf;

void tb_put(TextBuf *b, const void *p, size_t n);
void tb_putc(TextBuf *b, char c);
void tb_cp(TextBuf *b, int32_t cp);   /* append one code point as UTF-8 */
void tb_free(TextBuf *b);

int32_t utf8_next(const char *s, size_t len, size_t *i);
int uni_is_white_space(int32_t cp);
int uni_is_py_space(int32_t cp);
void uni_lower_append(TextBuf *out, const char *s, size_t len, int final_sigma);
char *utf8_lossy(const unsigned char *s, size_t n, size_t *out_len);

int32_t gpt2_byte_to_cp(unsigned char b);
int gpt2_cp_to_byte(int32_t cp);   /* -1 if cp is not a byte symbol */
void gpt2_token_bytes(TextBuf *out, const char *tok);

void py_strip(const char *s, size_t *start, size_t *end, int left, int right);
void clean_up_tokenization(char *s);

#endif

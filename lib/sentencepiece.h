/* sentencepiece.h — SigLIP / SentencePiece extras beyond the Tokenizer interface.
 *
 * siglip_encode_padded(): `tokenizer(text, padding="max_length",
 * max_length=max_len, truncation=truncate)` of HF's SiglipTokenizer (text: len
 * bytes of UTF-8, NUL allowed):
 *   truncate = 0: the ids encode() gives, right-padded with pad_id (</s> = 1 in
 *                 SigLIP) to max_len; a longer text stays as it is;
 *   truncate = 1: at most max_len - 1 text ids, then </s> (unless they already
 *                 end with it), then pads.
 * attention_mask (may be NULL) gets 1 on real ids, 0 on pads (SigLIP's processor
 * returns no mask by default: the text tower attends to the pads).
 *
 * siglip_canonicalize(): SiglipTokenizer.canonicalize_text(): drop ASCII
 * punctuation (Python string.punctuation), every run of whitespace (Python
 * str.isspace) -> ' ', strip.  Fresh NUL-terminated string, length in *out_len.
 */
#ifndef VLM_SENTENCEPIECE_H
#define VLM_SENTENCEPIECE_H

#include <stddef.h>

#include "tokenizer.h"

int siglip_encode_padded(const Tokenizer *t, const char *text, size_t len, int max_len, int truncate,
                         IdList *ids, IdList *attention_mask);
char *siglip_canonicalize(const char *text, size_t len, size_t *out_len);

#endif

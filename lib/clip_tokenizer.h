/* clip_tokenizer.h — CLIP BPE extras beyond the Tokenizer interface.
 *
 * clip_encode_padded() (text: len bytes of UTF-8, NUL allowed) is `tokenizer(text, padding="max_length",
 * max_length=max_len, truncation=truncate)` of CLIPTokenizerFast:
 *   truncate = 0: ids as encode() gives them, right-padded with pad_id
 *                 (<|endoftext|>) to max_len; a longer text stays as it is;
 *   truncate = 1: at most max_len - 2 text ids, then <|endoftext|>, then pads.
 * attention_mask (may be NULL) gets 1 on real ids and 0 on pads.
 * -1 with an error for a tokenizer that is not CLIP BPE or bad input.
 */
#ifndef VLM_CLIP_TOKENIZER_H
#define VLM_CLIP_TOKENIZER_H

#include "tokenizer.h"

int clip_encode_padded(const Tokenizer *t, const char *text, size_t len, int max_len, int truncate,
                       IdList *ids, IdList *attention_mask);

#endif

/* tokenizer.h — one interface over the four tokenizer kinds of the lessons.
 *
 *   kind            files in the model folder              lesson
 *   byte-level BPE  tokenizer.json (GPT-2 bytes, SmolLM2)   1, 2, 6
 *   WordPiece       vocab.txt (+ tokenizer_config.json)     3
 *   CLIP BPE        vocab.json + merges.txt (</w> ends)     5
 *   SentencePiece   spiece.model (Unigram, SigLIP)          5
 *
 * tokenizer_open() looks at the folder and picks the kind (see tokenizer.c).
 * encode() returns what `tokenizer(text)["input_ids"]` returns in Hugging Face,
 * special tokens included as HF adds them by default (none for SmolLM2,
 * [CLS]/[SEP] for BERT, <|startoftext|>/<|endoftext|> for CLIP, </s> for SigLIP),
 * without padding.  Errors (unreadable files, invalid UTF-8 input) name the
 * file or say what is wrong, through vlm_fail().
 */
#ifndef VLM_TOKENIZER_H
#define VLM_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "tensor.h"

typedef struct {
    int64_t *ids;
    int n, cap;
} IdList;

void ids_push(IdList *l, int64_t id);
void ids_free(IdList *l);
/* padding="max_length": right-pad l with pad_id up to max_len ids (a longer list
 * stays as it is); attention_mask (may be NULL) gets 1 for each id l had, 0 for
 * each pad. */
void ids_pad(IdList *l, int max_len, int64_t pad_id, IdList *attention_mask);

typedef struct Tokenizer {
    const char *kind;  /* "byte-level BPE", "WordPiece", "CLIP BPE", "SentencePiece" */
    void *impl;
    int vocab_size;
    int64_t pad_id;    /* id HF pads with (-1 if none) */
    int (*encode)(void *impl, const char *text, size_t len, IdList *out);
    /* decode(ids, skip_special_tokens) -> malloc'd UTF-8 text */
    char *(*decode)(void *impl, const int64_t *ids, int n, int skip_special);
    /* the vocabulary string of an id ("Ġdog", "##s", "</w>"...), NULL if out of range */
    const char *(*id_to_token)(void *impl, int64_t id);
    void (*destroy)(void *impl);
} Tokenizer;

/* Pick the kind from the files in dir and load it. -1 with an error. */
int tokenizer_open(const char *dir, Tokenizer *t);
int tokenizer_encode(const Tokenizer *t, const char *text, IdList *out);
char *tokenizer_decode(const Tokenizer *t, const int64_t *ids, int n, int skip_special);
const char *tokenizer_token(const Tokenizer *t, int64_t id);
void tokenizer_close(Tokenizer *t);

/* Encode n texts and right-pad them to the longest (pad_to = 0) or to pad_to ids
 * with t->pad_id, like tokenizer(texts, padding=True / "max_length").
 * ids and attention_mask become new I64 tensors [n, len] (mask 0 on pads). */
int tokenizer_encode_batch(const Tokenizer *t, const char *const *texts, int n, int pad_to,
                           Tensor *ids, Tensor *attention_mask);

/* Per-kind openers (each in its own file). */
int bpe_tokenizer_open(const char *tokenizer_json, Tokenizer *t);       /* bpe.c */
int wordpiece_tokenizer_open(const char *dir, Tokenizer *t);            /* wordpiece.c */
int clip_tokenizer_open(const char *dir, Tokenizer *t);                 /* clip_tokenizer.c */
int spm_tokenizer_open(const char *dir, Tokenizer *t);                  /* sentencepiece.c */

/* UTF-8 check: 0 if valid, else -1 with "invalid UTF-8 at byte N". */
int utf8_validate(const char *s, size_t len);

#endif

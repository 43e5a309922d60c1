/* bpe_merge.h — the BPE merge step, shared by the byte-level BPE (bpe.c) and the
 * CLIP BPE (clip_tokenizer.c) tokenizers.
 *
 * Contract
 *   BpeMerges: the merge table, (left id, right id) -> (rank, merged id).  The
 *     rank is the order of bpe_merges_add() calls (0 = first line of merges.txt
 *     = applied first).  Adding a pair again gives it the later rank, as HF's
 *     BPE builder (a HashMap filled in file order).
 *   bpe_merge(m, word): word holds the symbol ids of one pre-tokenized piece.
 *     Repeatedly merge the adjacent pair with the lowest rank — the leftmost
 *     among equal ranks — into its merged id, until no adjacent pair is in the
 *     table.  The result replaces word's ids (word->n shrinks).  O(n log n):
 *     a min-heap of candidate pairs keyed by (rank, position) over a linked
 *     list of symbols, like HF tokenizers' Word::merge_all, so a 64 KB run of
 *     one letter takes milliseconds.
 *   bpe_merge_reference(m, word): the same result by the plain definition
 *     (scan every pair, merge the best one, repeat; O(n^2)).  Kept as the
 *     readable specification; tests check bpe_merge against it.
 */
#ifndef VLM_BPE_MERGE_H
#define VLM_BPE_MERGE_H

#include "str_ids.h"
#include "tokenizer.h"

typedef struct {
    StrIds pairs;   /* 8-byte key: left id, right id -> rank */
    int *merged;    /* rank -> id of the merged symbol */
    int n, cap;     /* ranks used / allocated */
} BpeMerges;

void bpe_merges_add(BpeMerges *m, int left, int right, int merged);
/* The pair's rank (and merged id in *merged, may be NULL), or -1 if not a merge. */
int bpe_merges_rank(const BpeMerges *m, int left, int right, int *merged);
void bpe_merges_free(BpeMerges *m);

void bpe_merge(const BpeMerges *m, IdList *word);
void bpe_merge_reference(const BpeMerges *m, IdList *word);

#endif

/* bpe_merge.c — see bpe_merge.h. */
#include "bpe_merge.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---- the merge table ---- */

static void pair_key(int left, int right, char key[8]) {
    memcpy(key, &left, 4);
    memcpy(key + 4, &right, 4);
}

void bpe_merges_add(BpeMerges *m, int left, int right, int merged) {
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 1024;
        m->merged = xrealloc(m->merged, sizeof(int) * (size_t)m->cap);
    }
    char key[8];
    pair_key(left, right, key);
    strids_put(&m->pairs, key, 8, m->n);   /* a repeated pair: the later rank wins */
    m->merged[m->n++] = merged;
}

int bpe_merges_rank(const BpeMerges *m, int left, int right, int *merged) {
    char key[8];
    pair_key(left, right, key);
    int rank = strids_get(&m->pairs, key, 8);
    if (rank >= 0 && merged) *merged = m->merged[rank];
    return rank;
}

void bpe_merges_free(BpeMerges *m) {
    strids_free(&m->pairs);
    free(m->merged);
    memset(m, 0, sizeof *m);
}

/* ---- the reference: the rule, word for word ---- */

void bpe_merge_reference(const BpeMerges *m, IdList *word) {
    for (;;) {
        int best = -1, best_rank = 0, best_id = 0;
        for (int i = 0; i + 1 < word->n; i++) {
            int merged, r = bpe_merges_rank(m, (int)word->ids[i], (int)word->ids[i + 1], &merged);
            if (r >= 0 && (best < 0 || r < best_rank)) best = i, best_rank = r, best_id = merged;
        }
        if (best < 0) return;
        word->ids[best] = best_id;
        memmove(word->ids + best + 1, word->ids + best + 2, sizeof(int64_t) * (size_t)(word->n - best - 2));
        word->n--;
    }
}

/* ---- the fast version: a heap of candidate pairs over a linked list ---- */

/* A pair that could be merged: the symbol at pos (a position in the original
 * word, so smaller pos = further left) and the one after it, which had the ids
 * left and right when the pair was queued. */
typedef struct {
    int rank, pos;
    int64_t left, right;
} Candidate;

static int before(const Candidate *a, const Candidate *b) {
    return a->rank != b->rank ? a->rank < b->rank : a->pos < b->pos;
}

typedef struct {
    Candidate *c;
    int n;
} Heap;

static void heap_push(Heap *h, Candidate x) {
    int i = h->n++;
    while (i > 0 && before(&x, &h->c[(i - 1) / 2])) {
        h->c[i] = h->c[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->c[i] = x;
}

static Candidate heap_pop(Heap *h) {
    Candidate top = h->c[0], last = h->c[--h->n];
    int i = 0;
    for (;;) {
        int k = 2 * i + 1;
        if (k >= h->n) break;
        if (k + 1 < h->n && before(&h->c[k + 1], &h->c[k])) k++;
        if (!before(&h->c[k], &last)) break;
        h->c[i] = h->c[k];
        i = k;
    }
    h->c[i] = last;
    return top;
}

static void queue_pair(const BpeMerges *m, Heap *h, const int64_t *ids, int pos, int next) {
    int rank = bpe_merges_rank(m, (int)ids[pos], (int)ids[next], NULL);
    if (rank >= 0) heap_push(h, (Candidate){rank, pos, ids[pos], ids[next]});
}

/* Why this equals the reference: every adjacent pair of the current word is in
 * the heap under its (rank, position) — queued at the start or when a merge
 * created it.  An entry whose symbols have changed since (the left one was
 * absorbed, or either one merged with something else) is stale and skipped, so
 * the first live entry popped is the lowest-rank, leftmost pair, the one the
 * reference would pick.  Each merge queues at most two pairs: O(n log n). */
void bpe_merge(const BpeMerges *m, IdList *word) {
    int n = word->n;
    if (n < 2) return;
    int64_t *ids = word->ids;
    int *prev = xmalloc(sizeof(int) * (size_t)n), *next = xmalloc(sizeof(int) * (size_t)n);
    char *gone = xcalloc((size_t)n, 1);
    Heap h = {xmalloc(sizeof(Candidate) * 3 * (size_t)n), 0};   /* n - 1 + 2 per merge */
    for (int i = 0; i < n; i++) prev[i] = i - 1, next[i] = i + 1;   /* next == n: the end */
    for (int i = 0; i + 1 < n; i++) queue_pair(m, &h, ids, i, i + 1);
    while (h.n > 0) {
        Candidate c = heap_pop(&h);
        int right = next[c.pos];
        if (gone[c.pos] || right == n || ids[c.pos] != c.left || ids[right] != c.right) continue;
        ids[c.pos] = m->merged[c.rank];
        gone[right] = 1;
        next[c.pos] = next[right];
        if (next[right] < n) prev[next[right]] = c.pos;
        if (prev[c.pos] >= 0) queue_pair(m, &h, ids, prev[c.pos], c.pos);
        if (next[c.pos] < n) queue_pair(m, &h, ids, c.pos, next[c.pos]);
    }
    int k = 0;
    for (int i = 0; i < n; i = next[i]) ids[k++] = ids[i];   /* symbol 0 is never absorbed */
    word->n = k;
    free(prev);
    free(next);
    free(gone);
    free(h.c);
}

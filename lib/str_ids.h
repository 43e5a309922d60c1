/* str_ids.h — a string -> id hash map for vocabularies and merge tables.
 *
 * Contract: keys are byte strings with an explicit length (they may contain any
 * byte, so binary keys such as two packed int32 ids work too); the map owns a
 * copy of every key.  Open addressing with linear probing, FNV-1a hash, grown
 * to keep the load under one half.  Lookups of absent keys return -1.
 */
#ifndef VLM_STR_IDS_H
#define VLM_STR_IDS_H

#include <stddef.h>

typedef struct {
    char **keys;   /* NULL = empty slot */
    size_t *lens;
    int *vals;
    size_t cap, n;
} StrIds;

void strids_init(StrIds *m, size_t expected);
/* The value stored for key, or -1 when absent. */
int strids_get(const StrIds *m, const char *key, size_t len);
/* Insert or overwrite; returns 1 when the key is new, 0 when it was replaced. */
int strids_put(StrIds *m, const char *key, size_t len, int val);
void strids_free(StrIds *m);

#endif

/* str_ids.c — see str_ids.h. */
#include "str_ids.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static uint64_t fnv1a(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

void strids_init(StrIds *m, size_t expected) {
    m->cap = 16;
    while (m->cap < 2 * expected + 2) m->cap *= 2;
    m->keys = xcalloc(m->cap, sizeof(char *));
    m->lens = xcalloc(m->cap, sizeof(size_t));
    m->vals = xcalloc(m->cap, sizeof(int));
    m->n = 0;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t find_slot(const StrIds *m, const char *key, size_t len) {
    size_t i = (size_t)fnv1a(key, len) & (m->cap - 1);
    while (m->keys[i] && !(m->lens[i] == len && memcmp(m->keys[i], key, len) == 0))
        i = (i + 1) & (m->cap - 1);
    return i;
}

int strids_get(const StrIds *m, const char *key, size_t len) {
    if (!m->cap) return -1;
    size_t i = find_slot(m, key, len);
    return m->keys[i] ? m->vals[i] : -1;
}

static void grow(StrIds *m) {
    StrIds bigger;
    strids_init(&bigger, m->cap);  /* capacity >= 2 * old capacity */
    for (size_t i = 0; i < m->cap; i++)
        if (m->keys[i]) {
            size_t j = find_slot(&bigger, m->keys[i], m->lens[i]);
            bigger.keys[j] = m->keys[i];
            bigger.lens[j] = m->lens[i];
            bigger.vals[j] = m->vals[i];
            bigger.n++;
        }
    free(m->keys);
    free(m->lens);
    free(m->vals);
    *m = bigger;
}

int strids_put(StrIds *m, const char *key, size_t len, int val) {
    if (!m->cap) strids_init(m, 16);
    if (2 * (m->n + 1) > m->cap) grow(m);
    size_t i = find_slot(m, key, len);
    if (m->keys[i]) {
        m->vals[i] = val;
        return 0;
    }
    char *copy = xmalloc(len + 1);
    memcpy(copy, key, len);
    copy[len] = '\0';
    m->keys[i] = copy;
    m->lens[i] = len;
    m->vals[i] = val;
    m->n++;
    return 1;
}

void strids_free(StrIds *m) {
    for (size_t i = 0; i < m->cap; i++) free(m->keys[i]);
    free(m->keys);
    free(m->lens);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* util.h — errors, checked allocation, files.
 *
 * Contract
 *   Errors: a function that can fail on bad input returns -1 (or NULL) after
 *   calling vlm_fail("file: what is wrong"); the caller prints vlm_error().
 *   The message always names the file and the fault, so a student who points a
 *   lesson at a half-downloaded checkpoint reads what is wrong, not a crash.
 *   Allocation: xmalloc/xcalloc/xrealloc never return NULL; on out-of-memory
 *   they print how many bytes were requested and exit(1).  Sizes are computed
 *   with the overflow-checked helpers below before any allocation.
 */
#ifndef VLM_UTIL_H
#define VLM_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Record an error message (printf-style); always returns -1. */
int vlm_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The last recorded error message ("" when none). */
const char *vlm_error(void);
/* Print "prog: <last error>" to stderr and exit(1). */
void vlm_die(const char *prog) __attribute__((noreturn));

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a freshly allocated string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A grow-only buffer reused across calls: a module keeps one (per thread) for the
 * scratch space of a forward pass, so decoding token after token, or running layer
 * after layer, allocates nothing once the first call has sized it.  Never shrinks;
 * stays reachable until exit. */
typedef struct {
    void *data;
    size_t cap;
} Scratch;
/* At least `bytes` bytes (old contents not kept), 64-byte aligned. */
void *scratch_reserve(Scratch *s, size_t bytes);

/* a*b and a+b into *out; return 0, or -1 on size_t overflow. */
int mul_overflow_size(size_t a, size_t b, size_t *out);
int add_overflow_size(size_t a, size_t b, size_t *out);

/* Read a whole file into a NUL-terminated buffer; *len gets its size.
 * Returns NULL (with vlm_fail) when it cannot be opened or read. */
char *read_file(const char *path, size_t *len);
int file_exists(const char *path);
int dir_exists(const char *path);
/* dir + "/" + name, freshly allocated. */
char *path_join(const char *dir, const char *name);

/* Seconds from a monotonic clock, for --time and the bench. */
double now_seconds(void);

#endif

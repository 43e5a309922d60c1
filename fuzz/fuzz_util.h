/* fuzz_util.h — helpers shared by the libFuzzer harnesses in fuzz/.
 *
 * The loaders under test take file paths (they mmap or read files, and their
 * errors name the file), so each harness writes the fuzz input to a private
 * temporary file first.  A harness passes when the loader either succeeds or
 * returns -1 with an error message — any crash, leak, hang, out-of-bounds access
 * or UB is caught by the sanitizers libFuzzer runs with.
 */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safetensors.h"

/* A per-process scratch folder, created once. */
static inline const char *fuzz_dir(void) {
    static char dir[64];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/vlm_fuzz_%d", (int)getpid());
        mkdir(dir, 0700);
    }
    return dir;
}

/* Write data to <fuzz_dir>/<name>; returns the path (static buffer per call site use). */
static inline const char *fuzz_write(const char *name, const uint8_t *data, size_t size) {
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", fuzz_dir(), name);
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (size && fwrite(data, 1, size, f) != size) abort();
    fclose(f);
    return path;
}

/* The input as a NUL-terminated string (malloc'd). */
static inline char *fuzz_string(const uint8_t *data, size_t size) {
    char *s = malloc(size + 1);
    if (!s) abort();
    memcpy(s, data, size);
    s[size] = 0;
    return s;
}

/* Copy a repository file (a fixed companion of the fuzzed file) into the scratch
 * folder under `name`.  Harnesses run from the repository root (run_fuzzers.sh). */
static inline void fuzz_copy(const char *from, const char *name) {
    FILE *in = fopen(from, "rb");
    if (!in) {
        fprintf(stderr, "fuzz: cannot read %s (run from the repository root)\n", from);
        abort();
    }
    char path[256];
    snprintf(path, sizeof path, "%s/%s", fuzz_dir(), name);
    FILE *out = fopen(path, "wb");
    if (!out) abort();
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) abort();
    fclose(in);
    fclose(out);
}

/* Write data to <fuzz_dir>/<sub>/<name> (sub is created); returns the folder. */
static inline const char *fuzz_subdir(const char *sub) {
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", fuzz_dir(), sub);
    mkdir(path, 0700);
    return path;
}

/* Write a valid one-tensor .safetensors file into the scratch folder: `tensor`,
 * F32 [2] = {0, 1} (what the harnesses need beside a fuzzed manifest or index). */
static inline void fuzz_write_tiny_safetensors(const char *file, const char *tensor) {
    float v[2] = {0, 1};
    int64_t shape[1] = {2};
    Tensor t = tensor_wrap(DT_F32, v, 1, shape);
    char path[256];
    snprintf(path, sizeof path, "%s/%s", fuzz_dir(), file);
    if (st_write(path, 1, &tensor, &t)) abort();
}

#endif

/* recorder.c — see recorder.h. */
#include "recorder.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safetensors.h"
#include "util.h"

void rec_init(Recorder *r) { memset(r, 0, sizeof *r); }

void rec_free(Recorder *r) {
    if (!r) return;
    for (int i = 0; i < r->n; i++) {
        free(r->names[i]);
        tensor_free(&r->tensors[i]);
    }
    free(r->names);
    free(r->tensors);
    memset(r, 0, sizeof *r);
}

static void put(Recorder *r, char *name, Tensor t) {
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->names[i], name) == 0) {
            free(name);
            tensor_free(&r->tensors[i]);
            r->tensors[i] = t;
            return;
        }
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 64;
        r->names = xrealloc(r->names, sizeof(char *) * (size_t)r->cap);
        r->tensors = xrealloc(r->tensors, sizeof(Tensor) * (size_t)r->cap);
    }
    r->names[r->n] = name;
    r->tensors[r->n] = t;
    r->n++;
}

static char *vname(const char *fmt, va_list ap) {
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    return xstrdup(buf);
}

void rec_f32(Recorder *r, const float *data, int ndim, const int64_t *shape, const char *fmt, ...) {
    if (!r) return;
    va_list ap;
    va_start(ap, fmt);
    char *name = vname(fmt, ap);
    va_end(ap);
    Tensor view = tensor_wrap(DT_F32, (void *)data, ndim, shape);
    put(r, name, tensor_clone(&view));
}

void rec_i64(Recorder *r, const int64_t *data, int ndim, const int64_t *shape, const char *fmt, ...) {
    if (!r) return;
    va_list ap;
    va_start(ap, fmt);
    char *name = vname(fmt, ap);
    va_end(ap);
    Tensor view = tensor_wrap(DT_I64, (void *)data, ndim, shape);
    put(r, name, tensor_clone(&view));
}

void rec_tensor(Recorder *r, const Tensor *t, const char *fmt, ...) {
    if (!r) return;
    va_list ap;
    va_start(ap, fmt);
    char *name = vname(fmt, ap);
    va_end(ap);
    put(r, name, tensor_clone(t));
}

const Tensor *rec_find(const Recorder *r, const char *name) {
    for (int i = 0; r && i < r->n; i++)
        if (strcmp(r->names[i], name) == 0) return &r->tensors[i];
    return NULL;
}

int rec_write(const Recorder *r, const char *path) {
    return st_write(path, r->n, (const char *const *)r->names, r->tensors);
}

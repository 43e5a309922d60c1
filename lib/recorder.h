/* recorder.h — a named store of intermediate tensors.
 *
 * A model forward takes an optional Recorder and files every stage under the
 * name the goldens use ("layer.0.q", "text.logits", ...), exactly like the
 * PyTorch reference's `rec(name, tensor)`.  build/parity compares them with
 * golden.safetensors; lessons can dump them (--dump) for build/compare.
 * A NULL recorder costs nothing: every rec_* call returns at once.
 */
#ifndef VLM_RECORDER_H
#define VLM_RECORDER_H

#include "tensor.h"

typedef struct {
    int n, cap;
    char **names;
    Tensor *tensors; /* owned copies */
} Recorder;

void rec_init(Recorder *r);
void rec_free(Recorder *r);
/* Store a copy of contiguous data under a printf-style name (replaces an old entry). */
void rec_f32(Recorder *r, const float *data, int ndim, const int64_t *shape, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void rec_i64(Recorder *r, const int64_t *data, int ndim, const int64_t *shape, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void rec_tensor(Recorder *r, const Tensor *t, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const Tensor *rec_find(const Recorder *r, const char *name);
/* Write everything to a .safetensors file (names as recorded). */
int rec_write(const Recorder *r, const char *path);

#endif

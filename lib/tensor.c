/* tensor.c — see tensor.h. */
#include "tensor.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

size_t dtype_size(DType dt) {
    switch (dt) {
    case DT_F32: return 4;
    case DT_F16: return 2;
    case DT_BF16: return 2;
    case DT_I64: return 8;
    case DT_I32: return 4;
    case DT_U8: return 1;
    }
    return 0;
}

const char *dtype_name(DType dt) {
    static const char *names[] = {"F32", "F16", "BF16", "I64", "I32", "U8"};
    return names[dt];
}

const char *dtype_torch_name(DType dt) {
    static const char *names[] = {"torch.float32", "torch.float16", "torch.bfloat16",
                                  "torch.int64", "torch.int32", "torch.uint8"};
    return names[dt];
}

int dtype_is_float(DType dt) { return dt == DT_F32 || dt == DT_F16 || dt == DT_BF16; }

static void set_contiguous_strides(Tensor *t) {
    int64_t s = 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
        t->stride[d] = s;
        s *= t->shape[d];
    }
}

static size_t checked_numel(int ndim, const int64_t *shape) {
    size_t n = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0 || mul_overflow_size(n, (size_t)shape[d], &n)) {
            fprintf(stderr, "vlm: invalid tensor shape (dimension %d = %lld)\n", d,
                    (long long)shape[d]);
            exit(1);
        }
    }
    return n;
}

Tensor tensor_wrap(DType dt, void *data, int ndim, const int64_t *shape) {
    Tensor t;
    memset(&t, 0, sizeof t);
    if (ndim < 0 || ndim > TENSOR_MAX_DIMS) {
        fprintf(stderr, "vlm: tensors have at most %d dimensions (asked for %d)\n",
                TENSOR_MAX_DIMS, ndim);
        exit(1);
    }
    t.dtype = dt;
    t.ndim = ndim;
    for (int d = 0; d < ndim; d++) t.shape[d] = shape[d];
    set_contiguous_strides(&t);
    t.data = data;
    return t;
}

Tensor tensor_new(DType dt, int ndim, const int64_t *shape) {
    size_t n = checked_numel(ndim, shape), bytes;
    if (mul_overflow_size(n, dtype_size(dt), &bytes)) {
        fprintf(stderr, "vlm: tensor too large\n");
        exit(1);
    }
    Tensor t = tensor_wrap(dt, xcalloc(bytes ? bytes : 1, 1), ndim, shape);
    t.owner = t.data;
    return t;
}

static Tensor tensor_new_va(DType dt, int ndim, va_list ap) {
    int64_t shape[TENSOR_MAX_DIMS];
    if (ndim < 0 || ndim > TENSOR_MAX_DIMS) ndim = TENSOR_MAX_DIMS + 1; /* tensor_wrap reports */
    for (int d = 0; d < ndim && d < TENSOR_MAX_DIMS; d++) shape[d] = va_arg(ap, int);
    return tensor_new(dt, ndim, shape);
}

Tensor tensor_f32(int ndim, ...) {
    va_list ap;
    va_start(ap, ndim);
    Tensor t = tensor_new_va(DT_F32, ndim, ap);
    va_end(ap);
    return t;
}

Tensor tensor_i64(int ndim, ...) {
    va_list ap;
    va_start(ap, ndim);
    Tensor t = tensor_new_va(DT_I64, ndim, ap);
    va_end(ap);
    return t;
}

void tensor_free(Tensor *t) {
    if (!t) return;
    free(t->owner);
    t->owner = NULL;
    t->data = NULL;
}

int64_t tensor_numel(const Tensor *t) {
    int64_t n = 1;
    for (int d = 0; d < t->ndim; d++) n *= t->shape[d];
    return n;
}

int tensor_is_contiguous(const Tensor *t) {
    int64_t s = 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
        if (t->shape[d] != 1 && t->stride[d] != s) return 0;
        s *= t->shape[d];
    }
    return 1;
}

int tensor_same_shape(const Tensor *a, const Tensor *b) {
    if (a->ndim != b->ndim) return 0;
    for (int d = 0; d < a->ndim; d++)
        if (a->shape[d] != b->shape[d]) return 0;
    return 1;
}

char *shape_str(int ndim, const int64_t *shape, char *buf, size_t n) {
    size_t used = (size_t)snprintf(buf, n, "[");
    for (int d = 0; d < ndim && used < n; d++)
        used += (size_t)snprintf(buf + used, n - used, "%s%lld", d ? ", " : "", (long long)shape[d]);
    if (used < n) snprintf(buf + used, n - used, "]");
    return buf;
}

char *tensor_shape_str(const Tensor *t, char *buf, size_t n) {
    char inner[256];
    shape_str(t->ndim, t->shape, inner, sizeof inner);
    snprintf(buf, n, "torch.Size(%s)", inner);
    return buf;
}

float *tensor_f(const Tensor *t) { return (float *)t->data; }
int64_t *tensor_i(const Tensor *t) { return (int64_t *)t->data; }

/* Offset in elements of the flat row-major index. */
static int64_t flat_offset(const Tensor *t, int64_t index) {
    int64_t off = 0;
    for (int d = t->ndim - 1; d >= 0; d--) {
        int64_t i = index % t->shape[d];
        index /= t->shape[d];
        off += i * t->stride[d];
    }
    return off;
}

/* memcpy loads: data inside a mapped file need not be aligned */
static double load_elem(DType dt, const void *p) {
    float f;
    uint16_t h;
    int64_t i64;
    int32_t i32;
    switch (dt) {
    case DT_F32: memcpy(&f, p, 4); return f;
    case DT_F16: memcpy(&h, p, 2); return f16_to_f32(h);
    case DT_BF16: memcpy(&h, p, 2); return bf16_to_f32(h);
    case DT_I64: memcpy(&i64, p, 8); return (double)i64;
    case DT_I32: memcpy(&i32, p, 4); return i32;
    case DT_U8: return *(const uint8_t *)p;
    }
    return 0;
}

double tensor_get_flat(const Tensor *t, int64_t index) {
    const char *p = (const char *)t->data + flat_offset(t, index) * (int64_t)dtype_size(t->dtype);
    return load_elem(t->dtype, p);
}

Tensor tensor_clone(const Tensor *t) {
    Tensor c = tensor_new(t->dtype, t->ndim, t->shape);
    size_t es = dtype_size(t->dtype);
    int64_t n = tensor_numel(t);
    if (tensor_is_contiguous(t)) {
        memcpy(c.data, t->data, (size_t)n * es);
        return c;
    }
    for (int64_t i = 0; i < n; i++)
        memcpy((char *)c.data + i * (int64_t)es,
               (const char *)t->data + flat_offset(t, i) * (int64_t)es, es);
    return c;
}

Tensor tensor_to_f32(const Tensor *t) {
    Tensor c = tensor_new(DT_F32, t->ndim, t->shape);
    int64_t n = tensor_numel(t);
    float *out = tensor_f(&c);
    if (t->dtype == DT_BF16 && tensor_is_contiguous(t)) {
        const uint16_t *in = t->data;
        for (int64_t i = 0; i < n; i++) out[i] = bf16_to_f32(in[i]);
        return c;
    }
    for (int64_t i = 0; i < n; i++) out[i] = (float)tensor_get_flat(t, i);
    return c;
}

static void check_dim(const Tensor *t, int dim, const char *what) {
    if (dim < 0 || dim >= t->ndim) {
        fprintf(stderr, "vlm: %s: dimension %d out of range for a %d-D tensor\n", what, dim, t->ndim);
        exit(1);
    }
}

Tensor tensor_select(const Tensor *t, int dim, int64_t index) {
    check_dim(t, dim, "select");
    if (index < 0 || index >= t->shape[dim]) {
        fprintf(stderr, "vlm: select: index %lld out of range [0, %lld)\n", (long long)index,
                (long long)t->shape[dim]);
        exit(1);
    }
    Tensor v = *t;
    v.owner = NULL;
    v.data = (char *)t->data + index * t->stride[dim] * (int64_t)dtype_size(t->dtype);
    for (int d = dim; d < t->ndim - 1; d++) {
        v.shape[d] = t->shape[d + 1];
        v.stride[d] = t->stride[d + 1];
    }
    v.ndim = t->ndim - 1;
    return v;
}

Tensor tensor_narrow(const Tensor *t, int dim, int64_t start, int64_t len) {
    check_dim(t, dim, "narrow");
    if (start < 0 || len < 0 || start + len > t->shape[dim]) {
        fprintf(stderr, "vlm: narrow: [%lld, %lld) out of range [0, %lld)\n", (long long)start,
                (long long)(start + len), (long long)t->shape[dim]);
        exit(1);
    }
    Tensor v = *t;
    v.owner = NULL;
    v.data = (char *)t->data + start * t->stride[dim] * (int64_t)dtype_size(t->dtype);
    v.shape[dim] = len;
    return v;
}

Tensor tensor_transpose(const Tensor *t, int d0, int d1) {
    check_dim(t, d0, "transpose");
    check_dim(t, d1, "transpose");
    Tensor v = *t;
    v.owner = NULL;
    v.shape[d0] = t->shape[d1];
    v.shape[d1] = t->shape[d0];
    v.stride[d0] = t->stride[d1];
    v.stride[d1] = t->stride[d0];
    return v;
}

Tensor tensor_reshape(const Tensor *t, int ndim, const int64_t *shape) {
    if (!tensor_is_contiguous(t)) {
        fprintf(stderr, "vlm: reshape needs a contiguous tensor (clone it first)\n");
        exit(1);
    }
    int64_t s[TENSOR_MAX_DIMS], known = 1, n = tensor_numel(t);
    int infer = -1;
    for (int d = 0; d < ndim; d++) {
        s[d] = shape[d];
        if (s[d] == -1) infer = d;
        else known *= s[d];
    }
    if (infer >= 0 && known > 0) s[infer] = n / known;
    int64_t total = 1;
    for (int d = 0; d < ndim; d++) total *= s[d];
    if (total != n) {
        fprintf(stderr, "vlm: reshape: %lld elements cannot take the requested shape\n", (long long)n);
        exit(1);
    }
    Tensor v = tensor_wrap(t->dtype, t->data, ndim, s);
    return v;
}

/* ---- 16-bit floats ----------------------------------------------------- */

float bf16_to_f32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16; /* BF16 is the top half of an f32 */
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

float f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h >> 15) << 31;
    uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (mant << 13); /* inf / nan */
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (mant << 13); /* normal: rebias 15 -> 127 */
    } else if (mant == 0) {
        bits = sign; /* +-0 */
    } else {
        /* subnormal: value = mant * 2^-24, exact in f32 */
        float f = (float)mant * 5.9604644775390625e-8f;
        return sign ? -f : f;
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t f32_to_bf16(float f) {
    uint32_t bits;
    memcpy(&bits, &f, 4);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40); /* quiet nan */
    uint32_t rounding = 0x7fffu + ((bits >> 16) & 1); /* round to nearest even */
    return (uint16_t)((bits + rounding) >> 16);
}

uint16_t f32_to_f16(float f) {
    uint32_t bits;
    memcpy(&bits, &f, 4);
    uint16_t sign = (uint16_t)((bits >> 16) & 0x8000);
    uint32_t absb = bits & 0x7fffffffu;
    if (absb > 0x7f800000u) return sign | 0x7e00;  /* nan */
    if (absb >= 0x47800000u) {                    /* >= 65536: overflow unless rounding keeps it */
        if (absb == 0x7f800000u) return sign | 0x7c00;
    }
    float a;
    memcpy(&a, &absb, 4);
    if (a >= 65520.0f) return sign | 0x7c00;       /* rounds to inf */
    if (a < 6.103515625e-05f) {                    /* subnormal half: multiple of 2^-24 */
        float q = a * 16777216.0f;                 /* exact scaling */
        uint32_t m = (uint32_t)nearbyintf(q);      /* ties to even in default rounding mode */
        return sign | (uint16_t)m;
    }
    uint32_t exp = (absb >> 23) - 112, mant = absb & 0x7fffff;
    uint32_t h = (exp << 10) | (mant >> 13);
    uint32_t rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) h++;
    return sign | (uint16_t)h;
}

/* npy.c — see npy.h. */
#include "npy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Find 'key': in the header dict and return a pointer just after the colon. */
static const char *dict_value(const char *hdr, const char *key) {
    char pat[64];
    snprintf(pat, sizeof pat, "'%s'", key);
    const char *p = strstr(hdr, pat);
    if (!p) return NULL;
    p = strchr(p + strlen(pat), ':');
    if (!p) return NULL;
    p++;
    while (*p == ' ') p++;
    return p;
}

typedef enum { K_F4, K_F8, K_F2, K_I8, K_I4, K_I2, K_I1, K_U1, K_B1 } Kind;

static int parse_descr(const char *path, const char *v, Kind *k, size_t *size) {
    static const struct { const char *d; Kind k; size_t s; } table[] = {
        {"<f4", K_F4, 4}, {"<f8", K_F8, 8}, {"<f2", K_F2, 2}, {"<i8", K_I8, 8},
        {"<i4", K_I4, 4}, {"<i2", K_I2, 2}, {"|i1", K_I1, 1}, {"|u1", K_U1, 1},
        {"|b1", K_B1, 1}, {"<u1", K_U1, 1}, {"<i1", K_I1, 1},
    };
    if (*v != '\'') return vlm_fail("%s: .npy header has no 'descr' string", path);
    char d[32] = {0};
    const char *end = strchr(v + 1, '\'');
    if (!end || end - v - 1 >= (long)sizeof d) return vlm_fail("%s: .npy 'descr' is malformed", path);
    memcpy(d, v + 1, (size_t)(end - v - 1));
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(d, table[i].d) == 0) {
            *k = table[i].k;
            *size = table[i].s;
            return 0;
        }
    return vlm_fail("%s: cannot read .npy dtype '%s' (supported: little-endian float16/32/64, "
                    "int8/16/32/64, uint8, bool)", path, d);
}

static int parse_shape(const char *path, const char *v, int *ndim, int64_t *shape) {
    if (*v != '(') return vlm_fail("%s: .npy 'shape' is not a tuple", path);
    v++;
    *ndim = 0;
    for (;;) {
        while (*v == ' ' || *v == ',') v++;
        if (*v == ')') return 0;
        if (*v < '0' || *v > '9') return vlm_fail("%s: .npy 'shape' is malformed", path);
        if (*ndim == TENSOR_MAX_DIMS)
            return vlm_fail("%s: .npy array has more than %d dimensions", path, TENSOR_MAX_DIMS);
        char *end;
        errno = 0;
        long long d = strtoll(v, &end, 10);
        if (errno || d < 0 || d > ((long long)1 << 40)) return vlm_fail("%s: .npy dimension out of range", path);
        shape[(*ndim)++] = d;
        v = end;
    }
}

static double load(Kind k, const unsigned char *p) {
    float f; double d; uint16_t h; int64_t i8; int32_t i4; int16_t i2;
    switch (k) {
    case K_F4: memcpy(&f, p, 4); return f;
    case K_F8: memcpy(&d, p, 8); return d;
    case K_F2: memcpy(&h, p, 2); return f16_to_f32(h);
    case K_I8: memcpy(&i8, p, 8); return (double)i8;
    case K_I4: memcpy(&i4, p, 4); return i4;
    case K_I2: memcpy(&i2, p, 2); return i2;
    case K_I1: return (int8_t)p[0];
    case K_U1: return p[0];
    case K_B1: return p[0] != 0;
    }
    return 0;
}

int npy_read(const char *path, Tensor *out) {
    size_t len;
    char *buf = read_file(path, &len);
    if (!buf) return -1;
    const unsigned char *u = (const unsigned char *)buf;
    int rc = 0;
    if (len < 10 || memcmp(buf, "\x93NUMPY", 6) != 0) {
        rc = vlm_fail("%s: not a .npy file (no \\x93NUMPY magic)", path);
        goto done;
    }
    size_t hlen, start;
    if (u[6] == 1) {
        hlen = (size_t)u[8] | (size_t)u[9] << 8;
        start = 10;
    } else if (u[6] == 2 || u[6] == 3) {
        if (len < 12) { rc = vlm_fail("%s: truncated .npy header", path); goto done; }
        hlen = (size_t)u[8] | (size_t)u[9] << 8 | (size_t)u[10] << 16 | (size_t)u[11] << 24;
        start = 12;
    } else {
        rc = vlm_fail("%s: unsupported .npy version %d.%d", path, u[6], u[7]);
        goto done;
    }
    if (hlen > len - start) {
        rc = vlm_fail("%s: .npy header length %zu runs past the end of the file", path, hlen);
        goto done;
    }
    char *hdr = xstrndup(buf + start, hlen);
    const char *descr = dict_value(hdr, "descr"), *fortran = dict_value(hdr, "fortran_order"),
               *shape_v = dict_value(hdr, "shape");
    Kind kind = K_F4;
    size_t es = 4;
    int ndim = 0;
    int64_t shape[TENSOR_MAX_DIMS];
    if (!descr || !fortran || !shape_v) rc = vlm_fail("%s: .npy header lacks descr, fortran_order or shape", path);
    else if (parse_descr(path, descr, &kind, &es) || parse_shape(path, shape_v, &ndim, shape)) rc = -1;
    int is_fortran = fortran && strncmp(fortran, "True", 4) == 0;
    free(hdr);
    if (rc) goto done;
    size_t numel = 1, bytes;
    for (int d = 0; d < ndim; d++)
        if (mul_overflow_size(numel, (size_t)shape[d], &numel)) {
            rc = vlm_fail("%s: .npy shape overflows", path);
            goto done;
        }
    if (mul_overflow_size(numel, es, &bytes) || bytes != len - start - hlen) {
        rc = vlm_fail("%s: .npy data is %zu bytes, the header's shape and dtype need %zu (truncated?)",
                      path, len - start - hlen, numel * es);
        goto done;
    }
    int is_float = kind == K_F4 || kind == K_F8 || kind == K_F2;
    Tensor t = tensor_new(is_float ? DT_F32 : DT_I64, ndim, shape);
    const unsigned char *data = u + start + hlen;
    for (size_t i = 0; i < numel; i++) {
        size_t src = i;
        if (is_fortran) { /* column-major: the first index varies fastest */
            size_t rem = i, stride = 1;
            src = 0;
            int64_t idx[TENSOR_MAX_DIMS];
            for (int d = ndim - 1; d >= 0; d--) {
                idx[d] = (int64_t)(rem % (size_t)shape[d]);
                rem /= (size_t)shape[d];
            }
            for (int d = 0; d < ndim; d++) {
                src += (size_t)idx[d] * stride;
                stride *= (size_t)shape[d];
            }
        }
        double v = load(kind, data + src * es);
        if (is_float) tensor_f(&t)[i] = (float)v;
        else tensor_i(&t)[i] = (int64_t)v;
    }
    *out = t;
done:
    free(buf);
    return rc;
}

int npy_write(const char *path, const Tensor *t) {
    if (t->dtype != DT_F32 && t->dtype != DT_I64)
        return vlm_fail("%s: npy_write handles F32 and I64 tensors", path);
    char dims[256] = "";
    size_t used = 0;
    for (int d = 0; d < t->ndim; d++)
        used += (size_t)snprintf(dims + used, sizeof dims - used, "%lld,%s", (long long)t->shape[d],
                                 d + 1 < t->ndim ? " " : "");
    char hdr[512];
    int n = snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                     t->dtype == DT_F32 ? "<f4" : "<i8", dims);
    int total = 10 + n + 1, pad = (64 - total % 64) % 64;
    FILE *f = fopen(path, "wb");
    if (!f) return vlm_fail("%s: cannot create (%s)", path, strerror(errno));
    unsigned hl = (unsigned)(n + pad + 1);
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fputc((int)(hl & 0xff), f);
    fputc((int)(hl >> 8), f);
    fwrite(hdr, 1, (size_t)n, f);
    for (int i = 0; i < pad; i++) fputc(' ', f);
    fputc('\n', f);
    Tensor c = tensor_clone(t);
    fwrite(c.data, dtype_size(c.dtype), (size_t)tensor_numel(&c), f);
    tensor_free(&c);
    return fclose(f) == 0 ? 0 : vlm_fail("%s: write failed", path);
}

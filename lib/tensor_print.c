/* tensor_print.c — see tensor_print.h for the rules. */
#include "tensor_print.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

enum { PRECISION = 4, THRESHOLD = 1000, EDGEITEMS = 3, LINEWIDTH = 80 };

typedef struct {
    int is_float;
    int int_mode, sci_mode;
    int width;
} Formatter;

/* A growable string. */
typedef struct {
    char *s;
    size_t len, cap;
} Buf;

static void buf_add(Buf *b, const char *s) {
    size_t n = strlen(s);
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->len, s, n + 1);
    b->len += n;
}

static void buf_spaces(Buf *b, int n) {
    for (int i = 0; i < n; i++) buf_add(b, " ");
}

/* Call fn on every element that the printout shows (all of them, or the edges). */
typedef void (*VisitFn)(double v, void *ctx);

static void visit_shown(const Tensor *t, int summarize, VisitFn fn, void *ctx) {
    if (t->ndim == 0) {
        fn(tensor_get_flat(t, 0), ctx);
        return;
    }
    int64_t n = t->shape[0];
    for (int64_t i = 0; i < n; i++) {
        if (summarize && n > 2 * EDGEITEMS && i == EDGEITEMS) i = n - EDGEITEMS;
        Tensor sub = tensor_select(t, 0, i);
        visit_shown(&sub, summarize, fn, ctx);
    }
}

typedef struct {
    Formatter *f;
    int any;
    double min_abs, max_abs;
    int all_integral;
    int pass; /* 0: statistics, 1: widths */
} Scan;

static void fmt_value(const Formatter *f, double v, char *out, size_t n);

static void scan_value(double v, void *ctx) {
    Scan *s = ctx;
    if (!s->f->is_float) {
        char tmp[64];
        snprintf(tmp, sizeof tmp, "%lld", (long long)v);
        int w = (int)strlen(tmp);
        if (w > s->f->width) s->f->width = w;
        return;
    }
    if (!isfinite(v) || v == 0.0) return; /* torch only looks at nonzero finite values */
    if (s->pass == 0) {
        double a = fabs(v);
        if (!s->any || a < s->min_abs) s->min_abs = a;
        if (!s->any || a > s->max_abs) s->max_abs = a;
        if (v != ceil(v)) s->all_integral = 0;
        s->any = 1;
    } else {
        char tmp[64];
        fmt_value(s->f, v, tmp, sizeof tmp);
        int w = (int)strlen(tmp);
        if (w > s->f->width) s->f->width = w;
    }
}

static Formatter make_formatter(const Tensor *t, int summarize) {
    Formatter f = {dtype_is_float(t->dtype), 1, 0, 1};
    Scan s = {&f, 0, 0, 0, 1, 0};
    visit_shown(t, summarize, scan_value, &s);
    if (!f.is_float || !s.any) return f;
    f.int_mode = s.all_integral;
    double ratio = s.max_abs / s.min_abs;
    if (f.int_mode)
        f.sci_mode = ratio > 1000.0 || s.max_abs > 1.0e8;
    else
        f.sci_mode = ratio > 1000.0 || s.max_abs > 1.0e8 || s.min_abs < 1.0e-4;
    s.pass = 1;
    visit_shown(t, summarize, scan_value, &s);
    return f;
}

/* The element text before padding. */
static void fmt_value(const Formatter *f, double v, char *out, size_t n) {
    if (!f->is_float) {
        snprintf(out, n, "%lld", (long long)v);
    } else if (f->sci_mode) {
        snprintf(out, n, "%.*e", PRECISION, v);
    } else if (f->int_mode) {
        snprintf(out, n, "%.0f%s", v, isfinite(v) ? "." : "");
    } else {
        snprintf(out, n, "%.*f", PRECISION, v);
    }
    /* C prints "-nan"/"nan" and "inf"; Python prints "nan" and "inf" */
    if (isnan(v)) snprintf(out, n, "nan");
}

static void fmt_padded(const Formatter *f, double v, Buf *b) {
    char tmp[64];
    fmt_value(f, v, tmp, sizeof tmp);
    buf_spaces(b, f->width - (int)strlen(tmp));
    buf_add(b, tmp);
}

static void vector_str(const Tensor *t, int indent, int summarize, const Formatter *f, Buf *b) {
    int element_length = f->width + 2;
    int per_line = (LINEWIDTH - indent) / element_length;
    if (per_line < 1) per_line = 1;
    int64_t n = t->shape[0];
    buf_add(b, "[");
    int on_line = 0, first = 1;
    for (int64_t i = 0; i < n; i++) {
        int ellipsis = summarize && n > 2 * EDGEITEMS && i == EDGEITEMS;
        if (!first) {
            if (on_line == per_line) {
                buf_add(b, ",\n");
                buf_spaces(b, indent + 1);
                on_line = 0;
            } else {
                buf_add(b, ", ");
            }
        }
        first = 0;
        on_line++;
        if (ellipsis) {
            buf_add(b, " ...");
            i = n - EDGEITEMS - 1;
            continue;
        }
        Tensor e = tensor_select(t, 0, i);
        fmt_padded(f, tensor_get_flat(&e, 0), b);
    }
    buf_add(b, "]");
}

static void tensor_str(const Tensor *t, int indent, int summarize, const Formatter *f, Buf *b) {
    if (t->ndim == 0) {
        fmt_padded(f, tensor_get_flat(t, 0), b);
        return;
    }
    if (t->ndim == 1) {
        vector_str(t, indent, summarize, f, b);
        return;
    }
    int64_t n = t->shape[0];
    buf_add(b, "[");
    for (int64_t i = 0; i < n; i++) {
        if (i > 0) {
            buf_add(b, ",");
            for (int k = 0; k < t->ndim - 1; k++) buf_add(b, "\n");
            buf_spaces(b, indent + 1);
        }
        if (summarize && n > 2 * EDGEITEMS && i == EDGEITEMS) {
            buf_add(b, "...");
            i = n - EDGEITEMS - 1;
            continue;
        }
        Tensor sub = tensor_select(t, 0, i);
        tensor_str(&sub, indent + 1, summarize, f, b);
    }
    buf_add(b, "]");
}

char *tensor_repr(const Tensor *t) {
    Buf b = {0};
    buf_add(&b, "tensor(");
    if (tensor_numel(t) == 0) {
        buf_add(&b, "[]");
    } else {
        int summarize = tensor_numel(t) > THRESHOLD;
        Formatter f = make_formatter(t, summarize);
        tensor_str(t, 7, summarize, &f, &b);
    }
    if (t->dtype != DT_F32 && t->dtype != DT_I64) {
        buf_add(&b, ", dtype=");
        buf_add(&b, dtype_torch_name(t->dtype));
    }
    buf_add(&b, ")");
    return b.s;
}

void tensor_fprint(FILE *f, const Tensor *t) {
    char *s = tensor_repr(t);
    fprintf(f, "%s\n", s);
    free(s);
}

void tensor_print(const Tensor *t) { tensor_fprint(stdout, t); }

void tensor_print_shape(const Tensor *t) {
    char buf[256];
    printf("%s\n", tensor_shape_str(t, buf, sizeof buf));
}

void tensor_print_labeled_shape(const char *label, const Tensor *t) {
    fputs(label, stdout);
    tensor_print_shape(t);
}

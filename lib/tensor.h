/* tensor.h — the one tensor type of vlm.c.
 *
 * A Tensor is a small struct passed by value: dtype, shape and strides in
 * PyTorch order (outermost dimension first, row-major), and a pointer to the
 * first element.  Contract:
 *   - tensor_new() allocates zeroed, contiguous storage; the tensor OWNS it
 *     (t.owner != NULL) and tensor_free() releases it.
 *   - Views (tensor_view_*, tensor_select, tensor_narrow, tensor_transpose,
 *     tensor_reshape) share the parent's data and own nothing: freeing a view
 *     is a no-op, and a view must not outlive its parent.
 *   - Weights loaded from a checkpoint are f32 (BF16/F16 upcast exactly) unless
 *     a loader says otherwise; ids are I64 like torch.long.
 *   - Up to TENSOR_MAX_DIMS dimensions (Idefics3 pixel_values is 5-D).
 */
#ifndef VLM_TENSOR_H
#define VLM_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#define TENSOR_MAX_DIMS 6

typedef enum { DT_F32, DT_F16, DT_BF16, DT_I64, DT_I32, DT_U8 } DType;

typedef struct {
    DType dtype;
    int ndim;
    int64_t shape[TENSOR_MAX_DIMS];
    int64_t stride[TENSOR_MAX_DIMS]; /* in elements */
    void *data;                      /* element [0, 0, ...] */
    void *owner;                     /* allocation to free, NULL for views */
} Tensor;

size_t dtype_size(DType dt);
const char *dtype_name(DType dt);     /* "F32", "BF16", ... (safetensors names) */
const char *dtype_torch_name(DType dt); /* "torch.float32", ... */
int dtype_is_float(DType dt);

/* Allocate a zeroed contiguous tensor; exits on out-of-memory. */
Tensor tensor_new(DType dt, int ndim, const int64_t *shape);
/* Shorthands for f32 / i64 tensors: tensor_f32(3, 1, 5, 576). */
Tensor tensor_f32(int ndim, ...);
Tensor tensor_i64(int ndim, ...);
/* Wrap memory someone else owns (no copy, not freed by tensor_free). */
Tensor tensor_wrap(DType dt, void *data, int ndim, const int64_t *shape);
void tensor_free(Tensor *t);
/* Contiguous deep copy (any dtype, any strides). */
Tensor tensor_clone(const Tensor *t);
/* Contiguous f32 copy, widening BF16/F16/ints. */
Tensor tensor_to_f32(const Tensor *t);

int64_t tensor_numel(const Tensor *t);
int tensor_is_contiguous(const Tensor *t);
int tensor_same_shape(const Tensor *a, const Tensor *b);
/* "torch.Size([1, 5, 576])" into buf. */
char *tensor_shape_str(const Tensor *t, char *buf, size_t n);
/* "[1, 5, 576]" into buf. */
char *shape_str(int ndim, const int64_t *shape, char *buf, size_t n);

/* Typed access to contiguous data. */
float *tensor_f(const Tensor *t);
int64_t *tensor_i(const Tensor *t);
/* Element at a flat row-major index, as double (any dtype, any strides). */
double tensor_get_flat(const Tensor *t, int64_t index);

/* Views. */
Tensor tensor_select(const Tensor *t, int dim, int64_t index);       /* t[..., index, ...] drops dim */
Tensor tensor_narrow(const Tensor *t, int dim, int64_t start, int64_t len); /* t[..., start:start+len, ...] */
Tensor tensor_transpose(const Tensor *t, int d0, int d1);
/* Reshape a contiguous tensor (-1 allowed once). */
Tensor tensor_reshape(const Tensor *t, int ndim, const int64_t *shape);

/* f32 <-> bf16 / f16, exact upcast and round-to-nearest-even downcast. */
float bf16_to_f32(uint16_t h);
float f16_to_f32(uint16_t h);
uint16_t f32_to_bf16(float f);
uint16_t f32_to_f16(float f);

#endif

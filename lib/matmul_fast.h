/* matmul_fast.h — fast paths beside the plain kernels of ops.h.
 *
 * Same math, same layouts, same results up to float rounding (the sums are
 * reassociated: blocked, fused multiply-add, several accumulators), so every
 * parity golden passes through them.  ops.c's linear() and attention() call
 * these; linear_ref() and attention_ref() stay the readable reference and
 * tests/test_fast_kernels.c checks the two against each other.
 *
 * How it is fast (matmul_fast.c):
 *   - y = x W^T is computed in MR x NR tiles by a micro-kernel that keeps the
 *     whole tile in SIMD registers: per k it loads NR weights (a packed panel:
 *     NR rows of W transposed into k-major order, so they are contiguous) and
 *     broadcasts MR values of x.  One kernel source, compiled for AVX-512,
 *     AVX2+FMA and plain C (kernels_fast.inc), picked at run time by CPUID.
 *   - Panels of W are split across cores with OpenMP (OMP_NUM_THREADS
 *     respected; all cores by default).
 *   - One row (decode) is memory-bound: each core streams its share of W's
 *     rows once and takes dot products with x.
 *   - Attention: heads x query blocks in parallel; Q K^T and P V go through
 *     the same micro-kernel; one block of scores per thread.
 *   - BF16 weights can stay BF16 in memory: the kernels widen them while
 *     packing (exact), halving the bytes a decode step reads.
 */
#ifndef VLM_MATMUL_FAST_H
#define VLM_MATMUL_FAST_H

#include <stdint.h>

#include "ops.h"

/* y[n, out] = x[n, in] @ W[out, in]^T + b[out]   (b may be NULL).  As linear_ref(). */
void linear_fast(float *y, const float *x, const float *W, const float *b, int n, int in, int out);
/* The same with W stored as bfloat16 (the raw 16-bit patterns of a BF16 checkpoint). */
void linear_fast_bf16(float *y, const float *x, const uint16_t *W, const float *b, int n, int in,
                      int out);

/* As attention() in ops.h (same arguments, same masking semantics). */
void attention_fast(float *ctx, float *probs, const float *q, const float *k, const float *v,
                    int H, int KVH, int Lq, int Lk, int kv_rows, int D, float scale,
                    const int64_t *key_mask, int causal, int q_offset);

/* Elementwise activation in place, split across cores.  gelu, gelu_tanh,
 * quick_gelu and silu use a vector exp (within ~3e-7 relative of libm);
 * relu and tanh are activation_ref's loop. */
void activation_fast(float *x, int64_t n, Activation act);

/* The row-wise ops between the products, split across cores by rows, each
 * row computed by the plain *_ref loop of ops.c: bit-identical results. */
void add_fast(float *y, const float *a, const float *b, int64_t n);
void layer_norm_fast(float *y, const float *x, const float *w, const float *b, int n, int dim,
                     float eps);
void split_heads_fast(float *out, const float *x, int B, int L, int H, int D);
void merge_heads_fast(float *out, const float *x, int B, int H, int L, int D);

/* "avx512", "avx2" or "generic": the micro-kernel CPUID picked. */
const char *fast_kernel_isa(void);
/* Threads the fast kernels use (OMP_NUM_THREADS, or all cores). */
int fast_num_threads(void);

#endif

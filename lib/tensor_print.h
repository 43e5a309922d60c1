/* tensor_print.h — print tensors exactly as PyTorch's repr does.
 *
 * Rules reproduced from torch/_tensor_str.py (default print options:
 * precision 4, threshold 1000, edgeitems 3, linewidth 80, sci_mode auto):
 *
 *  1. Summarise when numel > 1000: every dimension longer than 2*3 shows its
 *     first 3 and last 3 entries with "..." between.  The number format is then
 *     chosen from those shown entries only.
 *  2. Format choice (float tensors), over the nonzero finite shown values:
 *     - all integral ("int mode"): print "%.0f" plus a trailing "." (e.g. "3."),
 *       unless max/min > 1000 or max > 1e8, then scientific;
 *     - otherwise scientific ("%.4e") if max/min > 1000, max > 1e8 or min < 1e-4,
 *       else fixed "%.4f".
 *     No nonzero finite value (all zeros / inf / nan): "%.4f"-style fixed mode
 *     is skipped and int mode prints "0.", "inf", "nan".
 *  3. Every element is right-aligned to the widest formatted element.
 *  4. A 1-D row wraps after floor((80 - indent) / (width + 2)) elements; the
 *     continuation line is indented to just after the opening "[".
 *  5. N-D: sub-tensors are joined by "," plus (ndim - 1) newlines, indented one
 *     more column per nesting level ("tensor(" is 7 columns).
 *  6. Integer tensors print plain integers ("%lld"), width = longest one.
 *     int64 and float32 print no dtype suffix (they are PyTorch's defaults);
 *     other dtypes append ", dtype=torch.<name>".
 *  7. An empty tensor prints "tensor([])".
 */
#ifndef VLM_TENSOR_PRINT_H
#define VLM_TENSOR_PRINT_H

#include <stdio.h>

#include "tensor.h"

/* The full repr, freshly allocated: "tensor([[0.1234, ...]])". */
char *tensor_repr(const Tensor *t);
/* print(x): the repr and a newline on stdout.  Callable from gdb: call tensor_print(&x) */
void tensor_print(const Tensor *t);
void tensor_fprint(FILE *f, const Tensor *t);
/* print(x.shape): "torch.Size([1, 5, 576])" and a newline. */
void tensor_print_shape(const Tensor *t);
/* print(label, x.shape) as the lessons write it: label as given (no space added), then
 * "torch.Size([1, 5, 576])" and a newline. */
void tensor_print_labeled_shape(const char *label, const Tensor *t);

#endif

/* npy.h — read NumPy .npy files (what np.save writes from a notebook).
 *
 * Format: magic "\x93NUMPY", version (1.0: 2-byte header length; 2.0/3.0: 4-byte),
 * then a Python-literal dict {'descr': '<f4', 'fortran_order': False, 'shape': (1, 5, 576), }
 * padded with spaces and a newline, then the raw data.
 * Supported descr: little-endian f4, f8, f2, i8, i4, i2, u1, i1, b1 (and '|' byte order
 * for one-byte types).  Floats come back as F32 (f8 narrowed, f2 widened), integers
 * as I64, so two files can be compared element by element.  fortran_order True is
 * read and reordered to row-major.  Anything else is an error naming the file and
 * the dtype (complex, object, big-endian, structured arrays).
 */
#ifndef VLM_NPY_H
#define VLM_NPY_H

#include "tensor.h"

int npy_read(const char *path, Tensor *out);
/* Write an F32 or I64 tensor as .npy version 1.0 (for tests and users). */
int npy_write(const char *path, const Tensor *t);

#endif

/* safetensors.h — read (mmap) and write Hugging Face .safetensors files.
 *
 * File layout: 8-byte little-endian header length N, N bytes of JSON
 *   {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
 *    "__metadata__": {...}}
 * then the raw little-endian tensor bytes; offsets count from the end of the header.
 *
 * Contract
 *   - st_open() validates everything before any tensor byte is touched: the
 *     header length fits the file, the JSON parses, every dtype is known, every
 *     shape is non-negative, data_offsets lie inside the data section, the byte
 *     length equals numel x dtype size, and no two tensors overlap.  Any fault
 *     is reported as "<file>: <what is wrong>" through vlm_fail().
 *   - st_open_dir() opens a Hugging Face folder: model.safetensors, or the
 *     shards named in model.safetensors.index.json (sharded checkpoints).
 *   - st_get() returns a weight as f32: a zero-copy view into the mapping when
 *     the file stores aligned F32, else an exact upcast copy (BF16, F16) or a
 *     conversion (I64/I32/U8).  A missing key is an error that lists the
 *     nearest names, so a typo or a different checkpoint layout is obvious.
 *   - Tensors returned by st_get() are valid until st_close().
 */
#ifndef VLM_SAFETENSORS_H
#define VLM_SAFETENSORS_H

#include "tensor.h"

typedef struct {
    char *name;
    DType dtype;
    int ndim;
    int64_t shape[TENSOR_MAX_DIMS];
    const void *data; /* inside the mapping */
    size_t nbytes;
    int file;         /* index into SafeTensors.files */
} StEntry;

typedef struct {
    char *path;       /* the file */
    void *map;
    size_t size;
} StFile;

typedef struct {
    char *where;      /* file or folder, for messages */
    StFile *files;
    int nfiles;
    StEntry *entries; /* sorted by name */
    int n;
    Tensor *owned;    /* converted copies handed out by st_get, freed by st_close */
    int nowned, capowned;
} SafeTensors;

int st_open(SafeTensors *st, const char *path);
int st_open_dir(SafeTensors *st, const char *dir);
void st_close(SafeTensors *st);
/* A SafeTensors over tensors already in memory (contiguous; the caller keeps them alive
 * until st_close).  Lets a program build a model with random weights and load it
 * through the same code as a checkpoint (bench/bench.c does).  where names it in errors. */
int st_from_tensors(SafeTensors *st, const char *where, int n, const char *const *names,
                    const Tensor *tensors);

const StEntry *st_find(const SafeTensors *st, const char *name);
/* Raw view of the stored bytes (dtype as stored). */
Tensor st_raw(const StEntry *e);
/* Weight by HF key as f32 (see contract).  -1 with an error if missing. */
int st_get(SafeTensors *st, const char *name, Tensor *out);
/* Same, and check the shape: "<file>: <name> has shape [a, b], config.json implies [c, d]". */
int st_get_shape(SafeTensors *st, const char *name, int ndim, const int64_t *shape, Tensor *out);
/* A matrix weight for linear_w(): like st_get_shape, but BF16 stays BF16 (a zero-copy
 * view when aligned) so a decode step reads half the bytes; other dtypes as st_get. */
int st_get_weight(SafeTensors *st, const char *name, int ndim, const int64_t *shape, Tensor *out);
/* Like st_get_shape, but absent is fine: returns 0 and sets *present. */
int st_get_opt(SafeTensors *st, const char *name, int ndim, const int64_t *shape, Tensor *out,
               int *present);
/* Error message for a missing key, with near-miss names. */
int st_missing(const SafeTensors *st, const char *name);

/* Write tensors (any dtype this library knows, any strides) to a .safetensors file. */
int st_write(const char *path, int n, const char *const *names, const Tensor *tensors);

#endif

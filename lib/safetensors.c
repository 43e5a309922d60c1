/* safetensors.c — see safetensors.h. */
#include "safetensors.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "progress.h"
#include "util.h"

static int parse_dtype(const char *s, DType *dt) {
    static const struct { const char *name; DType dt; } table[] = {
        {"F32", DT_F32}, {"F16", DT_F16}, {"BF16", DT_BF16},
        {"I64", DT_I64}, {"I32", DT_I32}, {"U8", DT_U8},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(s, table[i].name) == 0) {
            *dt = table[i].dt;
            return 0;
        }
    return -1;
}

static int cmp_entry_name(const void *a, const void *b) {
    return strcmp(((const StEntry *)a)->name, ((const StEntry *)b)->name);
}

typedef struct { size_t begin, end; const char *name; } Span;

static int cmp_span(const void *a, const void *b) {
    const Span *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin;
}

/* Parse one tensor's header entry; on success append to st->entries. */
static int parse_entry(SafeTensors *st, int file, const char *path, const cJSON *item,
                       const char *data, size_t data_size) {
    const char *name = item->string;
    if (!cJSON_IsObject(item))
        return vlm_fail("%s: header entry '%s' is not an object", path, name);
    const cJSON *jd = cJSON_GetObjectItemCaseSensitive(item, "dtype");
    const cJSON *js = cJSON_GetObjectItemCaseSensitive(item, "shape");
    const cJSON *jo = cJSON_GetObjectItemCaseSensitive(item, "data_offsets");
    if (!cJSON_IsString(jd) || !cJSON_IsArray(js) || !cJSON_IsArray(jo))
        return vlm_fail("%s: tensor '%s' lacks dtype, shape or data_offsets", path, name);
    StEntry e;
    memset(&e, 0, sizeof e);
    if (parse_dtype(jd->valuestring, &e.dtype))
        return vlm_fail("%s: tensor '%s' has unknown or unsupported dtype '%s'", path, name,
                        jd->valuestring);
    e.ndim = cJSON_GetArraySize(js);
    if (e.ndim > TENSOR_MAX_DIMS)
        return vlm_fail("%s: tensor '%s' has %d dimensions (at most %d supported)", path, name,
                        e.ndim, TENSOR_MAX_DIMS);
    size_t numel = 1;
    for (int d = 0; d < e.ndim; d++) {
        const cJSON *v = cJSON_GetArrayItem(js, d);
        if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9.0e15 ||
            v->valuedouble != (double)(int64_t)v->valuedouble)
            return vlm_fail("%s: tensor '%s' has an invalid shape entry", path, name);
        e.shape[d] = (int64_t)v->valuedouble;
        if (mul_overflow_size(numel, (size_t)e.shape[d], &numel))
            return vlm_fail("%s: tensor '%s' shape overflows", path, name);
    }
    if (cJSON_GetArraySize(jo) != 2)
        return vlm_fail("%s: tensor '%s' data_offsets must be [begin, end]", path, name);
    double b = cJSON_GetArrayItem(jo, 0)->valuedouble, en = cJSON_GetArrayItem(jo, 1)->valuedouble;
    if (!cJSON_IsNumber(cJSON_GetArrayItem(jo, 0)) || !cJSON_IsNumber(cJSON_GetArrayItem(jo, 1)) ||
        b < 0 || en < b || en > 9.0e15 || /* range before the casts (UB beyond 2^64; fuzz_safetensors) */
        b != (double)(uint64_t)b || en != (double)(uint64_t)en)
        return vlm_fail("%s: tensor '%s' has invalid data_offsets", path, name);
    if (en > (double)data_size)
        return vlm_fail("%s: tensor '%s' data_offsets [%.0f, %.0f] run past the end of the file "
                        "(data section is %zu bytes; truncated download?)",
                        path, name, b, en, data_size);
    size_t need;
    if (mul_overflow_size(numel, dtype_size(e.dtype), &need) || need != (size_t)(en - b))
        return vlm_fail("%s: tensor '%s' byte length %.0f does not match shape x dtype (%s: %zu bytes)",
                        path, name, en - b, jd->valuestring, need);
    e.name = xstrdup(name);
    e.data = data + (size_t)b;
    e.nbytes = need;
    e.file = file;
    st->entries = xrealloc(st->entries, sizeof(StEntry) * (size_t)(st->n + 1));
    st->entries[st->n++] = e;
    return 0;
}

static int check_overlaps(const char *path, const StEntry *es, int n, const char *data) {
    if (n < 2) return 0;
    Span *s = xmalloc(sizeof(Span) * (size_t)n);
    for (int i = 0; i < n; i++) {
        s[i].begin = (size_t)((const char *)es[i].data - data);
        s[i].end = s[i].begin + es[i].nbytes;
        s[i].name = es[i].name;
    }
    qsort(s, (size_t)n, sizeof(Span), cmp_span);
    int rc = 0;
    for (int i = 1; i < n; i++)
        if (s[i].begin < s[i - 1].end && s[i].end > s[i].begin) {
            rc = vlm_fail("%s: tensors '%s' and '%s' overlap in the data section", path,
                          s[i - 1].name, s[i].name);
            break;
        }
    free(s);
    return rc;
}

/* Map one file and append its entries. */
static int open_file(SafeTensors *st, const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return vlm_fail("%s: cannot open (%s)", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return vlm_fail("%s: not a regular file", path);
    }
    size_t size = (size_t)sb.st_size;
    if (size < 8) {
        close(fd);
        return vlm_fail("%s: file is %zu bytes, too short for a safetensors header", path, size);
    }
    void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return vlm_fail("%s: mmap failed (%s)", path, strerror(errno));
    int file = st->nfiles;
    st->files = xrealloc(st->files, sizeof(StFile) * (size_t)(st->nfiles + 1));
    st->files[st->nfiles++] = (StFile){xstrdup(path), map, size};

    const unsigned char *u = map;
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | u[i];
    /* The JSON header is parsed into memory (several times its size): cap it like
     * the safetensors library does (MAX_HEADER_SIZE, 100 MB) so a hostile length
     * cannot claim gigabytes.  Tensor data is only mapped, never copied here. */
    if (hlen > 100000000)
        return vlm_fail("%s: header length %llu is more than the 100000000-byte limit of the "
                        "safetensors format (corrupt or not a safetensors file)",
                        path, (unsigned long long)hlen);
    if (hlen > size - 8)
        return vlm_fail("%s: header length %llu runs past the end of the file (%zu bytes; "
                        "truncated or not a safetensors file)",
                        path, (unsigned long long)hlen, size);
    const char *hdr = (const char *)map + 8;
    cJSON *root = cJSON_ParseWithLength(hdr, (size_t)hlen);
    if (!root)
        return vlm_fail("%s: header is not valid JSON (%llu bytes at offset 8)", path,
                        (unsigned long long)hlen);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return vlm_fail("%s: header is not a JSON object of tensors", path);
    }
    const char *data = hdr + hlen;
    size_t data_size = size - 8 - (size_t)hlen;
    int rc = 0;
    for (const cJSON *it = root->child; it && rc == 0; it = it->next) {
        if (!it->string || strcmp(it->string, "__metadata__") == 0) continue;
        rc = parse_entry(st, file, path, it, data, data_size);
    }
    cJSON_Delete(root);
    if (rc) return rc;
    /* sorted by name for st_find's binary search; a name twice is an error */
    if (st->n > 1) /* a header with only __metadata__ has no entries (NULL): qsort(NULL) is UB */
        qsort(st->entries, (size_t)st->n, sizeof(StEntry), cmp_entry_name);
    for (int i = 1; i < st->n; i++)
        if (strcmp(st->entries[i - 1].name, st->entries[i].name) == 0)
            return vlm_fail("%s: tensor '%s' appears twice", path, st->entries[i].name);
    /* overlap check within this file */
    StEntry *mine = xmalloc(sizeof(StEntry) * (size_t)(st->n ? st->n : 1));
    int m = 0;
    for (int i = 0; i < st->n; i++)
        if (st->entries[i].file == file) mine[m++] = st->entries[i];
    rc = check_overlaps(path, mine, m, data);
    free(mine);
    return rc;
}

int st_open(SafeTensors *st, const char *path) {
    memset(st, 0, sizeof *st);
    st->where = xstrdup(path);
    if (open_file(st, path)) {
        char *msg = xstrdup(vlm_error());
        st_close(st);
        vlm_fail("%s", msg);
        free(msg);
        return -1;
    }
    return 0;
}

static int open_index(SafeTensors *st, const char *dir, const char *index_path) {
    size_t len;
    char *text = read_file(index_path, &len);
    if (!text) return -1;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    const cJSON *map = root ? cJSON_GetObjectItemCaseSensitive(root, "weight_map") : NULL;
    if (!cJSON_IsObject(map)) {
        cJSON_Delete(root);
        return vlm_fail("%s: not valid JSON with a \"weight_map\" object", index_path);
    }
    int rc = 0;
    for (const cJSON *it = map->child; it && rc == 0; it = it->next) {
        if (!cJSON_IsString(it) || strchr(it->valuestring, '/')) {
            rc = vlm_fail("%s: weight_map entry '%s' must name a shard file in the folder",
                          index_path, it->string);
            break;
        }
        char *shard = path_join(dir, it->valuestring);
        int seen = 0;
        for (int f = 0; f < st->nfiles; f++)
            if (strcmp(st->files[f].path, shard) == 0) seen = 1;
        if (!seen) rc = open_file(st, shard);
        free(shard);
    }
    for (const cJSON *it = map->child; it && rc == 0; it = it->next)
        if (!st_find(st, it->string))
            rc = vlm_fail("%s: weight_map lists '%s' but shard %s does not contain it", index_path,
                          it->string, it->valuestring);
    cJSON_Delete(root);
    return rc;
}

int st_open_dir(SafeTensors *st, const char *dir) {
    char *single = path_join(dir, "model.safetensors");
    char *index = path_join(dir, "model.safetensors.index.json");
    int rc;
    if (file_exists(single)) {
        rc = st_open(st, single);
    } else if (file_exists(index)) {
        memset(st, 0, sizeof *st);
        st->where = xstrdup(dir);
        rc = open_index(st, dir, index);
        if (rc) {
            char *msg = xstrdup(vlm_error());
            st_close(st);
            vlm_fail("%s", msg);
            free(msg);
        }
    } else {
        rc = vlm_fail("%s: no model.safetensors or model.safetensors.index.json in this folder", dir);
    }
    if (rc == 0) progress_load(st); /* multi-GB checkpoints: "loading ...: 35%" on a terminal */
    free(single);
    free(index);
    return rc;
}

int st_from_tensors(SafeTensors *st, const char *where, int n, const char *const *names,
                    const Tensor *tensors) {
    memset(st, 0, sizeof *st);
    st->where = xstrdup(where);
    st->entries = xcalloc((size_t)(n > 0 ? n : 1), sizeof(StEntry));
    for (int i = 0; i < n; i++) {
        if (!tensor_is_contiguous(&tensors[i]))
            return vlm_fail("%s: tensor '%s' is not contiguous", where, names[i]);
        StEntry *e = &st->entries[st->n++];
        e->name = xstrdup(names[i]);
        e->dtype = tensors[i].dtype;
        e->ndim = tensors[i].ndim;
        memcpy(e->shape, tensors[i].shape, sizeof e->shape);
        e->data = tensors[i].data;
        e->nbytes = (size_t)tensor_numel(&tensors[i]) * dtype_size(e->dtype);
        e->file = -1;
    }
    qsort(st->entries, (size_t)st->n, sizeof(StEntry), cmp_entry_name);
    for (int i = 1; i < st->n; i++)
        if (strcmp(st->entries[i - 1].name, st->entries[i].name) == 0)
            return vlm_fail("%s: tensor '%s' appears twice", where, st->entries[i].name);
    return 0;
}

void st_close(SafeTensors *st) {
    for (int i = 0; i < st->n; i++) free(st->entries[i].name);
    free(st->entries);
    for (int f = 0; f < st->nfiles; f++) {
        munmap(st->files[f].map, st->files[f].size);
        free(st->files[f].path);
    }
    free(st->files);
    for (int i = 0; i < st->nowned; i++) tensor_free(&st->owned[i]);
    free(st->owned);
    free(st->where);
    memset(st, 0, sizeof *st);
}

const StEntry *st_find(const SafeTensors *st, const char *name) {
    int lo = 0, hi = st->n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2, c = strcmp(name, st->entries[mid].name);
        if (c == 0) return &st->entries[mid];
        if (c < 0) hi = mid - 1;
        else lo = mid + 1;
    }
    return NULL;
}

Tensor st_raw(const StEntry *e) {
    return tensor_wrap(e->dtype, (void *)e->data, e->ndim, e->shape);
}

/* How alike two names are: shared prefix + shared suffix length. */
static size_t name_similarity(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b), p = 0, s = 0;
    while (p < la && p < lb && a[p] == b[p]) p++;
    while (s < la - p && s < lb - p && a[la - 1 - s] == b[lb - 1 - s]) s++;
    return p + s;
}

int st_missing(const SafeTensors *st, const char *name) {
    int best[5] = {-1, -1, -1, -1, -1};
    size_t score[5] = {0};
    for (int i = 0; i < st->n; i++) {
        size_t sc = name_similarity(name, st->entries[i].name);
        for (int k = 0; k < 5; k++)
            if (best[k] < 0 || sc > score[k]) {
                memmove(best + k + 1, best + k, sizeof(int) * (size_t)(4 - k));
                memmove(score + k + 1, score + k, sizeof(size_t) * (size_t)(4 - k));
                best[k] = i;
                score[k] = sc;
                break;
            }
    }
    char near[1024] = "";
    size_t used = 0;
    for (int k = 0; k < 5 && best[k] >= 0 && used < sizeof near; k++)
        used += (size_t)snprintf(near + used, sizeof near - used, "%s'%s'", k ? ", " : "",
                                 st->entries[best[k]].name);
    return vlm_fail("%s: no tensor named '%s' (nearest names: %s)", st->where, name,
                    st->n ? near : "none, the checkpoint is empty");
}

int st_get(SafeTensors *st, const char *name, Tensor *out) {
    const StEntry *e = st_find(st, name);
    if (!e) return st_missing(st, name);
    Tensor raw = st_raw(e);
    if (e->dtype == DT_F32 && ((uintptr_t)e->data % sizeof(float)) == 0) {
        *out = raw; /* zero-copy view into the mapping */
        return 0;
    }
    Tensor conv;
    if (e->dtype == DT_F32) {           /* unaligned: copy bytes */
        conv = tensor_new(DT_F32, e->ndim, e->shape);
        memcpy(conv.data, e->data, e->nbytes);
    } else {
        /* unaligned 16-bit or integer data: go through byte copies */
        Tensor tmp = tensor_new(e->dtype, e->ndim, e->shape);
        memcpy(tmp.data, e->data, e->nbytes);
        conv = tensor_to_f32(&tmp);
        tensor_free(&tmp);
    }
    if (st->nowned == st->capowned) {
        st->capowned = st->capowned ? 2 * st->capowned : 64;
        st->owned = xrealloc(st->owned, sizeof(Tensor) * (size_t)st->capowned);
    }
    st->owned[st->nowned++] = conv;
    *out = conv;
    out->owner = NULL; /* the SafeTensors keeps ownership */
    return 0;
}

static int check_shape(const SafeTensors *st, const char *name, const Tensor *t, int ndim,
                       const int64_t *shape) {
    int ok = t->ndim == ndim;
    for (int d = 0; ok && d < ndim; d++) ok = t->shape[d] == shape[d];
    if (ok) return 0;
    char have[128], want[128];
    shape_str(t->ndim, t->shape, have, sizeof have);
    shape_str(ndim, shape, want, sizeof want);
    return vlm_fail("%s: '%s' has shape %s, but config.json implies %s", st->where, name, have, want);
}

/* A model weight holding NaN or Inf means a corrupt (or diverged) checkpoint.
 * Hugging Face loads it silently and the NaN surfaces stages later; here the
 * error names the weight.  Model loaders fetch every weight through
 * st_get_shape, so this is the one place; the scan is one pass of integer ops
 * over the f32 bits (exponent all ones), cheap next to the load itself. */
static int check_finite(const SafeTensors *st, const char *name, const Tensor *t) {
    int64_t n = tensor_numel(t), i = 0;
    int bf16 = t->dtype == DT_BF16; /* F32 (views, upcasts) or BF16 kept as stored */
    const uint32_t *u = t->data;
    const uint16_t *h = t->data;
    /* exponent bits all ones = Inf or NaN; the BF16 pattern is the top half of the f32 one.
     * A branch-free pass first (it vectorises), the position only when something is wrong. */
    unsigned bad = 0;
    if (bf16)
        for (int64_t k = 0; k < n; k++) bad |= (h[k] & 0x7f80u) == 0x7f80u;
    else
        for (int64_t k = 0; k < n; k++) bad |= (u[k] & 0x7f800000u) == 0x7f800000u;
    if (!bad) return 0;
    while (bf16 ? (h[i] & 0x7f80u) != 0x7f80u : (u[i] & 0x7f800000u) != 0x7f800000u) i++;
    uint32_t bits = bf16 ? (uint32_t)h[i] << 16 : u[i];
    const char *what = (bits & 0x007fffffu) ? "NaN" : (bits >> 31) ? "-Inf" : "+Inf";
    return vlm_fail("%s: weight '%s' holds %s at element %lld of %lld (a corrupt or diverged "
                    "checkpoint; Hugging Face would load it without a word)",
                    st->where, name, what, (long long)i, (long long)n);
}

int st_get_shape(SafeTensors *st, const char *name, int ndim, const int64_t *shape, Tensor *out) {
    if (st_get(st, name, out)) return -1;
    if (check_shape(st, name, out, ndim, shape)) return -1;
    return check_finite(st, name, out);
}

int st_get_weight(SafeTensors *st, const char *name, int ndim, const int64_t *shape, Tensor *out) {
    const StEntry *e = st_find(st, name);
    if (!e) return st_missing(st, name);
    if (e->dtype != DT_BF16 || ((uintptr_t)e->data % 2) != 0) return st_get_shape(st, name, ndim, shape, out);
    *out = st_raw(e); /* BF16 kept as stored: widening happens inside the matmul, exactly */
    if (check_shape(st, name, out, ndim, shape)) return -1;
    return check_finite(st, name, out);
}

int st_get_opt(SafeTensors *st, const char *name, int ndim, const int64_t *shape, Tensor *out,
               int *present) {
    *present = st_find(st, name) != NULL;
    if (!*present) {
        memset(out, 0, sizeof *out);
        return 0;
    }
    return st_get_shape(st, name, ndim, shape, out);
}

int st_write(const char *path, int n, const char *const *names, const Tensor *tensors) {
    cJSON *hdr = cJSON_CreateObject();
    size_t offset = 0;
    for (int i = 0; i < n; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "dtype", dtype_name(tensors[i].dtype));
        cJSON *shape = cJSON_AddArrayToObject(e, "shape");
        for (int d = 0; d < tensors[i].ndim; d++)
            cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)tensors[i].shape[d]));
        size_t nb = (size_t)tensor_numel(&tensors[i]) * dtype_size(tensors[i].dtype);
        cJSON *off = cJSON_AddArrayToObject(e, "data_offsets");
        cJSON_AddItemToArray(off, cJSON_CreateNumber((double)offset));
        cJSON_AddItemToArray(off, cJSON_CreateNumber((double)(offset + nb)));
        cJSON_AddItemToObject(hdr, names[i], e);
        offset += nb;
    }
    char *json = cJSON_PrintUnformatted(hdr);
    cJSON_Delete(hdr);
    size_t hl = strlen(json), padded = (hl + 7) / 8 * 8;
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(json);
        return vlm_fail("%s: cannot create (%s)", path, strerror(errno));
    }
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    fwrite(len8, 1, 8, f);
    fwrite(json, 1, hl, f);
    for (size_t i = hl; i < padded; i++) fputc(' ', f);
    free(json);
    for (int i = 0; i < n; i++) {
        Tensor c = tensor_clone(&tensors[i]);
        fwrite(c.data, dtype_size(c.dtype), (size_t)tensor_numel(&c), f);
        tensor_free(&c);
    }
    if (fclose(f) != 0) return vlm_fail("%s: write failed", path);
    return 0;
}

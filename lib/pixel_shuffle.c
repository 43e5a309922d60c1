/* pixel_shuffle.c — see pixel_shuffle.h. */
#include "pixel_shuffle.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

int pixel_shuffle_side(int seq, int s, const char *what) {
    int side = 0;
    while ((long)side * side < seq) side++;
    if (s < 1) return vlm_fail("%s: pixel shuffle scale_factor %d must be >= 1", what, s);
    if ((long)side * side != seq)
        return vlm_fail("%s: pixel shuffle needs a square patch grid, got %d patches", what, seq);
    if (side % s)
        return vlm_fail("%s: patch grid %dx%d is not divisible by scale_factor %d", what, side, side, s);
    return side;
}

int pixel_shuffle(float *out, const float *x, int n, int seq, int D, int s, const char *what) {
    int side = pixel_shuffle_side(seq, s, what);
    if (side < 0) return -1;
    int w_out = side / s;                   /* output tokens per row of blocks */
    size_t out_w = (size_t)D * s * s;       /* width of one output token */
    for (int b = 0; b < n; b++) {
        const float *img = x + (size_t)b * seq * D;
        float *o = out + (size_t)b * (seq / (s * s)) * out_w;
        for (int I = 0; I < side / s; I++)
            for (int J = 0; J < w_out; J++) {
                float *tok = o + ((size_t)I * w_out + J) * out_w;
                for (int dr = 0; dr < s; dr++)
                    for (int dc = 0; dc < s; dc++) {
                        int row = I * s + dr, col = J * s + dc;
                        memcpy(tok + (size_t)(dr * s + dc) * D, img + ((size_t)row * side + col) * D,
                               sizeof(float) * (size_t)D);
                    }
            }
    }
    return 0;
}

/* The HF code, step by step, on [bsz, seq, D] with h = w = side:
 *   x.view(bsz, h, w, D)                    -- a no-op on memory
 *   x.view(bsz, h, w/s, D*s)                -- a no-op on memory
 *   x.permute(0, 2, 1, 3)                   -- [bsz, w/s, h, D*s]       (step A)
 *   x.reshape(bsz, w/s, h/s, D*s*s)         -- contiguous copy of A
 *   x.permute(0, 2, 1, 3)                   -- [bsz, h/s, w/s, D*s*s]   (step B)
 *   x.reshape(bsz, seq/(s*s), D*s*s)
 * Each permute is materialised into a buffer, so every index below is the plain
 * row-major index of one of those shapes. */
int pixel_shuffle_ref(float *out, const float *x, int n, int seq, int D, int s, const char *what) {
    int side = pixel_shuffle_side(seq, s, what);
    if (side < 0) return -1;
    int h = side, w = side, ws = w / s, hs = h / s, Ds = D * s, Dss = D * s * s;
    size_t per = (size_t)seq * D;
    float *a = xmalloc(sizeof(float) * per);
    for (int b = 0; b < n; b++) {
        const float *xb = x + (size_t)b * per;
        /* step A: a[j][i][e] = x.view(h, w/s, D*s)[i][j][e] */
        for (int j = 0; j < ws; j++)
            for (int i = 0; i < h; i++)
                for (int e = 0; e < Ds; e++)
                    a[((size_t)j * h + i) * Ds + e] = xb[((size_t)i * ws + j) * Ds + e];
        /* a viewed as [w/s][h/s][D*s*s]; step B: out[p][q][f] = a'[q][p][f] */
        float *ob = out + (size_t)b * per;
        for (int p = 0; p < hs; p++)
            for (int q = 0; q < ws; q++)
                for (int f = 0; f < Dss; f++)
                    ob[((size_t)p * ws + q) * Dss + f] = a[((size_t)q * hs + p) * Dss + f];
    }
    free(a);
    return 0;
}

/* pixel_shuffle.h — Idefics3 / SmolVLM's token compressor: trade sequence length
 * for width before the connector.
 *
 * A vision tower gives a square grid of h x w patch vectors of width D.  Pixel
 * shuffle with scale s folds every s x s block of neighbouring patches into one
 * token of width D*s*s, so the image costs s*s times fewer LLM tokens
 * (SmolVLM-256M: 32 x 32 = 1024 patches of 768 -> 64 tokens of 12288).
 *
 * Layout (what HF's Idefics3Connector.pixel_shuffle produces with its chain of
 * view / permute / reshape): output token I*(w/s) + J packs the block with patch
 * rows I*s..I*s+s-1 and columns J*s..J*s+s-1; patch (dr, dc) of the block sits at
 * feature offset (dr*s + dc)*D.
 *
 *   pixel_shuffle      block copies of D floats (the one the model uses)
 *   pixel_shuffle_ref  the HF view/permute chain replayed element by element,
 *                      the slow reference tests/test_pixel_shuffle.c checks against
 */
#ifndef VLM_PIXEL_SHUFFLE_H
#define VLM_PIXEL_SHUFFLE_H

/* x [n, seq, D] -> out [n, seq/(s*s), D*s*s], seq a perfect square whose side is
 * divisible by s (HF takes height = width = sqrt(seq)).  Returns -1 with an error
 * (naming `what`, e.g. the config file) when the grid does not fit. */
int pixel_shuffle(float *out, const float *x, int n, int seq, int D, int s, const char *what);
int pixel_shuffle_ref(float *out, const float *x, int n, int seq, int D, int s, const char *what);

/* The side of the patch grid (sqrt(seq)), or -1 with an error when seq is not a
 * square or the side is not divisible by s. */
int pixel_shuffle_side(int seq, int s, const char *what);

#endif

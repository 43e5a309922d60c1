/* image_splice.c — see image_splice.h. */
#include "image_splice.h"

#include <string.h>

#include "util.h"

int count_image_tokens(const int64_t *ids, int n, int64_t image_token_id) {
    int count = 0;
    for (int i = 0; i < n; i++) count += ids[i] == image_token_id;
    return count;
}

int splice_image_features(float *embeds, const int64_t *ids, int n, int hidden,
                          int64_t image_token_id, const float *features, int n_features,
                          const char *what) {
    int placeholders = count_image_tokens(ids, n, image_token_id);
    if (placeholders != n_features)
        return vlm_fail("%s: the prompt has %d image placeholder tokens (id %lld) but the image "
                        "gives %d feature rows; every placeholder must receive exactly one row",
                        what, placeholders, (long long)image_token_id, n_features);
    int next = 0;
    for (int i = 0; i < n; i++)
        if (ids[i] == image_token_id)
            memcpy(embeds + (size_t)i * hidden, features + (size_t)next++ * hidden,
                   sizeof(float) * (size_t)hidden);
    return 0;
}

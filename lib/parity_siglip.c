/* parity_siglip.c — placeholder until the siglip family lands (see golden.h). */
#include "golden.h"
#include "util.h"

int parity_siglip(const Golden *g, Recorder *rec) {
    (void)rec;
    return vlm_fail("%s: model family 'siglip' is not supported yet", g->json_path);
}

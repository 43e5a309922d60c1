/* parity_vit.c — placeholder until the vit family lands (see golden.h). */
#include "golden.h"
#include "util.h"

int parity_vit(const Golden *g, Recorder *rec) {
    (void)rec;
    return vlm_fail("%s: model family 'vit' is not supported yet", g->json_path);
}

/* parity_idefics3.c — placeholder until the idefics3 family lands (see golden.h). */
#include "golden.h"
#include "util.h"

int parity_idefics3(const Golden *g, Recorder *rec) {
    (void)rec;
    return vlm_fail("%s: model family 'idefics3' is not supported yet", g->json_path);
}

/* parity_clip.c — placeholder until the clip family lands (see golden.h). */
#include "golden.h"
#include "util.h"

int parity_clip(const Golden *g, Recorder *rec) {
    (void)rec;
    return vlm_fail("%s: model family 'clip' is not supported yet", g->json_path);
}

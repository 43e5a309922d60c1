/* parity_distilbert.c — placeholder until the distilbert family lands (see golden.h). */
#include "golden.h"
#include "util.h"

int parity_distilbert(const Golden *g, Recorder *rec) {
    (void)rec;
    return vlm_fail("%s: model family 'distilbert' is not supported yet", g->json_path);
}

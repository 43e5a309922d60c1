/* parity_llava.c — placeholder until the llava family lands (see golden.h). */
#include "golden.h"
#include "util.h"

int parity_llava(const Golden *g, Recorder *rec) {
    (void)rec;
    return vlm_fail("%s: model family 'llava' is not supported yet", g->json_path);
}

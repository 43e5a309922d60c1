/* progress.h — a one-line progress indicator on stderr for long work.
 *
 * "loading model.safetensors: 35%" while a multi-GB checkpoint is read from
 * disk, "decoder layers: 12/30" during a slow forward pass.  Contract:
 *   - Only when stderr is a terminal (isatty), so logs, pipes and the tests'
 *     captured output never see it.  VLM_PROGRESS=0 turns it off, VLM_PROGRESS=1
 *     turns it on even without a terminal (for testing).
 *   - Only for work that lasts: nothing is drawn until PROGRESS_DELAY seconds
 *     have passed, so fast steps (a KV-cache decode step, a tiny model) stay silent.
 *   - Transient: the text is drawn after the cursor (save cursor, draw, restore),
 *     then erased at the end, so it never mixes into a half-printed stdout line.
 *   - Costs nothing when off: every call returns at once.
 */
#ifndef VLM_PROGRESS_H
#define VLM_PROGRESS_H

#include <stddef.h>

#include "safetensors.h"

#define PROGRESS_DELAY 0.3 /* seconds of silence before the first draw */

typedef struct {
    const char *what;
    double total, t0;
    int shown, last;
} Progress;

/* 1 when progress lines are drawn (terminal on stderr, or VLM_PROGRESS=1). */
int progress_enabled(void);

void progress_begin(Progress *p, const char *what, double total);
/* done of total units; redrawn when the percentage changes. */
void progress_update(Progress *p, double done);
/* Erase the line if it was drawn. */
void progress_end(Progress *p);

/* For loops, one call at the END of each iteration: progress_loop("decoder
 * layers", i + 1, n).  Begins at done == 1, ends (erases) at done == total.
 * what == NULL skips the call (e.g. for one-token decode steps). */
void progress_loop(const char *what, int done, int total);

/* Read every page of a mapped file in order, drawing "loading NAME: 35%".
 * Turns the lazy page faults of the first forward into one visible pass. */
void progress_page_in(const char *name, const void *data, size_t size);

/* st_open_dir's hook: page in every file of the checkpoint when progress is
 * on and the checkpoint is big enough to take a while (>= 64 MiB). */
void progress_load(const SafeTensors *st);

#endif

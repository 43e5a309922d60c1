/* progress.c — see progress.h. */
#include "progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

int progress_enabled(void) {
    static int enabled = -1;
    if (enabled < 0) {
        const char *env = getenv("VLM_PROGRESS");
        enabled = env && *env ? strcmp(env, "0") != 0 : isatty(STDERR_FILENO);
    }
    return enabled;
}

void progress_begin(Progress *p, const char *what, double total) {
    memset(p, 0, sizeof *p);
    p->what = what;
    p->total = total > 0 ? total : 1;
    p->last = -1;
    if (progress_enabled()) p->t0 = now_seconds();
}

/* ESC 7 / ESC 8 save and restore the cursor; ESC [K erases to the end of the
 * line.  Drawing after the cursor leaves any half-printed stdout line intact. */
static void draw(const char *text) { fprintf(stderr, "\0337\033[K%s\0338", text); }

void progress_update(Progress *p, double done) {
    if (!progress_enabled() || !p->what) return;
    if (!p->shown && now_seconds() - p->t0 < PROGRESS_DELAY) return;
    int pct = (int)(100.0 * done / p->total);
    if (pct < 0) pct = 0;
    if (pct > 100) pct = 100;
    if (pct == p->last) return;
    p->last = pct;
    p->shown = 1;
    char line[160];
    snprintf(line, sizeof line, "%s: %d%%", p->what, pct);
    draw(line);
}

void progress_end(Progress *p) {
    if (p->shown) fputs("\033[K", stderr); /* the cursor is back where the text began */
    p->shown = 0;
}

void progress_loop(const char *what, int done, int total) {
    static Progress p;
    if (!what || !progress_enabled() || total < 1) return;
    if (done <= 1 || p.what != what) progress_begin(&p, what, total);
    progress_update(&p, done);
    if (done >= total) progress_end(&p);
}

void progress_page_in(const char *name, const void *data, size_t size) {
    if (!progress_enabled() || !data || size == 0) return;
    const char *base = strrchr(name, '/');
    char *what = xasprintf("loading %s", base ? base + 1 : name);
    Progress p;
    progress_begin(&p, what, (double)size);
    const volatile unsigned char *u = data;
    unsigned sink = 0;
    const size_t page = 4096, chunk = (size_t)16 << 20;
    for (size_t off = 0; off < size; off += chunk) {
        size_t end = off + chunk < size ? off + chunk : size;
        for (size_t i = off; i < end; i += page) sink += u[i]; /* one read faults the page in */
        progress_update(&p, (double)end);
    }
    (void)sink;
    progress_end(&p);
    free(what);
}

void progress_load(const SafeTensors *st) {
    if (!progress_enabled()) return;
    size_t total = 0;
    for (int f = 0; f < st->nfiles; f++) total += st->files[f].size;
    if (total < ((size_t)64 << 20)) return; /* small: loads faster than we could draw */
    for (int f = 0; f < st->nfiles; f++) progress_page_in(st->files[f].path, st->files[f].map, st->files[f].size);
}

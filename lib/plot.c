/* plot.c — see plot.h. */
#include "plot.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <stb/stb_image_write.h>

#include "util.h"

int plot_dir(const char *dir) {
    /* like mkdir -p: create each missing parent in turn */
    char *path = xstrdup(dir);
    int rc = 0;
    for (char *p = path + 1; rc == 0; p++) {
        if (*p != '/' && *p != 0) continue;
        char saved = *p;
        *p = 0;
        if (!dir_exists(path) && mkdir(path, 0755) != 0 && errno != EEXIST)
            rc = vlm_fail("%s: cannot create folder (%s)", path, strerror(errno));
        *p = saved;
        if (saved == 0) break;
    }
    free(path);
    return rc;
}

/* A simple perceptual-ish ramp: dark blue -> teal -> yellow. */
static void ramp(float t, uint8_t *rgb) {
    if (t < 0) t = 0;
    if (t > 1) t = 1;
    static const float stops[3][3] = {{0.15f, 0.05f, 0.35f}, {0.1f, 0.55f, 0.55f}, {0.98f, 0.9f, 0.15f}};
    int i = t < 0.5f ? 0 : 1;
    float u = t < 0.5f ? t * 2 : (t - 0.5f) * 2;
    for (int c = 0; c < 3; c++)
        rgb[c] = (uint8_t)(255.0f * (stops[i][c] + (stops[i + 1][c] - stops[i][c]) * u) + 0.5f);
}

int plot_heatmap_png(const char *path, const float *m, int rows, int cols, int cell_px, float lo,
                     float hi) {
    if (rows < 1 || cols < 1 || cell_px < 1 || (size_t)rows * cols * cell_px * cell_px > (1u << 26))
        return vlm_fail("%s: heat map of %dx%d cells of %d px is out of range", path, rows, cols, cell_px);
    int w = cols * cell_px, h = rows * cell_px;
    uint8_t *img = xmalloc((size_t)w * h * 3);
    float span = hi > lo ? hi - lo : 1.0f;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) ramp((m[(size_t)(y / cell_px) * cols + x / cell_px] - lo) / span, img + ((size_t)y * w + x) * 3);
    int ok = stbi_write_png(path, w, h, 3, img, w * 3);
    free(img);
    if (!ok) return vlm_fail("%s: cannot write PNG", path);
    printf("[plot] wrote %s\n", path);
    return 0;
}

int plot_have_gnuplot(void) { return system("command -v gnuplot >/dev/null 2>&1") == 0; }

int plot_bars(const char *dir, const char *name, const char *title, const char *const *labels,
              const float *values, const char *series1, const float *values2, const char *series2,
              int n) {
    if (plot_dir(dir)) return -1;
    char *dat = xasprintf("%s/%s.dat", dir, name), *gp = xasprintf("%s/%s.gp", dir, name);
    char *png = xasprintf("%s/%s.png", dir, name);
    FILE *f = fopen(dat, "w");
    if (!f) {
        vlm_fail("%s: cannot create (%s)", dat, strerror(errno));
        free(dat), free(gp), free(png);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        fputc('"', f);
        for (const char *p = labels[i]; *p; p++) fputc(*p == '"' ? '\'' : *p, f); /* gnuplot quoting */
        fprintf(f, "\" %.6f", values[i]);
        if (values2) fprintf(f, " %.6f", values2[i]);
        fputc('\n', f);
    }
    fclose(f);
    f = fopen(gp, "w");
    if (!f) {
        vlm_fail("%s: cannot create (%s)", gp, strerror(errno));
        free(dat), free(gp), free(png);
        return -1;
    }
    fprintf(f,
            "set terminal pngcairo size 900,500 noenhanced\nset output '%s'\n"
            "set title \"%s\"\nset style data histograms\nset style fill solid 0.8 border -1\n"
            "set boxwidth 0.8\nset yrange [0:*]\nset grid ytics\nset xtics rotate by -30\n"
            "set key top right\n",
            png, title);
    if (values2)
        fprintf(f, "plot '%s' using 2:xtic(1) title '%s', '' using 3 title '%s'\n", dat, series1, series2);
    else
        fprintf(f, "plot '%s' using 2:xtic(1) title '%s'\n", dat, series1);
    fclose(f);
    if (plot_have_gnuplot()) {
        char *cmd = xasprintf("gnuplot '%s' 2>&1", gp);
        int rc = system(cmd);
        free(cmd);
        if (rc == 0) printf("[plot] wrote %s\n", png);
        else printf("[plot] gnuplot failed on %s; the data is in %s\n", gp, dat);
    } else {
        printf("[plot] gnuplot not found: wrote %s and %s (apt-get install gnuplot, then: gnuplot %s)\n", dat,
               gp, gp);
    }
    free(dat), free(gp), free(png);
    return 0;
}

/* plot.h — pictures for the lessons' --plot DIR.
 *
 * Two kinds of picture:
 *   - heat maps (attention maps, similarity maps) drawn directly into a PNG with
 *     stb_image_write: no extra dependency, always produced;
 *   - bar charts through gnuplot, which is optional: the data (.dat) and the
 *     script (.gp) are always written; when `gnuplot` is on the PATH it renders
 *     the PNG, otherwise the lesson says so and carries on (never fails).
 * Every function prints one line saying what it wrote.
 */
#ifndef VLM_PLOT_H
#define VLM_PLOT_H

/* Create dir and any missing parents (mkdir -p); -1 with an error naming the folder. */
int plot_dir(const char *dir);

/* m [rows, cols] in [lo, hi] -> PNG with cell_px x cell_px pixels per value (a
 * dark-blue -> yellow colour ramp; values outside [lo, hi] are clamped). */
int plot_heatmap_png(const char *path, const float *m, int rows, int cols, int cell_px, float lo,
                     float hi);

/* Bars: one or two series (values2 may be NULL) over n labels.  Writes
 * <dir>/<name>.dat, <dir>/<name>.gp and, with gnuplot, <dir>/<name>.png. */
int plot_bars(const char *dir, const char *name, const char *title, const char *const *labels,
              const float *values, const char *series1, const float *values2, const char *series2,
              int n);

/* 1 if gnuplot can be run. */
int plot_have_gnuplot(void);

#endif

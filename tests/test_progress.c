/* test_progress — lib/progress: silent when stderr is not a terminal (the
 * default in logs and tests) or VLM_PROGRESS=0; with VLM_PROGRESS=1 silent for
 * fast work, "what: NN%" drawn after PROGRESS_DELAY seconds, redrawn only when
 * the percentage changes, erased at the end; progress_loop and the page-in
 * pass of progress_page_in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "progress.h"
#include "util.h"

static char errpath[256];

static void sleep_s(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* Send stderr to a fresh file; returns the saved fd. */
static int capture_begin(void) {
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    FILE *f = fopen(errpath, "w");
    assert_non_null(f);
    dup2(fileno(f), STDERR_FILENO);
    fclose(f);
    return saved;
}

static char *capture_end(int saved) {
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    size_t len;
    char *text = read_file(errpath, &len);
    assert_non_null(text);
    return text;
}

/* In a child (progress_enabled caches its answer): slow work with the given
 * VLM_PROGRESS (NULL: unset) and stderr a file; exit 0 if nothing was drawn. */
static int child_draws_nothing(const char *env) {
    pid_t pid = fork();
    if (pid == 0) {
        if (env) setenv("VLM_PROGRESS", env, 1);
        else unsetenv("VLM_PROGRESS");
        FILE *f = fopen(errpath, "w");
        if (!f) _exit(2);
        dup2(fileno(f), STDERR_FILENO);
        Progress p;
        progress_begin(&p, "slow", 10);
        sleep_s(PROGRESS_DELAY + 0.05);
        progress_update(&p, 5);
        progress_end(&p);
        fflush(stderr);
        _exit(ftell(f) == 0 && progress_enabled() == 0 ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void test_off(void **state) {
    (void)state;
    assert_true(child_draws_nothing(NULL)); /* stderr is a file, not a terminal */
    assert_true(child_draws_nothing("0"));
}

static void test_fast_work_is_silent(void **state) {
    (void)state;
    assert_true(progress_enabled()); /* VLM_PROGRESS=1, set in main */
    int saved = capture_begin();
    Progress p;
    progress_begin(&p, "fast", 100);
    for (int i = 1; i <= 100; i++) progress_update(&p, i);
    progress_end(&p);
    char *text = capture_end(saved);
    assert_string_equal(text, "");
    free(text);
}

static void test_slow_work_draws_then_erases(void **state) {
    (void)state;
    int saved = capture_begin();
    Progress p;
    progress_begin(&p, "loading model.safetensors", 200);
    sleep_s(PROGRESS_DELAY + 0.05);
    progress_update(&p, 70);  /* 35% */
    progress_update(&p, 71);  /* still 35%: not redrawn */
    progress_update(&p, 200); /* 100% */
    progress_end(&p);
    char *text = capture_end(saved);
    assert_string_equal(text, "\0337\033[Kloading model.safetensors: 35%\0338"
                              "\0337\033[Kloading model.safetensors: 100%\0338"
                              "\033[K");
    free(text);
}

static void test_loop(void **state) {
    (void)state;
    int saved = capture_begin();
    for (int i = 0; i < 4; i++) {
        sleep_s(PROGRESS_DELAY * 2 / 3); /* timed from the end of layer 1: draws from layer 3 */
        progress_loop("decoder layers", i + 1, 4);
    }
    progress_loop(NULL, 1, 4); /* skipped */
    char *text = capture_end(saved);
    assert_null(strstr(text, "decoder layers: 25%"));
    assert_non_null(strstr(text, "decoder layers: 75%"));
    assert_non_null(strstr(text, "decoder layers: 100%\0338\033[K")); /* erased at the end */
    size_t n = strlen(text);
    assert_true(n >= 3 && strcmp(text + n - 3, "\033[K") == 0);
    free(text);
}

static void test_page_in(void **state) {
    (void)state;
    size_t n = (size_t)8 << 20;
    unsigned char *buf = xcalloc(n, 1);
    int saved = capture_begin();
    progress_page_in("models/x/model.safetensors", buf, n); /* fast: reads, draws nothing */
    progress_page_in("empty", NULL, 0);
    char *text = capture_end(saved);
    assert_string_equal(text, "");
    free(text), free(buf);
}

int main(void) {
    snprintf(errpath, sizeof errpath, "/tmp/vlm_test_progress_%d.txt", (int)getpid());
    const struct CMUnitTest off[] = {cmocka_unit_test(test_off)};
    int rc = cmocka_run_group_tests_name("off", off, NULL, NULL);
    setenv("VLM_PROGRESS", "1", 1);
    const struct CMUnitTest on[] = {
        cmocka_unit_test(test_fast_work_is_silent),
        cmocka_unit_test(test_slow_work_draws_then_erases),
        cmocka_unit_test(test_loop),
        cmocka_unit_test(test_page_in),
    };
    rc |= cmocka_run_group_tests_name("on", on, NULL, NULL);
    remove(errpath);
    return rc;
}

/* The harness behind harness.h, and the suite's main: runs every group, prints
 * "N passed, N failed" and exits non-zero if any test failed. */
#define _GNU_SOURCE /* CLOCK_REALTIME_COARSE */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef _WIN32
#include <direct.h> /* _mkdir */
#include <io.h>     /* _mktemp_s */
#include <windows.h> /* Sleep */
#endif

int harness_check_failures;
static const char *current_test;

void harness_fail(const char *file, int line, const char *what) {
    harness_check_failures++;
    fprintf(stderr, "  FAIL %s (%s:%d): %s\n", current_test, file, line, what);
}

void harness_fail_status(const char *file, int line, const char *expr, segmentlog_status got,
                         segmentlog_status want) {
    harness_check_failures++;
    fprintf(stderr, "  FAIL %s (%s:%d): %s returned %s, want %s (last error: %s)\n",
            current_test, file, line, expr, segmentlog_status_str((int)got),
            segmentlog_status_str((int)want), last_message());
}

void path_join(char *out, const char *tmp, const char *name) {
    snprintf(out, PATH_MAX, "%s/%s", tmp, name);
}

const char *last_message(void) {
    static _Thread_local char buf[1024];
    size_t len = 0;
    if (segmentlog_last_error_message(buf, sizeof buf, &len) != SEGMENTLOG_STATUS_OK)
        snprintf(buf, sizeof buf, "(message longer than %zu bytes)", sizeof buf);
    return buf;
}

static uint64_t clock_ms(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
uint64_t now_ms(void) { return clock_ms(CLOCK_REALTIME); }
uint64_t mono_ms(void) { return clock_ms(CLOCK_MONOTONIC); }

uint64_t timestamp_slack_ms(void) {
#ifndef CLOCK_REALTIME_COARSE
    return 30; /* the library's clock there is the system's own */
#else
    struct timespec res = {0, 0};
    if (clock_getres(CLOCK_REALTIME_COARSE, &res) != 0) return 30;
    /* Measured here: a 4 ms tick lags up to ~5.5 ms (tick + interrupt latency), and both
     * readings are cut to whole ms; two ticks and 10 ms more leave a wide margin. */
    uint64_t tick_ms = (uint64_t)res.tv_sec * 1000u + ((uint64_t)res.tv_nsec + 999999u) / 1000000u;
    return 2u * tick_ms + 10u;
#endif
}

void sleep_ms(unsigned ms) {
#ifdef _WIN32
    Sleep(ms);
#else
    struct timespec ts = {ms / 1000u, (long)(ms % 1000u) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
#endif
}

bool path_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

bool xor_file_byte(const char *path, long at, uint8_t mask) {
    FILE *f = fopen(path, "r+b");
    if (f == NULL) return false;
    int byte = EOF;
    bool ok = fseek(f, at, SEEK_SET) == 0 && (byte = fgetc(f)) != EOF;
    ok = ok && fseek(f, at, SEEK_SET) == 0 && fputc(byte ^ mask, f) != EOF;
    return fclose(f) == 0 && ok;
}

segmentlog_log *open_log(const char *tmp, const char *name, const segmentlog_options *opts) {
    char dir[PATH_MAX];
    path_join(dir, tmp, name);
    segmentlog_log *log = NULL;
    segmentlog_status st = segmentlog_open(dir, opts, &log);
    if (st != SEGMENTLOG_STATUS_OK) {
        harness_fail_status(__FILE__, __LINE__, "segmentlog_open", st, SEGMENTLOG_STATUS_OK);
        return NULL;
    }
    return log;
}

uint64_t append_str(segmentlog_log *log, const char *s) {
    uint64_t off = UINT64_MAX;
    segmentlog_status st = segmentlog_append(log, (const uint8_t *)s, strlen(s), &off);
    if (st != SEGMENTLOG_STATUS_OK) {
        harness_fail_status(__FILE__, __LINE__, "segmentlog_append", st, SEGMENTLOG_STATUS_OK);
        return UINT64_MAX;
    }
    return off;
}

bool value_is(segmentlog_log *log, uint64_t offset, const char *want) {
    uint8_t buf[4096];
    size_t len = 0;
    segmentlog_status st = segmentlog_read(log, offset, buf, sizeof buf, &len);
    if (st != SEGMENTLOG_STATUS_OK) {
        harness_fail_status(__FILE__, __LINE__, "segmentlog_read", st, SEGMENTLOG_STATUS_OK);
        return false;
    }
    return len == strlen(want) && memcmp(buf, want, len) == 0;
}

/* Removes `path` and everything under it (symbolic links are removed, not followed). */
static void remove_tree(const char *path) {
    DIR *d = opendir(path);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            char child[PATH_MAX];
            path_join(child, path, e->d_name);
            remove_tree(child);
        }
        closedir(d);
        rmdir(path);
    } else {
        remove(path);
    }
}

/* Makes a fresh directory from `tmpl` (ending in XXXXXX); false if it cannot. */
static bool make_temp_dir(char *tmpl) {
#ifdef _WIN32
    return _mktemp_s(tmpl, strlen(tmpl) + 1) == 0 && _mkdir(tmpl) == 0;
#else
    return mkdtemp(tmpl) != NULL;
#endif
}

static int run_group(const test_case *tests, int *failed) {
    int passed = 0;
    for (const test_case *t = tests; t->name != NULL; t++) {
        const char *base = getenv("TMPDIR");
        if (base == NULL) base = getenv("TEMP"); /* Windows */
        char tmp[PATH_MAX];
        snprintf(tmp, sizeof tmp, "%s/segmentlog-c-test-XXXXXX", base ? base : "/tmp");
        if (!make_temp_dir(tmp)) {
            perror("making a temporary directory");
            exit(2);
        }
        current_test = t->name;
        harness_check_failures = 0;
        t->fn(tmp);
        remove_tree(tmp);
        if (harness_check_failures == 0) {
            passed++;
            printf("ok   %s\n", t->name);
        } else {
            (*failed)++;
            printf("FAIL %s\n", t->name);
        }
        fflush(stdout);
    }
    return passed;
}

int main(void) {
    const test_case *groups[] = {basic_tests, null_tests, status_tests, reader_tests,
                                 thread_tests, read_many_tests, hole_tests, cursor_tests,
                                 compression_tests};
    int passed = 0, failed = 0;
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
        passed += run_group(groups[i], &failed);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

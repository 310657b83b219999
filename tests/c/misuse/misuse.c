/* Misuse of the C API beyond NULL pointers (those are in tests/c/test_nulls.c): zero and huge
 * lengths, huge offsets and timeouts, odd options, bad directories, a reader outliving its
 * log, a closed handle's reader. Every call returns a status — never a crash, never
 * SEGMENTLOG_STATUS_PANIC — and the suite runs clean under valgrind and ASan/UBSan
 * (make test-reliability-c). Self-contained: one program, its own tiny checks. */
#define _XOPEN_SOURCE 700
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <direct.h> /* _mkdir */
#include <io.h>     /* _mktemp_s */
#else
#include <sys/stat.h> /* mkdir */
#include <unistd.h>   /* alarm */
#endif

#include "segmentlog.h"

/* Makes the directory `path` (its parent exists); true if it exists afterwards. */
static int make_dir(const char *path) {
#ifdef _WIN32
    return _mkdir(path) == 0;
#else
    return mkdir(path, 0755) == 0;
#endif
}

static int failures = 0;
static int checks = 0;

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        checks++;                                                                              \
        if (!(cond)) {                                                                         \
            failures++;                                                                        \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);           \
        }                                                                                      \
    } while (0)

#define CHECK_IS(expr, want)                                                                   \
    do {                                                                                       \
        segmentlog_status got_ = (expr);                                                        \
        checks++;                                                                              \
        if (got_ != (want)) {                                                                  \
            failures++;                                                                        \
            fprintf(stderr, "%s:%d: %s gave %s, want %s\n", __FILE__, __LINE__, #expr,         \
                    segmentlog_status_str(got_), segmentlog_status_str(want));                   \
        }                                                                                      \
    } while (0)

/* A status that is not OK and not PANIC: a typed refusal. */
#define CHECK_REFUSED(expr)                                                                    \
    do {                                                                                       \
        segmentlog_status got_ = (expr);                                                        \
        checks++;                                                                              \
        if (got_ == SEGMENTLOG_STATUS_OK || got_ == SEGMENTLOG_STATUS_PANIC) {                   \
            failures++;                                                                        \
            fprintf(stderr, "%s:%d: %s gave %s, want a refusal\n", __FILE__, __LINE__, #expr,  \
                    segmentlog_status_str(got_));                                               \
        }                                                                                      \
    } while (0)

static char base[256];

static void dir_path(char *out, const char *name) {
    snprintf(out, PATH_MAX, "%s/%s", base, name);
}

static segmentlog_log *open_small(const char *name) {
    char dir[PATH_MAX];
    dir_path(dir, name);
    segmentlog_options o = segmentlog_options_default();
    o.max_segment_bytes = 64 * 1024;
    o.max_index_bytes = 4096;
    segmentlog_log *log = NULL;
    CHECK_IS(segmentlog_open(dir, &o, &log), SEGMENTLOG_STATUS_OK);
    return log;
}

static void huge_and_zero_lengths(void) {
    segmentlog_log *log = open_small("lengths");
    if (!log) return;
    uint64_t off = 77;
    uint8_t one = 'x';
    /* A length no segment can hold is refused before a byte of it is read. */
    CHECK_IS(segmentlog_append(log, &one, SIZE_MAX, &off), SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    CHECK_IS(segmentlog_append(log, &one, (size_t)1 << 40, &off), SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    CHECK_IS(segmentlog_append(log, &one, 64 * 1024, &off), SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    CHECK(off == 77);
    /* A zero length with a pointer that must not be read. */
    CHECK_IS(segmentlog_append(log, (const uint8_t *)(uintptr_t)1, 0, &off), SEGMENTLOG_STATUS_OK);
    CHECK(off == 0);
    /* Batches: lengths whose sum overflows, one huge length, a batch larger than a segment. */
    const uint8_t *values[3] = {&one, &one, &one};
    size_t overflow[3] = {SIZE_MAX, SIZE_MAX, 2};
    CHECK_IS(segmentlog_append_batch(log, values, overflow, 3, &off), SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    size_t huge[3] = {1, (size_t)1 << 40, 1};
    CHECK_IS(segmentlog_append_batch(log, values, huge, 3, &off), SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    /* A count no array of pointers can have is refused before a byte of the arrays is read. */
    CHECK_IS(segmentlog_append_batch(log, values, overflow, SIZE_MAX / 8 + 1, &off),
             SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    CHECK_IS(segmentlog_append_batch(log, values, overflow, SIZE_MAX, &off),
             SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    enum { N = 3000 };
    static uint8_t blob[40];
    const uint8_t *many[N];
    size_t lens[N];
    for (size_t i = 0; i < N; i++) {
        many[i] = blob;
        lens[i] = sizeof blob;
    }
    CHECK_IS(segmentlog_append_batch(log, many, lens, N, &off), SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    uint64_t next = 0;
    CHECK_IS(segmentlog_next_offset(log, &next), SEGMENTLOG_STATUS_OK);
    CHECK(next == 1); /* only the empty value went in */
    /* Reads: a buffer length larger than the real buffer is fine when the value fits
     * (only len bytes are written: ASan would see an overrun); zero-length values. */
    CHECK_IS(segmentlog_append(log, (const uint8_t *)"abc", 3, &off), SEGMENTLOG_STATUS_OK);
    uint8_t *buf = malloc(3);
    size_t len = 0;
    CHECK_IS(segmentlog_read(log, off, buf, SIZE_MAX, &len), SEGMENTLOG_STATUS_OK);
    CHECK(len == 3 && memcmp(buf, "abc", 3) == 0);
    CHECK_IS(segmentlog_read(log, 0, NULL, 0, &len), SEGMENTLOG_STATUS_OK);
    CHECK(len == 0);
    CHECK_IS(segmentlog_read(log, off, buf, 2, &len), SEGMENTLOG_STATUS_BUFFER_TOO_SMALL);
    CHECK(len == 3);
    /* Multi-get: a count no array of offsets can have is refused before a byte of the arrays
     * is read; a buffer length beyond the real buffer is fine when the values fit (only the
     * total is written); 100000 empty values need no buffer at all. */
    uint64_t two[2] = {off, 0};
    size_t lens2[2] = {77, 77};
    size_t total = 77;
    size_t counts[] = {SIZE_MAX, SIZE_MAX / 2, SIZE_MAX / 8 + 1};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        CHECK_IS(segmentlog_read_many(log, two, counts[i], buf, 3, lens2, &total),
                 SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    CHECK(total == 77 && lens2[0] == 77);
    CHECK_IS(segmentlog_read_many(log, two, 2, buf, SIZE_MAX, lens2, &total), SEGMENTLOG_STATUS_OK);
    CHECK(total == 3 && lens2[0] == 3 && lens2[1] == 0 && memcmp(buf, "abc", 3) == 0);
    CHECK_IS(segmentlog_read_many(log, two, 2, buf, 2, lens2, &total),
             SEGMENTLOG_STATUS_BUFFER_TOO_SMALL);
    CHECK(total == 3);
    enum { EMPTIES = 100000 };
    uint64_t *zeros = calloc(EMPTIES, sizeof *zeros);
    size_t *zero_lens = malloc(EMPTIES * sizeof *zero_lens);
    if (zeros && zero_lens) {
        CHECK_IS(segmentlog_read_many(log, zeros, EMPTIES, NULL, 0, zero_lens, &total),
                 SEGMENTLOG_STATUS_OK);
        CHECK(total == 0 && zero_lens[EMPTIES - 1] == 0);
    }
    free(zeros);
    free(zero_lens);
    free(buf);
    segmentlog_close(log);
}

static void huge_offsets_and_timeouts(void) {
    segmentlog_log *log = open_small("offsets");
    if (!log) return;
    uint64_t off = 0;
    CHECK_IS(segmentlog_append(log, (const uint8_t *)"a", 1, &off), SEGMENTLOG_STATUS_OK);
    uint8_t buf[4];
    size_t len = 0;
    uint64_t big[] = {2, UINT64_MAX, (uint64_t)INT64_MAX, (uint64_t)INT64_MAX + 1};
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        CHECK_IS(segmentlog_read(log, big[i], buf, sizeof buf, &len), SEGMENTLOG_STATUS_OUT_OF_RANGE);
        uint64_t pair[2] = {0, big[i]};
        size_t lens[2] = {77, 77};
        size_t total = 77;
        CHECK_IS(segmentlog_read_many(log, pair, 2, buf, sizeof buf, lens, &total),
                 SEGMENTLOG_STATUS_OUT_OF_RANGE);
        CHECK(total == 77 && lens[0] == 77);
        CHECK_IS(segmentlog_truncate_back(log, big[i]), SEGMENTLOG_STATUS_OUT_OF_RANGE);
        uint64_t at = 0;
        CHECK_IS(segmentlog_offset_at_time(log, big[i], &at), SEGMENTLOG_STATUS_OK);
        segmentlog_reader *r = NULL;
        segmentlog_status s = segmentlog_reader_open(log, big[i], &r);
        CHECK(s != SEGMENTLOG_STATUS_PANIC);
        if (s == SEGMENTLOG_STATUS_OK) {
            /* Past the end: refused, never a record. */
            segmentlog_record rec;
            bool has = false;
            CHECK_REFUSED(segmentlog_reader_next(r, SEGMENTLOG_NO_WAIT, &rec, &has));
            CHECK(!has);
            segmentlog_reader_free(r);
        }
    }
    /* Above the largest offset: a re-base there is refused, the log is unchanged. */
    CHECK_IS(segmentlog_truncate_front(log, UINT64_MAX), SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    CHECK_IS(segmentlog_read(log, 0, buf, sizeof buf, &len), SEGMENTLOG_STATUS_OK);
    /* Negative timeouts other than WAIT_FOREVER are INVALID_ARGUMENT (at the end of the
     * log, where a wait would block: the alarm in main turns a hang into a failure), and a
     * huge one on a record that exists returns it at once. */
    segmentlog_reader *r = NULL;
    CHECK_IS(segmentlog_reader_open(log, 1, &r), SEGMENTLOG_STATUS_OK);
    segmentlog_record rec;
    bool has = false;
    CHECK_IS(segmentlog_reader_next(r, -5, &rec, &has), SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    CHECK_IS(segmentlog_reader_next(r, INT64_MIN, &rec, &has), SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    CHECK_IS(segmentlog_reader_next(r, SEGMENTLOG_NO_WAIT, &rec, &has), SEGMENTLOG_STATUS_OK);
    CHECK(!has);
    segmentlog_reader_free(r);
    CHECK_IS(segmentlog_reader_open(log, 0, &r), SEGMENTLOG_STATUS_OK);
    CHECK_IS(segmentlog_reader_next(r, INT64_MAX, &rec, &has), SEGMENTLOG_STATUS_OK);
    CHECK(has && rec.offset == 0);
    segmentlog_reader_free(r);
    segmentlog_close(log);
}

static void odd_options_and_directories(void) {
    segmentlog_log *log = (segmentlog_log *)0x1;
    char dir[PATH_MAX];
    dir_path(dir, "opts");
    segmentlog_options o = segmentlog_options_default();
    o.max_segment_bytes = 0;
    CHECK_IS(segmentlog_open(dir, &o, &log), SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    o = segmentlog_options_default();
    o.max_segment_bytes = UINT64_MAX;
    CHECK_IS(segmentlog_open(dir, &o, &log), SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    o = segmentlog_options_default();
    o.sync = 0xFFFFFFFFu;
    CHECK_IS(segmentlog_open(dir, &o, &log), SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    o = segmentlog_options_default();
    o.recovery = 77;
    CHECK_IS(segmentlog_open(dir, &o, &log), SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    o = segmentlog_options_default();
    o.sync = SEGMENTLOG_SYNC_INTERVAL;
    o.sync_interval_ms = 0;
    CHECK_IS(segmentlog_open(dir, &o, &log), SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    o = segmentlog_options_default();
    o.initial_offset = UINT64_MAX;
    CHECK_IS(segmentlog_open(dir, &o, &log), SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    CHECK(log == (segmentlog_log *)0x1);
    /* Directories that cannot be logs: empty path, a regular file, under a regular file,
     * a path longer than PATH_MAX, a read-only open of a missing directory. */
    /* An empty path names no directory: refused without creating a lock file in the
     * current directory. */
    char cwd[PATH_MAX];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK(chdir(base) == 0);
    CHECK_IS(segmentlog_open("", NULL, &log), SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    CHECK(access("LOCK", F_OK) != 0);
    CHECK(chdir(cwd) == 0);
    char file[PATH_MAX];
    dir_path(file, "plain-file");
    FILE *f = fopen(file, "w");
    if (f) fclose(f);
    CHECK_IS(segmentlog_open(file, NULL, &log), SEGMENTLOG_STATUS_IO);
    char under[PATH_MAX + 16];
    snprintf(under, sizeof under, "%s/sub", file);
    CHECK_IS(segmentlog_open(under, NULL, &log), SEGMENTLOG_STATUS_IO);
    size_t n = 3 * PATH_MAX;
    char *longpath = malloc(n + 1);
    memset(longpath, 'a', n);
    longpath[0] = '/';
    longpath[n] = '\0';
    CHECK_REFUSED(segmentlog_open(longpath, NULL, &log));
    free(longpath);
    o = segmentlog_options_default();
    o.read_only = true;
    dir_path(dir, "missing");
    CHECK_REFUSED(segmentlog_open(dir, &o, &log));
    CHECK(log == (segmentlog_log *)0x1);
    dir_path(dir, "bytes-\xff\xfe");
    log = NULL;
#ifdef _WIN32
    /* Paths are UTF-8 on Windows (the header says so): other bytes are refused. */
    CHECK_IS(segmentlog_open(dir, NULL, &log), SEGMENTLOG_STATUS_INVALID_ARGUMENT);
#else
    /* Non-UTF-8 bytes are a valid Unix path. */
    CHECK_IS(segmentlog_open(dir, NULL, &log), SEGMENTLOG_STATUS_OK);
    segmentlog_close(log);
#endif
}

static void reader_outlives_its_log_and_errors_are_sane(void) {
    segmentlog_log *log = open_small("outlive");
    if (!log) return;
    uint64_t off = 0;
    CHECK_IS(segmentlog_append(log, (const uint8_t *)"a", 1, &off), SEGMENTLOG_STATUS_OK);
    segmentlog_reader *r = NULL;
    CHECK_IS(segmentlog_reader_open(log, 0, &r), SEGMENTLOG_STATUS_OK);
    segmentlog_close(log);
    segmentlog_record rec;
    bool has = false;
    for (int i = 0; i < 3; i++) {
        segmentlog_status s = segmentlog_reader_next(r, SEGMENTLOG_WAIT_FOREVER, &rec, &has);
        CHECK(s == SEGMENTLOG_STATUS_OK || s == SEGMENTLOG_STATUS_CLOSED);
        if (s == SEGMENTLOG_STATUS_OK) CHECK(has && rec.len == 1 && rec.data[0] == 'a');
    }
    uint64_t pos = 0;
    CHECK_IS(segmentlog_reader_position(r, &pos), SEGMENTLOG_STATUS_OK);
    segmentlog_reader_free(r);
    /* Status names exist for every value, known or not; the message API truncates safely. */
    for (int s = -3; s < 40; s++) CHECK(segmentlog_status_str(s) != NULL);
    char small[2] = {'z', 'z'};
    size_t len = 0;
    segmentlog_status s = segmentlog_last_error_message(small, sizeof small, &len);
    CHECK(s == SEGMENTLOG_STATUS_OK || s == SEGMENTLOG_STATUS_BUFFER_TOO_SMALL);
}

/* The recovery report and repair: huge indexes, tiny text buffers, directories that hold no
 * log, files where a directory should be, repair beside a reader of a closed log. */
static void reports_and_repair(void) {
    segmentlog_log *log = open_small("report");
    if (!log) return;
    const segmentlog_recovery_report *report = NULL;
    CHECK_IS(segmentlog_get_recovery_report(log, &report), SEGMENTLOG_STATUS_OK);
    if (report) {
        segmentlog_recovery_event e;
        memset(&e, 0x33, sizeof e);
        size_t idx[] = {0, 1, SIZE_MAX, (size_t)INT64_MAX + 1};
        for (size_t i = 0; i < sizeof idx / sizeof idx[0]; i++)
            CHECK_IS(segmentlog_recovery_report_event(report, idx[i], &e),
                     SEGMENTLOG_STATUS_INVALID_ARGUMENT);
        CHECK(e.segment == 0x3333333333333333u);
        /* Text: one byte is too small (only the size is written), a length beyond the real
         * buffer is fine when the text fits (ASan would see an overrun). */
        char one = 'z';
        size_t need = 0;
        CHECK_IS(segmentlog_recovery_report_text(report, &one, 1, &need),
                 SEGMENTLOG_STATUS_BUFFER_TOO_SMALL);
        CHECK(one == 'z' && need > 1);
        char *text = malloc(need);
        size_t got = 0;
        if (text) {
            CHECK_IS(segmentlog_recovery_report_text(report, text, SIZE_MAX, &got),
                     SEGMENTLOG_STATUS_OK);
            CHECK(got == need && text[need - 1] == '\0');
        }
        free(text);
    }
    segmentlog_reader *r = NULL;
    CHECK_IS(segmentlog_reader_open(log, 0, &r), SEGMENTLOG_STATUS_OK);
    char dir[PATH_MAX];
    dir_path(dir, "report");
    segmentlog_recovery_report *owned = (segmentlog_recovery_report *)0x1;
    CHECK_IS(segmentlog_repair(dir, false, &owned), SEGMENTLOG_STATUS_LOCKED);
    CHECK_IS(segmentlog_repair(dir, true, &owned), SEGMENTLOG_STATUS_LOCKED);
    CHECK(owned == (segmentlog_recovery_report *)0x1);
    segmentlog_close(log);
    /* Skip holes on a reader whose log is closed: set, then the reader still says CLOSED. */
    CHECK_IS(segmentlog_reader_set_skip_holes(r, true), SEGMENTLOG_STATUS_OK);
    segmentlog_record rec;
    bool has = false;
    CHECK_IS(segmentlog_reader_next(r, SEGMENTLOG_NO_WAIT, &rec, &has), SEGMENTLOG_STATUS_CLOSED);
    segmentlog_reader_free(r);
    /* Once closed, repair works (twice: nothing left to do the second time). */
    for (int i = 0; i < 2; i++) {
        owned = NULL;
        CHECK_IS(segmentlog_repair(dir, i == 1, &owned), SEGMENTLOG_STATUS_OK);
        segmentlog_recovery_summary s;
        CHECK_IS(segmentlog_recovery_report_summary(owned, &s), SEGMENTLOG_STATUS_OK);
        CHECK(s.records_in_holes == 0 && s.records_cut == 0);
        segmentlog_recovery_report_free(owned);
    }
    /* Paths that hold no log: a regular file, an empty path, a path longer than PATH_MAX
     * are refused; an empty directory has nothing to repair (a clean report). */
    char file[PATH_MAX];
    dir_path(file, "plain-file-2");
    FILE *f = fopen(file, "w");
    if (f) fclose(f);
    owned = (segmentlog_recovery_report *)0x1;
    CHECK_REFUSED(segmentlog_repair(file, false, &owned));
    CHECK_REFUSED(segmentlog_repair("", false, &owned));
    size_t n = 3 * PATH_MAX;
    char *longpath = malloc(n + 1);
    if (longpath) {
        memset(longpath, 'a', n);
        longpath[0] = '/';
        longpath[n] = '\0';
        CHECK_REFUSED(segmentlog_repair(longpath, true, &owned));
    }
    free(longpath);
    CHECK(owned == (segmentlog_recovery_report *)0x1);
    dir_path(dir, "empty-dir");
    CHECK(make_dir(dir));
    for (int dry = 1; dry >= 0; dry--) {
        owned = NULL;
        CHECK_IS(segmentlog_repair(dir, dry == 1, &owned), SEGMENTLOG_STATUS_OK);
        segmentlog_recovery_summary s;
        CHECK_IS(segmentlog_recovery_report_summary(owned, &s), SEGMENTLOG_STATUS_OK);
        CHECK(s.is_clean && s.event_count == 0);
        segmentlog_recovery_report_free(owned);
    }
}

int main(void) {
#ifdef _WIN32
    const char *tmp = getenv("TEMP");
    snprintf(base, sizeof base, "%s/segmentlog-misuse-XXXXXX", tmp ? tmp : ".");
    if (_mktemp_s(base, strlen(base) + 1) != 0 || !make_dir(base)) {
        perror("making a temporary directory");
        return 2;
    }
#else
    alarm(60); /* a hang is a failure */
    snprintf(base, sizeof base, "/tmp/segmentlog-misuse-XXXXXX");
    if (!mkdtemp(base)) {
        perror("mkdtemp");
        return 2;
    }
#endif
    huge_and_zero_lengths();
    huge_offsets_and_timeouts();
    odd_options_and_directories();
    reader_outlives_its_log_and_errors_are_sane();
    reports_and_repair();
    char cmd[PATH_MAX + 32];
#ifdef _WIN32
    snprintf(cmd, sizeof cmd, "rmdir /s /q \"%s\"", base);
#else
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
#endif
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", base);
    printf("C misuse: %d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}

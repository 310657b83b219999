/* A tiny test harness for the segmentlog C suite: CHECK macros, counters, temp directories. */
#ifndef SEGMENTLOG_TEST_HARNESS_H
#define SEGMENTLOG_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "segmentlog.h"

/* Failed checks in the running test (a test passes when it ends with none). */
extern int harness_check_failures;

void harness_fail(const char *file, int line, const char *what);
/* Reports a status mismatch with the thread's last error message. */
void harness_fail_status(const char *file, int line, const char *expr, segmentlog_status got,
                         segmentlog_status want);

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond)) harness_fail(__FILE__, __LINE__, #cond);                                  \
    } while (0)

/* Evaluates `expr` (a call returning segmentlog_status) once and checks it equals `want`. */
#define CHECK_STATUS(expr, want)                                                               \
    do {                                                                                       \
        segmentlog_status got_ = (expr);                                                        \
        if (got_ != (want)) harness_fail_status(__FILE__, __LINE__, #expr, got_, (want));      \
    } while (0)

#define CHECK_OK(expr) CHECK_STATUS(expr, SEGMENTLOG_STATUS_OK)

/* Ends the running test early when a check it depends on failed. */
#define REQUIRE(cond)                                                                          \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            harness_fail(__FILE__, __LINE__, #cond);                                           \
            return;                                                                            \
        }                                                                                      \
    } while (0)

#define REQUIRE_OK(expr)                                                                       \
    do {                                                                                       \
        segmentlog_status got_ = (expr);                                                        \
        if (got_ != SEGMENTLOG_STATUS_OK) {                                                     \
            harness_fail_status(__FILE__, __LINE__, #expr, got_, SEGMENTLOG_STATUS_OK);         \
            return;                                                                            \
        }                                                                                      \
    } while (0)

/* A test gets a fresh, empty directory `tmp` (removed afterwards); logs go in subdirectories. */
typedef void (*test_fn)(const char *tmp);
typedef struct {
    const char *name;
    test_fn fn;
} test_case;

/* Joins `tmp` and `name` into `out` (PATH_MAX bytes). */
void path_join(char *out, const char *tmp, const char *name);
/* The thread's last error message (a static per-thread buffer). */
const char *last_message(void);
/* Milliseconds since the Unix epoch / on a monotonic clock. */
uint64_t now_ms(void);
uint64_t mono_ms(void);
void sleep_ms(unsigned ms);
/* How far a record's timestamp may lag now_ms(): the library stamps records with the kernel's
 * coarse clock (cheaper), which trails the precise one by about its resolution (a tick). */
uint64_t timestamp_slack_ms(void);
/* Opens a fresh log in tmp/name with `opts` (NULL: defaults); NULL on failure (reported). */
segmentlog_log *open_log(const char *tmp, const char *name, const segmentlog_options *opts);
/* Appends a NUL-terminated string's bytes; returns its offset (UINT64_MAX on failure). */
uint64_t append_str(segmentlog_log *log, const char *s);
/* Reads the record at `offset` and checks its value equals the string `want`. */
bool value_is(segmentlog_log *log, uint64_t offset, const char *want);

/* XORs the byte at `at` of the file at `path` with `mask` (damage for the tests); false if
 * the file cannot be read or written there. */
bool xor_file_byte(const char *path, long at, uint8_t mask);

/* Whether anything exists at `path`. */
bool path_exists(const char *path);

/* The test groups, one file each. */
extern const test_case basic_tests[];
extern const test_case null_tests[];
extern const test_case status_tests[];
extern const test_case reader_tests[];
extern const test_case thread_tests[];
extern const test_case read_many_tests[];
extern const test_case hole_tests[];
extern const test_case cursor_tests[];
extern const test_case compression_tests[];

#endif

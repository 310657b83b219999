/* Every status a working library can return, each from the situation that causes it.
 * (PANIC cannot be provoked through a working library: the Rust unit test
 * `guard::a_panic_becomes_the_panic_status_with_its_message` proves that boundary.) */
#define _XOPEN_SOURCE 700
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static void out_of_range(const char *tmp) {
    segmentlog_log *log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    REQUIRE(append_str(log, "only") == 0);
    uint8_t buf[8];
    size_t len = 42;
    CHECK_STATUS(segmentlog_read(log, 1, buf, sizeof buf, &len), SEGMENTLOG_STATUS_OUT_OF_RANGE);
    CHECK_STATUS(segmentlog_read(log, UINT64_MAX, buf, sizeof buf, &len),
                 SEGMENTLOG_STATUS_OUT_OF_RANGE);
    CHECK(len == 42);
    CHECK(strstr(last_message(), "out of range") != NULL);
    CHECK_STATUS(segmentlog_truncate_back(log, 2), SEGMENTLOG_STATUS_OUT_OF_RANGE);
    segmentlog_close(log);
}

static void invalid_argument(const char *tmp) {
    char dir[PATH_MAX];
    path_join(dir, tmp, "log");
    segmentlog_log *log = (segmentlog_log *)0x1;
    segmentlog_options o = segmentlog_options_default();
    o.max_segment_bytes = 1;
    CHECK_STATUS(segmentlog_open(dir, &o, &log), SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_message(), "max_segment_bytes") != NULL);
    o = segmentlog_options_default();
    o.sync = 99;
    CHECK_STATUS(segmentlog_open(dir, &o, &log), SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_message(), "sync") != NULL);
    o = segmentlog_options_default();
    o.recovery = 7;
    CHECK_STATUS(segmentlog_open(dir, &o, &log), SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    o = segmentlog_options_default();
    o.sync = SEGMENTLOG_SYNC_INTERVAL;
    o.sync_interval_ms = 0;
    CHECK_STATUS(segmentlog_open(dir, &o, &log), SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    o = segmentlog_options_default();
    o.initial_offset = UINT64_MAX;
    CHECK_STATUS(segmentlog_open(dir, &o, &log), SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    CHECK(log == (segmentlog_log *)0x1);

    /* A value larger than a segment. */
    o = segmentlog_options_default();
    o.max_segment_bytes = 4096;
    log = open_log(tmp, "small", &o);
    REQUIRE(log != NULL);
    static uint8_t big[8192];
    uint64_t off = 42;
    CHECK_STATUS(segmentlog_append(log, big, sizeof big, &off), SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    CHECK(off == 42);
    /* A bad reader timeout. */
    segmentlog_reader *reader = NULL;
    REQUIRE_OK(segmentlog_reader_open(log, 0, &reader));
    segmentlog_record rec;
    bool has = false;
    CHECK_STATUS(segmentlog_reader_next(reader, -5, &rec, &has), SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    segmentlog_reader_free(reader);
    segmentlog_close(log);

    /* Writes to a read-only log. */
    o = segmentlog_options_default();
    o.read_only = true;
    log = open_log(tmp, "small", &o);
    REQUIRE(log != NULL);
    CHECK_STATUS(segmentlog_append(log, big, 1, &off), SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    segmentlog_close(log);
}

static void locked(const char *tmp) {
    segmentlog_log *log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    char dir[PATH_MAX];
    path_join(dir, tmp, "log");
    segmentlog_log *second = (segmentlog_log *)0x1;
    CHECK_STATUS(segmentlog_open(dir, NULL, &second), SEGMENTLOG_STATUS_LOCKED);
    CHECK(second == (segmentlog_log *)0x1);
    CHECK(strstr(last_message(), "locked") != NULL);
    /* Closing releases the lock. */
    segmentlog_close(log);
    second = NULL;
    CHECK_OK(segmentlog_open(dir, NULL, &second));
    segmentlog_close(second);
}

static void io_error(const char *tmp) {
    /* The directory path names a regular file. */
    char file[PATH_MAX];
    path_join(file, tmp, "not-a-dir");
    FILE *f = fopen(file, "wb");
    REQUIRE(f != NULL);
    fclose(f);
    segmentlog_log *log = (segmentlog_log *)0x1;
    CHECK_STATUS(segmentlog_open(file, NULL, &log), SEGMENTLOG_STATUS_IO);
    CHECK(log == (segmentlog_log *)0x1);
    CHECK(strlen(last_message()) > 0);
}

static void closed(const char *tmp) {
    segmentlog_log *log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    REQUIRE(append_str(log, "before close") == 0);
    segmentlog_reader *reader = NULL;
    REQUIRE_OK(segmentlog_reader_open(log, 0, &reader));
    segmentlog_close(log);
    /* The handle is gone; the reader outlives it and reports the closed log. */
    segmentlog_record rec;
    bool has = false;
    CHECK_STATUS(segmentlog_reader_next(reader, SEGMENTLOG_NO_WAIT, &rec, &has),
                 SEGMENTLOG_STATUS_CLOSED);
    CHECK_STATUS(segmentlog_reader_next(reader, 10, &rec, &has), SEGMENTLOG_STATUS_CLOSED);
    CHECK_STATUS(segmentlog_reader_next(reader, SEGMENTLOG_NO_WAIT, &rec, &has),
                 SEGMENTLOG_STATUS_CLOSED);
    CHECK(strstr(last_message(), "closed") != NULL);
    segmentlog_reader_free(reader);
}

/* Flips one byte of the first record's value in the first store file. */
static bool damage_first_value(const char *dir) {
    char store[PATH_MAX];
    path_join(store, dir, "00000000000000000000.store");
    /* store header + record header: the first value byte */
    return xor_file_byte(store, 32 + 28, 0xFF);
}

static void hole(const char *tmp) {
    char dir[PATH_MAX];
    path_join(dir, tmp, "log");
    segmentlog_log *log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    REQUIRE(append_str(log, "soon damaged") == 0);
    REQUIRE(append_str(log, "intact") == 1);
    segmentlog_close(log);
    REQUIRE(damage_first_value(dir));
    /* The log opens (it was closed cleanly, so nothing is scanned), but the damaged record is
     * reported as a hole, never returned as data, by a read and by a reader; its neighbour is
     * intact. */
    log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    uint8_t buf[32];
    size_t len = 42;
    CHECK_STATUS(segmentlog_read(log, 0, buf, sizeof buf, &len), SEGMENTLOG_STATUS_HOLE);
    CHECK(len == 42);
    CHECK(strstr(last_message(), "offset 0 is a hole") != NULL);
    CHECK(value_is(log, 1, "intact"));
    /* A multi-get stops at the damaged record and writes no out-parameter. */
    uint64_t offsets[] = {1, 0, 1};
    size_t lens[3] = {42, 42, 42};
    size_t total = 42;
    CHECK_STATUS(segmentlog_read_many(log, offsets, 3, buf, sizeof buf, lens, &total),
                 SEGMENTLOG_STATUS_HOLE);
    CHECK(total == 42 && lens[0] == 42 && lens[2] == 42);
    CHECK(strstr(last_message(), "hole") != NULL);
    segmentlog_reader *reader = NULL;
    REQUIRE_OK(segmentlog_reader_open(log, 0, &reader));
    segmentlog_record rec;
    bool has = false;
    CHECK_STATUS(segmentlog_reader_next(reader, SEGMENTLOG_NO_WAIT, &rec, &has),
                 SEGMENTLOG_STATUS_HOLE);
    CHECK(!has);
    /* ...and goes on after it. */
    CHECK_OK(segmentlog_reader_next(reader, SEGMENTLOG_NO_WAIT, &rec, &has));
    CHECK(has && rec.offset == 1);
    segmentlog_reader_free(reader);
    segmentlog_close(log);
}

static void corrupt(const char *tmp) {
    char dir[PATH_MAX];
    path_join(dir, tmp, "log");
    segmentlog_log *log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    REQUIRE(append_str(log, "soon damaged") == 0);
    REQUIRE(append_str(log, "intact") == 1);
    segmentlog_close(log);
    REQUIRE(damage_first_value(dir));
    /* After a crash (no CLEAN marker) a strict open reports the damage and changes nothing. */
    char clean[PATH_MAX];
    path_join(clean, dir, "CLEAN");
    REQUIRE(remove(clean) == 0);
    segmentlog_options o = segmentlog_options_default();
    o.recovery = SEGMENTLOG_RECOVERY_STRICT;
    segmentlog_log *strict = (segmentlog_log *)0x1;
    CHECK_STATUS(segmentlog_open(dir, &o, &strict), SEGMENTLOG_STATUS_CORRUPT);
    CHECK(strict == (segmentlog_log *)0x1);
    CHECK(strstr(last_message(), "corrupt") != NULL);
}

const test_case status_tests[] = {
    {"status_out_of_range", out_of_range},
    {"status_invalid_argument", invalid_argument},
    {"status_locked", locked},
    {"status_io", io_error},
    {"status_closed", closed},
    {"status_corrupt", corrupt},
    {"status_hole", hole},
    {NULL, NULL},
};

/* NULL for every pointer parameter of every function: SEGMENTLOG_STATUS_NULL_ARGUMENT, nothing
 * done, no out-parameter written. */
#define _XOPEN_SOURCE 700
#include <limits.h>
#include <string.h>

#include "harness.h"

#define NUL SEGMENTLOG_STATUS_NULL_ARGUMENT

static void open_nulls(const char *tmp) {
    char dir[PATH_MAX];
    path_join(dir, tmp, "log");
    segmentlog_log *log = (segmentlog_log *)0x1; /* sentinel: must stay untouched */
    CHECK_STATUS(segmentlog_open(NULL, NULL, &log), NUL);
    CHECK(log == (segmentlog_log *)0x1);
    CHECK(strstr(last_message(), "dir") != NULL);
    CHECK_STATUS(segmentlog_open(dir, NULL, NULL), NUL);
    CHECK(strstr(last_message(), "log_out") != NULL);
    /* Nothing was created by the refused calls: the directory is still free to open. */
    log = NULL;
    CHECK_OK(segmentlog_open(dir, NULL, &log));
    segmentlog_close(log);
}

static void append_nulls(const char *tmp) {
    segmentlog_log *log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    uint64_t off = 42;
    CHECK_STATUS(segmentlog_append(NULL, (const uint8_t *)"x", 1, &off), NUL);
    CHECK_STATUS(segmentlog_append(log, NULL, 1, &off), NUL);
    CHECK_STATUS(segmentlog_append(log, (const uint8_t *)"x", 1, NULL), NUL);
    CHECK(off == 42);
    const uint8_t *values[] = {(const uint8_t *)"a", NULL};
    size_t lens[] = {1, 1};
    CHECK_STATUS(segmentlog_append_batch(NULL, values, lens, 1, &off), NUL);
    CHECK_STATUS(segmentlog_append_batch(log, NULL, lens, 1, &off), NUL);
    CHECK_STATUS(segmentlog_append_batch(log, values, NULL, 1, &off), NUL);
    CHECK_STATUS(segmentlog_append_batch(log, values, lens, 1, NULL), NUL);
    /* values[1] is NULL with lens[1] = 1: the whole batch is refused. */
    CHECK_STATUS(segmentlog_append_batch(log, values, lens, 2, &off), NUL);
    CHECK(strstr(last_message(), "values[1]") != NULL);
    CHECK(off == 42);
    uint64_t next = 42;
    CHECK_OK(segmentlog_next_offset(log, &next));
    CHECK(next == 0); /* none of the refused calls appended anything */
    segmentlog_close(log);
}

static void read_and_query_nulls(const char *tmp) {
    segmentlog_log *log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    REQUIRE(append_str(log, "value") == 0);
    uint8_t buf[8];
    size_t len = 42;
    CHECK_STATUS(segmentlog_read(NULL, 0, buf, sizeof buf, &len), NUL);
    CHECK_STATUS(segmentlog_read(log, 0, NULL, sizeof buf, &len), NUL);
    CHECK_STATUS(segmentlog_read(log, 0, buf, sizeof buf, NULL), NUL);
    CHECK(len == 42);
    uint64_t off = 42;
    CHECK_STATUS(segmentlog_lowest_offset(NULL, &off), NUL);
    CHECK_STATUS(segmentlog_lowest_offset(log, NULL), NUL);
    CHECK_STATUS(segmentlog_next_offset(NULL, &off), NUL);
    CHECK_STATUS(segmentlog_next_offset(log, NULL), NUL);
    CHECK_STATUS(segmentlog_offset_at_time(NULL, 0, &off), NUL);
    CHECK_STATUS(segmentlog_offset_at_time(log, 0, NULL), NUL);
    CHECK(off == 42);
    CHECK_STATUS(segmentlog_truncate_front(NULL, 0), NUL);
    CHECK_STATUS(segmentlog_truncate_back(NULL, 0), NUL);
    CHECK_STATUS(segmentlog_sync(NULL), NUL);
    CHECK(value_is(log, 0, "value"));
    segmentlog_close(log);
}

static void read_many_nulls(const char *tmp) {
    segmentlog_log *log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    REQUIRE(append_str(log, "value") == 0);
    uint64_t offsets[] = {0, 0};
    uint8_t buf[16];
    size_t lens[2] = {42, 42};
    size_t total = 42;
    CHECK_STATUS(segmentlog_read_many(NULL, offsets, 2, buf, sizeof buf, lens, &total), NUL);
    CHECK(strstr(last_message(), "log") != NULL);
    CHECK_STATUS(segmentlog_read_many(log, NULL, 2, buf, sizeof buf, lens, &total), NUL);
    CHECK(strstr(last_message(), "offsets") != NULL);
    CHECK_STATUS(segmentlog_read_many(log, offsets, 2, NULL, sizeof buf, lens, &total), NUL);
    CHECK(strstr(last_message(), "buf") != NULL);
    CHECK_STATUS(segmentlog_read_many(log, offsets, 2, buf, sizeof buf, NULL, &total), NUL);
    CHECK(strstr(last_message(), "lens_out") != NULL);
    CHECK_STATUS(segmentlog_read_many(log, offsets, 2, buf, sizeof buf, lens, NULL), NUL);
    CHECK(strstr(last_message(), "total_out") != NULL);
    /* NULL log and total_out are refused with count 0 too; with count 0 the arrays may be
     * NULL, and so may buf with buf_len 0 (asking for the size). */
    CHECK_STATUS(segmentlog_read_many(NULL, NULL, 0, NULL, 0, NULL, &total), NUL);
    CHECK_STATUS(segmentlog_read_many(log, NULL, 0, NULL, 0, NULL, NULL), NUL);
    CHECK(lens[0] == 42 && lens[1] == 42 && total == 42);
    CHECK_STATUS(segmentlog_read_many(log, offsets, 2, NULL, 0, lens, &total),
                 SEGMENTLOG_STATUS_BUFFER_TOO_SMALL);
    CHECK(total == 10 && lens[0] == 42);
    CHECK_OK(segmentlog_read_many(log, NULL, 0, NULL, 0, NULL, &total));
    CHECK(total == 0);
    segmentlog_close(log);
}

static void reader_nulls(const char *tmp) {
    segmentlog_log *log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    REQUIRE(append_str(log, "value") == 0);
    segmentlog_reader *reader = (segmentlog_reader *)0x1;
    CHECK_STATUS(segmentlog_reader_open(NULL, 0, &reader), NUL);
    CHECK(reader == (segmentlog_reader *)0x1);
    CHECK_STATUS(segmentlog_reader_open(log, 0, NULL), NUL);
    reader = NULL;
    REQUIRE_OK(segmentlog_reader_open(log, 0, &reader));
    segmentlog_record rec;
    memset(&rec, 0x5A, sizeof rec);
    bool has = false;
    CHECK_STATUS(segmentlog_reader_next(NULL, 0, &rec, &has), NUL);
    CHECK_STATUS(segmentlog_reader_next(reader, 0, NULL, &has), NUL);
    CHECK_STATUS(segmentlog_reader_next(reader, 0, &rec, NULL), NUL);
    CHECK(rec.offset == 0x5A5A5A5A5A5A5A5Aull);
    uint64_t pos = 42;
    CHECK_STATUS(segmentlog_reader_position(NULL, &pos), NUL);
    CHECK_STATUS(segmentlog_reader_position(reader, NULL), NUL);
    CHECK(pos == 42);
    /* The refused calls did not move the reader. */
    CHECK_OK(segmentlog_reader_next(reader, SEGMENTLOG_NO_WAIT, &rec, &has));
    CHECK(has && rec.offset == 0);
    segmentlog_reader_free(reader);
    segmentlog_close(log);
}

static void last_error_nulls(const char *tmp) {
    (void)tmp;
    char buf[8];
    size_t len = 42;
    CHECK_STATUS(segmentlog_last_error_message(buf, sizeof buf, NULL), NUL);
    CHECK_STATUS(segmentlog_last_error_message(NULL, 8, &len), NUL);
    CHECK(len == 42);
}

const test_case null_tests[] = {
    {"open_nulls", open_nulls},
    {"append_nulls", append_nulls},
    {"read_and_query_nulls", read_and_query_nulls},
    {"read_many_nulls", read_many_nulls},
    {"reader_nulls", reader_nulls},
    {"last_error_nulls", last_error_nulls},
    {NULL, NULL},
};

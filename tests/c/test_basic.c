/* The everyday calls: open, append, batch, read (with the BUFFER_TOO_SMALL protocol), offsets,
 * offset_at_time, truncation, sync, reopen, options. */
#define _XOPEN_SOURCE 700
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static void append_and_read_back(const char *tmp) {
    segmentlog_log *log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    uint64_t off = 99;
    REQUIRE_OK(segmentlog_append(log, (const uint8_t *)"hello", 5, &off));
    CHECK(off == 0);
    CHECK(append_str(log, "world") == 1);
    /* An empty value: data may be NULL when len is 0. */
    CHECK_OK(segmentlog_append(log, NULL, 0, &off));
    CHECK(off == 2);
    CHECK(value_is(log, 0, "hello"));
    CHECK(value_is(log, 1, "world"));
    size_t len = 77;
    CHECK_OK(segmentlog_read(log, 2, NULL, 0, &len));
    CHECK(len == 0);
    uint64_t lowest = 99, next = 99;
    CHECK_OK(segmentlog_lowest_offset(log, &lowest));
    CHECK_OK(segmentlog_next_offset(log, &next));
    CHECK(lowest == 0 && next == 3);
    CHECK_OK(segmentlog_sync(log));
    segmentlog_close(log);
}

static void binary_values_survive_unchanged(const char *tmp) {
    segmentlog_log *log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    uint8_t value[1000];
    for (size_t i = 0; i < sizeof value; i++) value[i] = (uint8_t)(i * 7 + 3); /* has NULs */
    uint64_t off;
    REQUIRE_OK(segmentlog_append(log, value, sizeof value, &off));
    uint8_t back[1000];
    size_t len;
    REQUIRE_OK(segmentlog_read(log, off, back, sizeof back, &len));
    CHECK(len == sizeof value && memcmp(back, value, len) == 0);
    segmentlog_close(log);
}

static void buffer_too_small_protocol(const char *tmp) {
    segmentlog_log *log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    const char *v = "twelve bytes";
    uint64_t off = append_str(log, v);
    /* Ask for the size with no buffer. */
    size_t need = 0;
    CHECK_STATUS(segmentlog_read(log, off, NULL, 0, &need), SEGMENTLOG_STATUS_BUFFER_TOO_SMALL);
    CHECK(need == 12);
    /* One byte short: nothing is copied, the size is reported again. */
    uint8_t buf[16];
    memset(buf, 0xAA, sizeof buf);
    need = 0;
    CHECK_STATUS(segmentlog_read(log, off, buf, 11, &need), SEGMENTLOG_STATUS_BUFFER_TOO_SMALL);
    CHECK(need == 12);
    CHECK(buf[0] == 0xAA);
    CHECK(strstr(last_message(), "12") != NULL);
    /* Exactly the size needed. */
    uint8_t *exact = malloc(need);
    size_t len = 0;
    CHECK_OK(segmentlog_read(log, off, exact, need, &len));
    CHECK(len == 12 && memcmp(exact, v, 12) == 0);
    free(exact);
    segmentlog_close(log);
}

static void last_error_message_protocol(const char *tmp) {
    segmentlog_log *log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    size_t len = 0;
    CHECK_STATUS(segmentlog_read(log, 5, NULL, 0, &len), SEGMENTLOG_STATUS_OUT_OF_RANGE);
    /* Size query, then a too-small buffer, then the right one: the message stays the same. */
    size_t need = 0;
    CHECK_STATUS(segmentlog_last_error_message(NULL, 0, &need), SEGMENTLOG_STATUS_BUFFER_TOO_SMALL);
    REQUIRE(need > 1);
    char small[4] = "xyz";
    size_t need2 = 0;
    CHECK_STATUS(segmentlog_last_error_message(small, sizeof small, &need2),
                 SEGMENTLOG_STATUS_BUFFER_TOO_SMALL);
    CHECK(need2 == need);
    CHECK(strcmp(small, "xyz") == 0);
    char *msg = malloc(need);
    size_t got = 0;
    CHECK_OK(segmentlog_last_error_message(msg, need, &got));
    CHECK(got == need && strlen(msg) == need - 1);
    CHECK(strstr(msg, "out of range") != NULL);
    /* A successful call leaves the message alone. */
    uint64_t next;
    CHECK_OK(segmentlog_next_offset(log, &next));
    CHECK(strcmp(last_message(), msg) == 0);
    free(msg);
    segmentlog_close(log);
}

static void batch_append(const char *tmp) {
    segmentlog_log *log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    CHECK(append_str(log, "first") == 0);
    const uint8_t *values[] = {(const uint8_t *)"a", (const uint8_t *)"bb", NULL,
                               (const uint8_t *)"dddd"};
    size_t lens[] = {1, 2, 0, 4};
    uint64_t first = 99;
    REQUIRE_OK(segmentlog_append_batch(log, values, lens, 4, &first));
    CHECK(first == 1);
    CHECK(value_is(log, 1, "a"));
    CHECK(value_is(log, 2, "bb"));
    CHECK(value_is(log, 3, ""));
    CHECK(value_is(log, 4, "dddd"));
    uint64_t next;
    CHECK_OK(segmentlog_next_offset(log, &next));
    CHECK(next == 5);
    /* An empty batch appends nothing and reports where the next append goes. */
    first = 99;
    CHECK_OK(segmentlog_append_batch(log, NULL, NULL, 0, &first));
    CHECK(first == 5);
    CHECK_OK(segmentlog_next_offset(log, &next));
    CHECK(next == 5);
    segmentlog_close(log);
}

static void reopen_keeps_everything(const char *tmp) {
    segmentlog_options opts = segmentlog_options_default();
    opts.initial_offset = 1000;
    segmentlog_log *log = open_log(tmp, "log", &opts);
    REQUIRE(log != NULL);
    CHECK(append_str(log, "one") == 1000);
    CHECK(append_str(log, "two") == 1001);
    segmentlog_close(log);
    /* initial_offset is ignored for an existing log. */
    opts.initial_offset = 5;
    log = open_log(tmp, "log", &opts);
    REQUIRE(log != NULL);
    uint64_t lowest, next;
    CHECK_OK(segmentlog_lowest_offset(log, &lowest));
    CHECK_OK(segmentlog_next_offset(log, &next));
    CHECK(lowest == 1000 && next == 1002);
    CHECK(value_is(log, 1000, "one"));
    CHECK(value_is(log, 1001, "two"));
    CHECK(append_str(log, "three") == 1002);
    segmentlog_close(log);
    log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    CHECK(value_is(log, 1002, "three"));
    segmentlog_close(log);
}

static void options_default_and_every_option(const char *tmp) {
    segmentlog_options d = segmentlog_options_default();
    CHECK(d.max_segment_bytes == 64u * 1024 * 1024);
    CHECK(d.max_index_bytes == 8u * 1024 * 1024);
    CHECK(d.initial_offset == 0);
    CHECK(d.sync == SEGMENTLOG_SYNC_NEVER);
    CHECK(d.recovery == SEGMENTLOG_RECOVERY_TRUNCATE_TAIL);
    CHECK(d.retention_bytes == 0 && d.retention_ms == 0);
    CHECK(d.max_open_segments == 64);
    CHECK(!d.read_only);

    segmentlog_options o = d;
    o.sync = SEGMENTLOG_SYNC_ALWAYS;
    segmentlog_log *log = open_log(tmp, "always", &o);
    REQUIRE(log != NULL);
    CHECK(append_str(log, "durable") == 0);
    segmentlog_close(log);

    o = d;
    o.sync = SEGMENTLOG_SYNC_INTERVAL;
    o.sync_interval_ms = 5;
    o.recovery = SEGMENTLOG_RECOVERY_STRICT;
    o.retention_bytes = 1u << 30;
    o.retention_ms = 3600u * 1000u;
    o.max_open_segments = 2;
    o.max_segment_bytes = 1u << 20;
    o.max_index_bytes = 4096;
    log = open_log(tmp, "interval", &o);
    REQUIRE(log != NULL);
    CHECK(append_str(log, "synced soon") == 0);
    sleep_ms(20);
    segmentlog_close(log);

    /* A read-only handle reads (and tails) what a writer appended. */
    segmentlog_log *writer = open_log(tmp, "shared", NULL);
    REQUIRE(writer != NULL);
    CHECK(append_str(writer, "from the writer") == 0);
    o = d;
    o.read_only = true;
    segmentlog_log *ro = open_log(tmp, "shared", &o);
    if (ro != NULL) {
        CHECK(value_is(ro, 0, "from the writer"));
        segmentlog_close(ro);
    }
    segmentlog_close(writer);
}

static void offset_at_time(const char *tmp) {
    segmentlog_log *log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    /* Timestamps come from a coarse clock, so every bound allows for its lag. */
    uint64_t slack = timestamp_slack_ms();
    uint64_t before = now_ms() - slack;
    CHECK(append_str(log, "early") == 0);
    sleep_ms((unsigned)(3 * slack + 20));
    uint64_t middle = now_ms() - slack;
    CHECK(append_str(log, "late") == 1);
    uint64_t off = 99;
    CHECK_OK(segmentlog_offset_at_time(log, 0, &off));
    CHECK(off == 0);
    CHECK_OK(segmentlog_offset_at_time(log, before, &off));
    CHECK(off == 0);
    CHECK_OK(segmentlog_offset_at_time(log, middle, &off));
    CHECK(off == 1);
    CHECK_OK(segmentlog_offset_at_time(log, now_ms() + 60000, &off));
    CHECK(off == 2);
    segmentlog_close(log);
}

static void truncate_back_then_front(const char *tmp) {
    segmentlog_options o = segmentlog_options_default();
    o.max_segment_bytes = 4096; /* small segments, so truncate_front has whole ones to drop */
    segmentlog_log *log = open_log(tmp, "log", &o);
    REQUIRE(log != NULL);
    char value[200];
    memset(value, 'v', sizeof value - 1);
    value[sizeof value - 1] = '\0';
    for (int i = 0; i < 100; i++) REQUIRE(append_str(log, value) == (uint64_t)i);

    REQUIRE_OK(segmentlog_truncate_back(log, 90));
    uint64_t next, lowest;
    CHECK_OK(segmentlog_next_offset(log, &next));
    CHECK(next == 90);
    size_t len;
    CHECK_STATUS(segmentlog_read(log, 90, NULL, 0, &len), SEGMENTLOG_STATUS_OUT_OF_RANGE);
    CHECK(append_str(log, "after truncate_back") == 90);

    REQUIRE_OK(segmentlog_truncate_front(log, 50));
    CHECK_OK(segmentlog_lowest_offset(log, &lowest));
    CHECK(lowest > 0 && lowest <= 50); /* whole segments only */
    CHECK_STATUS(segmentlog_read(log, 0, NULL, 0, &len), SEGMENTLOG_STATUS_OUT_OF_RANGE);
    CHECK(value_is(log, 50, value));

    /* At or beyond the end: the log is emptied and re-based. */
    REQUIRE_OK(segmentlog_truncate_front(log, 500));
    CHECK_OK(segmentlog_lowest_offset(log, &lowest));
    CHECK_OK(segmentlog_next_offset(log, &next));
    CHECK(lowest == 500 && next == 500);
    CHECK(append_str(log, "rebased") == 500);
    segmentlog_close(log);
}

static void close_null_is_a_no_op(const char *tmp) {
    (void)tmp;
    segmentlog_close(NULL);
    segmentlog_reader_free(NULL);
    CHECK(1);
}

static void status_names(const char *tmp) {
    (void)tmp;
    CHECK(strcmp(segmentlog_status_str(SEGMENTLOG_STATUS_OK), "OK") == 0);
    CHECK(strcmp(segmentlog_status_str(SEGMENTLOG_STATUS_OUT_OF_RANGE), "OUT_OF_RANGE") == 0);
    CHECK(strcmp(segmentlog_status_str(SEGMENTLOG_STATUS_PANIC), "PANIC") == 0);
    CHECK(strcmp(segmentlog_status_str(-1), "UNKNOWN") == 0);
    CHECK(strcmp(segmentlog_status_str(42), "UNKNOWN") == 0);
}

const test_case basic_tests[] = {
    {"append_and_read_back", append_and_read_back},
    {"binary_values_survive_unchanged", binary_values_survive_unchanged},
    {"buffer_too_small_protocol", buffer_too_small_protocol},
    {"last_error_message_protocol", last_error_message_protocol},
    {"batch_append", batch_append},
    {"reopen_keeps_everything", reopen_keeps_everything},
    {"options_default_and_every_option", options_default_and_every_option},
    {"offset_at_time", offset_at_time},
    {"truncate_back_then_front", truncate_back_then_front},
    {"close_null_is_a_no_op", close_null_is_a_no_op},
    {"status_names", status_names},
    {NULL, NULL},
};

/* Readers: ordered iteration with offsets and timestamps, positions, tailing with timeouts. */
#define _XOPEN_SOURCE 700
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

static bool record_is(const segmentlog_record *rec, uint64_t offset, const char *value) {
    return rec->offset == offset && rec->len == strlen(value) &&
           memcmp(rec->data, value, rec->len) == 0;
}

static void iterates_in_order_with_timestamps(const char *tmp) {
    segmentlog_log *log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    uint64_t before = now_ms() - timestamp_slack_ms(); /* records carry a coarse clock */
    char value[32];
    for (int i = 0; i < 50; i++) {
        snprintf(value, sizeof value, "record %d", i);
        REQUIRE(append_str(log, value) == (uint64_t)i);
    }
    uint64_t after = now_ms();
    segmentlog_reader *reader = NULL;
    REQUIRE_OK(segmentlog_reader_open(log, 0, &reader));
    uint64_t last_ts = 0;
    int seen = 0;
    for (;;) {
        segmentlog_record rec;
        bool has = false;
        segmentlog_status st = segmentlog_reader_next(reader, SEGMENTLOG_NO_WAIT, &rec, &has);
        CHECK_OK(st);
        if (st != SEGMENTLOG_STATUS_OK || !has) break;
        snprintf(value, sizeof value, "record %d", seen);
        CHECK(record_is(&rec, (uint64_t)seen, value));
        CHECK(rec.timestamp >= before && rec.timestamp <= after);
        CHECK(rec.timestamp >= last_ts);
        last_ts = rec.timestamp;
        seen++;
    }
    CHECK(seen == 50);
    uint64_t pos = 0;
    CHECK_OK(segmentlog_reader_position(reader, &pos));
    CHECK(pos == 50);
    /* At the end the reader stays put and yields what is appended later. */
    CHECK(append_str(log, "later") == 50);
    segmentlog_record rec;
    bool has = false;
    CHECK_OK(segmentlog_reader_next(reader, SEGMENTLOG_NO_WAIT, &rec, &has));
    CHECK(has && record_is(&rec, 50, "later"));
    segmentlog_reader_free(reader);
    segmentlog_close(log);
}

static void starts_anywhere_and_survives_reopen(const char *tmp) {
    segmentlog_log *log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    const uint8_t *values[] = {(const uint8_t *)"a", (const uint8_t *)"b", (const uint8_t *)"c"};
    size_t lens[] = {1, 1, 1};
    uint64_t first;
    REQUIRE_OK(segmentlog_append_batch(log, values, lens, 3, &first));
    segmentlog_close(log);
    log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    segmentlog_reader *reader = NULL;
    REQUIRE_OK(segmentlog_reader_open(log, 1, &reader));
    uint64_t pos = 0;
    CHECK_OK(segmentlog_reader_position(reader, &pos));
    CHECK(pos == 1);
    segmentlog_record rec;
    bool has = false;
    CHECK_OK(segmentlog_reader_next(reader, SEGMENTLOG_NO_WAIT, &rec, &has));
    CHECK(has && record_is(&rec, 1, "b"));
    CHECK_OK(segmentlog_reader_next(reader, SEGMENTLOG_NO_WAIT, &rec, &has));
    CHECK(has && record_is(&rec, 2, "c"));
    memset(&rec, 0x5A, sizeof rec);
    CHECK_OK(segmentlog_reader_next(reader, SEGMENTLOG_NO_WAIT, &rec, &has));
    CHECK(!has);
    CHECK(rec.offset == 0x5A5A5A5A5A5A5A5Aull); /* untouched without a record */
    segmentlog_reader_free(reader);
    segmentlog_close(log);
}

static void out_of_range_positions(const char *tmp) {
    segmentlog_options o = segmentlog_options_default();
    o.max_segment_bytes = 4096;
    segmentlog_log *log = open_log(tmp, "log", &o);
    REQUIRE(log != NULL);
    char value[200];
    memset(value, 'x', sizeof value - 1);
    value[sizeof value - 1] = '\0';
    for (int i = 0; i < 60; i++) REQUIRE(append_str(log, value) == (uint64_t)i);
    segmentlog_record rec;
    bool has = false;
    /* Beyond the end. */
    segmentlog_reader *beyond = NULL;
    REQUIRE_OK(segmentlog_reader_open(log, 1000, &beyond));
    CHECK_STATUS(segmentlog_reader_next(beyond, SEGMENTLOG_NO_WAIT, &rec, &has),
                 SEGMENTLOG_STATUS_OUT_OF_RANGE);
    segmentlog_reader_free(beyond);
    /* Below the start after truncate_front dropped the segment under it. */
    segmentlog_reader *old = NULL;
    REQUIRE_OK(segmentlog_reader_open(log, 0, &old));
    REQUIRE_OK(segmentlog_truncate_front(log, 40));
    CHECK_STATUS(segmentlog_reader_next(old, SEGMENTLOG_NO_WAIT, &rec, &has),
                 SEGMENTLOG_STATUS_OUT_OF_RANGE);
    /* The condition persists, and so does the error (it is not taken for the end of the log). */
    CHECK_STATUS(segmentlog_reader_next(old, SEGMENTLOG_NO_WAIT, &rec, &has),
                 SEGMENTLOG_STATUS_OUT_OF_RANGE);
    segmentlog_reader_free(old);
    segmentlog_close(log);
}

struct delayed_append {
    segmentlog_log *log;
    unsigned delay_ms;
    const char *value;
};

static void *append_later(void *arg) {
    struct delayed_append *d = arg;
    sleep_ms(d->delay_ms);
    uint64_t off;
    segmentlog_append(d->log, (const uint8_t *)d->value, strlen(d->value), &off);
    return NULL;
}

static void tails_with_timeouts(const char *tmp) {
    segmentlog_log *log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    segmentlog_reader *reader = NULL;
    REQUIRE_OK(segmentlog_reader_open(log, 0, &reader));
    segmentlog_record rec;
    bool has = true;
    /* Nothing comes: the call waits about its timeout and reports no record. */
    uint64_t t0 = mono_ms();
    CHECK_OK(segmentlog_reader_next(reader, 100, &rec, &has));
    CHECK(!has);
    CHECK(mono_ms() - t0 >= 95);
    /* A record appended by another thread while waiting (with a timeout, then forever). */
    struct delayed_append d = {log, 50, "tailed"};
    pthread_t thread;
    REQUIRE(pthread_create(&thread, NULL, append_later, &d) == 0);
    has = false;
    CHECK_OK(segmentlog_reader_next(reader, 30000, &rec, &has));
    CHECK(has && record_is(&rec, 0, "tailed"));
    pthread_join(thread, NULL);
    struct delayed_append d2 = {log, 50, "forever"};
    REQUIRE(pthread_create(&thread, NULL, append_later, &d2) == 0);
    has = false;
    CHECK_OK(segmentlog_reader_next(reader, SEGMENTLOG_WAIT_FOREVER, &rec, &has));
    CHECK(has && record_is(&rec, 1, "forever"));
    pthread_join(thread, NULL);
    /* The largest timeout is accepted too (and returns at once when a record is there). */
    CHECK(append_str(log, "present") == 2);
    has = false;
    CHECK_OK(segmentlog_reader_next(reader, INT64_MAX, &rec, &has));
    CHECK(has && record_is(&rec, 2, "present"));
    segmentlog_reader_free(reader);
    segmentlog_close(log);
}

static void read_only_handle_tails_a_writer(const char *tmp) {
    segmentlog_log *writer = open_log(tmp, "log", NULL);
    REQUIRE(writer != NULL);
    REQUIRE(append_str(writer, "before") == 0);
    segmentlog_options ro = segmentlog_options_default();
    ro.read_only = true;
    segmentlog_log *reader_log = open_log(tmp, "log", &ro);
    if (reader_log == NULL) {
        segmentlog_close(writer);
        return;
    }
    segmentlog_reader *reader = NULL;
    REQUIRE_OK(segmentlog_reader_open(reader_log, 0, &reader));
    segmentlog_record rec;
    bool has = false;
    CHECK_OK(segmentlog_reader_next(reader, SEGMENTLOG_NO_WAIT, &rec, &has));
    CHECK(has && record_is(&rec, 0, "before"));
    /* Appended through the writer handle while the read-only reader waits. */
    struct delayed_append d = {writer, 50, "after"};
    pthread_t thread;
    REQUIRE(pthread_create(&thread, NULL, append_later, &d) == 0);
    has = false;
    CHECK_OK(segmentlog_reader_next(reader, 30000, &rec, &has));
    CHECK(has && record_is(&rec, 1, "after"));
    pthread_join(thread, NULL);
    segmentlog_reader_free(reader);
    segmentlog_close(reader_log);
    segmentlog_close(writer);
}

struct closer {
    segmentlog_log *log;
};

static void *close_later(void *arg) {
    struct closer *c = arg;
    sleep_ms(100);
    segmentlog_close(c->log);
    return NULL;
}

static void waiting_reader_wakes_up_on_close(const char *tmp) {
    segmentlog_log *log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    segmentlog_reader *reader = NULL;
    REQUIRE_OK(segmentlog_reader_open(log, 0, &reader));
    struct closer c = {log};
    pthread_t thread;
    REQUIRE(pthread_create(&thread, NULL, close_later, &c) == 0);
    segmentlog_record rec;
    bool has = false;
    CHECK_STATUS(segmentlog_reader_next(reader, SEGMENTLOG_WAIT_FOREVER, &rec, &has),
                 SEGMENTLOG_STATUS_CLOSED);
    pthread_join(thread, NULL);
    segmentlog_reader_free(reader);
}

const test_case reader_tests[] = {
    {"reader_iterates_in_order_with_timestamps", iterates_in_order_with_timestamps},
    {"reader_starts_anywhere_and_survives_reopen", starts_anywhere_and_survives_reopen},
    {"reader_out_of_range_positions", out_of_range_positions},
    {"reader_tails_with_timeouts", tails_with_timeouts},
    {"reader_read_only_handle_tails_a_writer", read_only_handle_tails_a_writer},
    {"reader_waiting_wakes_up_on_close", waiting_reader_wakes_up_on_close},
    {NULL, NULL},
};

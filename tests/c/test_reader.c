/* Readers: ordered iteration with offsets and timestamps, positions, tailing with timeouts. */
#define _XOPEN_SOURCE 700
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

static bool record_is(const commitlog_record *rec, uint64_t offset, const char *value) {
    return rec->offset == offset && rec->len == strlen(value) &&
           memcmp(rec->data, value, rec->len) == 0;
}

static void iterates_in_order_with_timestamps(const char *tmp) {
    commitlog_log *log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    uint64_t before = now_ms() - timestamp_slack_ms(); /* records carry a coarse clock */
    char value[32];
    for (int i = 0; i < 50; i++) {
        snprintf(value, sizeof value, "record %d", i);
        REQUIRE(append_str(log, value) == (uint64_t)i);
    }
    uint64_t after = now_ms();
    commitlog_reader *reader = NULL;
    REQUIRE_OK(commitlog_reader_open(log, 0, &reader));
    uint64_t last_ts = 0;
    int seen = 0;
    for (;;) {
        commitlog_record rec;
        bool has = false;
        commitlog_status st = commitlog_reader_next(reader, COMMITLOG_NO_WAIT, &rec, &has);
        CHECK_OK(st);
        if (st != COMMITLOG_STATUS_OK || !has) break;
        snprintf(value, sizeof value, "record %d", seen);
        CHECK(record_is(&rec, (uint64_t)seen, value));
        CHECK(rec.timestamp >= before && rec.timestamp <= after);
        CHECK(rec.timestamp >= last_ts);
        last_ts = rec.timestamp;
        seen++;
    }
    CHECK(seen == 50);
    uint64_t pos = 0;
    CHECK_OK(commitlog_reader_position(reader, &pos));
    CHECK(pos == 50);
    /* At the end the reader stays put and yields what is appended later. */
    CHECK(append_str(log, "later") == 50);
    commitlog_record rec;
    bool has = false;
    CHECK_OK(commitlog_reader_next(reader, COMMITLOG_NO_WAIT, &rec, &has));
    CHECK(has && record_is(&rec, 50, "later"));
    commitlog_reader_free(reader);
    commitlog_close(log);
}

static void starts_anywhere_and_survives_reopen(const char *tmp) {
    commitlog_log *log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    const uint8_t *values[] = {(const uint8_t *)"a", (const uint8_t *)"b", (const uint8_t *)"c"};
    size_t lens[] = {1, 1, 1};
    uint64_t first;
    REQUIRE_OK(commitlog_append_batch(log, values, lens, 3, &first));
    commitlog_close(log);
    log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    commitlog_reader *reader = NULL;
    REQUIRE_OK(commitlog_reader_open(log, 1, &reader));
    uint64_t pos = 0;
    CHECK_OK(commitlog_reader_position(reader, &pos));
    CHECK(pos == 1);
    commitlog_record rec;
    bool has = false;
    CHECK_OK(commitlog_reader_next(reader, COMMITLOG_NO_WAIT, &rec, &has));
    CHECK(has && record_is(&rec, 1, "b"));
    CHECK_OK(commitlog_reader_next(reader, COMMITLOG_NO_WAIT, &rec, &has));
    CHECK(has && record_is(&rec, 2, "c"));
    memset(&rec, 0x5A, sizeof rec);
    CHECK_OK(commitlog_reader_next(reader, COMMITLOG_NO_WAIT, &rec, &has));
    CHECK(!has);
    CHECK(rec.offset == 0x5A5A5A5A5A5A5A5Aull); /* untouched without a record */
    commitlog_reader_free(reader);
    commitlog_close(log);
}

static void out_of_range_positions(const char *tmp) {
    commitlog_options o = commitlog_options_default();
    o.max_segment_bytes = 4096;
    commitlog_log *log = open_log(tmp, "log", &o);
    REQUIRE(log != NULL);
    char value[200];
    memset(value, 'x', sizeof value - 1);
    value[sizeof value - 1] = '\0';
    for (int i = 0; i < 60; i++) REQUIRE(append_str(log, value) == (uint64_t)i);
    commitlog_record rec;
    bool has = false;
    /* Beyond the end. */
    commitlog_reader *beyond = NULL;
    REQUIRE_OK(commitlog_reader_open(log, 1000, &beyond));
    CHECK_STATUS(commitlog_reader_next(beyond, COMMITLOG_NO_WAIT, &rec, &has),
                 COMMITLOG_STATUS_OUT_OF_RANGE);
    commitlog_reader_free(beyond);
    /* Below the start after truncate_front dropped the segment under it. */
    commitlog_reader *old = NULL;
    REQUIRE_OK(commitlog_reader_open(log, 0, &old));
    REQUIRE_OK(commitlog_truncate_front(log, 40));
    CHECK_STATUS(commitlog_reader_next(old, COMMITLOG_NO_WAIT, &rec, &has),
                 COMMITLOG_STATUS_OUT_OF_RANGE);
    /* The condition persists, and so does the error (it is not taken for the end of the log). */
    CHECK_STATUS(commitlog_reader_next(old, COMMITLOG_NO_WAIT, &rec, &has),
                 COMMITLOG_STATUS_OUT_OF_RANGE);
    commitlog_reader_free(old);
    commitlog_close(log);
}

struct delayed_append {
    commitlog_log *log;
    unsigned delay_ms;
    const char *value;
};

static void *append_later(void *arg) {
    struct delayed_append *d = arg;
    sleep_ms(d->delay_ms);
    uint64_t off;
    commitlog_append(d->log, (const uint8_t *)d->value, strlen(d->value), &off);
    return NULL;
}

static void tails_with_timeouts(const char *tmp) {
    commitlog_log *log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    commitlog_reader *reader = NULL;
    REQUIRE_OK(commitlog_reader_open(log, 0, &reader));
    commitlog_record rec;
    bool has = true;
    /* Nothing comes: the call waits about its timeout and reports no record. */
    uint64_t t0 = mono_ms();
    CHECK_OK(commitlog_reader_next(reader, 100, &rec, &has));
    CHECK(!has);
    CHECK(mono_ms() - t0 >= 95);
    /* A record appended by another thread while waiting (with a timeout, then forever). */
    struct delayed_append d = {log, 50, "tailed"};
    pthread_t thread;
    REQUIRE(pthread_create(&thread, NULL, append_later, &d) == 0);
    has = false;
    CHECK_OK(commitlog_reader_next(reader, 30000, &rec, &has));
    CHECK(has && record_is(&rec, 0, "tailed"));
    pthread_join(thread, NULL);
    struct delayed_append d2 = {log, 50, "forever"};
    REQUIRE(pthread_create(&thread, NULL, append_later, &d2) == 0);
    has = false;
    CHECK_OK(commitlog_reader_next(reader, COMMITLOG_WAIT_FOREVER, &rec, &has));
    CHECK(has && record_is(&rec, 1, "forever"));
    pthread_join(thread, NULL);
    /* The largest timeout is accepted too (and returns at once when a record is there). */
    CHECK(append_str(log, "present") == 2);
    has = false;
    CHECK_OK(commitlog_reader_next(reader, INT64_MAX, &rec, &has));
    CHECK(has && record_is(&rec, 2, "present"));
    commitlog_reader_free(reader);
    commitlog_close(log);
}

static void read_only_handle_tails_a_writer(const char *tmp) {
    commitlog_log *writer = open_log(tmp, "log", NULL);
    REQUIRE(writer != NULL);
    REQUIRE(append_str(writer, "before") == 0);
    commitlog_options ro = commitlog_options_default();
    ro.read_only = true;
    commitlog_log *reader_log = open_log(tmp, "log", &ro);
    if (reader_log == NULL) {
        commitlog_close(writer);
        return;
    }
    commitlog_reader *reader = NULL;
    REQUIRE_OK(commitlog_reader_open(reader_log, 0, &reader));
    commitlog_record rec;
    bool has = false;
    CHECK_OK(commitlog_reader_next(reader, COMMITLOG_NO_WAIT, &rec, &has));
    CHECK(has && record_is(&rec, 0, "before"));
    /* Appended through the writer handle while the read-only reader waits. */
    struct delayed_append d = {writer, 50, "after"};
    pthread_t thread;
    REQUIRE(pthread_create(&thread, NULL, append_later, &d) == 0);
    has = false;
    CHECK_OK(commitlog_reader_next(reader, 30000, &rec, &has));
    CHECK(has && record_is(&rec, 1, "after"));
    pthread_join(thread, NULL);
    commitlog_reader_free(reader);
    commitlog_close(reader_log);
    commitlog_close(writer);
}

struct closer {
    commitlog_log *log;
};

static void *close_later(void *arg) {
    struct closer *c = arg;
    sleep_ms(100);
    commitlog_close(c->log);
    return NULL;
}

static void waiting_reader_wakes_up_on_close(const char *tmp) {
    commitlog_log *log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    commitlog_reader *reader = NULL;
    REQUIRE_OK(commitlog_reader_open(log, 0, &reader));
    struct closer c = {log};
    pthread_t thread;
    REQUIRE(pthread_create(&thread, NULL, close_later, &c) == 0);
    commitlog_record rec;
    bool has = false;
    CHECK_STATUS(commitlog_reader_next(reader, COMMITLOG_WAIT_FOREVER, &rec, &has),
                 COMMITLOG_STATUS_CLOSED);
    pthread_join(thread, NULL);
    commitlog_reader_free(reader);
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

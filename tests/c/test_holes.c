/* Holes (damaged records that keep their offset), the recovery report and repair. */
#define _XOPEN_SOURCE 700
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* 100 records of 100 bytes (128 with the record header) in 4 KiB segments: 31 records a
 * segment, so segments start at offsets 0, 31, 62 and 93. */
enum { RECORDS = 100, VALUE_LEN = 100, RECORD_LEN = 128, STORE_HEADER = 32, PER_SEGMENT = 31 };

static segmentlog_options small_segments(void) {
    segmentlog_options o = segmentlog_options_default();
    o.max_segment_bytes = 4096;
    o.max_index_bytes = 4096;
    return o;
}

static void value_of(uint64_t offset, uint8_t *out) {
    memset(out, 'a' + (int)(offset % 26), VALUE_LEN);
    snprintf((char *)out, VALUE_LEN, "record %llu", (unsigned long long)offset);
}

/* Writes RECORDS records into tmp/name and closes the log. */
static bool write_log(const char *tmp, const char *name) {
    segmentlog_options o = small_segments();
    segmentlog_log *log = open_log(tmp, name, &o);
    if (log == NULL) return false;
    bool ok = true;
    for (uint64_t i = 0; i < RECORDS && ok; i++) {
        uint8_t value[VALUE_LEN];
        value_of(i, value);
        uint64_t off = UINT64_MAX;
        ok = segmentlog_append(log, value, VALUE_LEN, &off) == SEGMENTLOG_STATUS_OK && off == i;
    }
    segmentlog_close(log);
    return ok;
}

/* Flips one byte in the middle of the value of record `offset` (in the segment at `base`). */
static bool flip_byte(const char *dir, uint64_t base, uint64_t offset) {
    char store[PATH_MAX];
    snprintf(store, sizeof store, "%s/%020llu.store", dir, (unsigned long long)base);
    const long at = STORE_HEADER + (long)(offset - base) * RECORD_LEN + 28 + VALUE_LEN / 2;
    return xor_file_byte(store, at, 0x5A);
}

static bool reads_back(segmentlog_log *log, uint64_t offset) {
    uint8_t want[VALUE_LEN], got[VALUE_LEN];
    size_t len = 0;
    value_of(offset, want);
    segmentlog_status st = segmentlog_read(log, offset, got, sizeof got, &len);
    return st == SEGMENTLOG_STATUS_OK && len == VALUE_LEN && memcmp(got, want, len) == 0;
}

/* Runs a reader from 0 to the end; counts records and HOLE statuses, and checks every record. */
static void walk(segmentlog_log *log, bool skip, uint64_t *records, uint64_t *holes,
                 uint64_t *hole_at) {
    *records = *holes = 0;
    segmentlog_reader *reader = NULL;
    REQUIRE_OK(segmentlog_reader_open(log, 0, &reader));
    if (skip) CHECK_OK(segmentlog_reader_set_skip_holes(reader, true));
    for (int steps = 0; steps < 2 * RECORDS; steps++) {
        segmentlog_record rec = {UINT64_MAX, 0, NULL, 0};
        bool has = true;
        segmentlog_status st = segmentlog_reader_next(reader, SEGMENTLOG_NO_WAIT, &rec, &has);
        if (st == SEGMENTLOG_STATUS_HOLE) {
            (*holes)++;
            /* No out-parameter was written. */
            CHECK(rec.offset == UINT64_MAX && has);
            uint64_t pos = 0;
            CHECK_OK(segmentlog_reader_position(reader, &pos));
            *hole_at = pos - 1;
            continue;
        }
        CHECK_OK(st);
        if (st != SEGMENTLOG_STATUS_OK || !has) break;
        uint8_t want[VALUE_LEN];
        value_of(rec.offset, want);
        CHECK(rec.len == VALUE_LEN && memcmp(rec.data, want, VALUE_LEN) == 0);
        (*records)++;
    }
    segmentlog_reader_free(reader);
}

static void hole_is_reported_and_neighbours_read(const char *tmp) {
    char dir[PATH_MAX];
    path_join(dir, tmp, "log");
    REQUIRE(write_log(tmp, "log"));
    REQUIRE(flip_byte(dir, 0, 5));
    segmentlog_options o = small_segments();
    segmentlog_log *log = open_log(tmp, "log", &o);
    REQUIRE(log != NULL);

    uint8_t buf[VALUE_LEN];
    size_t len = 42;
    CHECK_STATUS(segmentlog_read(log, 5, buf, sizeof buf, &len), SEGMENTLOG_STATUS_HOLE);
    CHECK(len == 42);
    CHECK(strstr(last_message(), "offset 5 is a hole") != NULL);
    CHECK(strcmp(segmentlog_status_str(SEGMENTLOG_STATUS_HOLE), "HOLE") == 0);
    CHECK(reads_back(log, 4));
    CHECK(reads_back(log, 6));
    uint64_t next = 0;
    CHECK_OK(segmentlog_next_offset(log, &next));
    CHECK(next == RECORDS);
    /* A multi-get stops at the hole and writes no out-parameter. */
    uint64_t offsets[] = {4, 5, 6};
    size_t lens[3] = {7, 7, 7};
    size_t total = 7;
    uint8_t many[3 * VALUE_LEN];
    CHECK_STATUS(segmentlog_read_many(log, offsets, 3, many, sizeof many, lens, &total),
                 SEGMENTLOG_STATUS_HOLE);
    CHECK(total == 7 && lens[0] == 7);

    /* A reader reports the hole once and goes on after it; skipping passes over it. */
    uint64_t records = 0, holes = 0, hole_at = UINT64_MAX;
    walk(log, false, &records, &holes, &hole_at);
    CHECK(records == RECORDS - 1 && holes == 1 && hole_at == 5);
    walk(log, true, &records, &holes, &hole_at);
    CHECK(records == RECORDS - 1 && holes == 0);
    /* Appends go on at the same next offset. */
    CHECK(append_str(log, "after the hole") == RECORDS);
    segmentlog_close(log);
}

static void skip_holes_can_be_switched_mid_walk(const char *tmp) {
    char dir[PATH_MAX];
    path_join(dir, tmp, "log");
    REQUIRE(write_log(tmp, "log"));
    REQUIRE(flip_byte(dir, 0, 2));
    REQUIRE(flip_byte(dir, 0, 4));
    segmentlog_options o = small_segments();
    segmentlog_log *log = open_log(tmp, "log", &o);
    REQUIRE(log != NULL);
    segmentlog_reader *reader = NULL;
    REQUIRE_OK(segmentlog_reader_open(log, 0, &reader));
    segmentlog_record rec;
    bool has = false;
    CHECK_OK(segmentlog_reader_next(reader, SEGMENTLOG_NO_WAIT, &rec, &has));
    CHECK(has && rec.offset == 0);
    CHECK_OK(segmentlog_reader_next(reader, SEGMENTLOG_NO_WAIT, &rec, &has));
    CHECK(has && rec.offset == 1);
    /* The view of record 1 stays valid across the switch. */
    CHECK_OK(segmentlog_reader_set_skip_holes(reader, true));
    CHECK(rec.len == VALUE_LEN && memcmp(rec.data, "record 1", 9) == 0);
    CHECK_OK(segmentlog_reader_next(reader, SEGMENTLOG_NO_WAIT, &rec, &has));
    CHECK(has && rec.offset == 3);
    CHECK_OK(segmentlog_reader_set_skip_holes(reader, false));
    CHECK_STATUS(segmentlog_reader_next(reader, SEGMENTLOG_NO_WAIT, &rec, &has),
                 SEGMENTLOG_STATUS_HOLE);
    CHECK(strstr(last_message(), "offset 4") != NULL);
    CHECK_OK(segmentlog_reader_next(reader, SEGMENTLOG_NO_WAIT, &rec, &has));
    CHECK(has && rec.offset == 5);
    CHECK_STATUS(segmentlog_reader_set_skip_holes(NULL, true), SEGMENTLOG_STATUS_NULL_ARGUMENT);
    segmentlog_reader_free(reader);
    segmentlog_close(log);
}

/* Finds the first event of `kind` in `report`; false if there is none. */
static bool find_event(const segmentlog_recovery_report *report, segmentlog_recovery_event_kind kind,
                       segmentlog_recovery_event *out) {
    segmentlog_recovery_summary s;
    if (segmentlog_recovery_report_summary(report, &s) != SEGMENTLOG_STATUS_OK) return false;
    for (size_t i = 0; i < s.event_count; i++) {
        segmentlog_recovery_event e;
        if (segmentlog_recovery_report_event(report, i, &e) != SEGMENTLOG_STATUS_OK) return false;
        if (e.kind == kind) {
            *out = e;
            return true;
        }
    }
    return false;
}

/* Checks that `report` names one hole at `offset` in segment `base`. */
static void names_the_hole(const segmentlog_recovery_report *report, uint64_t offset, uint64_t base) {
    segmentlog_recovery_summary s;
    memset(&s, 0x55, sizeof s);
    REQUIRE_OK(segmentlog_recovery_report_summary(report, &s));
    CHECK(s.records_in_holes == 1);
    CHECK(!s.is_clean);
    CHECK(s.bytes_quarantined >= RECORD_LEN);
    CHECK(s.event_count >= 1);
    segmentlog_recovery_event e;
    REQUIRE(find_event(report, SEGMENTLOG_RECOVERY_EVENT_HOLE, &e));
    CHECK(strcmp(e.kind_name, "hole") == 0);
    CHECK(e.segment == base);
    CHECK(e.first_offset == offset && e.end_offset == offset + 1);
    CHECK(e.position == STORE_HEADER + (offset - base) * RECORD_LEN);
    CHECK(e.bytes == RECORD_LEN);
    CHECK(e.has_quarantine_id);
    CHECK(strlen(e.reason) > 0);
    /* Past the last event: refused, nothing written. */
    segmentlog_recovery_event untouched;
    memset(&untouched, 0x55, sizeof untouched);
    CHECK_STATUS(segmentlog_recovery_report_event(report, s.event_count, &untouched),
                 SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    CHECK(untouched.segment == 0x5555555555555555u);
    /* The text: the size protocol, then the summary line and one line per event. */
    size_t need = 0;
    CHECK_STATUS(segmentlog_recovery_report_text(report, NULL, 0, &need),
                 SEGMENTLOG_STATUS_BUFFER_TOO_SMALL);
    REQUIRE(need > 1);
    char *text = malloc(need);
    REQUIRE(text != NULL);
    size_t got = 0;
    CHECK_OK(segmentlog_recovery_report_text(report, text, need, &got));
    CHECK(got == need && strlen(text) == need - 1);
    CHECK(strstr(text, "1 in holes") != NULL);
    CHECK(strstr(text, "hole in segment") != NULL);
    free(text);
}

static void repair_names_the_hole(const char *tmp) {
    char dir[PATH_MAX];
    path_join(dir, tmp, "log");
    REQUIRE(write_log(tmp, "log"));
    REQUIRE(flip_byte(dir, PER_SEGMENT, PER_SEGMENT + 3));

    /* A dry run says what it would do and changes nothing. */
    segmentlog_recovery_report *report = NULL;
    REQUIRE_OK(segmentlog_repair(dir, true, &report));
    segmentlog_recovery_summary s;
    CHECK_OK(segmentlog_recovery_report_summary(report, &s));
    CHECK(s.records_in_holes == 1);
    /* Nothing was put into the quarantine: no item. */
    segmentlog_recovery_event e;
    REQUIRE(find_event(report, SEGMENTLOG_RECOVERY_EVENT_HOLE, &e));
    CHECK(e.first_offset == PER_SEGMENT + 3 && !e.has_quarantine_id && e.quarantine_id == 0);
    segmentlog_recovery_report_free(report);
    char quarantine[PATH_MAX];
    path_join(quarantine, dir, "quarantine");
    CHECK(!path_exists(quarantine));

    /* The repair: the hole is named, its bytes are in the quarantine. */
    report = NULL;
    REQUIRE_OK(segmentlog_repair(dir, false, &report));
    names_the_hole(report, PER_SEGMENT + 3, PER_SEGMENT);
    segmentlog_recovery_report_free(report);
    CHECK(path_exists(quarantine));

    /* Repair takes the writer lock. */
    segmentlog_options o = small_segments();
    segmentlog_log *log = open_log(tmp, "log", &o);
    REQUIRE(log != NULL);
    report = (segmentlog_recovery_report *)0x1;
    CHECK_STATUS(segmentlog_repair(dir, false, &report), SEGMENTLOG_STATUS_LOCKED);
    CHECK(report == (segmentlog_recovery_report *)0x1);
    uint8_t buf[VALUE_LEN];
    size_t len = 0;
    CHECK_STATUS(segmentlog_read(log, PER_SEGMENT + 3, buf, sizeof buf, &len),
                 SEGMENTLOG_STATUS_HOLE);
    CHECK(reads_back(log, PER_SEGMENT + 2) && reads_back(log, PER_SEGMENT + 4));
    uint64_t next = 0;
    CHECK_OK(segmentlog_next_offset(log, &next));
    CHECK(next == RECORDS);
    segmentlog_close(log);

    char missing[PATH_MAX];
    path_join(missing, tmp, "no-such-log");
    report = (segmentlog_recovery_report *)0x1;
    CHECK_STATUS(segmentlog_repair(missing, false, &report), SEGMENTLOG_STATUS_IO);
    CHECK(report == (segmentlog_recovery_report *)0x1);
}

static void open_after_a_crash_reports_the_hole(const char *tmp) {
    char dir[PATH_MAX], clean[PATH_MAX];
    path_join(dir, tmp, "log");
    REQUIRE(write_log(tmp, "log"));
    /* The newest segment (base 93) is scanned by an open after a crash. */
    const uint64_t base = 3 * PER_SEGMENT;
    REQUIRE(flip_byte(dir, base, base + 2));
    path_join(clean, dir, "CLEAN");
    REQUIRE(remove(clean) == 0);

    segmentlog_options o = small_segments();
    segmentlog_log *log = open_log(tmp, "log", &o);
    REQUIRE(log != NULL);
    const segmentlog_recovery_report *report = NULL;
    REQUIRE_OK(segmentlog_get_recovery_report(log, &report));
    REQUIRE(report != NULL);
    const segmentlog_recovery_report *again = NULL;
    CHECK_OK(segmentlog_get_recovery_report(log, &again));
    CHECK(again == report);
    segmentlog_recovery_summary s;
    REQUIRE_OK(segmentlog_recovery_report_summary(report, &s));
    CHECK(!s.clean_shutdown);
    CHECK(s.synced);
    CHECK(s.segments_scanned >= 1);
    names_the_hole(report, base + 2, base);

    uint64_t next = 0;
    CHECK_OK(segmentlog_next_offset(log, &next));
    CHECK(next == RECORDS);
    uint8_t buf[VALUE_LEN];
    size_t len = 0;
    CHECK_STATUS(segmentlog_read(log, base + 2, buf, sizeof buf, &len), SEGMENTLOG_STATUS_HOLE);
    for (uint64_t i = 0; i < RECORDS; i++)
        if (i != base + 2) CHECK(reads_back(log, i));
    segmentlog_close(log);

    /* A clean open has nothing to report. */
    log = open_log(tmp, "log", &o);
    REQUIRE(log != NULL);
    REQUIRE_OK(segmentlog_get_recovery_report(log, &report));
    REQUIRE_OK(segmentlog_recovery_report_summary(report, &s));
    CHECK(s.clean_shutdown && s.is_clean);
    CHECK(s.records_in_holes == 0 && s.records_cut == 0 && s.bytes_quarantined == 0);
    segmentlog_close(log);
}

static void report_nulls(const char *tmp) {
    segmentlog_log *log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    const segmentlog_recovery_report *report = NULL;
    CHECK_STATUS(segmentlog_get_recovery_report(NULL, &report), SEGMENTLOG_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(segmentlog_get_recovery_report(log, NULL), SEGMENTLOG_STATUS_NULL_ARGUMENT);
    REQUIRE_OK(segmentlog_get_recovery_report(log, &report));
    segmentlog_recovery_summary s;
    segmentlog_recovery_event e;
    size_t len = 0;
    char buf[8];
    CHECK_STATUS(segmentlog_recovery_report_summary(NULL, &s), SEGMENTLOG_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(segmentlog_recovery_report_summary(report, NULL), SEGMENTLOG_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(segmentlog_recovery_report_event(NULL, 0, &e), SEGMENTLOG_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(segmentlog_recovery_report_event(report, 0, NULL), SEGMENTLOG_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(segmentlog_recovery_report_text(NULL, buf, sizeof buf, &len),
                 SEGMENTLOG_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(segmentlog_recovery_report_text(report, NULL, sizeof buf, &len),
                 SEGMENTLOG_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(segmentlog_recovery_report_text(report, buf, sizeof buf, NULL),
                 SEGMENTLOG_STATUS_NULL_ARGUMENT);
    char dir[PATH_MAX];
    path_join(dir, tmp, "log");
    segmentlog_recovery_report *owned = NULL;
    CHECK_STATUS(segmentlog_repair(NULL, false, &owned), SEGMENTLOG_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(segmentlog_repair(dir, false, NULL), SEGMENTLOG_STATUS_NULL_ARGUMENT);
    segmentlog_recovery_report_free(NULL);
    segmentlog_close(log);
}

const test_case hole_tests[] = {
    {"hole_is_reported_and_neighbours_read", hole_is_reported_and_neighbours_read},
    {"hole_skip_can_be_switched_mid_walk", skip_holes_can_be_switched_mid_walk},
    {"hole_repair_names_it", repair_names_the_hole},
    {"hole_open_after_a_crash_reports_it", open_after_a_crash_reports_the_hole},
    {"hole_report_nulls", report_nulls},
    {NULL, NULL},
};

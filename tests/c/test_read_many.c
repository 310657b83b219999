/* segmentlog_read_many: the multi-get. The same bytes as segmentlog_read across segments (repeats
 * included), count 0, the BUFFER_TOO_SMALL protocol over all the values, the first failing
 * offset's status with nothing written, a read-only handle. (NULLs are in test_nulls.c; huge
 * counts in misuse/misuse.c; a closed log, which C cannot reach without using a released
 * handle, in the Rust unit test of ffi/src/log.rs.) */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define SENTINEL ((size_t)0x5A5A5A5A)

/* Value i: (i * 37) % 211 bytes (so some are empty), byte j = i * 31 + j. */
static size_t value_len(uint64_t i) { return (size_t)((i * 37u) % 211u); }
static void fill_value(uint64_t i, uint8_t *out) {
    for (size_t j = 0; j < value_len(i); j++) out[j] = (uint8_t)(i * 31u + j);
}

/* A log of `n` values in small segments (4 KiB), in tmp/name. */
static segmentlog_log *open_filled(const char *tmp, const char *name, uint64_t n) {
    segmentlog_options o = segmentlog_options_default();
    o.max_segment_bytes = 4096;
    segmentlog_log *log = open_log(tmp, name, &o);
    if (log == NULL) return NULL;
    uint8_t value[256];
    for (uint64_t i = 0; i < n; i++) {
        fill_value(i, value);
        uint64_t off = UINT64_MAX;
        segmentlog_status st = segmentlog_append(log, value, value_len(i), &off);
        if (st != SEGMENTLOG_STATUS_OK || off != i) {
            harness_fail_status(__FILE__, __LINE__, "segmentlog_append", st, SEGMENTLOG_STATUS_OK);
            segmentlog_close(log);
            return NULL;
        }
    }
    return log;
}

static int count_stores(const char *tmp, const char *name) {
    char dir[PATH_MAX];
    path_join(dir, tmp, name);
    DIR *d = opendir(dir);
    if (d == NULL) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len > 6 && strcmp(e->d_name + len - 6, ".store") == 0) n++;
    }
    closedir(d);
    return n;
}

/* Checks that buf holds, back to back with lengths lens, the values segmentlog_read gives for
 * offsets; returns the number of mismatches. */
static int compare_with_read(segmentlog_log *log, const uint64_t *offsets, size_t count,
                             const uint8_t *buf, const size_t *lens) {
    int bad = 0;
    size_t at = 0;
    uint8_t one[256];
    for (size_t i = 0; i < count; i++) {
        size_t len = SENTINEL;
        segmentlog_status st = segmentlog_read(log, offsets[i], one, sizeof one, &len);
        if (st != SEGMENTLOG_STATUS_OK || len != lens[i] || memcmp(buf + at, one, len) != 0) {
            if (bad++ < 5)
                fprintf(stderr, "    value %zu (offset %llu) differs from segmentlog_read\n", i,
                        (unsigned long long)offsets[i]);
        }
        at += lens[i];
    }
    return bad;
}

static void same_bytes_as_read_across_segments(const char *tmp) {
    enum { N = 400, COUNT = 1500 };
    segmentlog_log *log = open_filled(tmp, "log", N);
    REQUIRE(log != NULL);
    CHECK(count_stores(tmp, "log") >= 5); /* the offsets below span many segments */
    static uint64_t offsets[COUNT];
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < COUNT; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        offsets[i] = (x >> 33) % N;
        if (i % 7 == 3) offsets[i] = offsets[i - 1]; /* repeats, next to each other */
        if (i % 101 == 50) offsets[i] = offsets[i / 2]; /* and far apart */
    }
    offsets[0] = 0;
    offsets[COUNT - 1] = N - 1;
    offsets[COUNT / 2] = 211; /* empty values (0 and 211) in the middle */
    offsets[COUNT / 2 + 1] = 0;
    size_t want = 0;
    for (size_t i = 0; i < COUNT; i++) want += value_len(offsets[i]);

    /* Ask for the size (lens_out is required with count > 0, and left alone), then read
     * into a buffer of exactly that size (ASan and valgrind see any overrun). */
    size_t *lens = malloc(COUNT * sizeof *lens);
    REQUIRE(lens != NULL);
    for (size_t i = 0; i < COUNT; i++) lens[i] = SENTINEL;
    size_t total = SENTINEL;
    CHECK_STATUS(segmentlog_read_many(log, offsets, COUNT, NULL, 0, lens, &total),
                 SEGMENTLOG_STATUS_BUFFER_TOO_SMALL);
    CHECK(lens[0] == SENTINEL && lens[COUNT - 1] == SENTINEL);
    uint8_t *buf = total == want ? malloc(total) : NULL;
    if (buf == NULL) {
        CHECK(total == want);
        free(lens);
        segmentlog_close(log);
        return;
    }
    size_t total2 = SENTINEL;
    CHECK_OK(segmentlog_read_many(log, offsets, COUNT, buf, total, lens, &total2));
    CHECK(total2 == want);
    size_t sum = 0, wrong = 0;
    for (size_t i = 0; i < COUNT; i++) {
        if (lens[i] != value_len(offsets[i])) wrong++;
        sum += lens[i];
    }
    CHECK(wrong == 0);
    CHECK(sum == want);
    CHECK(compare_with_read(log, offsets, COUNT, buf, lens) == 0);
    /* A larger buffer than needed: the same bytes, nothing written past the total. */
    uint8_t *big = malloc(want + 64);
    REQUIRE(big != NULL);
    memset(big, 0xEE, want + 64);
    CHECK_OK(segmentlog_read_many(log, offsets, COUNT, big, want + 64, lens, &total2));
    CHECK(total2 == want && memcmp(big, buf, want) == 0);
    bool tail_kept = true;
    for (size_t i = want; i < want + 64; i++) tail_kept = tail_kept && big[i] == 0xEE;
    CHECK(tail_kept);
    free(big);
    free(buf);
    free(lens);
    segmentlog_close(log);
}

static void count_zero(const char *tmp) {
    segmentlog_log *log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    /* An empty log, every pointer but log and total_out NULL. */
    size_t total = SENTINEL;
    CHECK_OK(segmentlog_read_many(log, NULL, 0, NULL, 0, NULL, &total));
    CHECK(total == 0);
    REQUIRE(append_str(log, "x") == 0);
    /* Real arrays are neither read nor written with count 0. */
    uint64_t offsets[1] = {UINT64_MAX}; /* would be OUT_OF_RANGE if it were read */
    size_t lens[1] = {SENTINEL};
    uint8_t buf[4] = {0xAA, 0xAA, 0xAA, 0xAA};
    total = SENTINEL;
    CHECK_OK(segmentlog_read_many(log, offsets, 0, buf, sizeof buf, lens, &total));
    CHECK(total == 0 && lens[0] == SENTINEL && buf[0] == 0xAA);
    segmentlog_close(log);
}

static void buffer_too_small_then_exact(const char *tmp) {
    segmentlog_log *log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    REQUIRE(append_str(log, "alpha") == 0);
    REQUIRE(append_str(log, "") == 1);
    REQUIRE(append_str(log, "gamma-gamma") == 2);
    uint64_t offsets[] = {2, 0, 1, 0};
    const size_t want = 11 + 5 + 0 + 5;
    size_t lens[4] = {SENTINEL, SENTINEL, SENTINEL, SENTINEL};
    /* Short by one byte, and short from the first value on: the size needed, lens untouched. */
    size_t short_by[] = {1, want - 5, want};
    uint8_t buf[64];
    for (size_t k = 0; k < sizeof short_by / sizeof short_by[0]; k++) {
        size_t total = SENTINEL;
        CHECK_STATUS(segmentlog_read_many(log, offsets, 4, buf, want - short_by[k], lens, &total),
                     SEGMENTLOG_STATUS_BUFFER_TOO_SMALL);
        CHECK(total == want);
        CHECK(lens[0] == SENTINEL && lens[1] == SENTINEL && lens[2] == SENTINEL &&
              lens[3] == SENTINEL);
    }
    CHECK(strstr(last_message(), "buffer too small") != NULL);
    CHECK(strstr(last_message(), "21") != NULL);
    /* The size asked for works, in a heap buffer of exactly that size. */
    size_t total = SENTINEL;
    CHECK_STATUS(segmentlog_read_many(log, offsets, 4, NULL, 0, lens, &total),
                 SEGMENTLOG_STATUS_BUFFER_TOO_SMALL);
    REQUIRE(total == want);
    uint8_t *exact = malloc(total);
    REQUIRE(exact != NULL);
    size_t total2 = SENTINEL;
    CHECK_OK(segmentlog_read_many(log, offsets, 4, exact, total, lens, &total2));
    CHECK(total2 == want);
    CHECK(lens[0] == 11 && lens[1] == 5 && lens[2] == 0 && lens[3] == 5);
    CHECK(memcmp(exact, "gamma-gammaalphaalpha", want) == 0);
    free(exact);
    /* Only empty values: total 0 fits a NULL buffer. */
    uint64_t empties[] = {1, 1};
    total = SENTINEL;
    CHECK_OK(segmentlog_read_many(log, empties, 2, NULL, 0, lens, &total));
    CHECK(total == 0 && lens[0] == 0 && lens[1] == 0);
    segmentlog_close(log);
}

static void first_failing_offset_writes_nothing(const char *tmp) {
    segmentlog_log *log = open_filled(tmp, "log", 300);
    REQUIRE(log != NULL);
    uint8_t buf[1 << 16];
    size_t lens[5] = {SENTINEL, SENTINEL, SENTINEL, SENTINEL, SENTINEL};
    size_t total = SENTINEL;
    /* Out of range in the middle, with readable offsets before and after it. */
    uint64_t middle[] = {1, 150, 300, 2, 3};
    CHECK_STATUS(segmentlog_read_many(log, middle, 5, buf, sizeof buf, lens, &total),
                 SEGMENTLOG_STATUS_OUT_OF_RANGE);
    CHECK(strstr(last_message(), "out of range") != NULL);
    CHECK(strstr(last_message(), "300") != NULL);
    /* Past the first window of prefetched offsets, and at UINT64_MAX. */
    uint64_t far[40];
    for (size_t i = 0; i < 40; i++) far[i] = i;
    far[37] = UINT64_MAX;
    size_t far_lens[40];
    for (size_t i = 0; i < 40; i++) far_lens[i] = SENTINEL;
    CHECK_STATUS(segmentlog_read_many(log, far, 40, buf, sizeof buf, far_lens, &total),
                 SEGMENTLOG_STATUS_OUT_OF_RANGE);
    bool untouched = true;
    for (size_t i = 0; i < 40; i++) untouched = untouched && far_lens[i] == SENTINEL;
    CHECK(untouched);
    /* A failure takes precedence over BUFFER_TOO_SMALL: no size is reported. */
    CHECK_STATUS(segmentlog_read_many(log, middle, 5, NULL, 0, lens, &total),
                 SEGMENTLOG_STATUS_OUT_OF_RANGE);
    /* Below the lowest offset after whole segments were dropped. */
    REQUIRE_OK(segmentlog_truncate_front(log, 200));
    uint64_t lowest = 0;
    CHECK_OK(segmentlog_lowest_offset(log, &lowest));
    REQUIRE(lowest > 0);
    uint64_t below[] = {250, lowest - 1};
    CHECK_STATUS(segmentlog_read_many(log, below, 2, buf, sizeof buf, lens, &total),
                 SEGMENTLOG_STATUS_OUT_OF_RANGE);
    CHECK(total == SENTINEL);
    CHECK(lens[0] == SENTINEL && lens[1] == SENTINEL && lens[4] == SENTINEL);
    /* The same handle still reads. */
    uint64_t fine[] = {lowest, 299};
    CHECK_OK(segmentlog_read_many(log, fine, 2, buf, sizeof buf, lens, &total));
    CHECK(total == value_len(lowest) + value_len(299));
    CHECK(lens[0] == value_len(lowest) && lens[1] == value_len(299) && lens[2] == SENTINEL);
    segmentlog_close(log);
}

static void read_only_handle(const char *tmp) {
    segmentlog_log *writer = open_filled(tmp, "log", 120);
    REQUIRE(writer != NULL);
    segmentlog_options o = segmentlog_options_default();
    o.read_only = true;
    segmentlog_log *ro = open_log(tmp, "log", &o);
    if (ro == NULL) {
        segmentlog_close(writer);
        return;
    }
    uint64_t offsets[] = {119, 0, 64, 64, 7, 100};
    size_t lens[6];
    uint8_t buf[2048];
    size_t total = SENTINEL;
    CHECK_OK(segmentlog_read_many(ro, offsets, 6, buf, sizeof buf, lens, &total));
    CHECK(compare_with_read(writer, offsets, 6, buf, lens) == 0);
    uint64_t past[] = {3, 120};
    CHECK_STATUS(segmentlog_read_many(ro, past, 2, buf, sizeof buf, lens, &total),
                 SEGMENTLOG_STATUS_OUT_OF_RANGE);
    segmentlog_close(ro);
    segmentlog_close(writer);
}

const test_case read_many_tests[] = {
    {"read_many_same_bytes_as_read_across_segments", same_bytes_as_read_across_segments},
    {"read_many_count_zero", count_zero},
    {"read_many_buffer_too_small_then_exact", buffer_too_small_then_exact},
    {"read_many_first_failing_offset_writes_nothing", first_failing_offset_writes_nothing},
    {"read_many_read_only_handle", read_only_handle},
    {NULL, NULL},
};

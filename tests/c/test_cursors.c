/* Cursors: create at each start, commit and resume, read-only handles, list, delete,
 * NOT_FOUND, NULL arguments, out-parameters untouched on failure. */
#define _XOPEN_SOURCE 700
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

static segmentlog_log *log_of(const char *tmp, int n) {
    segmentlog_log *log = open_log(tmp, "log", NULL);
    if (log == NULL) return NULL;
    char value[32];
    for (int i = 0; i < n; i++) {
        snprintf(value, sizeof value, "record %d", i);
        if (append_str(log, value) != (uint64_t)i) return NULL;
    }
    return log;
}

static void commits_and_resumes(const char *tmp) {
    segmentlog_log *log = log_of(tmp, 10);
    REQUIRE(log != NULL);
    segmentlog_cursor *c = NULL;
    bool created = false;
    REQUIRE_OK(segmentlog_cursor_open(log, "orders", SEGMENTLOG_CURSOR_START_OFFSET, 4, &c,
                                      &created));
    CHECK(created);
    segmentlog_cursor_state st;
    CHECK_OK(segmentlog_cursor_position(c, &st));
    CHECK(st.committed == 4 && st.resume == 4 && st.skipped == 0 && st.lag == 6 &&
          st.commits == 1);

    /* Read from the cursor, process, commit the offset after the last record processed. */
    segmentlog_reader *r = NULL;
    REQUIRE_OK(segmentlog_cursor_reader(c, &r));
    segmentlog_record rec;
    bool has = false;
    CHECK_OK(segmentlog_reader_next(r, SEGMENTLOG_NO_WAIT, &rec, &has));
    CHECK(has && rec.offset == 4);
    CHECK_OK(segmentlog_cursor_commit(c, rec.offset + 1));
    segmentlog_reader_free(r);

    /* A second open finds it (start ignored), also through a read-only handle. */
    segmentlog_cursor *again = NULL;
    created = true;
    REQUIRE_OK(segmentlog_cursor_open(log, "orders", SEGMENTLOG_CURSOR_START_NEXT, 0, &again,
                                      &created));
    CHECK(!created);
    CHECK_OK(segmentlog_cursor_position(again, &st));
    CHECK(st.committed == 5 && st.commits == 2);
    segmentlog_cursor_free(again);

    char dir[PATH_MAX];
    path_join(dir, tmp, "log");
    segmentlog_options ro = segmentlog_options_default();
    ro.read_only = true;
    segmentlog_log *reader_log = NULL;
    REQUIRE_OK(segmentlog_open(dir, &ro, &reader_log));
    segmentlog_cursor *rc = NULL;
    REQUIRE_OK(segmentlog_cursor_open_existing(reader_log, "orders", &rc));
    CHECK_OK(segmentlog_cursor_commit(rc, 9));
    CHECK_OK(segmentlog_cursor_position(c, &st));
    CHECK(st.committed == 9 && st.lag == 1);
    /* Past the next offset: refused, nothing changes. */
    CHECK_STATUS(segmentlog_cursor_commit(rc, 11), SEGMENTLOG_STATUS_OUT_OF_RANGE);
    CHECK_OK(segmentlog_cursor_position(c, &st));
    CHECK(st.committed == 9);
    segmentlog_cursor_free(rc);
    segmentlog_close(reader_log);

    /* Every start kind. */
    struct {
        const char *name;
        segmentlog_cursor_start start;
        uint64_t value;
        uint64_t want;
    } starts[] = {
        {"lowest", SEGMENTLOG_CURSOR_START_LOWEST, 0, 0},
        {"next", SEGMENTLOG_CURSOR_START_NEXT, 0, 10},
        {"time", SEGMENTLOG_CURSOR_START_TIME, 0, 0},
        {"future", SEGMENTLOG_CURSOR_START_TIME, UINT64_MAX, 10},
    };
    for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
        segmentlog_cursor *s = NULL;
        REQUIRE_OK(segmentlog_cursor_open(log, starts[i].name, starts[i].start, starts[i].value,
                                          &s, NULL));
        CHECK_OK(segmentlog_cursor_position(s, &st));
        CHECK(st.committed == starts[i].want);
        segmentlog_cursor_free(s);
    }
    segmentlog_cursor_free(c);
    segmentlog_close(log);
}

static void lists_and_deletes(const char *tmp) {
    segmentlog_log *log = log_of(tmp, 3);
    REQUIRE(log != NULL);
    size_t len = 99;
    CHECK_OK(segmentlog_cursor_list(log, NULL, 0, &len));
    CHECK(len == 0);
    segmentlog_cursor *a = NULL, *b = NULL;
    REQUIRE_OK(segmentlog_cursor_open(log, "b", SEGMENTLOG_CURSOR_START_LOWEST, 0, &b, NULL));
    REQUIRE_OK(segmentlog_cursor_open(log, "a.1", SEGMENTLOG_CURSOR_START_LOWEST, 0, &a, NULL));
    CHECK_STATUS(segmentlog_cursor_list(log, NULL, 0, &len), SEGMENTLOG_STATUS_BUFFER_TOO_SMALL);
    CHECK(len == 6); /* "a.1\0b\0" */
    char names[16];
    memset(names, 'x', sizeof names);
    CHECK_OK(segmentlog_cursor_list(log, names, sizeof names, &len));
    CHECK(len == 6 && memcmp(names, "a.1\0b\0", 6) == 0 && names[6] == 'x');

    CHECK_OK(segmentlog_cursor_delete(log, "a.1"));
    CHECK_STATUS(segmentlog_cursor_delete(log, "a.1"), SEGMENTLOG_STATUS_NOT_FOUND);
    CHECK(strstr(last_message(), "a.1") != NULL);
    /* A handle on a deleted cursor says so; its out-parameters stay untouched. */
    segmentlog_cursor_state st;
    memset(&st, 0x5a, sizeof st);
    CHECK_STATUS(segmentlog_cursor_position(a, &st), SEGMENTLOG_STATUS_NOT_FOUND);
    CHECK(st.committed == 0x5a5a5a5a5a5a5a5aULL);
    CHECK_STATUS(segmentlog_cursor_commit(a, 1), SEGMENTLOG_STATUS_NOT_FOUND);
    segmentlog_cursor *none = (segmentlog_cursor *)&st;
    CHECK_STATUS(segmentlog_cursor_open_existing(log, "a.1", &none), SEGMENTLOG_STATUS_NOT_FOUND);
    CHECK(none == (segmentlog_cursor *)&st);
    CHECK_OK(segmentlog_cursor_list(log, names, sizeof names, &len));
    CHECK(len == 2 && memcmp(names, "b\0", 2) == 0);
    CHECK(strcmp(segmentlog_status_str(SEGMENTLOG_STATUS_NOT_FOUND), "NOT_FOUND") == 0);

    /* Bad names and starts. */
    const char *bad[] = {"", ".hidden", "a/b", "../up", "a b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_STATUS(segmentlog_cursor_open(log, bad[i], SEGMENTLOG_CURSOR_START_LOWEST, 0,
                                            &none, NULL),
                     SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(segmentlog_cursor_open(log, "x", 42, 0, &none, NULL),
                 SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(segmentlog_cursor_open(log, "x", SEGMENTLOG_CURSOR_START_OFFSET, 4, &none, NULL),
                 SEGMENTLOG_STATUS_OUT_OF_RANGE);
    CHECK(none == (segmentlog_cursor *)&st);

    /* After close: CLOSED; the handles must still be freed. */
    segmentlog_close(log);
    CHECK_STATUS(segmentlog_cursor_commit(b, 1), SEGMENTLOG_STATUS_CLOSED);
    segmentlog_cursor_free(a);
    segmentlog_cursor_free(b);
}

/* The auto-commit reader: each next counts the record before as processed, a commit every
 * `every`; segmentlog_reader_commit commits what was returned; plain readers refuse it. */
static void auto_commits(const char *tmp) {
    segmentlog_log *log = log_of(tmp, 10);
    REQUIRE(log != NULL);
    segmentlog_cursor *c = NULL;
    REQUIRE_OK(segmentlog_cursor_open(log, "auto", SEGMENTLOG_CURSOR_START_LOWEST, 0, &c, NULL));
    segmentlog_reader *r = NULL;
    CHECK_STATUS(segmentlog_cursor_auto_reader(c, 0, &r), SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    CHECK(r == NULL);
    REQUIRE_OK(segmentlog_cursor_auto_reader(c, 3, &r));
    segmentlog_record rec;
    bool has = false;
    for (uint64_t want = 0; want <= 6; want++) {
        CHECK_OK(segmentlog_reader_next(r, SEGMENTLOG_NO_WAIT, &rec, &has));
        CHECK(has && rec.offset == want);
    }
    /* Asking for 6 counted 0..=5 as processed: commits at 3 and at 6. */
    segmentlog_cursor_state st;
    CHECK_OK(segmentlog_cursor_position(c, &st));
    CHECK(st.committed == 6 && st.commits == 3);
    /* The reader keeps what it needs of the cursor: free the handle first. */
    segmentlog_cursor_free(c);
    CHECK_OK(segmentlog_reader_commit(r));
    CHECK_OK(segmentlog_reader_commit(r)); /* nothing new: no second commit */
    segmentlog_reader_free(r);

    REQUIRE_OK(segmentlog_cursor_open_existing(log, "auto", &c));
    CHECK_OK(segmentlog_cursor_position(c, &st));
    CHECK(st.committed == 7 && st.commits == 4);
    /* Freed without a commit: the records returned come again (at least once). */
    REQUIRE_OK(segmentlog_cursor_auto_reader(c, 100, &r));
    CHECK_OK(segmentlog_reader_next(r, SEGMENTLOG_NO_WAIT, &rec, &has));
    CHECK(has && rec.offset == 7);
    segmentlog_reader_free(r);
    CHECK_OK(segmentlog_cursor_position(c, &st));
    CHECK(st.committed == 7);

    REQUIRE_OK(segmentlog_cursor_reader(c, &r));
    CHECK_STATUS(segmentlog_reader_commit(r), SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    segmentlog_reader_free(r);
    CHECK_STATUS(segmentlog_reader_commit(NULL), SEGMENTLOG_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(segmentlog_cursor_auto_reader(NULL, 1, &r), SEGMENTLOG_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(segmentlog_cursor_auto_reader(c, 1, NULL), SEGMENTLOG_STATUS_NULL_ARGUMENT);

    /* A commit that fails (log closed) fails the next that is due; nothing is lost. */
    REQUIRE_OK(segmentlog_cursor_auto_reader(c, 1, &r));
    CHECK_OK(segmentlog_reader_next(r, SEGMENTLOG_NO_WAIT, &rec, &has));
    segmentlog_close(log);
    CHECK_STATUS(segmentlog_reader_next(r, SEGMENTLOG_NO_WAIT, &rec, &has),
                 SEGMENTLOG_STATUS_CLOSED);
    CHECK_STATUS(segmentlog_reader_commit(r), SEGMENTLOG_STATUS_CLOSED);
    segmentlog_reader_free(r);
    segmentlog_cursor_free(c);
}

static void cursor_nulls(const char *tmp) {
    segmentlog_log *log = log_of(tmp, 1);
    REQUIRE(log != NULL);
    segmentlog_cursor *c = NULL;
    segmentlog_cursor_state st;
    segmentlog_reader *r = NULL;
    size_t len = 0;
    const segmentlog_status null = SEGMENTLOG_STATUS_NULL_ARGUMENT;
    CHECK_STATUS(segmentlog_cursor_open(NULL, "c", 0, 0, &c, NULL), null);
    CHECK_STATUS(segmentlog_cursor_open(log, NULL, 0, 0, &c, NULL), null);
    CHECK_STATUS(segmentlog_cursor_open(log, "c", 0, 0, NULL, NULL), null);
    CHECK_STATUS(segmentlog_cursor_open_existing(NULL, "c", &c), null);
    CHECK_STATUS(segmentlog_cursor_open_existing(log, NULL, &c), null);
    CHECK_STATUS(segmentlog_cursor_open_existing(log, "c", NULL), null);
    CHECK_STATUS(segmentlog_cursor_position(NULL, &st), null);
    CHECK_STATUS(segmentlog_cursor_commit(NULL, 0), null);
    CHECK_STATUS(segmentlog_cursor_reader(NULL, &r), null);
    CHECK_STATUS(segmentlog_cursor_delete(NULL, "c"), null);
    CHECK_STATUS(segmentlog_cursor_delete(log, NULL), null);
    CHECK_STATUS(segmentlog_cursor_list(NULL, NULL, 0, &len), null);
    CHECK_STATUS(segmentlog_cursor_list(log, NULL, 1, &len), null);
    CHECK_STATUS(segmentlog_cursor_list(log, NULL, 0, NULL), null);
    REQUIRE_OK(segmentlog_cursor_open(log, "c", 0, 0, &c, NULL));
    CHECK_STATUS(segmentlog_cursor_position(c, NULL), null);
    CHECK_STATUS(segmentlog_cursor_reader(c, NULL), null);
    segmentlog_cursor_free(NULL);
    segmentlog_cursor_free(c);
    segmentlog_close(log);
}

const test_case cursor_tests[] = {
    {"cursor_commits_and_resumes", commits_and_resumes},
    {"cursor_lists_and_deletes", lists_and_deletes},
    {"cursor_auto_commits", auto_commits},
    {"cursor_nulls", cursor_nulls},
    {NULL, NULL},
};

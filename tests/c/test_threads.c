/* One segmentlog_log* shared by several pthreads appending (and reading) at once; the last
 * error message is per thread. */
#define _XOPEN_SOURCE 700
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

enum { THREADS = 4, PER_THREAD = 500 };

struct appender {
    segmentlog_log *log;
    int id;
    uint64_t offsets[PER_THREAD];
    int failures;
};

static void *append_many(void *arg) {
    struct appender *a = arg;
    char value[64];
    for (int i = 0; i < PER_THREAD; i++) {
        snprintf(value, sizeof value, "thread %d value %d", a->id, i);
        if (segmentlog_append(a->log, (const uint8_t *)value, strlen(value), &a->offsets[i]) !=
            SEGMENTLOG_STATUS_OK)
            a->failures++;
        /* Reads on the shared handle while others append. */
        size_t len;
        if (i % 50 == 0 && segmentlog_read(a->log, a->offsets[i], NULL, 0, &len) !=
                               SEGMENTLOG_STATUS_BUFFER_TOO_SMALL)
            a->failures++;
    }
    return NULL;
}

static int compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void threads_append_to_one_handle(const char *tmp) {
    segmentlog_log *log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    static struct appender appenders[THREADS];
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++) {
        appenders[t] = (struct appender){.log = log, .id = t};
        REQUIRE(pthread_create(&threads[t], NULL, append_many, &appenders[t]) == 0);
    }
    for (int t = 0; t < THREADS; t++) pthread_join(threads[t], NULL);

    static uint64_t all[THREADS * PER_THREAD];
    char want[64];
    for (int t = 0; t < THREADS; t++) {
        CHECK(appenders[t].failures == 0);
        for (int i = 0; i < PER_THREAD; i++) {
            /* Each thread's values got increasing offsets and read back as written. */
            if (i > 0) CHECK(appenders[t].offsets[i] > appenders[t].offsets[i - 1]);
            snprintf(want, sizeof want, "thread %d value %d", t, i);
            CHECK(value_is(log, appenders[t].offsets[i], want));
            all[t * PER_THREAD + i] = appenders[t].offsets[i];
        }
    }
    /* Together the offsets are exactly 0..N-1: none shared, none skipped. */
    qsort(all, THREADS * PER_THREAD, sizeof all[0], compare_u64);
    for (int i = 0; i < THREADS * PER_THREAD; i++) CHECK(all[i] == (uint64_t)i);
    uint64_t next = 0;
    CHECK_OK(segmentlog_next_offset(log, &next));
    CHECK(next == THREADS * PER_THREAD);
    segmentlog_close(log);
}

struct error_thread {
    segmentlog_log *log;
    segmentlog_status got;
    char message[256];
};

static void *fail_with_null(void *arg) {
    struct error_thread *e = arg;
    e->got = segmentlog_next_offset(e->log, NULL);
    snprintf(e->message, sizeof e->message, "%s", last_message());
    return NULL;
}

static void last_error_is_per_thread(const char *tmp) {
    segmentlog_log *log = open_log(tmp, "log", NULL);
    REQUIRE(log != NULL);
    size_t len;
    CHECK_STATUS(segmentlog_read(log, 7, NULL, 0, &len), SEGMENTLOG_STATUS_OUT_OF_RANGE);
    struct error_thread e = {.log = log};
    pthread_t thread;
    REQUIRE(pthread_create(&thread, NULL, fail_with_null, &e) == 0);
    pthread_join(thread, NULL);
    CHECK(e.got == SEGMENTLOG_STATUS_NULL_ARGUMENT);
    CHECK(strstr(e.message, "offset_out") != NULL);
    /* This thread still has its own message. */
    CHECK(strstr(last_message(), "out of range") != NULL);
    segmentlog_close(log);
}

const test_case thread_tests[] = {
    {"threads_append_to_one_handle", threads_append_to_one_handle},
    {"last_error_is_per_thread", last_error_is_per_thread},
    {NULL, NULL},
};

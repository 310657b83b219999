/* The program of tests/c/cmake-consumer: in the directory argv[1], opens a log, appends three
 * records, reads them back by offset and with a reader, closes it, reopens it and checks that
 * the records are still there. Prints one line; exits 0 only if every step did what it should. */
#include <segmentlog.h>
#include <stdio.h>
#include <string.h>

#define CHECK(call)                                                                            \
    do {                                                                                       \
        segmentlog_status st_ = (call);                                                        \
        if (st_ != SEGMENTLOG_STATUS_OK) {                                                     \
            char msg_[256] = {0};                                                              \
            size_t len_ = 0;                                                                   \
            segmentlog_last_error_message(msg_, sizeof msg_, &len_);                           \
            fprintf(stderr, "consumer: %s failed: %s (%s)\n", #call,                           \
                    segmentlog_status_str((int)st_), msg_);                                    \
            return 1;                                                                          \
        }                                                                                      \
    } while (0)

static const char *const values[] = {"alpha", "beta", "gamma"};

static int run(const char *dir) {
    segmentlog_log *log = NULL;
    CHECK(segmentlog_open(dir, NULL, &log));
    uint64_t first = 0;
    CHECK(segmentlog_next_offset(log, &first));
    for (size_t i = 0; i < 3; i++) {
        uint64_t off = 0;
        CHECK(segmentlog_append(log, (const uint8_t *)values[i], strlen(values[i]), &off));
        if (off != first + i) {
            fprintf(stderr, "consumer: append %zu got offset %llu\n", i, (unsigned long long)off);
            return 1;
        }
    }
    CHECK(segmentlog_sync(log));
    for (size_t i = 0; i < 3; i++) {
        uint8_t buf[16];
        size_t len = 0;
        CHECK(segmentlog_read(log, first + i, buf, sizeof buf, &len));
        if (len != strlen(values[i]) || memcmp(buf, values[i], len) != 0) {
            fprintf(stderr, "consumer: read of offset %zu gave other bytes\n", (size_t)(first + i));
            return 1;
        }
    }
    segmentlog_reader *reader = NULL;
    CHECK(segmentlog_reader_open(log, first, &reader));
    size_t seen = 0;
    for (;;) {
        segmentlog_record rec;
        bool has = false;
        segmentlog_status st = segmentlog_reader_next(reader, SEGMENTLOG_NO_WAIT, &rec, &has);
        if (st != SEGMENTLOG_STATUS_OK || !has) break;
        if (seen >= 3 || rec.len != strlen(values[seen]) || memcmp(rec.data, values[seen], rec.len)) {
            fprintf(stderr, "consumer: the reader gave an unexpected record\n");
            segmentlog_reader_free(reader);
            return 1;
        }
        seen++;
    }
    segmentlog_reader_free(reader);
    segmentlog_close(log);
    if (seen != 3) {
        fprintf(stderr, "consumer: the reader gave %zu records, not 3\n", seen);
        return 1;
    }
    /* Reopened, the log has kept the three records. */
    CHECK(segmentlog_open(dir, NULL, &log));
    uint64_t next = 0;
    CHECK(segmentlog_next_offset(log, &next));
    segmentlog_close(log);
    if (next != first + 3) {
        fprintf(stderr, "consumer: after reopening, next offset %llu, not %llu\n",
                (unsigned long long)next, (unsigned long long)(first + 3));
        return 1;
    }
    printf("consumer: ok (3 records at %llu..%llu)\n", (unsigned long long)first,
           (unsigned long long)(first + 2));
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: consumer LOG_DIR\n");
        return 2;
    }
    return run(argv[1]);
}

/* The cross-language fixture from C: `xlang write DIR N` appends "xlang-{i}" for i in 0..N
 * (default options, from offset 0); `xlang check DIR N` exits 0 iff the log holds exactly those
 * N values. The same as core's `--example xlang`, so each side proves it reads the other's. */
#include <segmentlog.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, segmentlog_status st) {
    char msg[512];
    size_t len = 0;
    if (segmentlog_last_error_message(msg, sizeof msg, &len) != SEGMENTLOG_STATUS_OK) msg[0] = '\0';
    fprintf(stderr, "xlang: %s: %s: %s\n", what, segmentlog_status_str((int)st), msg);
    return 1;
}

static int write_fixture(const char *dir, uint64_t n) {
    segmentlog_log *log = NULL;
    segmentlog_status st = segmentlog_open(dir, NULL, &log);
    if (st != SEGMENTLOG_STATUS_OK) return fail("open", st);
    for (uint64_t i = 0; i < n; i++) {
        char value[32];
        int len = snprintf(value, sizeof value, "xlang-%" PRIu64, i);
        uint64_t off = 0;
        st = segmentlog_append(log, (const uint8_t *)value, (size_t)len, &off);
        if (st != SEGMENTLOG_STATUS_OK || off != i) {
            int rc = st != SEGMENTLOG_STATUS_OK ? fail("append", st) : 1;
            if (st == SEGMENTLOG_STATUS_OK)
                fprintf(stderr, "xlang: value %" PRIu64 " got offset %" PRIu64 "\n", i, off);
            segmentlog_close(log);
            return rc;
        }
    }
    segmentlog_close(log);
    return 0;
}

static int check_fixture(const char *dir, uint64_t n) {
    segmentlog_options opts = segmentlog_options_default();
    opts.read_only = true;
    segmentlog_log *log = NULL;
    segmentlog_status st = segmentlog_open(dir, &opts, &log);
    if (st != SEGMENTLOG_STATUS_OK) return fail("open", st);
    int bad = 0;
    uint64_t lowest = 0, next = 0;
    if ((st = segmentlog_lowest_offset(log, &lowest)) != SEGMENTLOG_STATUS_OK ||
        (st = segmentlog_next_offset(log, &next)) != SEGMENTLOG_STATUS_OK) {
        bad = fail("offsets", st);
    } else if (lowest != 0 || next != n) {
        fprintf(stderr, "xlang: log holds %" PRIu64 "..%" PRIu64 ", expected 0..%" PRIu64 "\n",
                lowest, next, n);
        bad = 1;
    }
    segmentlog_reader *reader = NULL;
    if (!bad && (st = segmentlog_reader_open(log, 0, &reader)) != SEGMENTLOG_STATUS_OK)
        bad = fail("reader_open", st);
    for (uint64_t i = 0; !bad && i < n; i++) {
        segmentlog_record rec;
        bool has = false;
        char want[32];
        int len = snprintf(want, sizeof want, "xlang-%" PRIu64, i);
        st = segmentlog_reader_next(reader, SEGMENTLOG_NO_WAIT, &rec, &has);
        if (st != SEGMENTLOG_STATUS_OK) {
            bad = fail("reader_next", st);
        } else if (!has || rec.offset != i || rec.len != (size_t)len ||
                   memcmp(rec.data, want, rec.len) != 0) {
            fprintf(stderr, "xlang: record %" PRIu64 " is not \"%s\"\n", i, want);
            bad = 1;
        }
    }
    segmentlog_reader_free(reader);
    segmentlog_close(log);
    if (!bad) printf("xlang check (C): %" PRIu64 " records ok\n", n);
    return bad;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: xlang write|check DIR N\n");
        return 2;
    }
    uint64_t n = strtoull(argv[3], NULL, 10);
    if (strcmp(argv[1], "write") == 0) return write_fixture(argv[2], n);
    if (strcmp(argv[1], "check") == 0) return check_fixture(argv[2], n);
    fprintf(stderr, "xlang: unknown command %s\n", argv[1]);
    return 2;
}

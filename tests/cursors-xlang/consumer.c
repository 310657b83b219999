#define _XOPEN_SOURCE 700
/* The C consumer of the cross-language cursor test: the same as consumer.js through the C API.
 * Usage: consumer DIR NAME JOURNAL N K */
#include <segmentlog.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fail(const char *what, segmentlog_status st) {
    char msg[512];
    size_t len = 0;
    if (segmentlog_last_error_message(msg, sizeof msg, &len) != SEGMENTLOG_STATUS_OK) msg[0] = '\0';
    fprintf(stderr, "consumer: %s: %s: %s\n", what, segmentlog_status_str((int)st), msg);
    return 1;
}

/* One write(2) a line, so that a SIGKILL leaves whole lines. */
static int journal_line(int fd, const char *line) {
    size_t len = strlen(line);
    return write(fd, line, len) == (ssize_t)len ? 0 : -1;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: consumer DIR NAME JOURNAL N K\n");
        return 2;
    }
    const char *dir = argv[1], *name = argv[2], *journal = argv[3];
    uint64_t n = strtoull(argv[4], NULL, 10), k = strtoull(argv[5], NULL, 10);
    segmentlog_options opts = segmentlog_options_default();
    opts.read_only = true;
    segmentlog_log *log = NULL;
    segmentlog_status st = segmentlog_open(dir, &opts, &log);
    if (st != SEGMENTLOG_STATUS_OK) return fail("open", st);
    segmentlog_cursor *cursor = NULL;
    st = segmentlog_cursor_open(log, name, SEGMENTLOG_CURSOR_START_LOWEST, 0, &cursor, NULL);
    if (st != SEGMENTLOG_STATUS_OK) return fail("cursor_open", st);
    int fd = open(journal, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd < 0) return perror("journal"), 1;
    segmentlog_cursor_state p;
    st = segmentlog_cursor_position(cursor, &p);
    if (st != SEGMENTLOG_STATUS_OK) return fail("cursor_position", st);
    char line[96];
    snprintf(line, sizeof line, "start %" PRIu64 " %" PRIu64 "\n", p.committed, p.resume);
    if (journal_line(fd, line) != 0) return perror("journal"), 1;
    segmentlog_reader *reader = NULL;
    st = segmentlog_cursor_reader(cursor, &reader);
    if (st != SEGMENTLOG_STATUS_OK) return fail("cursor_reader", st);
    uint64_t processed = 0;
    while (p.committed < n) {
        segmentlog_record rec;
        bool has = false;
        st = segmentlog_reader_next(reader, 1000, &rec, &has);
        if (st != SEGMENTLOG_STATUS_OK) return fail("reader_next", st);
        if (!has) continue;
        snprintf(line, sizeof line, "rec-%" PRIu64, rec.offset);
        if (rec.len != strlen(line) || memcmp(rec.data, line, rec.len) != 0) {
            fprintf(stderr, "consumer: wrong value at %" PRIu64 "\n", rec.offset);
            return 1;
        }
        snprintf(line, sizeof line, "%" PRIu64 "\n", rec.offset);
        if (journal_line(fd, line) != 0) return perror("journal"), 1;
        processed++;
        if (processed % k == 0 || rec.offset + 1 == n) {
            st = segmentlog_cursor_commit(cursor, rec.offset + 1);
            if (st != SEGMENTLOG_STATUS_OK) return fail("cursor_commit", st);
            p.committed = rec.offset + 1;
        }
    }
    close(fd);
    segmentlog_reader_free(reader);
    segmentlog_cursor_free(cursor);
    segmentlog_close(log);
    return 0;
}

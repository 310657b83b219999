/* segmentlog from C: appends a few events to the log in $DEMO_DIR (or argv[1]), reads them back
 * and prints a line. Build: cc demo.c $(pkg-config --cflags --libs segmentlog) */
#include <segmentlog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prints the failed call with the library's message for this thread, and exits. */
static void die(const char *what, segmentlog_status st) {
    char msg[512];
    size_t len = 0;
    if (segmentlog_last_error_message(msg, sizeof msg, &len) != SEGMENTLOG_STATUS_OK)
        strcpy(msg, "(message too long)");
    fprintf(stderr, "%s failed: %s: %s\n", what, segmentlog_status_str((int)st), msg);
    exit(1);
}

#define TRY(call)                                                                              \
    do {                                                                                       \
        segmentlog_status st_ = (call);                                                         \
        if (st_ != SEGMENTLOG_STATUS_OK) die(#call, st_);                                       \
    } while (0)

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : getenv("DEMO_DIR");
    if (dir == NULL) {
        fprintf(stderr, "usage: %s DIR (or set DEMO_DIR)\n", argv[0]);
        return 2;
    }
    segmentlog_log *log = NULL;
    TRY(segmentlog_open(dir, NULL, &log));
    /* What the open found (a crash, damaged records that became holes): lent by the log. */
    const segmentlog_recovery_report *report = NULL;
    segmentlog_recovery_summary recovery;
    TRY(segmentlog_get_recovery_report(log, &report));
    TRY(segmentlog_recovery_report_summary(report, &recovery));
    if (!recovery.is_clean)
        printf("C: recovery took %llu record(s) out as holes and cut %llu\n",
               (unsigned long long)recovery.records_in_holes,
               (unsigned long long)recovery.records_cut);

    enum { N = 3 };
    uint64_t offsets[N];
    for (int i = 0; i < N; i++) {
        char value[64];
        int len = snprintf(value, sizeof value, "event from C #%d", i + 1);
        TRY(segmentlog_append(log, (const uint8_t *)value, (size_t)len, &offsets[i]));
    }
    TRY(segmentlog_sync(log));

    /* Read them back with the BUFFER_TOO_SMALL protocol: ask for the size, then read. */
    printf("C: appended %d records at offsets %llu..%llu:", N, (unsigned long long)offsets[0],
           (unsigned long long)offsets[N - 1]);
    for (int i = 0; i < N; i++) {
        size_t need = 0;
        segmentlog_status st = segmentlog_read(log, offsets[i], NULL, 0, &need);
        if (st != SEGMENTLOG_STATUS_BUFFER_TOO_SMALL && st != SEGMENTLOG_STATUS_OK)
            die("segmentlog_read (size)", st);
        char *buf = malloc(need + 1);
        size_t len = 0;
        TRY(segmentlog_read(log, offsets[i], (uint8_t *)buf, need, &len));
        buf[len] = '\0';
        printf(" \"%s\"", buf);
        free(buf);
    }
    uint64_t lowest = 0, next = 0;
    TRY(segmentlog_lowest_offset(log, &lowest));
    TRY(segmentlog_next_offset(log, &next));
    printf("; the log holds offsets %llu..%llu\n", (unsigned long long)lowest,
           (unsigned long long)next);
    segmentlog_close(log);
    return 0;
}

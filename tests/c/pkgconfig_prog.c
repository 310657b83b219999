/* Built by install-test.sh with only `pkg-config --cflags --libs segmentlog`: appends and reads
 * back one value in the directory given as argv[1]. */
#include <segmentlog.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    segmentlog_log *log = NULL;
    if (segmentlog_open(argv[1], NULL, &log) != SEGMENTLOG_STATUS_OK) return 1;
    uint64_t off = 0;
    char buf[16] = {0};
    size_t len = 0;
    int ok = segmentlog_append(log, (const uint8_t *)"installed", 9, &off) == SEGMENTLOG_STATUS_OK &&
             segmentlog_read(log, off, (uint8_t *)buf, sizeof buf, &len) == SEGMENTLOG_STATUS_OK &&
             len == 9 && memcmp(buf, "installed", 9) == 0;
    segmentlog_close(log);
    printf("pkg-config program: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}

/* Built by install-test.sh with only `pkg-config --cflags --libs commitlog`: appends and reads
 * back one value in the directory given as argv[1]. */
#include <commitlog.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    commitlog_log *log = NULL;
    if (commitlog_open(argv[1], NULL, &log) != COMMITLOG_STATUS_OK) return 1;
    uint64_t off = 0;
    char buf[16] = {0};
    size_t len = 0;
    int ok = commitlog_append(log, (const uint8_t *)"installed", 9, &off) == COMMITLOG_STATUS_OK &&
             commitlog_read(log, off, (uint8_t *)buf, sizeof buf, &len) == COMMITLOG_STATUS_OK &&
             len == 9 && memcmp(buf, "installed", 9) == 0;
    commitlog_close(log);
    printf("pkg-config program: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}

/* segmentlog_open_with_compression: batches stored as frames read back by every handle (the
 * writer, a plain segmentlog_open after close, a read-only handle), the store shrinks, and
 * unknown codecs or levels fail with INVALID_ARGUMENT (NULLs with NULL_ARGUMENT) and leave
 * log_out untouched. */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"

#define N 400

/* A JSON-like event: compressible. */
static size_t event(uint64_t i, char *out, size_t cap) {
    int n = snprintf(out, cap, "{\"id\":%llu,\"kind\":\"click\",\"user\":\"user-%llu\",\"pad\":\"%.*s\"}",
                     (unsigned long long)i, (unsigned long long)(i % 13), (int)(i % 29),
                     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    return n < 0 ? 0 : (size_t)n;
}

/* Bytes of every .store file of tmp/name. */
static long long store_bytes(const char *tmp, const char *name) {
    char dir[PATH_MAX], path[PATH_MAX];
    path_join(dir, tmp, name);
    DIR *d = opendir(dir);
    if (d == NULL) return -1;
    long long total = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len > 6 && strcmp(e->d_name + len - 6, ".store") == 0) {
            struct stat st;
            path_join(path, dir, e->d_name);
            if (stat(path, &st) == 0) total += st.st_size;
        }
    }
    closedir(d);
    return total;
}

/* Appends N events in batches of 40 to a log in tmp/name opened with `compression`. */
static bool write_events(const char *tmp, const char *name, segmentlog_compression compression) {
    char dir[PATH_MAX];
    path_join(dir, tmp, name);
    segmentlog_log *log = NULL;
    segmentlog_status st = segmentlog_open_with_compression(dir, NULL, compression, 0, &log);
    if (st != SEGMENTLOG_STATUS_OK) {
        harness_fail_status(__FILE__, __LINE__, "open_with_compression", st, SEGMENTLOG_STATUS_OK);
        return false;
    }
    static char bufs[40][128];
    const uint8_t *values[40];
    size_t lens[40];
    bool ok = true;
    for (uint64_t b = 0; b < N / 40 && ok; b++) {
        for (size_t k = 0; k < 40; k++) {
            lens[k] = event(b * 40 + k, bufs[k], sizeof bufs[k]);
            values[k] = (const uint8_t *)bufs[k];
        }
        uint64_t first = UINT64_MAX;
        ok = segmentlog_append_batch(log, values, lens, 40, &first) == SEGMENTLOG_STATUS_OK &&
             first == b * 40;
    }
    CHECK(ok);
    segmentlog_close(log);
    return ok;
}

static bool reads_back(segmentlog_log *log) {
    char want[128];
    uint8_t got[128];
    for (uint64_t i = 0; i < N; i++) {
        size_t len = 0, n = event(i, want, sizeof want);
        if (segmentlog_read(log, i, got, sizeof got, &len) != SEGMENTLOG_STATUS_OK || len != n ||
            memcmp(got, want, n) != 0)
            return false;
    }
    return true;
}

static void batches_compress_and_read_back(const char *tmp) {
    REQUIRE(write_events(tmp, "plain", SEGMENTLOG_COMPRESSION_NONE));
    REQUIRE(write_events(tmp, "lz4", SEGMENTLOG_COMPRESSION_LZ4));
    REQUIRE(write_events(tmp, "zstd", SEGMENTLOG_COMPRESSION_ZSTD));
    long long plain = store_bytes(tmp, "plain");
    CHECK(store_bytes(tmp, "lz4") * 2 < plain);
    CHECK(store_bytes(tmp, "zstd") * 3 < plain);
    /* Handles opened without being told the codec read the frames. */
    segmentlog_log *log = open_log(tmp, "zstd", NULL);
    REQUIRE(log != NULL);
    CHECK(reads_back(log));
    segmentlog_close(log);
    segmentlog_options o = segmentlog_options_default();
    o.read_only = true;
    log = open_log(tmp, "lz4", &o);
    REQUIRE(log != NULL);
    CHECK(reads_back(log));
    segmentlog_close(log);
}

static void bad_codec_or_level_fails(const char *tmp) {
    char dir[PATH_MAX];
    path_join(dir, tmp, "bad");
    segmentlog_log *log = (segmentlog_log *)&log;
    segmentlog_log *const sentinel = log;
    CHECK_STATUS(segmentlog_open_with_compression(dir, NULL, 7, 0, &log),
                 SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(segmentlog_open_with_compression(dir, NULL, SEGMENTLOG_COMPRESSION_ZSTD, 23, &log),
                 SEGMENTLOG_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(last_message(), "compression_level") != NULL);
    CHECK(log == sentinel);
    CHECK_STATUS(segmentlog_open_with_compression(NULL, NULL, SEGMENTLOG_COMPRESSION_LZ4, 0, &log),
                 SEGMENTLOG_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(segmentlog_open_with_compression(dir, NULL, SEGMENTLOG_COMPRESSION_LZ4, 0, NULL),
                 SEGMENTLOG_STATUS_NULL_ARGUMENT);
    CHECK(log == sentinel);
}

/* segmentlog_open_with_settings: options by name on top of the struct (later ones win), the
 * ones the struct lacks among them; unknown names and values fail with INVALID_ARGUMENT naming
 * them, NULLs with NULL_ARGUMENT, and log_out stays untouched. */
static void settings_by_name(const char *tmp) {
    char dir[PATH_MAX];
    path_join(dir, tmp, "named");
    segmentlog_options o = segmentlog_options_default();
    o.initial_offset = 5;
    const segmentlog_setting settings[] = {
        {"compression", "zstd"},
        {"compression_level", "9"},
        {"compress_sealed", "false"},
        {"retention_cursor_cap_bytes", "1048576"},
        {"initial_offset", "100"},
    };
    segmentlog_log *log = NULL;
    REQUIRE_OK(segmentlog_open_with_settings(dir, &o, settings, 5, &log));
    CHECK(append_str(log, "first") == 100);
    segmentlog_close(log);
    /* No settings at all: segmentlog_open. */
    REQUIRE_OK(segmentlog_open_with_settings(dir, NULL, NULL, 0, &log));
    CHECK(append_str(log, "second") == 101);
    segmentlog_close(log);

    segmentlog_log *const sentinel = (segmentlog_log *)&log;
    log = sentinel;
    const struct {
        segmentlog_setting setting;
        const char *named;
    } bad[] = {
        {{"no_such_option", "1"}, "no_such_option"},
        {{"compress_sealed", "yes"}, "compress_sealed"},
        {{"compression", "brotli"}, "compression"},
        {{"compression_level", "99"}, "compression_level"},
        {{"max_segment_bytes", "-1"}, "max_segment_bytes"},
        {{"max_segment_bytes", "99999999999999999999999999999999999999999999"}, "max_segment_bytes"},
        {{"sync", "sometimes"}, "sync"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_STATUS(segmentlog_open_with_settings(dir, NULL, &bad[i].setting, 1, &log),
                     SEGMENTLOG_STATUS_INVALID_ARGUMENT);
        CHECK(strstr(last_message(), bad[i].named) != NULL);
    }
    const segmentlog_setting null_value = {"sync", NULL}, null_name = {NULL, "always"};
    CHECK_STATUS(segmentlog_open_with_settings(dir, NULL, NULL, 1, &log),
                 SEGMENTLOG_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(segmentlog_open_with_settings(dir, NULL, &null_value, 1, &log),
                 SEGMENTLOG_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(segmentlog_open_with_settings(dir, NULL, &null_name, 1, &log),
                 SEGMENTLOG_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(segmentlog_open_with_settings(NULL, NULL, NULL, 0, &log),
                 SEGMENTLOG_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(segmentlog_open_with_settings(dir, NULL, NULL, 0, NULL),
                 SEGMENTLOG_STATUS_NULL_ARGUMENT);
    CHECK(log == sentinel);
}

const test_case compression_tests[] = {
    {"settings_by_name", settings_by_name},
    {"batches_compress_and_read_back", batches_compress_and_read_back},
    {"bad_codec_or_level_fails", bad_codec_or_level_fails},
    {NULL, NULL},
};

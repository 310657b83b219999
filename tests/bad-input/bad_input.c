/* The cross-language bad-input table (tests/bad-input/cases.tsv) from C: every case whose last
 * column names `c` must give the status of its kind (`SEGMENTLOG_STATUS_<KIND>`, or OK).
 * C has no negative offsets and no values of the wrong type (its compiler types them), and a
 * closed handle is freed: a read of a closed log is a reader's next record after the close.
 * Every `open` case also runs with its option set by name (segmentlog_open_with_settings,
 * the value as text), where a value of the wrong type is an invalid argument.
 *
 * Usage: bad_input TABLE SCRATCH_DIR (the directory must exist; a log per case goes in it). */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdbool.h>

#include <segmentlog.h>

static int failures = 0;

static segmentlog_status status_of_kind(const char *kind) {
    static const struct {
        const char *kind;
        segmentlog_status status;
    } kinds[] = {
        {"OK", SEGMENTLOG_STATUS_OK},
        {"OUT_OF_RANGE", SEGMENTLOG_STATUS_OUT_OF_RANGE},
        {"INVALID_ARGUMENT", SEGMENTLOG_STATUS_INVALID_ARGUMENT},
        {"CLOSED", SEGMENTLOG_STATUS_CLOSED},
        {"LOCKED", SEGMENTLOG_STATUS_LOCKED},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strcmp(kinds[i].kind, kind) == 0) return kinds[i].status;
    }
    fprintf(stderr, "bad_input: the table names kind %s, which C has no status for\n", kind);
    exit(2);
}

static uint64_t number(const char *text) {
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || text[0] == '-') {
        fprintf(stderr, "bad_input: %s is not an unsigned number C can pass\n", text);
        exit(2);
    }
    return (uint64_t)n;
}

/* One option of the table (Python's names) set in C's options struct. */
static void set_option(segmentlog_options *o, const char *arg) {
    char name[64];
    const char *eq = strchr(arg, '=');
    if (eq == NULL || (size_t)(eq - arg) >= sizeof name) {
        fprintf(stderr, "bad_input: bad option argument %s\n", arg);
        exit(2);
    }
    memcpy(name, arg, (size_t)(eq - arg));
    name[eq - arg] = '\0';
    const char *value = eq + 1;
    if (strcmp(name, "max_segment_bytes") == 0) {
        o->max_segment_bytes = number(value);
    } else if (strcmp(name, "max_open_segments") == 0) {
        o->max_open_segments = number(value);
    } else if (strcmp(name, "initial_offset") == 0) {
        o->initial_offset = number(value);
    } else if (strcmp(name, "sync") == 0) {
        o->sync = SEGMENTLOG_SYNC_INTERVAL;
        o->sync_interval_ms = number(value);
    } else if (strcmp(name, "read_only") == 0) {
        o->read_only = strcmp(value, "true") == 0;
    } else {
        fprintf(stderr, "bad_input: option %s has no C field here\n", name);
        exit(2);
    }
}

/* segmentlog_open_with_settings with the table's one option, name=value (a quoted string
 * loses its quotes). */
static segmentlog_status open_by_name(const char *dir, const char *arg, segmentlog_log **out) {
    char name[64], value[128];
    const char *eq = strchr(arg, '=');
    if (eq == NULL || (size_t)(eq - arg) >= sizeof name || strlen(eq + 1) >= sizeof value) {
        fprintf(stderr, "bad_input: bad option argument %s\n", arg);
        exit(2);
    }
    memcpy(name, arg, (size_t)(eq - arg));
    name[eq - arg] = '\0';
    strcpy(value, eq + 1);
    size_t len = strlen(value);
    if (len >= 2 && value[0] == '"' && value[len - 1] == '"') {
        memmove(value, value + 1, len - 2);
        value[len - 2] = '\0';
    }
    const segmentlog_setting setting = {name, value};
    return segmentlog_open_with_settings(dir, NULL, &setting, 1, out);
}

static int run(const char *dir, const char *setup, const char *op, const char *arg,
               bool by_name) {
    segmentlog_log *log = NULL;
    segmentlog_reader *reader = NULL;
    segmentlog_status st;
    uint64_t off = 0;
    if (strcmp(setup, "none") != 0) {
        if (segmentlog_open(dir, NULL, &log) != SEGMENTLOG_STATUS_OK) return -1;
        for (const char *v = "abc"; *v; v++) {
            if (segmentlog_append(log, (const uint8_t *)v, 1, &off) != SEGMENTLOG_STATUS_OK)
                return -1;
        }
        if (strcmp(setup, "closed") == 0) {
            if (segmentlog_reader_open(log, 0, &reader) != SEGMENTLOG_STATUS_OK) return -1;
            segmentlog_close(log);
            log = NULL;
        } else if (strcmp(setup, "read_only") == 0) {
            segmentlog_close(log);
            segmentlog_options o = segmentlog_options_default();
            o.read_only = true;
            if (segmentlog_open(dir, &o, &log) != SEGMENTLOG_STATUS_OK) return -1;
        }
    }
    uint8_t buf[64];
    size_t len = 0;
    if (strcmp(op, "open") == 0) {
        segmentlog_log *opened = NULL;
        if (by_name) {
            st = open_by_name(dir, arg, &opened);
        } else {
            segmentlog_options o = segmentlog_options_default();
            set_option(&o, arg);
            st = segmentlog_open(dir, &o, &opened);
        }
        segmentlog_close(opened);
    } else if (reader != NULL && strcmp(op, "read") == 0) {
        segmentlog_record rec;
        bool has = false;
        st = segmentlog_reader_next(reader, SEGMENTLOG_NO_WAIT, &rec, &has);
    } else if (strcmp(op, "read") == 0) {
        st = segmentlog_read(log, number(arg), buf, sizeof buf, &len);
    } else if (strcmp(op, "read_many") == 0) {
        uint64_t offsets[8];
        size_t lens[8], n = 0, total = 0;
        char copy[128];
        snprintf(copy, sizeof copy, "%s", arg);
        for (char *t = strtok(copy, ","); t != NULL && n < 8; t = strtok(NULL, ","))
            offsets[n++] = number(t);
        st = segmentlog_read_many(log, offsets, n, buf, sizeof buf, lens, &total);
    } else if (strcmp(op, "truncate_back") == 0) {
        st = segmentlog_truncate_back(log, number(arg));
    } else if (strcmp(op, "truncate_front") == 0) {
        st = segmentlog_truncate_front(log, number(arg));
    } else if (strcmp(op, "append") == 0 && strncmp(arg, "b\"", 2) == 0) {
        st = segmentlog_append(log, (const uint8_t *)arg + 2, strlen(arg) - 3, &off);
    } else {
        fprintf(stderr, "bad_input: operation %s %s has no C form here\n", op, arg);
        exit(2);
    }
    segmentlog_reader_free(reader);
    segmentlog_close(log);
    return st;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: bad_input TABLE SCRATCH_DIR\n");
        return 2;
    }
    FILE *table = fopen(argv[1], "r");
    if (table == NULL) {
        perror(argv[1]);
        return 2;
    }
    char line[1024];
    int cases = 0, named = 0;
    while (fgets(line, sizeof line, table) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0') continue;
        char *fields[6];
        int n = 0;
        for (char *p = line; n < 6; n++) {
            fields[n] = p;
            char *tab = strchr(p, '\t');
            if (tab == NULL) {
                n++;
                break;
            }
            *tab = '\0';
            p = tab + 1;
        }
        if (n != 6) {
            fprintf(stderr, "bad_input: a row without six columns: %s\n", fields[0]);
            return 2;
        }
        char langs[64];
        snprintf(langs, sizeof langs, ",%s,", fields[5]);
        bool by_struct = strstr(langs, ",c,") != NULL;
        for (int by_name = 0; by_name < 2; by_name++) {
            if (by_name ? strcmp(fields[2], "open") != 0 : !by_struct) continue;
            char dir[PATH_MAX];
            snprintf(dir, sizeof dir, "%s/case-%d", argv[2], cases + named);
            if (by_name) {
                named++;
            } else {
                cases++;
            }
            const char *kind = by_name && strcmp(fields[4], "TYPE") == 0 ? "INVALID_ARGUMENT"
                                                                         : fields[4];
            segmentlog_status want = status_of_kind(kind);
            int got = run(dir, fields[1], fields[2], fields[3], by_name);
            if (got != (int)want) {
                char msg[512] = "";
                size_t mlen = 0;
                segmentlog_last_error_message(msg, sizeof msg, &mlen);
                fprintf(stderr, "FAIL %s%s: %s %s gave %s, not %s (%s)\n", fields[0],
                        by_name ? " (by name)" : "", fields[2], fields[3],
                        got < 0 ? "a failed setup" : segmentlog_status_str(got), kind, msg);
                failures++;
            }
        }
    }
    fclose(table);
    if (cases < 15) {
        fprintf(stderr, "bad_input: only %d cases for C in the table\n", cases);
        return 1;
    }
    printf("bad input table (C): %d cases, %d more with the option by name, %d failed\n", cases,
           named, failures);
    return failures == 0 ? 0 : 1;
}

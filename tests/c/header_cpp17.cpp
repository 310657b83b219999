// Compiled with -std=c++17 -Wall -Wextra -Werror -pedantic: the header is clean C++17 and
// declares C linkage.
#include "segmentlog.h"

#include <type_traits>

static_assert(SEGMENTLOG_STATUS_OK == 0, "OK is 0");
static_assert(5 - SEGMENTLOG_WAIT_FOREVER == 6, "the macro is a parenthesized -1");
static_assert(std::is_trivially_copyable<segmentlog_options>::value, "plain struct");
static_assert(std::is_trivially_copyable<segmentlog_record>::value, "plain struct");
static_assert(std::is_trivially_copyable<segmentlog_recovery_summary>::value, "plain struct");
static_assert(std::is_trivially_copyable<segmentlog_recovery_event>::value, "plain struct");
static_assert(SEGMENTLOG_STATUS_HOLE == 10, "HOLE comes after the statuses before it");

int main() {
    segmentlog_options opts = segmentlog_options_default();
    opts.sync = SEGMENTLOG_SYNC_ALWAYS;
    segmentlog_status (*open)(const char *, const segmentlog_options *, segmentlog_log **) =
        &segmentlog_open;
    void (*close)(segmentlog_log *) = &segmentlog_close;
    // A lent report is const: only an owned one (from segmentlog_repair) can be freed.
    segmentlog_status (*lend)(segmentlog_log *, const segmentlog_recovery_report **) =
        &segmentlog_get_recovery_report;
    void (*free_report)(segmentlog_recovery_report *) = &segmentlog_recovery_report_free;
    static_assert(!std::is_convertible<const segmentlog_recovery_report *,
                                       segmentlog_recovery_report *>::value,
                  "a lent report cannot be passed to segmentlog_recovery_report_free");
    (void)lend;
    (void)free_report;
    (void)open;
    (void)close;
    return opts.read_only ? 1 : 0;
}

// Compiled with -std=c++17 -Wall -Wextra -Werror -pedantic: the header is clean C++17 and
// declares C linkage.
#include "commitlog.h"

#include <type_traits>

static_assert(COMMITLOG_STATUS_OK == 0, "OK is 0");
static_assert(5 - COMMITLOG_WAIT_FOREVER == 6, "the macro is a parenthesized -1");
static_assert(std::is_trivially_copyable<commitlog_options>::value, "plain struct");
static_assert(std::is_trivially_copyable<commitlog_record>::value, "plain struct");
static_assert(std::is_trivially_copyable<commitlog_recovery_summary>::value, "plain struct");
static_assert(std::is_trivially_copyable<commitlog_recovery_event>::value, "plain struct");
static_assert(COMMITLOG_STATUS_HOLE == 10, "HOLE comes after the statuses before it");

int main() {
    commitlog_options opts = commitlog_options_default();
    opts.sync = COMMITLOG_SYNC_ALWAYS;
    commitlog_status (*open)(const char *, const commitlog_options *, commitlog_log **) =
        &commitlog_open;
    void (*close)(commitlog_log *) = &commitlog_close;
    // A lent report is const: only an owned one (from commitlog_repair) can be freed.
    commitlog_status (*lend)(commitlog_log *, const commitlog_recovery_report **) =
        &commitlog_get_recovery_report;
    void (*free_report)(commitlog_recovery_report *) = &commitlog_recovery_report_free;
    static_assert(!std::is_convertible<const commitlog_recovery_report *,
                                       commitlog_recovery_report *>::value,
                  "a lent report cannot be passed to commitlog_recovery_report_free");
    (void)lend;
    (void)free_report;
    (void)open;
    (void)close;
    return opts.read_only ? 1 : 0;
}

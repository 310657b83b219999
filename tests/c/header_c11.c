/* Compiled with -std=c11 -Wall -Wextra -Werror -pedantic: the header is clean C11. */
#include "commitlog.h"

#include <assert.h>

static_assert(COMMITLOG_STATUS_OK == 0, "OK is 0");
static_assert(5 - COMMITLOG_WAIT_FOREVER == 6, "the macro is a parenthesized -1");
static_assert(sizeof(commitlog_sync_mode) == 4, "sync mode is a uint32_t");
static_assert(COMMITLOG_STATUS_HOLE == 10, "HOLE comes after the statuses before it");
static_assert(COMMITLOG_STATUS_PANIC == 9, "existing values keep their numbers");
static_assert(sizeof(commitlog_recovery_event_kind) == 4, "event kind is a uint32_t");

int main(void) {
    commitlog_options opts = commitlog_options_default();
    opts.sync = COMMITLOG_SYNC_INTERVAL;
    opts.recovery = COMMITLOG_RECOVERY_STRICT;
    commitlog_record rec = {0, 0, NULL, 0};
    commitlog_status st = COMMITLOG_STATUS_HOLE;
    commitlog_recovery_summary summary = {false, false, true, 0, 0, 0, 0, 0, 0};
    commitlog_recovery_event event = {COMMITLOG_RECOVERY_EVENT_HOLE, "hole", 0, 0, 1, 32, 60,
                                      true, 1, "reason", false};
    const commitlog_recovery_report *lent = NULL;
    commitlog_recovery_report *owned = NULL;
    (void)summary;
    (void)event;
    (void)lent;
    (void)owned;
    (void)rec;
    (void)st;
    return (int)opts.read_only;
}

/* Compiled with -std=c11 -Wall -Wextra -Werror -pedantic: the header is clean C11. */
#include "segmentlog.h"

#include <assert.h>

static_assert(SEGMENTLOG_STATUS_OK == 0, "OK is 0");
static_assert(5 - SEGMENTLOG_WAIT_FOREVER == 6, "the macro is a parenthesized -1");
static_assert(sizeof(segmentlog_sync_mode) == 4, "sync mode is a uint32_t");
static_assert(SEGMENTLOG_STATUS_HOLE == 10, "HOLE comes after the statuses before it");
static_assert(SEGMENTLOG_STATUS_PANIC == 9, "existing values keep their numbers");
static_assert(sizeof(segmentlog_recovery_event_kind) == 4, "event kind is a uint32_t");

int main(void) {
    segmentlog_options opts = segmentlog_options_default();
    opts.sync = SEGMENTLOG_SYNC_INTERVAL;
    opts.recovery = SEGMENTLOG_RECOVERY_STRICT;
    segmentlog_record rec = {0, 0, NULL, 0};
    segmentlog_status st = SEGMENTLOG_STATUS_HOLE;
    segmentlog_recovery_summary summary = {false, false, true, 0, 0, 0, 0, 0, 0};
    segmentlog_recovery_event event = {SEGMENTLOG_RECOVERY_EVENT_HOLE, "hole", 0, 0, 1, 32, 60,
                                      true, 1, "reason", false};
    const segmentlog_recovery_report *lent = NULL;
    segmentlog_recovery_report *owned = NULL;
    (void)summary;
    (void)event;
    (void)lent;
    (void)owned;
    (void)rec;
    (void)st;
    return (int)opts.read_only;
}

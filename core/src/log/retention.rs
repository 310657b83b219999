//! Retention: dropping the oldest sealed segments by size or age; with
//! `Options::retention_cursor_cap_bytes`, not those a named cursor still needs, up to the cap.

use std::sync::Arc;

use super::shared::Shared;
use crate::error::Result;
use crate::platform::now_ms;
use crate::segment::Segment;

impl Shared {
    pub(super) fn apply_retention(&self) -> Result<()> {
        let o = &self.options;
        if o.retention_bytes.is_none() && o.retention_ms.is_none() {
            return Ok(());
        }
        // Read before the segments are locked: a few small files. A cursor that cannot be
        // read (damaged, deleted meanwhile) holds nothing back.
        let hold = o
            .retention_cursor_cap_bytes
            .and_then(|cap| crate::cursor::lowest_committed(&self.dir).map(|floor| (cap, floor)));
        let victims: Vec<Arc<Segment>> = {
            let segs = self.segments.read();
            let mut total: u64 = segs.iter().map(|s| s.end()).sum();
            let now = now_ms();
            let mut n = 0;
            while n + 1 < segs.len() {
                let s = &segs[n];
                let too_big = o.retention_bytes.is_some_and(|max| total > max);
                let too_old = o.retention_ms.is_some_and(|ms| {
                    s.count() > 0
                        && s.timestamp(s.next() - 1)
                            .is_ok_and(|t| t.saturating_add(ms) < now)
                });
                if !(too_big || too_old) {
                    break;
                }
                // A cursor still needs records of this segment (and so of every later one).
                if let Some((cap, floor)) = hold
                    && floor < s.next()
                    && total <= cap
                {
                    break;
                }
                total -= s.end();
                n += 1;
            }
            segs[..n].to_vec()
        };
        self.remove_front(&victims)
    }
}

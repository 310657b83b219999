//! The openraft 0.10 counterpart of `tests/support` (feature `openraft-010`), shared by the 0.10
//! tests and the 0.10 benchmark: the key-value application, the in-process router, cluster
//! helpers. Only openraft's types and traits differ from the 0.9 versions.
#![allow(dead_code)]

pub mod cluster;
pub mod kv;
pub mod router;

/// Small segments (4 KiB), so the logs roll and purges leave partly purged segments.
pub fn tiny_segments() -> segmentlog::Options {
    segmentlog::Options {
        max_segment_bytes: 4096,
        max_index_bytes: 4096,
        ..Default::default()
    }
}

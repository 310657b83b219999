//! Shared by the tests, the example and the benchmark (each includes it with `#[path]`): the
//! key-value application, the in-process router, an in-memory log store, cluster helpers.
#![allow(dead_code)]

pub mod cluster;
pub mod kv;
pub mod mem_log;
pub mod router;

/// Small segments (4 KiB), so the logs roll and purges leave partly purged segments.
pub fn tiny_segments() -> segmentlog::Options {
    segmentlog::Options {
        max_segment_bytes: 4096,
        max_index_bytes: 4096,
        ..Default::default()
    }
}

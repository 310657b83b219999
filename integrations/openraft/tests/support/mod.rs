//! Shared by the tests, the example and the benchmark (each includes it with `#[path]`): the
//! key-value application, the in-process router, an in-memory log store, cluster helpers.
#![allow(dead_code)]

pub mod cluster;
pub mod kv;
pub mod mem_log;
pub mod router;

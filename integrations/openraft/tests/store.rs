//! `LogStore` behaviour the openraft suite does not pin down: persistence across reopen, purges
//! that leave partly purged segments, purges past the end, batches larger than a segment, and
//! recovery of a purge interrupted by a crash.

#[path = "support/mod.rs"]
mod support;

use std::path::Path;

use openraft::storage::{RaftLogReaderExt, RaftLogStorage, RaftLogStorageExt};
use openraft::testing::log_id;
use openraft::{Entry, EntryPayload, LogId, RaftLogReader, Vote};
use segmentlog_openraft::{LogStore, META_FILE};
use support::kv::{Request, TypeConfig};

type Store = LogStore<TypeConfig>;

fn entry(term: u64, index: u64) -> Entry<TypeConfig> {
    Entry {
        log_id: log_id(term, 1, index),
        payload: EntryPayload::Normal(Request::set(format!("k{index}"), "x".repeat(60))),
    }
}

fn entries(term: u64, range: std::ops::Range<u64>) -> Vec<Entry<TypeConfig>> {
    range.map(|i| entry(term, i)).collect()
}

fn open(dir: &Path) -> Store {
    Store::open_with(dir, support::tiny_segments()).expect("open store")
}

async fn indexes(store: &mut Store) -> Vec<u64> {
    store
        .try_get_log_entries(..)
        .await
        .unwrap()
        .iter()
        .map(|e| e.log_id.index)
        .collect()
}

#[tokio::test]
async fn entries_vote_and_committed_survive_close_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(dir.path());
    s.blocking_append(entries(1, 0..50)).await.unwrap();
    s.save_vote(&Vote::new_committed(3, 2)).await.unwrap();
    s.save_committed(Some(log_id(1, 1, 42))).await.unwrap();
    s.close().unwrap();

    let mut s = open(dir.path());
    assert_eq!(
        s.read_vote().await.unwrap(),
        Some(Vote::new_committed(3, 2))
    );
    assert_eq!(s.read_committed().await.unwrap(), Some(log_id(1, 1, 42)));
    assert_eq!(indexes(&mut s).await, (0..50).collect::<Vec<_>>());
    let got = s.try_get_log_entries(10..13).await.unwrap();
    assert_eq!(got, entries(1, 10..13));
}

#[tokio::test]
async fn dropped_without_close_keeps_vote_and_log() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut s = open(dir.path());
        s.blocking_append(entries(1, 0..20)).await.unwrap();
        s.save_vote(&Vote::new(2, 1)).await.unwrap();
        // dropped here, close() never called
    }
    let mut s = open(dir.path());
    assert_eq!(s.read_vote().await.unwrap(), Some(Vote::new(2, 1)));
    assert_eq!(indexes(&mut s).await, (0..20).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_batch_larger_than_a_segment_is_split_and_fully_readable() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(dir.path());
    // ~150 bytes an entry: 300 entries span many 4 KiB segments.
    s.blocking_append(entries(1, 0..300)).await.unwrap();
    assert!(s.log().segments().unwrap().len() > 5);
    assert_eq!(s.try_get_log_entries(..).await.unwrap(), entries(1, 0..300));
    s.close().unwrap();
    let mut s = open(dir.path());
    assert_eq!(s.try_get_log_entries(..).await.unwrap(), entries(1, 0..300));
}

#[tokio::test]
async fn purge_hides_entries_left_in_a_partly_purged_segment() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(dir.path());
    s.blocking_append(entries(1, 0..100)).await.unwrap();
    s.purge(log_id(1, 1, 49)).await.unwrap();
    // The segment holding 49 and 50 still exists, so the log itself still holds 49...
    let lowest = s.log().lowest_offset().unwrap();
    assert!(
        lowest <= 49,
        "test needs a partly purged segment (lowest {lowest})"
    );
    // ...but the store never returns it.
    assert_eq!(indexes(&mut s).await, (50..100).collect::<Vec<_>>());
    assert!(s.try_get_log_entries(0..50).await.unwrap().is_empty());
    assert_eq!(s.try_get_log_entry(49).await.unwrap(), None);
    let state = s.get_log_state().await.unwrap();
    assert_eq!(state.last_purged_log_id, Some(log_id(1, 1, 49)));
    assert_eq!(state.last_log_id, Some(log_id(1, 1, 99)));
    s.close().unwrap();

    let mut s = open(dir.path());
    assert_eq!(indexes(&mut s).await, (50..100).collect::<Vec<_>>());
    assert_eq!(
        s.get_log_state().await.unwrap().last_purged_log_id,
        Some(log_id(1, 1, 49))
    );
}

#[tokio::test]
async fn purge_past_the_end_rebases_the_log_after_the_purged_index() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(dir.path());
    s.blocking_append(entries(1, 0..10)).await.unwrap();
    s.purge(log_id(2, 1, 500)).await.unwrap();
    let state = s.get_log_state().await.unwrap();
    assert_eq!(state.last_purged_log_id, Some(log_id(2, 1, 500)));
    assert_eq!(state.last_log_id, Some(log_id(2, 1, 500)));
    assert!(indexes(&mut s).await.is_empty());
    assert_eq!(s.log().next_offset().unwrap(), 501);

    // An entry that would leave a hole is refused; the next one is accepted.
    assert!(s.blocking_append([entry(2, 502)]).await.is_err());
    s.blocking_append(entries(2, 501..510)).await.unwrap();
    s.close().unwrap();

    let mut s = open(dir.path());
    assert_eq!(indexes(&mut s).await, (501..510).collect::<Vec<_>>());
    assert_eq!(
        s.get_log_state().await.unwrap().last_log_id,
        Some(log_id(2, 1, 509))
    );
}

#[tokio::test]
async fn truncate_drops_the_conflicting_suffix_durably() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(dir.path());
    s.blocking_append(entries(1, 0..30)).await.unwrap();
    s.truncate(log_id(1, 1, 20)).await.unwrap();
    assert_eq!(indexes(&mut s).await, (0..20).collect::<Vec<_>>());
    // A new leader's entries replace the suffix.
    s.blocking_append(entries(2, 20..25)).await.unwrap();
    drop(s);

    let mut s = open(dir.path());
    let all = s.try_get_log_entries(..).await.unwrap();
    let mut want = entries(1, 0..20);
    want.extend(entries(2, 20..25));
    assert_eq!(all, want);
    // Truncating at or past the end changes nothing.
    s.truncate(log_id(2, 1, 25)).await.unwrap();
    assert_eq!(s.try_get_log_entries(..).await.unwrap(), want);
}

/// A crash after the purge marker became durable but before `truncate_front` ran: reopening
/// finishes the purge (here: past the end, so the log must be re-based).
#[tokio::test]
async fn reopen_finishes_a_purge_interrupted_by_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(dir.path());
    s.blocking_append(entries(1, 0..10)).await.unwrap();
    s.save_vote(&Vote::new(1, 1)).await.unwrap();
    s.close().unwrap();

    // Write the marker the way purge() does, without touching the log.
    let meta_path = dir.path().join(META_FILE);
    let mut meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&meta_path).unwrap()).unwrap();
    let purged: LogId<u64> = log_id(1, 1, 40);
    meta["last_purged"] = serde_json::to_value(purged).unwrap();
    std::fs::write(&meta_path, serde_json::to_vec(&meta).unwrap()).unwrap();

    let mut s = open(dir.path());
    assert_eq!(s.log().next_offset().unwrap(), 41);
    assert!(indexes(&mut s).await.is_empty());
    let state = s.get_log_state().await.unwrap();
    assert_eq!(state.last_log_id, Some(purged));
    s.blocking_append(entries(1, 41..43)).await.unwrap();
    assert_eq!(indexes(&mut s).await, vec![41, 42]);
}

#[tokio::test]
async fn a_damaged_metadata_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    open(dir.path()).close().unwrap();
    std::fs::write(dir.path().join(META_FILE), b"{not json").unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    assert!(err.to_string().contains("raft metadata"), "{err}");
}

/// openraft's suite appends from index 1 into an empty store; such a store begins there, also
/// after a reopen (it never purged, so there is no marker to contradict it).
#[tokio::test]
async fn an_empty_store_that_never_purged_may_begin_at_any_index() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(dir.path());
    s.blocking_append(entries(1, 7..12)).await.unwrap();
    assert_eq!(indexes(&mut s).await, (7..12).collect::<Vec<_>>());
    s.close().unwrap();
    let mut s = open(dir.path());
    assert_eq!(indexes(&mut s).await, (7..12).collect::<Vec<_>>());
    let state = s.get_log_state().await.unwrap();
    assert_eq!(state.last_purged_log_id, None);
    assert_eq!(state.last_log_id, Some(log_id(1, 1, 11)));
    // But once it holds entries, a gap is refused.
    assert!(s.blocking_append([entry(1, 13)]).await.is_err());
}

#[tokio::test]
async fn a_damaged_entry_that_was_persisted_makes_open_fail_loudly() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(dir.path());
    s.blocking_append(entries(1, 0..20)).await.unwrap();
    s.close().unwrap();
    // One flipped byte inside the first entry's value, found by the recovery after a crash
    // (no clean-shutdown marker).
    let log_dir = dir.path().join(segmentlog_openraft::LOG_DIR);
    std::fs::remove_file(log_dir.join("CLEAN")).unwrap();
    let store = log_dir.join("00000000000000000000.store");
    let mut bytes = std::fs::read(&store).unwrap();
    bytes[32 + 28 + 5] ^= 0x01;
    std::fs::write(&store, bytes).unwrap();
    match Store::open_with(dir.path(), support::tiny_segments()) {
        Err(segmentlog_openraft::OpenError::Damaged { report, .. }) => {
            assert_eq!(report.records_in_holes(), 1, "{report}");
        }
        other => panic!("opened a store that lost a persisted entry: {other:?}"),
    }
}

#[tokio::test]
async fn a_second_open_is_refused_before_it_touches_the_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(dir.path());
    s.blocking_append(entries(1, 0..5)).await.unwrap();
    // A metadata write in progress (its temp file) must survive a second opener.
    let tmp = dir.path().join(format!("{META_FILE}.tmp"));
    std::fs::write(&tmp, b"in progress").unwrap();
    match Store::open_with(dir.path(), support::tiny_segments()) {
        Err(segmentlog_openraft::OpenError::Log(segmentlog::Error::Locked { .. })) => {}
        other => panic!("a second open of a held store gave {other:?}"),
    }
    assert!(tmp.exists(), "the second opener touched the metadata");
    s.close().unwrap();
}

#[tokio::test]
async fn stats_count_entries_appends_and_the_syncs_that_acknowledged_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(dir.path());
    let before = s.stats();
    s.blocking_append(entries(1, 0..3)).await.unwrap();
    s.blocking_append(entries(1, 3..8)).await.unwrap();
    let st = s.stats().since(&before);
    assert_eq!((st.appends, st.entries), (2, 8));
    assert_eq!(st.entries_per_append(), 4.0);
    // Each append waited for its flush: two sync rounds, one append each, none overlapping.
    assert_eq!((st.flushed_appends, st.flush_syncs), (2, 2));
    assert_eq!(st.appends_per_sync(), 1.0);
    assert_eq!(st.overlapped_appends, 0);
    assert!(
        st.syncs >= 2,
        "every flush round is an fdatasync of the log: {st:?}"
    );
    s.close().unwrap();
}

//! Issue 13, path 3, through the adapter: entries acknowledged, more written but never
//! acknowledged (their sync fails), a roll, the process killed, a restart, one more entry
//! acknowledged, then a power cut. Every entry acknowledged before the kill and after the
//! restart must be there (the old log kept only the entries before the first tear).

#[path = "support/mod.rs"]
mod support;

use std::path::Path;

use openraft::storage::RaftLogStorageExt;
use openraft::testing::log_id;
use openraft::{Entry, EntryPayload, RaftLogReader};
use segmentlog::fault::powercut::{Disk, Variant, image, listing};
use segmentlog_openraft::LogStore;
use support::kv::{Request, TypeConfig};

type Store = LogStore<TypeConfig>;

/// ~400 bytes an entry: ten fill a 4 KiB segment.
fn entry(index: u64) -> Entry<TypeConfig> {
    Entry {
        log_id: log_id(1, 1, index),
        payload: EntryPayload::Normal(Request::set(format!("k{index}"), "v".repeat(330))),
    }
}

fn copy_files(from: &Path, to: &Path) {
    for (name, bytes) in listing(from) {
        std::fs::write(to.join(name), bytes).unwrap();
    }
}

#[tokio::test]
async fn a_power_cut_after_a_kill_and_a_restart_loses_no_acknowledged_entry() {
    let mut images = 0;
    for variant in Variant::ALL {
        for seed in 0..4u64 {
            let first = tempfile::tempdir().unwrap();
            let log_dir = first.path().join(segmentlog_openraft::LOG_DIR);
            // Session 1: ten entries acknowledged.
            let mut s = Store::open_with(first.path(), support::tiny_segments()).unwrap();
            let disk = Disk::install_continuing(&log_dir, &Default::default());
            disk.st.lock().synced = listing(&log_dir);
            disk.st.lock().names = listing(&log_dir).into_keys().collect();
            s.blocking_append((0..10).map(entry)).await.unwrap();
            // Twenty more written, a roll, and the process is killed the moment the segment it
            // sealed is about to be synced: they were never acknowledged, and are in the page
            // cache only.
            // (Written as the adapter writes them, without its flush: nothing waits for a sync.)
            let active = s
                .log()
                .segments()
                .unwrap()
                .last()
                .unwrap()
                .store_path
                .clone();
            disk.st.lock().cut_on_sync_of = Some(active.file_name().unwrap().to_owned());
            for i in 10..30 {
                let _ = s.log().append(&serde_json::to_vec(&entry(i)).unwrap());
            }
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while !disk.st.lock().off && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            let killed = std::mem::take(&mut *disk.st.lock());
            assert!(killed.off, "the sealed segment's sync was reached");
            assert!(killed.at_cut.len() > listing(&log_dir).len() / 2);
            // The killed process's files (its page cache), in a new place.
            let second = tempfile::tempdir().unwrap();
            let log2 = second.path().join(segmentlog_openraft::LOG_DIR);
            std::fs::create_dir(&log2).unwrap();
            for (name, bytes) in &killed.at_cut {
                std::fs::write(log2.join(name), bytes).unwrap();
            }
            copy_files(first.path(), second.path());
            segmentlog::fault::set_hook(None);
            drop(s);
            // Session 2: a restart, and one more entry acknowledged.
            let disk = Disk::install_continuing(&log2, &killed);
            let mut s = Store::open_with(second.path(), support::tiny_segments()).unwrap();
            let next = s.log().next_offset().unwrap();
            s.blocking_append([entry(next)]).await.unwrap();
            // The power goes.
            disk.cut();
            let st = std::mem::take(&mut *disk.st.lock());
            segmentlog::fault::set_hook(None);
            drop(s);
            let img = tempfile::tempdir().unwrap();
            let img_log = img.path().join(segmentlog_openraft::LOG_DIR);
            std::fs::create_dir(&img_log).unwrap();
            copy_files(second.path(), img.path());
            image(&st, variant, seed, &img_log);
            let case = format!("{variant:?} image {seed}");
            let mut s = Store::open_with(img.path(), support::tiny_segments())
                .unwrap_or_else(|e| panic!("{case}: does not open: {e}"));
            let mut want: Vec<u64> = (0..10).collect();
            want.push(next);
            for i in want {
                let got = s.try_get_log_entries(i..i + 1).await.unwrap();
                assert_eq!(got, vec![entry(i)], "{case}: acknowledged entry {i} lost");
            }
            s.close().unwrap();
            images += 1;
        }
    }
    eprintln!("kill, restart, power cut through the adapter: {images} images, 0 entries lost");
}

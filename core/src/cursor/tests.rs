use super::file::*;
use super::*;
use crate::{ErrorKind, Options};

fn slot(seq: u64, position: u64) -> Slot {
    Slot {
        seq,
        position,
        time_ms: 1_700_000_000_000 + seq,
    }
}

/// The file after creation at `first` and commits of `then...`, built the way `CursorFile`
/// writes it.
fn file_after(first: u64, then: &[u64]) -> Vec<u8> {
    let mut bytes = vec![0u8; FILE_LEN];
    bytes[..SLOT_LEN].copy_from_slice(&encode_slot(&slot(1, first)));
    for (i, &p) in then.iter().enumerate() {
        let Contents::Valid { index, .. } = decode_file(&bytes) else {
            panic!("not valid")
        };
        let at = (1 - index) * SLOT_STRIDE;
        bytes[at..at + SLOT_LEN].copy_from_slice(&encode_slot(&slot(i as u64 + 2, p)));
    }
    bytes
}

fn position_in(bytes: &[u8]) -> Option<u64> {
    match decode_file(bytes) {
        Contents::Valid { slot, .. } => Some(slot.position),
        _ => None,
    }
}

#[test]
fn names_are_checked() {
    for ok in ["a", "orders-consumer_1.v2", &"x".repeat(MAX_NAME_LEN)] {
        validate(ok).unwrap();
    }
    for bad in [
        "",
        ".hidden",
        "..",
        "a/b",
        "a\\b",
        "a b",
        "naïve",
        "a\0b",
        &"x".repeat(MAX_NAME_LEN + 1),
    ] {
        let e = validate(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad:?}");
    }
}

#[test]
fn a_slot_round_trips_and_any_changed_byte_invalidates_it() {
    let s = slot(7, 123_456);
    let b = encode_slot(&s);
    assert_eq!(decode_slot(&b), Some(s));
    assert_eq!(decode_slot(&b[..SLOT_LEN - 1]), None);
    for i in 0..44 {
        let mut d = b;
        d[i] ^= 0x01;
        assert_eq!(decode_slot(&d), None, "byte {i}");
    }
    assert_eq!(decode_slot(&[0u8; SLOT_LEN]), None);
}

#[test]
fn the_newest_valid_slot_wins_and_commits_take_turns() {
    let bytes = file_after(3, &[5, 9]);
    assert_eq!(position_in(&bytes), Some(9));
    let Contents::Valid { slot, index } = decode_file(&bytes) else {
        panic!()
    };
    assert_eq!((slot.seq, index), (3, 0));
    assert_eq!(decode_file(&[]), Contents::Uninitialized);
    assert_eq!(decode_file(&[0u8; FILE_LEN]), Contents::Uninitialized);
    assert_eq!(decode_file(&[0u8; 100]), Contents::Uninitialized);
    let mut junk = vec![0u8; FILE_LEN];
    junk[700] = 1;
    assert_eq!(decode_file(&junk), Contents::Corrupt);
}

/// A commit torn at any byte (the write reached only a prefix of the slot, or only a suffix)
/// leaves the old or the new position, never anything else.
#[test]
fn a_torn_commit_leaves_the_old_or_the_new_position() {
    for history in [&[][..], &[5], &[5, 8], &[5, 8, 13]] {
        let before = file_after(2, history);
        let old = position_in(&before).unwrap();
        let Contents::Valid { slot: s, index } = decode_file(&before) else {
            panic!()
        };
        let new_slot = encode_slot(&slot(s.seq + 1, 99));
        let at = (1 - index) * SLOT_STRIDE;
        for cut in 0..=SLOT_LEN {
            for prefix in [true, false] {
                let mut torn = before.clone();
                let range = if prefix { 0..cut } else { cut..SLOT_LEN };
                for i in range {
                    torn[at + i] = new_slot[i];
                }
                let got = position_in(&torn);
                assert!(
                    got == Some(old) || got == Some(99),
                    "history {history:?}, cut {cut} prefix {prefix}: {got:?}"
                );
                if prefix && cut == SLOT_LEN {
                    assert_eq!(got, Some(99));
                }
                if cut == 0 && prefix {
                    assert_eq!(got, Some(old));
                }
            }
        }
    }
}

/// Every byte of the file changed (flipped, zeroed, set) leaves the newest position or the
/// one before: damage to one slot never makes the other unreadable.
#[test]
fn damage_to_any_byte_leaves_the_old_or_the_new_position() {
    let bytes = file_after(2, &[5, 8]);
    for i in 0..FILE_LEN {
        for value in [bytes[i] ^ 0x80, 0x00, 0xff] {
            if value == bytes[i] {
                continue;
            }
            let mut d = bytes.clone();
            d[i] = value;
            let got = position_in(&d);
            assert!(
                got == Some(8) || got == Some(5),
                "byte {i} = {value:#x}: {got:?}"
            );
        }
    }
}

fn log_with(n: u64, o: Options) -> (tempfile::TempDir, Log) {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::open(dir.path(), o).unwrap();
    for i in 0..n {
        log.append(format!("r{i}").as_bytes()).unwrap();
    }
    (dir, log)
}

fn small() -> Options {
    Options {
        max_segment_bytes: 4096,
        max_index_bytes: 4096,
        ..Options::default()
    }
}

#[test]
fn a_cursor_starts_where_asked_and_keeps_its_position_afterwards() {
    let (_dir, log) = log_with(10, Options::default());
    let at = |start| log.cursor("c", start).unwrap();
    let c = at(CursorStart::Offset(4));
    assert!(c.created());
    assert_eq!(c.position().unwrap().committed, 4);
    // An existing cursor ignores the start.
    let again = at(CursorStart::Next);
    assert!(!again.created());
    assert_eq!(again.position().unwrap().committed, 4);
    drop((c, again));
    for (name, start, want) in [
        ("lowest", CursorStart::Lowest, 0),
        ("next", CursorStart::Next, 10),
        ("time0", CursorStart::Time(0), 0),
        ("future", CursorStart::Time(u64::MAX), 10),
    ] {
        assert_eq!(
            log.cursor(name, start)
                .unwrap()
                .position()
                .unwrap()
                .committed,
            want,
            "{name}"
        );
    }
    let e = log.cursor("past", CursorStart::Offset(11)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OutOfRange);
    assert!(log.open_cursor("past").is_err());
}

#[test]
fn commits_are_read_back_by_every_handle_and_the_last_wins() {
    let (dir, log) = log_with(10, Options::default());
    let a = log.cursor("c", CursorStart::Lowest).unwrap();
    let b = log.open_cursor("c").unwrap();
    a.commit(3).unwrap();
    assert_eq!(b.position().unwrap().committed, 3);
    b.commit(7).unwrap();
    a.commit(6).unwrap();
    let p = b.position().unwrap();
    assert_eq!(
        (p.committed, p.resume, p.lag, p.skipped, p.commits),
        (6, 6, 4, 0, 4)
    );
    // Going back is allowed; past the end is not.
    a.commit(1).unwrap();
    assert_eq!(a.commit(11).unwrap_err().kind(), ErrorKind::OutOfRange);
    a.commit(10).unwrap();
    // A read-only handle (no lock on the directory) commits its own position too.
    let reader = Log::open(
        dir.path(),
        Options {
            read_only: true,
            ..Options::default()
        },
    )
    .unwrap();
    let r = reader.open_cursor("c").unwrap();
    assert_eq!(r.position().unwrap().committed, 10);
    r.commit(2).unwrap();
    assert_eq!(a.position().unwrap().committed, 2);
    let rc = reader.cursor("reader", CursorStart::Next).unwrap();
    assert!(rc.created());
    assert_eq!(log.cursor_names().unwrap(), ["c", "reader"]);
}

#[test]
fn iteration_resumes_at_the_committed_position() {
    let (_dir, log) = log_with(5, Options::default());
    let c = log.cursor("c", CursorStart::Lowest).unwrap();
    let mut it = c.iter().unwrap();
    let first = it.next().unwrap().unwrap();
    assert_eq!(first.offset, 0);
    c.commit(first.offset + 1).unwrap();
    drop(it);
    let got: Vec<u64> = c.iter().unwrap().map(|r| r.unwrap().offset).collect();
    assert_eq!(got, [1, 2, 3, 4]);
    // Tailing: the next record arrives after the wait started.
    c.commit(5).unwrap();
    let mut it = c.iter().unwrap();
    assert!(
        it.next_timeout(Some(std::time::Duration::from_millis(10)))
            .unwrap()
            .is_none()
    );
    log.append(b"late").unwrap();
    let rec = it
        .next_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap()
        .unwrap();
    assert_eq!((rec.offset, rec.value.as_slice()), (5, &b"late"[..]));
}

#[test]
fn a_position_below_the_lowest_offset_resumes_at_the_lowest_and_says_so() {
    let (_dir, log) = log_with(0, small());
    let c = log.cursor("slow", CursorStart::Lowest).unwrap();
    for i in 0..200u64 {
        log.append(format!("value {i} {}", "x".repeat(50)).as_bytes())
            .unwrap();
    }
    c.commit(3).unwrap();
    log.truncate_front(100).unwrap();
    let lowest = log.lowest_offset().unwrap();
    assert!(lowest > 3);
    let p = c.position().unwrap();
    assert_eq!((p.committed, p.resume, p.skipped), (3, lowest, lowest - 3));
    assert_eq!(p.lag, 200 - lowest);
    assert_eq!(c.iter().unwrap().next().unwrap().unwrap().offset, lowest);
    // Cut back below the position: it resumes at the new end.
    c.commit(190).unwrap();
    log.truncate_back(150).unwrap();
    let p = c.position().unwrap();
    assert_eq!((p.committed, p.resume, p.skipped, p.lag), (190, 150, 0, 0));
}

#[test]
fn delete_list_and_not_found() {
    let (dir, log) = log_with(3, Options::default());
    assert!(log.cursor_names().unwrap().is_empty());
    let a = log.cursor("a", CursorStart::Lowest).unwrap();
    log.cursor("b", CursorStart::Lowest).unwrap();
    assert_eq!(log.cursor_names().unwrap(), ["a", "b"]);
    log.delete_cursor("a").unwrap();
    assert_eq!(log.cursor_names().unwrap(), ["b"]);
    for e in [
        a.commit(1).unwrap_err(),
        a.position().unwrap_err(),
        log.delete_cursor("a").unwrap_err(),
        log.open_cursor("a").unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
        assert!(
            matches!(e, Error::CursorNotFound { ref name } if name == "a"),
            "{e}"
        );
    }
    assert_eq!(
        log.open_cursor("../x").unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    // A file whose creation never completed (empty) is no cursor, and is created over.
    std::fs::write(dir.path().join("half.cursor"), b"").unwrap();
    assert_eq!(log.cursor_names().unwrap(), ["b"]);
    assert_eq!(
        log.open_cursor("half").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let h = log.cursor("half", CursorStart::Offset(2)).unwrap();
    assert!(h.created());
    assert_eq!(h.position().unwrap().committed, 2);
    // Both slots damaged: corrupt, and commits refuse to guess.
    std::fs::write(dir.path().join("bad.cursor"), vec![0xA5u8; FILE_LEN]).unwrap();
    for e in [
        log.open_cursor("bad").unwrap_err(),
        log.cursor("bad", CursorStart::Lowest).unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
    }
    // Removing the log removes its cursors. (Handles closed first: Windows keeps a file that
    // a handle holds open, and so its directory, until the handle closes.)
    drop((a, h));
    log.remove().unwrap();
    assert!(!dir.path().exists());
}

#[test]
fn a_closed_log_refuses_cursor_calls() {
    let (_dir, log) = log_with(3, Options::default());
    let c = log.cursor("c", CursorStart::Lowest).unwrap();
    log.close().unwrap();
    assert_eq!(c.commit(1).unwrap_err().kind(), ErrorKind::Closed);
    assert_eq!(c.position().unwrap_err().kind(), ErrorKind::Closed);
    assert_eq!(
        log.cursor("d", CursorStart::Lowest).unwrap_err().kind(),
        ErrorKind::Closed
    );
    assert_eq!(log.cursor_names().unwrap_err().kind(), ErrorKind::Closed);
}

#[test]
fn threads_committing_at_once_leave_one_of_their_positions() {
    let (_dir, log) = log_with(100, Options::default());
    let c = std::sync::Arc::new(log.cursor("c", CursorStart::Lowest).unwrap());
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let c = c.clone();
            let other = log.open_cursor("c").unwrap();
            std::thread::spawn(move || {
                for i in 0..25 {
                    c.commit(t * 25 + i).unwrap();
                    other.commit(t * 25 + i).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let p = c.position().unwrap();
    assert_eq!(p.commits, 1 + 200);
    assert!([24, 49, 74, 99].contains(&p.committed), "{}", p.committed);
}

#[test]
fn retention_keeps_what_a_cursor_needs_up_to_the_cap() {
    let seg = 4096u64;
    let open = |dir: &std::path::Path, cap: Option<u64>| {
        let o = Options {
            retention_bytes: Some(3 * seg),
            retention_cursor_cap_bytes: cap,
            ..small()
        };
        Log::open(dir, o).unwrap()
    };
    let fill = |log: &Log, n: u64| {
        for i in 0..n {
            log.append(format!("{i:0200}").as_bytes()).unwrap();
        }
    };
    let bytes = |log: &Log| -> u64 { log.segments().unwrap().iter().map(|s| s.store_bytes).sum() };

    // Without the option retention does not wait: the cursor's records go.
    let plain = tempfile::tempdir().unwrap();
    let log = open(plain.path(), None);
    let c = log.cursor("slow", CursorStart::Lowest).unwrap();
    fill(&log, 150);
    assert!(log.lowest_offset().unwrap() > 0);
    assert!(c.position().unwrap().skipped > 0);

    // With it, everything from the cursor on stays while the log is within the cap...
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), Some(12 * seg));
    let c = log.cursor("slow", CursorStart::Lowest).unwrap();
    fill(&log, 150);
    assert_eq!(log.lowest_offset().unwrap(), 0);
    assert!(bytes(&log) > 6 * seg, "{}", bytes(&log));
    // ...past the cap retention drops it anyway, and the cursor says what it skipped.
    fill(&log, 300);
    let p = c.position().unwrap();
    assert!(
        p.skipped > 0 && p.resume == log.lowest_offset().unwrap(),
        "{p:?}"
    );
    assert!(bytes(&log) <= 13 * seg, "{}", bytes(&log));
    // Once the cursor moves on, retention goes back to its own bound at the next roll.
    c.commit(log.next_offset().unwrap()).unwrap();
    fill(&log, 30);
    assert!(bytes(&log) <= 4 * seg, "{}", bytes(&log));
    // A second cursor further back holds the log again.
    log.cursor("slower", CursorStart::Lowest).unwrap();
    let lowest = log.lowest_offset().unwrap();
    fill(&log, 60);
    assert_eq!(log.lowest_offset().unwrap(), lowest);
}

#[test]
fn auto_commit_commits_what_was_processed_every_n_records() {
    let (_dir, log) = log_with(10, Options::default());
    let c = log.cursor("auto", CursorStart::Lowest).unwrap();
    assert_eq!(
        c.auto_commit(0).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    let mut it = c.auto_commit(3).unwrap();
    let mut seen: Vec<u64> = (0..6).map(|_| it.next().unwrap().unwrap().offset).collect();
    // Record 5 is handed out, not yet processed: 0..=4 count, committed at 3.
    assert_eq!(c.position().unwrap().committed, 3);
    seen.push(it.next().unwrap().unwrap().offset);
    assert_eq!(seen, [0, 1, 2, 3, 4, 5, 6]);
    // Asking for record 6 counted 5 too: committed at 6.
    let p = c.position().unwrap();
    assert_eq!((p.committed, p.commits), (6, 3));
    // Dropping it commits nothing: record 6 may not have been processed.
    drop(it);
    assert_eq!(c.position().unwrap().committed, 6);
    let mut it = c.auto_commit(3).unwrap();
    assert_eq!(it.next().unwrap().unwrap().offset, 6);
    it.commit().unwrap();
    it.commit().unwrap(); // nothing new: no second commit
    let p = c.position().unwrap();
    assert_eq!((p.committed, p.commits), (7, 4));
    // Tailing counts the same way.
    let wait = Some(std::time::Duration::from_millis(10));
    let mut it = c.auto_commit(1).unwrap();
    assert_eq!(it.next_timeout(wait).unwrap().unwrap().offset, 7);
    assert_eq!(it.next_timeout(wait).unwrap().unwrap().offset, 8);
    assert_eq!(c.position().unwrap().committed, 8);
    assert_eq!(it.next_timeout(wait).unwrap().unwrap().offset, 9);
    assert!(it.next_timeout(wait).unwrap().is_none());
    assert_eq!(c.position().unwrap().committed, 10);
}

//! `cursors list|show|set|delete` and the cursors in `info`.

mod common;

use common::*;
use segmentlog::CursorStart;
use serde_json::Value;

#[test]
fn cursors_set_list_show_delete_and_info_shows_the_lag() {
    let dir = tempfile::tempdir().unwrap();
    build_log(dir.path(), 100);
    let out = segmentlog()
        .args(["cursors", "list"])
        .arg(dir.path())
        .assert()
        .success();
    assert!(stdout_of(out.get_output()).contains("has no cursors"));

    // set creates, then moves; `lowest` and `next` name the ends.
    let set = |name: &str, pos: &str| {
        let out = segmentlog()
            .args(["cursors", "set"])
            .arg(dir.path())
            .args([name, pos])
            .assert()
            .success();
        stdout_of(out.get_output())
    };
    assert!(set("billing", "40").contains("\"billing\" created at 40"));
    assert!(set("billing", "70").contains("\"billing\" set at 70"));
    assert!(set("audit", "next").contains("created at 100"));
    assert!(set("audit", "lowest").contains("set at 0"));
    // What the CLI set is what a consumer resumes from.
    let log = open_reader(dir.path());
    let c = log.open_cursor("billing").unwrap();
    assert_eq!(c.position().unwrap().committed, 70);
    log.cursor("web", CursorStart::Next).unwrap();
    drop((c, log));

    let out = segmentlog()
        .args(["cursors", "list"])
        .arg(dir.path())
        .assert()
        .success();
    let text = stdout_of(out.get_output());
    let row = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no row for {name} in\n{text}"))
            .split_whitespace()
            .take(6)
            .collect::<Vec<_>>()
    };
    assert_eq!(row("audit"), ["audit", "0", "0", "100", "0", "2"]);
    assert_eq!(row("billing"), ["billing", "70", "70", "30", "0", "2"]);
    assert_eq!(row("web"), ["web", "100", "100", "0", "0", "1"]);

    let out = segmentlog()
        .args(["cursors", "show", "--json"])
        .arg(dir.path())
        .arg("billing")
        .assert()
        .success();
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(
        (doc["committed"].as_u64(), doc["lag"].as_u64()),
        (Some(70), Some(30))
    );

    let out = segmentlog().arg("info").arg(dir.path()).assert().success();
    let text = stdout_of(out.get_output());
    assert!(text.contains("cursors:     3 cursors"), "{text}");
    assert!(
        text.contains("billing: lag 30 records (committed 70, resumes at 70)"),
        "{text}"
    );
    let doc = info_json(dir.path());
    let lags: Vec<_> = doc["cursors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["lag"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        lags,
        [
            ("audit".into(), 100),
            ("billing".into(), 30),
            ("web".into(), 0)
        ]
    );

    segmentlog()
        .args(["cursors", "delete"])
        .arg(dir.path())
        .arg("web")
        .assert()
        .success();
    for args in [["cursors", "delete"], ["cursors", "show"]] {
        let out = segmentlog()
            .args(args)
            .arg(dir.path())
            .arg("web")
            .assert()
            .code(2);
        let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(err.contains("no cursor named \"web\""), "{err}");
    }
    // Past the end, or a name that is no name: refused, nothing created.
    for (name, pos) in [("billing", "101"), ("new", "x"), ("a/b", "1")] {
        segmentlog()
            .args(["cursors", "set"])
            .arg(dir.path())
            .args([name, pos])
            .assert()
            .code(2);
    }
    let log = open_reader(dir.path());
    assert_eq!(log.cursor_names().unwrap(), ["audit", "billing"]);
    assert_eq!(
        log.open_cursor("billing")
            .unwrap()
            .position()
            .unwrap()
            .committed,
        70
    );
}

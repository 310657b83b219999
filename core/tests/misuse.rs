//! Misuse of the Rust API that must be refused before anything touches the file system.

use segmentlog::{Error, Log, Options};

/// An empty path names no directory: `create_dir_all("")` succeeds and the lock file would
/// land in the current directory. It must be refused up front, leaving no file behind.
#[test]
fn an_empty_directory_path_is_an_invalid_argument_and_creates_nothing() {
    let cwd = tempfile::tempdir().unwrap();
    std::env::set_current_dir(cwd.path()).unwrap();
    for read_only in [false, true] {
        let opts = Options {
            read_only,
            ..Options::default()
        };
        match Log::open("", opts) {
            Err(Error::InvalidArgument(msg)) => assert!(msg.contains("directory"), "{msg}"),
            other => panic!("read_only={read_only}: open(\"\") gave {other:?}"),
        }
    }
    let left: Vec<_> = std::fs::read_dir(cwd.path()).unwrap().collect();
    assert!(
        left.is_empty(),
        "open(\"\") left files in the current directory: {left:?}"
    );
}

//! Which cursor names are allowed: each names a file in the log directory, so no separators,
//! nothing hidden, and the same set of characters on every file system.

use crate::error::{Error, Result};

/// The longest cursor name, in bytes (well under every file system's 255-byte name limit
/// with the `.cursor` ending).
pub const MAX_NAME_LEN: usize = 128;

/// Checks that `name` is 1 to [`MAX_NAME_LEN`] bytes of ASCII letters, digits, `-`, `_` and
/// `.`, not starting with `.`.
pub(crate) fn validate(name: &str) -> Result<()> {
    let why = if name.is_empty() {
        "is empty".to_owned()
    } else if name.len() > MAX_NAME_LEN {
        format!("is longer than {MAX_NAME_LEN} bytes")
    } else if name.starts_with('.') {
        "starts with '.'".to_owned()
    } else if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        "holds a character other than ASCII letters, digits, '-', '_' and '.'".to_owned()
    } else {
        return Ok(());
    };
    Err(Error::InvalidArgument(format!(
        "the cursor name {name:?} {why}"
    )))
}

//! `commitlog repair`: back up, cut the log back to its valid prefix, say what went.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use commitlog::format::{FileKind, file_name, parse_file_name};
use commitlog::options::MIN_FILE_BYTES;
use commitlog::{Error, Log, Options, RecoveryMode};

use crate::args::RepairArgs;
use crate::display::{count, rfc3339_ms};
use crate::open::require_log;
use crate::verify::{check, problem_line, write_report};

/// Returns whether the log is clean afterwards.
pub fn run(args: &RepairArgs, out: &mut dyn Write) -> Result<bool> {
    let dir = &args.dir;
    require_log(dir)?;
    // Measured before anything opens the log for writing (which preallocates the active store).
    let size_before = store_file_bytes(dir)?;
    // Take the writer lock first, so nobody appends while we look, copy and cut. A strict open
    // cuts nothing: damage at the tail of the newest segment makes it fail with `Corrupt`
    // (and release the lock) instead of being cut before the backup is made.
    let held = match Log::open(dir, repair_options(RecoveryMode::Strict)) {
        Ok(log) => Some(log),
        Err(Error::Corrupt { .. }) => None,
        Err(e) => return Err(refusal(dir, e)),
    };

    let report = check(dir, true)?;
    if report.problems.is_empty() {
        if let Some(log) = held {
            log.close()?;
        }
        writeln!(out, "{} is clean: nothing to repair", dir.display())?;
        return Ok(true);
    }
    writeln!(
        out,
        "found {}:",
        count(report.problems.len() as u64, "problem")
    )?;
    for p in &report.problems {
        writeln!(out, "  {}", problem_line(p))?;
    }
    let before_next = match &held {
        Some(log) => log.next_offset()?,
        None => read_only_next(dir)?,
    };

    // Every segment file from the one holding the first bad offset on is changed or deleted
    // by the cut: copy them all.
    let first_damaged = report
        .problems
        .iter()
        .map(|p| p.segment)
        .chain([report.valid_until])
        .min()
        .unwrap_or(report.valid_until);
    let backup = backup_dir(args)?;
    let copied = back_up(dir, &backup, first_damaged)?;
    writeln!(
        out,
        "backed up {} ({} bytes) to {}",
        count(copied.len() as u64, "file"),
        copied.iter().map(|(_, n)| n).sum::<u64>(),
        backup.display()
    )?;

    // A normal open cuts a damaged tail of the newest segment; damage further back is cut by
    // truncate_back at the end of the valid prefix.
    let log = match held {
        Some(log) => log,
        None => Log::open(dir, repair_options(RecoveryMode::TruncateTail))
            .map_err(|e| refusal(dir, e))?,
    };
    if report.valid_until < log.next_offset()? {
        log.truncate_back(report.valid_until).with_context(|| {
            format!(
                "cannot cut {} at offset {}",
                dir.display(),
                report.valid_until
            )
        })?;
    }
    let next = log.next_offset()?;
    log.close()?;

    // An index is a cache of its store: a damaged entry below the cut is fixed by rebuilding
    // the index, which an open does for a segment whose index file is missing (FORMAT.md).
    let stale: BTreeSet<u64> = report
        .problems
        .iter()
        .filter(|p| p.file == "index" && p.offset.unwrap_or(p.segment) < next)
        .map(|p| p.segment)
        .collect();
    if !stale.is_empty() {
        for &base in &stale {
            let path = dir.join(file_name(base, FileKind::Index));
            fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        }
        let log = Log::open(dir, repair_options(RecoveryMode::TruncateTail))
            .map_err(|e| refusal(dir, e))?;
        log.close()?;
        let names: Vec<String> = stale
            .iter()
            .map(|&b| file_name(b, FileKind::Index))
            .collect();
        writeln!(out, "rebuilt from their stores: {}", names.join(", "))?;
    }

    let size_after = store_file_bytes(dir)?;
    let less = size_before.saturating_sub(size_after);
    let sizes = format!("store files {size_before} -> {size_after} bytes ({less} bytes less)");
    if before_next > next {
        let n = count(before_next - next, "record");
        writeln!(out, "removed: offsets {next}..{before_next} ({n}); {sizes}")?;
    } else if less > 0 {
        writeln!(
            out,
            "removed: no complete record, only a damaged tail; {sizes}"
        )?;
    } else {
        writeln!(out, "removed: nothing")?;
    }
    writeln!(out, "the next append gets offset {next}")?;
    let again = check(dir, true)?;
    writeln!(out, "checked again:")?;
    write_report(out, &again)?;
    Ok(again.problems.is_empty())
}

/// Options for repair's own open: the smallest segment sizes, because opening for writing
/// preallocates the active segment to `max_segment_bytes` (never shrinking it), and repair
/// appends nothing: the files stay (nearly) as they were when they are backed up.
fn repair_options(recovery: RecoveryMode) -> Options {
    Options {
        max_segment_bytes: MIN_FILE_BYTES,
        max_index_bytes: MIN_FILE_BYTES,
        recovery,
        ..Options::default()
    }
}

fn read_only_next(dir: &Path) -> Result<u64> {
    let options = Options {
        read_only: true,
        ..Options::default()
    };
    let log = Log::open(dir, options).with_context(|| format!("cannot read {}", dir.display()))?;
    Ok(log.next_offset()?)
}

/// One clear message for a log that cannot be opened for writing.
fn refusal(dir: &Path, e: Error) -> anyhow::Error {
    match e {
        Error::Locked { .. } => anyhow::anyhow!(
            "refusing to repair {}: another process holds its writer lock (stop the writer, then run repair again)",
            dir.display()
        ),
        e => anyhow::Error::new(e).context(format!("cannot open log {}", dir.display())),
    }
}

/// Total size of the store files on disk.
fn store_file_bytes(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for (_, path) in segment_files(dir)? {
        if path
            .extension()
            .is_some_and(|e| e == FileKind::Store.suffix())
        {
            total += fs::metadata(&path)
                .with_context(|| format!("cannot stat {}", path.display()))?
                .len();
        }
    }
    Ok(total)
}

/// The segment files of `dir` with their base offsets, in name (= offset) order.
fn segment_files(dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let entry = entry?;
        if let Some((base, _)) = entry.file_name().to_str().and_then(parse_file_name) {
            files.push((base, entry.path()));
        }
    }
    files.sort();
    Ok(files)
}

/// `--backup`, or `<parent>/<name>.backup-<UTC time>` next to the log.
fn backup_dir(args: &RepairArgs) -> Result<PathBuf> {
    if let Some(b) = &args.backup {
        return Ok(b.clone());
    }
    let abs = std::path::absolute(&args.dir)
        .with_context(|| format!("cannot resolve {}", args.dir.display()))?;
    let name = abs
        .file_name()
        .map_or("log".into(), |n| n.to_string_lossy().into_owned());
    let parent = abs.parent().unwrap_or(Path::new("/"));
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    // 2026-11-25T22:45:15.123Z -> 20261125T224515Z
    let stamp: String = rfc3339_ms(ms)[..19]
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    Ok(parent.join(format!("{name}.backup-{stamp}Z")))
}

/// Copies the segment files whose base offset is at least that of the segment holding
/// `from_offset`, durably, without overwriting anything. Returns (path, bytes) of each copy.
fn back_up(dir: &Path, backup: &Path, from_offset: u64) -> Result<Vec<(PathBuf, u64)>> {
    let mut files = segment_files(dir)?;
    // The segment holding `from_offset` is the one with the largest base at or below it.
    let first_base = files
        .iter()
        .map(|(b, _)| *b)
        .filter(|&b| b <= from_offset)
        .max()
        .unwrap_or(0);
    files.retain(|(b, _)| *b >= first_base);

    fs::create_dir_all(backup)
        .with_context(|| format!("cannot create backup directory {}", backup.display()))?;
    let mut copied = Vec::new();
    for (_, src) in files {
        let dst = backup.join(src.file_name().expect("a listed file has a name"));
        if dst.exists() {
            bail!(
                "backup file {} exists already; choose another --backup directory",
                dst.display()
            );
        }
        let n = fs::copy(&src, &dst)
            .with_context(|| format!("cannot copy {} to {}", src.display(), dst.display()))?;
        fs::File::open(&dst)
            .and_then(|f| f.sync_all())
            .with_context(|| format!("cannot sync {}", dst.display()))?;
        copied.push((dst, n));
    }
    fs::File::open(backup)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot sync {}", backup.display()))?;
    Ok(copied)
}

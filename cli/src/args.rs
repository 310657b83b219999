//! The command line: every subcommand, its options and its `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "segmentlog",
    // Not argv[0]: on Windows that is `segmentlog.exe`, while users (and the examples) type
    // `segmentlog`.
    bin_name = "segmentlog",
    version,
    about = "Inspect, check, repair and feed segmentlog directories",
    long_about = "Inspect, check, repair and feed segmentlog directories.\n\n\
        Works on any log directory written by segmentlog from any language. Reading commands \
        (info, dump, verify, tail, quarantine list, quarantine show) never change a file and \
        may run while another process writes the log.\n\n\
        Nothing is ever deleted by recovery or repair: damaged records become holes (every \
        other record keeps its offset) and whatever is taken out of the log is kept in \
        DIR/quarantine/ until `segmentlog quarantine purge` removes it.\n\n\
        Exit status: 0 success, 1 the log is corrupt (verify, repair), 2 error or bad usage.",
    after_help = "Examples:\n  \
        printf 'a\\nb\\n' | segmentlog append /tmp/mylog\n  \
        segmentlog info /tmp/mylog\n  \
        segmentlog dump /tmp/mylog --from 0 --count 10\n  \
        segmentlog verify /tmp/mylog && echo clean\n  \
        segmentlog repair --dry-run /tmp/mylog"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show segments, offsets, sizes, time range, format version, shutdown state, what an
    /// open would recover and what the quarantine holds.
    #[command(
        long_about = "Show what a log directory holds: segments, offsets, sizes, time range, \
            format version and shutdown state; what an open would find and do now (the log is \
            opened read-only, so this is a plan, nothing is changed; a log closed cleanly is \
            not scanned: `segmentlog verify` reads every record); and how many items and bytes \
            the quarantine holds.\n\nExit status 2 if the first or last record of a segment \
            cannot be read and is not a hole already in the quarantine (after showing \
            everything else).",
        after_help = "Example:\n  segmentlog info /var/lib/app/log\n  \
            segmentlog info --json /var/lib/app/log | jq .next_offset"
    )]
    Info(InfoArgs),

    /// Print records: offset, timestamp (RFC 3339 UTC and ms) and value.
    #[command(
        long_about = "Print records: offset, timestamp (RFC 3339 UTC and ms since the epoch), \
            length and value.\n\nIn text format a value that is printable UTF-8 is shown as \
            `text=...`, any other as `hex=...`. `--format json` prints one JSON object a line \
            with `encoding` \"utf8\" or \"hex\"; `--format hex` always shows hex.\n\n\
            An offset whose record is damaged (a hole) is printed as one line saying so \
            (`offset=N hole count=K segment=S reason=...`, or in JSON `\"hole\": true`) and \
            the dump goes on after it.",
        after_help = "Example:\n  segmentlog dump /var/lib/app/log --from 1000 --count 5\n  \
            segmentlog dump /var/lib/app/log --format json | jq -r .value"
    )]
    Dump(DumpArgs),

    /// Check every checksum and index entry, read-only; exit 1 if an open or repair would
    /// still have something to fix.
    #[command(
        long_about = "Check every record's checksum and every index entry against its store, \
            without changing any file and without taking the writer lock. It runs the same \
            plan an open or `segmentlog repair` would, as a dry run.\n\nEach new problem is \
            printed with its segment, file, byte position, offset and reason, and what an \
            open or repair would do about it. Holes that an earlier open or repair already \
            made (their bytes are in the quarantine) are listed apart as known holes: they \
            are no problem. `--json` gives `problems`, `holes`, `known_holes`, `cut` and \
            every planned or known event.\n\nExit status 0: nothing to fix (known holes \
            are fine); 1: problems an open or repair would fix; 2: could not check. A \
            progress bar is drawn on stderr when it is a terminal.",
        after_help = "Example:\n  segmentlog verify /var/lib/app/log || echo 'run: segmentlog repair'\n  \
            segmentlog verify --json /var/lib/app/log | jq .problems"
    )]
    Verify(VerifyArgs),

    /// Print the last records; with -f, follow records appended by other processes.
    #[command(
        long_about = "Print the last records of the log; with -f keep running and print \
            records as another process appends them (the log is opened read-only, so the \
            writer is not disturbed). Stops quietly when the reader of its output goes away.",
        after_help = "Example:\n  segmentlog tail -n 20 /var/lib/app/log\n  \
            segmentlog tail -f /var/lib/app/log | grep ERROR"
    )]
    Tail(TailArgs),

    /// Append each line of stdin (or each FILE's whole content) as one record.
    #[command(
        long_about = "Append records and print the range of offsets they got.\n\nWithout \
            FILE, each line of standard input becomes one record (the line ending, \\n or \
            \\r\\n, is not part of it). With FILEs, each file's whole content becomes one \
            record, in the order given. The log is created if the directory holds none, and \
            every record is on disk when the command returns.\n\nIf opening the log had to \
            recover anything that loses or moves data (holes, a torn tail, a quarantined \
            segment or header), the recovery report is printed on stderr first.",
        after_help = "Example:\n  printf 'first\\nsecond\\n' | segmentlog append /var/lib/app/log\n  \
            segmentlog append /var/lib/app/log snapshot-1.bin snapshot-2.bin"
    )]
    Append(AppendArgs),

    /// Make holes of damaged records and cut only a torn tail, keeping every intact record
    /// and its offset; say exactly what it does (`--dry-run`: would do).
    #[command(
        long_about = "Repair a damaged log: read every store through (trusting no index), make \
            a hole of every damaged record that was durable (reads of its offset say it is a \
            hole; every other record keeps its offset), cut only bytes that could never have \
            been durable (a torn tail left by a crash), rewrite an unreadable store header, \
            rebuild every index that does not match its store. Then print each event, a \
            summary (records kept, records in holes and their offsets, records cut, bytes \
            quarantined and the quarantine item ids, next offset before and after: the same \
            unless a torn tail was cut) and check the log again.\n\nNothing is deleted, so \
            no confirmation is asked and no backup is made: every byte taken out of the log \
            is first copied or moved into DIR/quarantine/ (see `segmentlog quarantine`). \
            `--dry-run` changes no file and prints what a repair would do.\n\nRefuses \
            while another process holds the log's writer lock. Exit status 0 when the log \
            checks clean afterwards (known holes are fine), 1 if problems remain (with \
            `--dry-run`: if a repair has something to do), 2 on error.",
        after_help = "Example:\n  segmentlog repair --dry-run /var/lib/app/log\n  \
            segmentlog repair /var/lib/app/log && segmentlog quarantine list /var/lib/app/log"
    )]
    Repair(RepairArgs),

    /// List, show and purge what recovery and repair took out of the log.
    #[command(
        long_about = "What recovery and repair took out of the log is kept in DIR/quarantine/: \
            one file per item and a MANIFEST. `list` and `show` only read (they may run while \
            a writer has the log open); `purge` removes items for good and refuses while a \
            writer holds the log's lock.",
        after_help = "Example:\n  segmentlog quarantine list /var/lib/app/log\n  \
            segmentlog quarantine show /var/lib/app/log 3 --raw > item-3.bin\n  \
            segmentlog quarantine purge /var/lib/app/log --all"
    )]
    Quarantine(QuarantineArgs),

    /// List, show, set and delete the log's named cursors (consumers' committed positions).
    #[command(
        long_about = "List, show, set and delete the log's named cursors: each is a \
            consumer's committed position (the offset of the next record it processes), kept \
            in DIR/<name>.cursor. `list` and `show` only read; `set` and `delete` change only \
            the cursor's file and take no lock on the log, so they work while a writer has it \
            open (a consumer committing at the same time may overwrite a `set`: the last \
            commit wins).",
        after_help = "Example:\n  segmentlog cursors list /var/lib/app/log\n  \
            segmentlog cursors show /var/lib/app/log billing\n  \
            segmentlog cursors set /var/lib/app/log billing 1200\n  \
            segmentlog cursors delete /var/lib/app/log old-consumer"
    )]
    Cursors(CursorsArgs),
}

#[derive(Debug, Args)]
pub struct CursorsArgs {
    #[command(subcommand)]
    pub command: CursorsCommand,
}

#[derive(Debug, Subcommand)]
pub enum CursorsCommand {
    /// One line per cursor: name, committed position, where it resumes, lag, records
    /// skipped, commits, time of the last commit.
    List(CursorsListArgs),
    /// One cursor, in detail.
    Show(CursorNameArgs),
    /// Commit a position for a cursor, creating the cursor if it does not exist.
    #[command(
        long_about = "Commit a position for a cursor (creating the cursor if it does not \
            exist): an offset up to the log's next offset, or `lowest` or `next`. The \
            consumer resumes there (from the lowest offset if that is higher)."
    )]
    Set(CursorSetArgs),
    /// Delete a cursor.
    Delete(CursorNameArgs),
}

#[derive(Debug, Args)]
pub struct CursorsListArgs {
    /// The log directory.
    pub dir: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CursorNameArgs {
    /// The log directory.
    pub dir: PathBuf,
    /// The cursor's name.
    pub name: String,
    /// Print one JSON object instead of text (`show` only).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CursorSetArgs {
    /// The log directory.
    pub dir: PathBuf,
    /// The cursor's name.
    pub name: String,
    /// An offset, `lowest` or `next`.
    pub position: String,
}

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// The log directory.
    pub dir: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// How records are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `offset=.. time=.. ms=.. len=.. text=..` (or `hex=..` when not printable).
    Text,
    /// One JSON object a line.
    Json,
    /// Like text, but the value always in hex.
    Hex,
}

#[derive(Debug, Args)]
pub struct DumpArgs {
    /// The log directory.
    pub dir: PathBuf,
    /// First offset to print (default: the lowest offset the log holds).
    #[arg(long, value_name = "N")]
    pub from: Option<u64>,
    /// Print at most this many offsets, records and holes (default: all).
    #[arg(long, value_name = "K")]
    pub count: Option<u64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The log directory.
    pub dir: PathBuf,
    /// Print the report as one JSON object (no progress bar).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TailArgs {
    /// The log directory.
    pub dir: PathBuf,
    /// How many of the last records to print.
    #[arg(short = 'n', long = "lines", value_name = "N", default_value_t = 10)]
    pub lines: u64,
    /// Keep running and print records as they are appended.
    #[arg(short, long)]
    pub follow: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct AppendArgs {
    /// The log directory (created if needed).
    pub dir: PathBuf,
    /// Files whose whole content becomes one record each (default: lines of stdin).
    pub files: Vec<PathBuf>,
    /// Roll to a new segment when the active one would grow past this many bytes
    /// (default: the library's, 64 MiB).
    #[arg(long, value_name = "BYTES")]
    pub max_segment_bytes: Option<u64>,
}

#[derive(Debug, Args)]
pub struct RepairArgs {
    /// The log directory.
    pub dir: PathBuf,
    /// Change nothing; print what a repair would do.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the result as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Gone: repair deletes nothing (the quarantine keeps what it takes out). Kept hidden
    /// only to refuse it with that explanation instead of a bare usage error.
    #[arg(long, value_name = "DIR", hide = true)]
    pub backup: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct QuarantineArgs {
    #[command(subcommand)]
    pub command: QuarantineCommand,
}

#[derive(Debug, Subcommand)]
pub enum QuarantineCommand {
    /// List the quarantined items: id, time, kind, segment, offsets, bytes, file, reason.
    #[command(
        after_help = "Example:\n  segmentlog quarantine list /var/lib/app/log\n  \
        segmentlog quarantine list --json /var/lib/app/log | jq '.items[].id'"
    )]
    List(QuarantineListArgs),

    /// Show one item and the path of its file; `--raw` writes its bytes to stdout.
    #[command(
        after_help = "Example:\n  segmentlog quarantine show /var/lib/app/log 3\n  \
        segmentlog quarantine show /var/lib/app/log 3 --raw | xxd | head"
    )]
    Show(QuarantineShowArgs),

    /// Remove items from the quarantine for good (refused while a writer has the log open).
    #[command(
        override_usage = "segmentlog quarantine purge <DIR> (--all | <ID>...)",
        long_about = "Remove quarantined items for good: the ones named by id, or all with \
            --all. Takes the log's writer lock, so it refuses while another process has the \
            log open for writing. Says how many items and bytes went.\n\nA hole stays a hole \
            after its item is purged (reads of its offset still say so), and stays known: its \
            segment's index marks it, so `verify` and `repair` do not report it as new or copy \
            its bytes again.",
        after_help = "Example:\n  segmentlog quarantine purge /var/lib/app/log 1 2\n  \
            segmentlog quarantine purge /var/lib/app/log --all"
    )]
    Purge(QuarantinePurgeArgs),
}

#[derive(Debug, Args)]
pub struct QuarantineListArgs {
    /// The log directory.
    pub dir: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct QuarantineShowArgs {
    /// The log directory.
    pub dir: PathBuf,
    /// The item's id (see `segmentlog quarantine list`).
    pub id: u64,
    /// Write the quarantined bytes to stdout instead of describing the item.
    #[arg(long)]
    pub raw: bool,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("which").required(true).args(["all", "ids"]))]
pub struct QuarantinePurgeArgs {
    /// The log directory.
    pub dir: PathBuf,
    /// Ids of the items to remove.
    #[arg(value_name = "ID")]
    pub ids: Vec<u64>,
    /// Remove every item.
    #[arg(long, conflicts_with = "ids")]
    pub all: bool,
}

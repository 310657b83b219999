//! Opening a sealed segment's files on demand: the log keeps only a bounded number of sealed
//! segments open (`Options::max_open_segments`), and an open does not open them all. The
//! first time a segment's files are opened, its index is checked against its store in O(1)
//! and rebuilt from the store if they disagree (the store is the truth).

use std::fs::File;
use std::path::Path;

use crate::error::{IoContext, Result};
use crate::fault::{self, Op};
use crate::format::{self, FileKind};
use crate::index::Index;
use crate::recovery::{quick_check, read_entries, scan, sync_dir};
use crate::segment::{Files, Reopen, Segment};
use crate::store::Store;

/// Opens the files of a sealed segment (see the module doc).
pub(crate) fn open_sealed_files(seg: &Segment) -> Result<Files> {
    let paths = &seg.paths;
    let ctx = |p: &Path| format!("opening {}", p.display());
    let store = File::open(&paths.store).context(|| ctx(&paths.store))?;
    let store_len = store.metadata().context(|| ctx(&paths.store))?.len();
    let mut header = [0u8; format::STORE_HEADER_LEN as usize];
    let got =
        crate::platform::read_at_most(&store, &mut header, 0).context(|| ctx(&paths.store))?;
    if let Ok(h) = format::decode_file_header(FileKind::Store, &header[..got])
        && h.base == seg.base
    {
        seg.learn_header(h);
    }
    let count = seg.count();
    let rebuilt = if seg.index_checked() {
        None
    } else {
        let index = File::open(&paths.index).ok();
        let trusted = index
            .as_ref()
            .and_then(|i| quick_check(seg.base, &store, store_len, i))
            .is_some_and(|(n, _)| n == count);
        if trusted {
            None
        } else {
            let found = scan::scan_store(&store, &seg.header(), index.as_ref(), store_len)
                .context(|| format!("scanning {}", paths.store.display()))?;
            // Records past what the log expects here (the next segment starts there) are not
            // its; records missing at the end are a gap before the next segment (holes).
            let mut entries = found.entries;
            entries.truncate(count as usize);
            seg.shrink_to(seg.base + entries.len() as u64, found.end);
            Some(entries)
        }
    };
    let files = match seg.reopen_kind() {
        Reopen::Mapped => {
            if let Some(entries) = &rebuilt {
                write_index_aside(&paths.index, seg.base, entries)?;
                sync_dir(paths.index.parent().unwrap_or(Path::new(".")))?;
            }
            Files {
                store: Store::open_sealed(&paths.store).context(|| ctx(&paths.store))?,
                index: Index::open_sealed(&paths.index).context(|| ctx(&paths.index))?,
            }
        }
        Reopen::Pread => {
            let entries = match rebuilt {
                Some(e) => e,
                None => {
                    let index = File::open(&paths.index).context(|| ctx(&paths.index))?;
                    read_entries(&index, count).context(|| ctx(&paths.index))?
                }
            };
            Files {
                store: Store::open_pread(&paths.store).context(|| ctx(&paths.store))?,
                index: Index::in_memory(&paths.index, entries),
            }
        }
    };
    seg.set_index_checked();
    Ok(files)
}

/// Writes a sealed segment's index with `entries` beside the old one and renames it over it:
/// readers still using the old map keep the old file, whole.
pub(crate) fn write_index_aside(path: &Path, base: u64, entries: &[u32]) -> Result<()> {
    let tmp = path.with_extension("index.tmp");
    let done = Index::create(&tmp, base, entries, 0)
        .and_then(|index| {
            index.trim(entries.len() as u64, true)?;
            drop(index);
            fault::check(Op::Create, path)?;
            crate::map_rules::rename(&tmp, path)
        })
        .context(|| format!("rebuilding {}", path.display()));
    if done.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    done
}

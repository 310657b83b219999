//! What differs by operating system, in one place.
//!
//! Linux has fast paths (block reservation with `posix_fallocate`, `MADV_POPULATE_WRITE`, the
//! coarse clock, `st_nlink` of an open file); every other system gets a portable path of the
//! same correctness. The `portable` feature makes Linux take the portable paths too, so that
//! `make test` runs them on every run (`make test-portable`), not only on the other systems.

use std::fs::File;
use std::io;
use std::path::Path;

/// Whether the Linux fast paths are in use.
#[cfg(target_os = "linux")]
const LINUX_FAST: bool = cfg!(all(target_os = "linux", not(feature = "portable")));

/// Positional reads and writes (`pread`/`pwrite`), the same on every system.
pub(crate) trait FileExt {
    /// Reads at `pos`; returns the bytes read (0 at the end of the file).
    fn read_at(&self, buf: &mut [u8], pos: u64) -> io::Result<usize>;
    /// Writes at `pos`; returns the bytes written.
    fn write_at(&self, buf: &[u8], pos: u64) -> io::Result<usize>;

    /// Reads exactly `buf.len()` bytes at `pos` (`UnexpectedEof` if the file ends first).
    fn read_exact_at(&self, buf: &mut [u8], pos: u64) -> io::Result<()> {
        if read_at_most_with(|b, p| self.read_at(b, p), buf, pos)? < buf.len() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "failed to fill whole buffer",
            ));
        }
        Ok(())
    }

    /// Writes all of `buf` at `pos`.
    fn write_all_at(&self, mut buf: &[u8], mut pos: u64) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write_at(buf, pos) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    buf = &buf[n..];
                    pos += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

#[cfg(unix)]
impl FileExt for File {
    fn read_at(&self, buf: &mut [u8], pos: u64) -> io::Result<usize> {
        std::os::unix::fs::FileExt::read_at(self, buf, pos)
    }
    fn write_at(&self, buf: &[u8], pos: u64) -> io::Result<usize> {
        std::os::unix::fs::FileExt::write_at(self, buf, pos)
    }
}

// Windows' positional I/O moves the file pointer as a side effect; nothing here uses it.
#[cfg(windows)]
impl FileExt for File {
    fn read_at(&self, buf: &mut [u8], pos: u64) -> io::Result<usize> {
        match std::os::windows::fs::FileExt::seek_read(self, buf, pos) {
            // Reading at or past the end is ERROR_HANDLE_EOF there, 0 bytes here.
            Err(e) if e.raw_os_error() == Some(38) => Ok(0),
            other => other,
        }
    }
    fn write_at(&self, buf: &[u8], pos: u64) -> io::Result<usize> {
        std::os::windows::fs::FileExt::seek_write(self, buf, pos)
    }
}

/// Reads into `buf` from `pos` until it is full or the file ends; returns the bytes read. A
/// file shorter than expected (another process cut it) is not an error here: the caller sees
/// fewer bytes.
pub(crate) fn read_at_most(file: &File, buf: &mut [u8], pos: u64) -> io::Result<usize> {
    read_at_most_with(|b, p| file.read_at(b, p), buf, pos)
}

fn read_at_most_with(
    mut read_at: impl FnMut(&mut [u8], u64) -> io::Result<usize>,
    buf: &mut [u8],
    pos: u64,
) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match read_at(&mut buf[done..], pos + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// Starts writing `file`'s dirty pages back without waiting (Linux: `sync_file_range` with
/// `SYNC_FILE_RANGE_WRITE`); elsewhere nothing. Only a head start: durability still comes from
/// a later fsync, which then finds less left to write (recovery scans a crashed segment's
/// store while the disk writes what the crash left in the page cache).
pub(crate) fn start_writeback(file: &File) {
    #[cfg(target_os = "linux")]
    if LINUX_FAST {
        use std::os::unix::io::AsRawFd;
        // SAFETY: the fd is open for the lifetime of `file`; the call only reads its
        // arguments. Its result is ignored: this is a hint.
        unsafe { libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE) };
    }
    let _ = file;
}

/// Where the next bytes of `file` at or after `pos` that may be non-zero start: `None` when
/// the file holds only zeros from `pos` on. Linux asks the file system (`SEEK_DATA`): blocks
/// reserved by `preallocate` and never written read as zeros without being read, and the
/// unused tail of a crashed newest segment is mostly such blocks. Elsewhere (and where the
/// file system cannot tell) every byte may be data: `Some(pos)`.
pub(crate) fn data_from(file: &File, pos: u64) -> io::Result<Option<u64>> {
    #[cfg(target_os = "linux")]
    if LINUX_FAST {
        use std::os::unix::io::AsRawFd;
        let Ok(at) = libc::off_t::try_from(pos) else {
            return Ok(Some(pos));
        };
        // SAFETY: the fd is open for the lifetime of `file`; lseek moves only the file
        // position, which no code here uses (all reads and writes are positional).
        let found = unsafe { libc::lseek(file.as_raw_fd(), at, libc::SEEK_DATA) };
        if found >= 0 {
            return Ok(Some((found as u64).max(pos)));
        }
        let e = io::Error::last_os_error();
        return match e.raw_os_error() {
            Some(libc::ENXIO) => Ok(None),
            Some(libc::EINVAL | libc::EOPNOTSUPP) => Ok(Some(pos)),
            _ => Err(e),
        };
    }
    let _ = file;
    Ok(Some(pos))
}

/// Reserves disk blocks for the first `len` bytes of `file` (extending it), so that writes
/// through a map cannot fail for lack of space: a full disk shows up here, as an error, not
/// later as a `SIGBUS` (or an access violation) on a write through the map.
pub(crate) fn preallocate(file: &File, len: u64) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    if LINUX_FAST {
        use std::os::unix::io::AsRawFd;
        let len =
            libc::off_t::try_from(len).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        // SAFETY: the fd is open for the lifetime of `file`; posix_fallocate only reads its
        // arguments.
        let rc = unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, len) };
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        return Ok(());
    }
    let old = file.metadata()?.len();
    if len <= old {
        return Ok(());
    }
    #[cfg(target_os = "macos")]
    {
        use std::os::unix::io::AsRawFd;
        let mut store = libc::fstore_t {
            fst_flags: libc::F_ALLOCATEALL,
            fst_posmode: libc::F_PEOFPOSMODE,
            fst_offset: 0,
            fst_length: (len - old) as libc::off_t,
            fst_bytesalloc: 0,
        };
        // SAFETY: the fd is open for the lifetime of `file`; F_PREALLOCATE reads and writes
        // only the fstore_t we pass, which lives across the call.
        let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_PREALLOCATE, &mut store) };
        if rc == 0 {
            return file.set_len(len);
        }
        let err = io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::ENOSPC) {
            return Err(err);
        }
        // A file system without F_PREALLOCATE: writing the zeros below allocates.
    }
    // NTFS allocates the clusters of a file extended with SetEndOfFile (it is not sparse
    // unless marked so), and reads of the new bytes give zeros.
    #[cfg(windows)]
    {
        file.set_len(len)
    }
    #[cfg(not(windows))]
    {
        // Writing zeros allocates on every file system (a sparse `set_len` would not).
        let zeros = vec![0u8; 1 << 20];
        let mut pos = old;
        while pos < len {
            let n = (len - pos).min(zeros.len() as u64) as usize;
            file.write_all_at(&zeros[..n], pos)?;
            pos += n as u64;
        }
        Ok(())
    }
}

/// Asks the kernel to fault in `len` bytes at `ptr` of a writable shared map, so that appends
/// do not each take a page fault. A hint: other systems (and Linux before 5.14) fault on write.
pub(crate) fn populate_write(map: &memmap2::MmapRaw, pos: usize, len: usize) {
    #[cfg(target_os = "linux")]
    if LINUX_FAST {
        let _ = map.advise_range(memmap2::Advice::PopulateWrite, pos, len);
    }
    let _ = (map, pos, len);
}

/// Wall-clock milliseconds since the Unix epoch, for record timestamps.
///
/// Linux: the coarse clock. `SystemTime::now()` and its u128 millisecond conversion cost
/// ~35 ns of CPU per append on the bench machine (a quarter of an append of 100 bytes), the
/// coarse clock ~10 ns. Its resolution is one kernel tick (1-4 ms): timestamps stay in ms and
/// never decrease, but records appended within one tick share it.
pub(crate) fn now_ms() -> u64 {
    #[cfg(target_os = "linux")]
    if LINUX_FAST {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime only writes the timespec we pass.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_REALTIME_COARSE, &mut ts) };
        if rc == 0 {
            return ts.tv_sec as u64 * 1000 + ts.tv_nsec as u64 / 1_000_000;
        }
    }
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Whether a file opened only to make it durable (`sync_data`/`sync_all`) must be opened for
/// writing: Windows flushes only a handle with write access; Unix syncs a read-only one.
pub(crate) const SYNC_NEEDS_WRITE: bool = cfg!(windows);

/// Opens the file at `path` to make it durable, without writing through it.
pub(crate) fn open_to_sync(path: &Path) -> io::Result<File> {
    std::fs::OpenOptions::new()
        .read(true)
        .write(SYNC_NEEDS_WRITE)
        .open(path)
}

/// Makes the directory entries of `dir` durable (files created, renamed or removed in it).
///
/// Windows has no such call: a directory cannot be flushed, and NTFS journals its metadata
/// (what a power cut can lose there is stated in docs/RELIABILITY.md).
pub(crate) fn sync_directory(dir: &Path) -> io::Result<()> {
    #[cfg(windows)]
    {
        // Still say when the directory is not there, as the other systems do.
        std::fs::metadata(dir).map(|_| ())
    }
    #[cfg(not(windows))]
    {
        File::open(dir)?.sync_all()
    }
}

/// Whether `file`, open on `path`, is no longer the file at `path`: removed or replaced by
/// another process.
///
/// Linux: the open file's link count (one `fstat`, which the caller does anyway). Elsewhere:
/// the identity of the file at `path` against the open one (an open more), since Windows
/// reports no link count through std and keeps a removed file's name while it is open.
pub(crate) fn file_gone(file: &File, meta: &std::fs::Metadata, path: &Path) -> io::Result<bool> {
    // Where maps pin files a removal renames the file away first (`map_rules::remove_file`)
    // and it keeps a link while a map holds it: only its name tells.
    #[cfg(target_os = "linux")]
    if LINUX_FAST && !crate::map_rules::MAPS_PIN_FILES {
        let _ = (file, path);
        return Ok(std::os::unix::fs::MetadataExt::nlink(meta) == 0);
    }
    let _ = meta;
    let ours = same_file::Handle::from_file(file.try_clone()?)?;
    match same_file::Handle::from_path(path) {
        Ok(there) => Ok(there != ours),
        Err(e) if gone_error(&e) => Ok(true),
        Err(e) => Err(e),
    }
}

/// Whether opening a file failed because it is not there, or is being removed (Windows
/// refuses to open a file whose removal waits for its last handle).
fn gone_error(e: &io::Error) -> bool {
    if e.kind() == io::ErrorKind::NotFound {
        return true;
    }
    // ERROR_ACCESS_DENIED (5) is what a pending delete gives.
    cfg!(windows) && e.raw_os_error() == Some(5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preallocate_extends_with_zeros_and_never_shrinks() {
        let dir = tempfile::tempdir().unwrap();
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(dir.path().join("f"))
            .unwrap();
        f.write_all_at(b"head", 0).unwrap();
        preallocate(&f, 3 << 20).unwrap();
        assert_eq!(f.metadata().unwrap().len(), 3 << 20);
        // Blocks are reserved, not a sparse file: a full disk must show up here.
        #[cfg(unix)]
        {
            let blocks = std::os::unix::fs::MetadataExt::blocks(&f.metadata().unwrap());
            assert!(
                blocks * 512 >= 3 << 20,
                "{blocks} blocks of 512 bytes allocated"
            );
        }
        let mut buf = vec![1u8; 4096];
        f.read_exact_at(&mut buf, (3 << 20) - 4096).unwrap();
        assert!(buf.iter().all(|&b| b == 0));
        f.read_exact_at(&mut buf[..4], 0).unwrap();
        assert_eq!(&buf[..4], b"head");
        preallocate(&f, 10).unwrap();
        assert_eq!(f.metadata().unwrap().len(), 3 << 20);
    }

    #[test]
    fn positional_reads_stop_at_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"0123456789").unwrap();
        let f = File::open(&path).unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(read_at_most(&f, &mut buf, 6).unwrap(), 4);
        assert_eq!(&buf[..4], b"6789");
        assert_eq!(read_at_most(&f, &mut buf, 10).unwrap(), 0);
        assert_eq!(read_at_most(&f, &mut buf, 100).unwrap(), 0);
        let err = f.read_exact_at(&mut buf, 4).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn a_removed_or_replaced_file_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"one").unwrap();
        let f = File::open(&path).unwrap();
        let gone = || file_gone(&f, &f.metadata().unwrap(), &path).unwrap();
        assert!(!gone());
        // As the log removes files (a plain removal keeps the name of an open file on older
        // Windows and on wine, where it would not look gone).
        crate::map_rules::remove_file(&path).unwrap();
        assert!(gone());
        std::fs::write(&path, b"two").unwrap();
        assert!(gone());
    }

    #[test]
    fn the_clock_is_near_system_time() {
        let sys = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        assert!(now_ms().abs_diff(sys) < 1_000);
    }
}

//! The platform calls the loader makes, each beside its portable fallback,
//! so every other module is platform-free. Unix (Linux, macOS) uses
//! positioned reads (`pread`), non-blocking opens and `fstat` file types;
//! Windows uses `seek_read`; anything else — and every platform when the
//! `portable` feature forces it, which is how CI tests these fallbacks on
//! Linux — reads by seeking under a lock and checks a path's type before
//! opening it.

use std::fs::File;
use std::io;
use std::path::Path;

/// Reads at `offset` without moving a cursor another thread relies on.
#[cfg(all(unix, not(feature = "portable")))]
pub(crate) fn read_at(f: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(f, buf, offset)
}

/// Reads at `offset` (`seek_read` moves the handle's cursor, which the
/// loader never relies on for a file it reads at positions).
#[cfg(all(windows, not(feature = "portable")))]
pub(crate) fn read_at(f: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(f, buf, offset)
}

/// Reads at `offset` by seeking, under one process-wide lock so threads
/// sharing a handle cannot move each other's cursor between the seek and
/// the read.
#[cfg(any(feature = "portable", not(any(unix, windows))))]
pub(crate) fn read_at(f: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    use std::io::{Read, Seek, SeekFrom};
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _held = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let mut h = f;
    h.seek(SeekFrom::Start(offset))?;
    h.read(buf)
}

/// Fills `buf` from `offset`, or fails with `UnexpectedEof` at the end of
/// the file.
pub(crate) fn read_exact_at(f: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match read_at(f, buf, offset) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Opens for reading without blocking on a FIFO that has no writer
/// (`O_NONBLOCK`; the flag only matters for the open).
#[cfg(all(unix, not(feature = "portable")))]
pub(crate) fn open_read(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
}

/// Opens for reading. Without non-blocking opens, a path that is not a
/// regular file is refused by its type *before* the open (a FIFO would
/// block it); the caller checks the open handle's type again after.
#[cfg(any(feature = "portable", not(unix)))]
pub(crate) fn open_read(path: &Path) -> io::Result<File> {
    let m = std::fs::metadata(path)?;
    if !m.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("not a regular file (a {})", file_kind(&m.file_type())),
        ));
    }
    File::open(path)
}

/// Opens for reading around the page cache (`O_DIRECT`): every read then
/// needs its buffer, offset and length aligned to the device's block.
/// `None` where the platform has no such open.
#[cfg(all(target_os = "linux", not(feature = "portable")))]
#[cfg_attr(not(feature = "lab"), allow(dead_code))] // used by the lab's `io`
pub(crate) fn open_direct(path: &Path) -> Option<io::Result<File>> {
    use std::os::unix::fs::OpenOptionsExt;
    Some(
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECT | libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(path),
    )
}

/// No `O_DIRECT` here: `None`.
#[cfg(not(all(target_os = "linux", not(feature = "portable"))))]
#[cfg_attr(not(feature = "lab"), allow(dead_code))] // used by the lab's `io`
pub(crate) fn open_direct(_path: &Path) -> Option<io::Result<File>> {
    None
}

/// Tells the kernel how the first `len` bytes of `f` will be read
/// (`posix_fadvise`). Advice only: ignored where there is none, and a
/// refusal changes nothing but speed.
#[cfg(all(target_os = "linux", not(feature = "portable")))]
#[allow(unsafe_code)] // posix_fadvise; see the SAFETY comment
#[cfg_attr(not(feature = "lab"), allow(dead_code))] // used by the lab's `io`
pub(crate) fn fadvise(f: &File, len: u64, advice: crate::io::Advice) {
    use std::os::fd::AsRawFd;
    let how = match advice {
        crate::io::Advice::None => return,
        crate::io::Advice::Sequential => libc::POSIX_FADV_SEQUENTIAL,
        crate::io::Advice::WillNeed => libc::POSIX_FADV_WILLNEED,
    };
    let len = libc::off_t::try_from(len).unwrap_or(0);
    // SAFETY: `f` is an open descriptor for the duration of the call;
    // posix_fadvise only advises the kernel about its page cache and
    // touches no memory of ours.
    unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, len, how) };
}

/// No read advice here.
#[cfg(not(all(target_os = "linux", not(feature = "portable"))))]
#[cfg_attr(not(feature = "lab"), allow(dead_code))] // used by the lab's `io`
pub(crate) fn fadvise(_f: &File, _len: u64, _advice: crate::io::Advice) {}

/// The class of the filesystem `f` lies on, from its magic number
/// (`statfs(2)`, `linux/magic.h`).
#[cfg(all(target_os = "linux", not(feature = "portable")))]
#[allow(unsafe_code)] // fstatfs; see the SAFETY comments
pub(crate) fn storage_class(f: &File) -> crate::backend::StorageClass {
    use crate::backend::StorageClass;
    use std::os::fd::AsRawFd;
    const MEMORY: [u64; 2] = [0x0102_1994 /* tmpfs */, 0x8584_58f6 /* ramfs */];
    const REMOTE: [u64; 12] = [
        0x6573_5546, // FUSE (sshfs, s3fs, gcsfuse, …)
        0x6969,      // NFS
        0x517b,      // SMB
        0xff53_4d42, // CIFS
        0xfe53_4d42, // SMB2
        0x0102_1997, // 9p
        0x00c3_6400, // Ceph
        0x0bd0_0bd0, // Lustre
        0x4750_4653, // GPFS
        0x5346_414f, // AFS
        0x6b41_4653, // kAFS
        0x7375_7245, // Coda
    ];
    // SAFETY: `statfs` is plain old data, for which all zeros is a valid
    // value.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: a valid descriptor and a pointer to a live `statfs`.
    if unsafe { libc::fstatfs(f.as_raw_fd(), &mut st) } != 0 {
        return StorageClass::Unknown;
    }
    // The magic is 32 bits; `f_type`'s width and sign vary by architecture.
    #[allow(clippy::unnecessary_cast)]
    let magic = (st.f_type as u64) & 0xffff_ffff;
    if MEMORY.contains(&magic) {
        StorageClass::Memory
    } else if REMOTE.contains(&magic) {
        StorageClass::Remote
    } else {
        StorageClass::Local
    }
}

/// Not told off Linux (or with the portable fallbacks).
#[cfg(not(all(target_os = "linux", not(feature = "portable"))))]
pub(crate) fn storage_class(_f: &File) -> crate::backend::StorageClass {
    crate::backend::StorageClass::Unknown
}

/// A word for a file type, for messages.
pub(crate) fn file_kind(t: &std::fs::FileType) -> &'static str {
    if t.is_dir() {
        return "directory";
    } else if t.is_symlink() {
        return "symbolic link";
    } else if t.is_file() {
        return "regular file";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "FIFO";
        } else if t.is_socket() {
            return "socket";
        } else if t.is_char_device() {
            return "character device";
        } else if t.is_block_device() {
            return "block device";
        }
    }
    "special file"
}

/// True when `a` and `b` name the same existing file, following links.
/// Unix compares device and inode. Elsewhere, where the standard library
/// gives no file identity, two paths are taken as one file when their
/// canonical forms are equal or when size, modification time and creation
/// time all agree (hard links share them) — on the side of refusing.
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) else {
        return false;
    };
    #[cfg(all(unix, not(feature = "portable")))]
    {
        use std::os::unix::fs::MetadataExt;
        x.dev() == y.dev() && x.ino() == y.ino()
    }
    #[cfg(any(feature = "portable", not(unix)))]
    {
        let canonical = matches!((a.canonicalize(), b.canonicalize()), (Ok(p), Ok(q)) if p == q);
        canonical
            || (x.len() == y.len()
                && x.modified().ok() == y.modified().ok()
                && x.created().ok() == y.created().ok()
                && x.modified().is_ok())
    }
}

/// Read-and-write permission for a new file, as a plain create would give
/// it (the umask applies); `None` where permissions are not Unix modes.
pub(crate) fn new_file_permissions() -> Option<std::fs::Permissions> {
    #[cfg(unix)]
    {
        Some(std::os::unix::fs::PermissionsExt::from_mode(0o666))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

//! How a file's bytes reach the parsers and the caller: one enum, one place.
//!
//! * [`Backend::Mmap`] maps the file (memmap2). Inspect touches only the
//!   header pages; tensor bytes are borrowed from the mapping, zero-copy.
//! * [`Backend::Reader`] reads through a file handle. Inspect issues reads
//!   for the header only (through a 64 KiB `BufReader` unless `buffered` is
//!   false, which H05 compares); tensor bytes are read with `pread` into an
//!   owned buffer.
//! * [`Backend::WholeRead`] reads the whole file into memory first (H04's
//!   baseline; also right for files that may change while in use).
//! * [`Backend::Auto`] picks one of them by where the file lies
//!   ([`StorageClass`]) and its size: [`Backend::auto_for`] is the rule.

use crate::error::{LoadError, Result};
use memmap2::Mmap;
use std::fs::File;
use std::io::Read;

/// Capacity of the reader backend's internal buffer. Buffering is on by
/// default: the ledger's H05 measured GGUF inspection
/// an order of magnitude faster through it than through raw `read` calls,
/// and within a few percent of mmap.
pub const READER_BUFFER_BYTES: usize = 64 * 1024;

/// Which backend to open a file with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// Maps the file read-only (`mmap`, private). Inspect touches only the
    /// header's pages; tensor bytes are borrowed from the mapping.
    ///
    /// **Contract: the file must not change while it is open.** The mapping
    /// shows the file as it is *now*, not as it was parsed: if another
    /// process rewrites it, tensor bytes silently change; if it truncates
    /// it, touching a page past the new end raises `SIGBUS`, which kills
    /// the process — unless the program called [`crate::guard::install`]
    /// (the `loader` command line does): then those pages read as zeros and
    /// [`crate::Model`] reports a [`crate::LoadError::Truncated`] after the
    /// parse and after every load ([`crate::Model::check_intact`]). The safetensors crate and
    /// llama.cpp accept the same contract. For files that may change (a
    /// download in progress, a shared folder), use [`Backend::Reader`],
    /// where truncation is a [`crate::LoadError::Truncated`], or
    /// [`Backend::WholeRead`]; the `loader export` command uses the reader.
    Mmap,
    /// Reads through a file handle: the header through a 64 KiB `BufReader`
    /// (or raw `read` calls when `buffered` is false), tensor bytes with
    /// positioned reads (`pread`) into owned buffers.
    Reader {
        /// Read the header through a 64 KiB buffer (`READER_BUFFER_BYTES`).
        buffered: bool,
    },
    /// Reads the whole file into memory before parsing.
    WholeRead,
    /// One of the others, chosen when the file is opened by the storage it
    /// lies on and its size ([`Backend::auto_for`]); [`crate::Model::backend`]
    /// then names the one chosen. The mapping's contract applies when it
    /// chooses [`Backend::Mmap`].
    Auto,
}

/// Where a file lies, as far as choosing a backend goes: told from the
/// filesystem's type (`fstatfs`) on Linux; [`StorageClass::Unknown`]
/// elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageClass {
    /// A block-device filesystem of this machine (ext4, xfs, btrfs, …).
    Local,
    /// Memory: tmpfs or ramfs (the file's pages are never out of memory).
    Memory,
    /// A network or user-space filesystem: NFS, SMB/CIFS, 9p, Ceph,
    /// Lustre, GPFS, AFS, and every FUSE mount (sshfs, s3fs, gcsfuse, …):
    /// each page the kernel does not have costs a request to a server.
    Remote,
    /// Not told (another platform, or `fstatfs` failed).
    Unknown,
}

impl StorageClass {
    /// The class of the filesystem `file` lies on.
    pub fn of(file: &File) -> StorageClass {
        crate::sys::storage_class(file)
    }

    /// The class's name in messages and reports.
    pub fn name(self) -> &'static str {
        match self {
            StorageClass::Local => "local",
            StorageClass::Memory => "memory",
            StorageClass::Remote => "remote",
            StorageClass::Unknown => "unknown",
        }
    }
}

impl Backend {
    /// The reader backend with its internal buffer on (the default).
    pub const READER: Backend = Backend::Reader { buffered: true };
    /// Every backend, for tests that compare them.
    pub const ALL: [Backend; 4] = [
        Backend::Mmap,
        Backend::Reader { buffered: true },
        Backend::Reader { buffered: false },
        Backend::WholeRead,
    ];

    /// The backend's name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Mmap => "mmap",
            Backend::Reader { buffered: true } => "reader",
            Backend::Reader { buffered: false } => "reader-unbuffered",
            Backend::WholeRead => "whole-read",
            Backend::Auto => "auto",
        }
    }

    /// The backend of a name.
    pub fn parse(s: &str) -> Option<Backend> {
        Backend::ALL.into_iter().chain([Backend::Auto]).find(|b| b.name() == s)
    }

    /// The backend [`Backend::Auto`] stands for, for a file of `size` bytes
    /// on `class` — each arm from a ledger entry of the loadlab repository:
    ///
    /// * remote: the reader — tensors are read with one positioned read
    ///   each, requests as large as the tensor, where a mapping faults the
    ///   file in page by page, each fault a request to a server (H36 on the
    ///   `slow` and `sshfs` profiles, `reports/storage.md`).
    /// * local disk, memory, or not told, below 64 MiB: a whole read, where
    ///   reading wins cold (H19, `reports/H19.md`; `load::threshold::pick`).
    /// * local disk, memory, or not told, from 64 MiB on: the reader too.
    ///   Loading every tensor into owned memory, the reader was within 1.1×
    ///   of the mapping and of the whole read on every file on the local
    ///   disk and on tmpfs in every campaign that judged it (three per
    ///   profile of commit 0d70fd2; H36's "B reader" comparisons,
    ///   `reports/storage.md`; the local NPZ case was not judged in one, its
    ///   A/A control strayed), where the mapping took 1.45× the reader's
    ///   time on MiniLM's NPZ on the local disk and up to 1.12× on the Gemma
    ///   GGUF on tmpfs. A caller that borrows tensor bytes instead of
    ///   loading them still wants [`Backend::Mmap`] (H14, H19: zero-copy).
    pub fn auto_for(class: StorageClass, size: u64) -> Backend {
        match (class, size < crate::load::MEASURED_THRESHOLD_BYTES) {
            (StorageClass::Remote, _) => Backend::READER,
            (StorageClass::Local | StorageClass::Memory | StorageClass::Unknown, true) => Backend::WholeRead,
            (StorageClass::Local | StorageClass::Memory | StorageClass::Unknown, false) => Backend::READER,
        }
    }

    /// This backend, or for [`Backend::Auto`] the one it chooses for `file`
    /// of `size` bytes; any other backend is returned as it is.
    pub fn resolve(self, file: &File, size: u64) -> Backend {
        match self {
            Backend::Auto => Backend::auto_for(StorageClass::of(file), size),
            b => b,
        }
    }
}

/// How the reader backend fills a tensor buffer (H01).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(not(feature = "lab"), allow(dead_code))]
pub enum ReadStrategy {
    /// `vec![0u8; n]` then one positioned `read_exact`. Production default:
    /// the ledger's H01 (`reports/H01.md` in the loadlab repository)
    /// measured a real memset elision ([`ReadStrategy::UninitPread`]) as no
    /// effect: the zeroed buffer costs nothing measurable, because its pages
    /// come from the kernel already zero. `CapacityReadToEnd`, which adds a
    /// memset and several `pread`s per array, is slower.
    #[default]
    ZeroedReadExact,
    /// `Vec::with_capacity(n)` then `take(n).read_to_end`. Not a memset
    /// elision: the reader implements only `read`, so std zero-fills each
    /// chunk of spare capacity before reading into it.
    CapacityReadToEnd,
    /// `Vec::with_capacity(n)` then positioned reads (`pread`) straight into
    /// the uninitialized capacity: no byte is written twice. H01's B.
    UninitPread,
}

/// A mapping and, when [`crate::guard::install`] was called, its guard
/// registration (declared first, so it ends before the mapping does).
pub(crate) struct Mapped {
    guard: Option<crate::guard::Registration>,
    map: Mmap,
}

impl Mapped {
    /// Pages that read as zeros because the file shrank under the mapping.
    pub fn faults(&self) -> usize {
        self.guard.as_ref().map_or(0, |g| g.faults())
    }
}

impl std::ops::Deref for Mapped {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.map
    }
}

/// A source of bytes that can be read at any position: what
/// `Model::from_reader` accepts.
pub(crate) trait ReadSeek: Read + std::io::Seek {}
impl<T: Read + std::io::Seek> ReadSeek for T {}

/// The bytes behind an open model.
pub(crate) enum Storage<'a> {
    Mapped(Mapped),
    Owned(Vec<u8>),
    /// A whole file read into an aligned buffer (a verified open).
    Read(crate::io::Aligned),
    Borrowed(&'a [u8]),
    File(File),
    /// Any `Read + Seek` source, read under a lock (seek, then read).
    Stream(std::sync::Mutex<Box<dyn ReadSeek + Send + 'a>>),
}

impl Storage<'_> {
    /// The whole file as a slice, when the backend holds it in memory.
    pub fn as_slice(&self) -> Option<&[u8]> {
        match self {
            Storage::Mapped(m) => Some(&m[..]),
            Storage::Owned(v) => Some(v),
            Storage::Read(a) => Some(a.as_slice()),
            Storage::Borrowed(b) => Some(b),
            Storage::File(_) | Storage::Stream(_) => None,
        }
    }

    /// Reads `len` bytes at `offset` into a fresh buffer (reader backend).
    pub fn read_at(&self, file_name: &str, offset: u64, len: u64, how: ReadStrategy) -> Result<Vec<u8>> {
        match self {
            Storage::File(f) => read_range(f, file_name, offset, len, how),
            Storage::Stream(_) => {
                let mut v = crate::alloc::zeroed::<u8>(buffer_len(file_name, len)?);
                self.read_into(file_name, offset, &mut v)?;
                Ok(v)
            }
            _ => {
                let s = self.as_slice().expect("in-memory storage");
                let r = slice_range(s, file_name, offset, len)?;
                Ok(r.to_vec())
            }
        }
    }

    /// Fills `buf` from `offset`.
    pub fn read_into(&self, file_name: &str, offset: u64, buf: &mut [u8]) -> Result<()> {
        let needed = buf.len() as u64;
        let truncated = |e| read_error(file_name, offset, needed, e);
        match self {
            Storage::File(f) => crate::sys::read_exact_at(f, buf, offset).map_err(truncated),
            Storage::Stream(s) => {
                let mut r = s.lock().unwrap_or_else(|p| p.into_inner());
                r.seek(std::io::SeekFrom::Start(offset)).map_err(truncated)?;
                r.read_exact(buf).map_err(truncated)
            }
            s => {
                let src = slice_range(s.as_slice().expect("in memory"), file_name, offset, buf.len() as u64)?;
                buf.copy_from_slice(src);
                Ok(())
            }
        }
    }
}

/// Maps a file read-only.
#[allow(unsafe_code)] // the one mapping of the crate; see the SAFETY comment
pub(crate) fn map(file: &File, name: &str) -> Result<Mapped> {
    // SAFETY: the mapping is read-only and private to this process, and
    // every slice taken from it is bounds-checked against its length. If
    // another process truncates or rewrites the file while it is mapped,
    // reads may fault or see new bytes: that is the contract documented on
    // `Backend::Mmap` (files that may change use the reader backend).
    let map = unsafe { Mmap::map(file) }.map_err(|e| LoadError::io(name, e))?;
    let guard = crate::guard::Registration::new(map.as_ptr(), map.len());
    Ok(Mapped { guard, map })
}

/// Bounds-checked sub-slice.
pub(crate) fn slice_range<'a>(s: &'a [u8], name: &str, offset: u64, len: u64) -> Result<&'a [u8]> {
    let end = offset.checked_add(len);
    match end {
        Some(end) if end <= s.len() as u64 => Ok(&s[offset as usize..end as usize]),
        _ => Err(LoadError::Truncated {
            file: name.to_owned(),
            offset: Some(offset),
            field: "tensor data",
            needed: len,
            available: (s.len() as u64).saturating_sub(offset),
        }),
    }
}

/// A buffer length for `len` bytes of tensor data, or `Overflow`.
fn buffer_len(name: &str, len: u64) -> Result<usize> {
    usize::try_from(len).map_err(|_| LoadError::Overflow {
        file: name.to_owned(),
        field: "tensor length".into(),
    })
}

/// The error of a read of `needed` bytes at `offset` that failed: the end
/// of the file is `Truncated`, anything else an I/O error.
fn read_error(name: &str, offset: u64, needed: u64, e: std::io::Error) -> LoadError {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        LoadError::Truncated {
            file: name.to_owned(),
            offset: Some(offset),
            field: "tensor data",
            needed,
            available: 0,
        }
    } else {
        LoadError::io(name, e)
    }
}

fn read_range(f: &File, name: &str, offset: u64, len: u64, how: ReadStrategy) -> Result<Vec<u8>> {
    let n = buffer_len(name, len)?;
    let map = |e| read_error(name, offset, len, e);
    match how {
        ReadStrategy::ZeroedReadExact => {
            let mut v = crate::alloc::zeroed::<u8>(n);
            crate::sys::read_exact_at(f, &mut v, offset).map_err(map)?;
            Ok(v)
        }
        ReadStrategy::CapacityReadToEnd => {
            let mut v = Vec::with_capacity(n);
            let mut r = PositionedReader { file: f, pos: offset };
            (&mut r).take(len).read_to_end(&mut v).map_err(map)?;
            if v.len() != n {
                return Err(map(std::io::ErrorKind::UnexpectedEof.into()));
            }
            Ok(v)
        }
        #[cfg(all(unix, not(feature = "portable")))]
        ReadStrategy::UninitPread => read_uninit(f, offset, n).map_err(map),
        // Without `pread`, the baseline reads like production.
        #[cfg(any(feature = "portable", not(unix)))]
        ReadStrategy::UninitPread => read_range(f, name, offset, len, ReadStrategy::ZeroedReadExact),
    }
}

/// Reads `n` bytes at `offset` into a fresh buffer without initializing it
/// first: `pread` writes into the spare capacity through a raw pointer (no
/// reference to uninitialized memory is made), and the length is set only
/// once every byte was written.
#[allow(unsafe_code)] // pread into spare capacity; see the SAFETY comments
#[cfg(all(unix, not(feature = "portable")))]
fn read_uninit(f: &File, offset: u64, n: usize) -> std::io::Result<Vec<u8>> {
    use std::os::fd::AsRawFd;
    let mut v: Vec<u8> = crate::alloc::with_capacity(n);
    let mut done = 0usize;
    while done < n {
        let at = offset
            .checked_add(done as u64)
            .and_then(|o| libc::off_t::try_from(o).ok())
            .ok_or(std::io::ErrorKind::InvalidInput)?;
        // SAFETY: `v` has capacity `n`, so `ptr + done .. ptr + n` is
        // allocated and writable; pread writes at most `n - done` bytes
        // there and nothing reads them before `set_len` below.
        let r = unsafe { libc::pread(f.as_raw_fd(), v.as_mut_ptr().add(done).cast(), n - done, at) };
        match r {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            r if r < 0 => {
                let e = std::io::Error::last_os_error();
                if e.kind() != std::io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
            r => done += r as usize,
        }
    }
    // SAFETY: the loop above wrote all `n` bytes of the capacity.
    unsafe { v.set_len(n) };
    Ok(v)
}

/// A `Read` over a shared `File` at its own position (`pread`), so several
/// threads can read one file without seeking each other's cursor.
pub struct PositionedReader<'a> {
    /// The shared file.
    pub file: &'a File,
    /// Next offset to read.
    pub pos: u64,
}

impl Read for PositionedReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = crate::sys::read_at(self.file, buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod read_strategy_tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn every_strategy_reads_the_same_bytes_and_refuses_a_short_file() {
        let mut f = tempfile::tempfile().expect("temp file");
        let bytes: Vec<u8> = (0..300_000u32).map(|i| (i * 31 % 251) as u8).collect();
        f.write_all(&bytes).expect("write");
        for how in [
            ReadStrategy::ZeroedReadExact,
            ReadStrategy::CapacityReadToEnd,
            ReadStrategy::UninitPread,
        ] {
            let got = read_range(&f, "t", 1000, 200_000, how).expect("read");
            assert_eq!(got, &bytes[1000..201_000], "{how:?}");
            let short = read_range(&f, "t", 250_000, 60_000, how);
            assert!(matches!(short, Err(LoadError::Truncated { .. })), "{how:?}: {short:?}");
        }
    }
}

#[cfg(test)]
mod auto_tests {
    use super::*;

    #[test]
    fn auto_is_the_reader_but_for_small_files_on_this_machine() {
        let big = crate::load::MEASURED_THRESHOLD_BYTES;
        assert_eq!(Backend::auto_for(StorageClass::Remote, big * 4), Backend::READER);
        assert_eq!(Backend::auto_for(StorageClass::Remote, 10), Backend::READER);
        for class in [StorageClass::Local, StorageClass::Memory, StorageClass::Unknown] {
            assert_eq!(Backend::auto_for(class, big), Backend::READER, "{class:?}");
            assert_eq!(Backend::auto_for(class, big - 1), Backend::WholeRead, "{class:?}");
        }
        assert_eq!(Backend::parse("auto"), Some(Backend::Auto));
        assert_eq!(
            Backend::Mmap.resolve(&tempfile::tempfile().expect("temp"), 0),
            Backend::Mmap
        );
    }

    #[cfg(all(target_os = "linux", not(feature = "portable")))]
    #[test]
    fn the_class_of_a_temporary_file_and_of_one_in_memory() {
        let f = tempfile::tempfile_in(env!("CARGO_MANIFEST_DIR")).expect("temp file beside the crate");
        let class = StorageClass::of(&f);
        // The checkout lies on a disk here; elsewhere it may be a mount
        // of any kind, but it is told.
        assert_ne!(class, StorageClass::Unknown);
        if std::path::Path::new("/dev/shm").is_dir() {
            let m = tempfile::tempfile_in("/dev/shm").expect("temp file in /dev/shm");
            assert_eq!(StorageClass::of(&m), StorageClass::Memory);
            assert_eq!(Backend::Auto.resolve(&m, 1 << 30), Backend::READER);
            assert_eq!(Backend::Auto.resolve(&m, 1 << 10), Backend::WholeRead);
        }
    }
}

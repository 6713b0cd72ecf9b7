//! An open model file: its inventory plus access to tensor bytes through
//! the chosen backend.

use crate::backend::{self, Backend, ReadStrategy, Storage};
use crate::error::{LoadError, Result};
use crate::formats;
use crate::input::Input;
use crate::inventory::{DataRef, Inventory, TensorInfo};
use crate::limits::Limits;
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Inspects a file held in memory (a mapping or a buffer). Costs: parsing
/// the header only; touches no tensor pages.
///
/// ```
/// use loadlab_loader::{inspect_bytes, DType, Format, Limits};
/// # fn tiny() -> Vec<u8> {
/// #     let h = br#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#;
/// #     let mut f = (h.len() as u64).to_le_bytes().to_vec();
/// #     f.extend_from_slice(h);
/// #     f.extend(1f32.to_le_bytes().into_iter().chain(2f32.to_le_bytes()));
/// #     f
/// # }
/// let inv = inspect_bytes(&tiny(), "tiny.safetensors", &Limits::default())?;
/// assert_eq!(inv.format, Format::Safetensors);
/// assert_eq!((inv.tensors[0].dtype, inv.tensors[0].byte_len()), (DType::F32, 8));
/// # Ok::<(), loadlab_loader::LoadError>(())
/// ```
pub fn inspect_bytes(bytes: &[u8], name: &str, limits: &Limits) -> Result<Inventory> {
    let mut input = Input::new(Cursor::new(bytes), bytes.len() as u64, name);
    formats::inspect(&mut input, limits)
}

/// Inspects from any reader. With `buffered`, reads go through a 64 KiB
/// `BufReader` (the ledger's H05 measured it against raw reads).
/// Costs: one `seek` to learn the length, then reads of the header only.
///
/// ```
/// use loadlab_loader::{inspect_reader, Limits};
/// # fn tiny() -> Vec<u8> {
/// #     let h = br#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#;
/// #     let mut f = (h.len() as u64).to_le_bytes().to_vec();
/// #     f.extend_from_slice(h);
/// #     f.extend(1f32.to_le_bytes().into_iter().chain(2f32.to_le_bytes()));
/// #     f
/// # }
/// let inv = inspect_reader(std::io::Cursor::new(tiny()), "tiny", &Limits::default(), true)?;
/// assert_eq!(inv.tensors[0].name, "w");
/// # Ok::<(), loadlab_loader::LoadError>(())
/// ```
pub fn inspect_reader<R: Read + Seek>(mut r: R, name: &str, limits: &Limits, buffered: bool) -> Result<Inventory> {
    let len = r.seek(SeekFrom::End(0)).map_err(|e| LoadError::io(name, e))?;
    r.seek(SeekFrom::Start(0)).map_err(|e| LoadError::io(name, e))?;
    if buffered {
        let mut input = Input::new(BufReader::with_capacity(backend::READER_BUFFER_BYTES, r), len, name);
        formats::inspect(&mut input, limits)
    } else {
        let mut input = Input::new(r, len, name);
        formats::inspect(&mut input, limits)
    }
}

/// Inspects a file by path with the given backend: the inventory only.
///
/// ```
/// use loadlab_loader::{inspect_path, Backend, Limits};
/// # fn tiny() -> Vec<u8> {
/// #     let h = br#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#;
/// #     let mut f = (h.len() as u64).to_le_bytes().to_vec();
/// #     f.extend_from_slice(h);
/// #     f.extend(1f32.to_le_bytes().into_iter().chain(2f32.to_le_bytes()));
/// #     f
/// # }
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("tiny.safetensors");
/// std::fs::write(&path, tiny()).unwrap();
/// let inv = inspect_path(&path, Backend::READER, &Limits::default())?;
/// assert_eq!(inv.tensors.len(), 1);
/// # Ok::<(), loadlab_loader::LoadError>(())
/// ```
pub fn inspect_path(path: impl AsRef<Path>, backend: Backend, limits: &Limits) -> Result<Inventory> {
    Ok(Model::open(path, backend, limits)?.inventory)
}

/// Reads exactly the `len` bytes a file had when it was opened, after
/// checking `len` against [`Limits::max_whole_read_bytes`] and reserving the
/// buffer fallibly: a file too large for memory is a `LimitExceeded` before
/// a byte is read, never an allocator abort. A file that shrank meanwhile is
/// `Truncated`; bytes it gained are not read.
fn read_whole(file: &std::fs::File, name: &str, len: u64, limits: &Limits) -> Result<Vec<u8>> {
    let too_large = |limit: u64| LoadError::LimitExceeded {
        file: name.to_owned(),
        offset: None,
        field: "file size (whole-read backend)",
        found: len,
        limit,
    };
    if len > limits.max_whole_read_bytes {
        return Err(too_large(limits.max_whole_read_bytes));
    }
    let n = usize::try_from(len).map_err(|_| too_large(usize::MAX as u64))?;
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| LoadError::Io {
        file: name.to_owned(),
        source: std::io::Error::new(
            std::io::ErrorKind::OutOfMemory,
            format!("cannot allocate {len} bytes to read the whole file"),
        ),
    })?;
    file.take(len).read_to_end(&mut v).map_err(|e| LoadError::io(name, e))?;
    if (v.len() as u64) < len {
        return Err(LoadError::Truncated {
            file: name.to_owned(),
            offset: Some(v.len() as u64),
            field: "file (shrank while read)",
            needed: len,
            available: v.len() as u64,
        });
    }
    Ok(v)
}

/// `Truncated` when pages of a guarded mapping read as zeros because the
/// file shrank under it ([`crate::guard`]).
fn check_storage(storage: &Storage<'_>, name: &str) -> Result<()> {
    match storage {
        Storage::Mapped(m) if m.faults() > 0 => Err(LoadError::Truncated {
            file: name.to_owned(),
            offset: None,
            field: "mapped file (it shrank while mapped; pages past its new end read as zeros)",
            needed: m.len() as u64,
            available: std::fs::metadata(name).map_or(0, |md| md.len()),
        }),
        _ => Ok(()),
    }
}

/// Reads in flight while [`Model::open_verified`] hashes: enough to keep
/// a device's queue busy behind one hashing core. Not yet measured against
/// other counts (the verified-load hypothesis of issue #28 will).
const VERIFIED_IN_FLIGHT: usize = 4;

/// An open model file: its inventory, and its tensors' bytes through the
/// backend it was opened with.
///
/// `'a` is the lifetime of borrowed input ([`Model::from_slice`], or a
/// borrowing reader given to [`Model::from_reader`]); a model opened from a
/// path or an owned buffer is a `Model<'static>`.
///
/// ```
/// # fn main() -> Result<(), loadlab_loader::LoadError> {
/// use loadlab_loader::{Limits, Model};
/// // A safetensors file of one F32 tensor [1.0, 2.0], built in memory.
/// let header = br#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#;
/// let mut file = (header.len() as u64).to_le_bytes().to_vec();
/// file.extend_from_slice(header);
/// file.extend_from_slice(&1f32.to_le_bytes());
/// file.extend_from_slice(&2f32.to_le_bytes());
///
/// let m = Model::from_slice(&file, "w.safetensors", &Limits::default())?;
/// assert_eq!(m.inventory().tensors[0].shape, [2]);
/// assert_eq!(m.tensor_f32("w")?, [1.0, 2.0]);
/// # Ok(())
/// # }
/// ```
pub struct Model<'a> {
    name: String,
    path: PathBuf,
    backend: Backend,
    inventory: Inventory,
    storage: Storage<'a>,
    index: HashMap<String, usize>,
    read_strategy: ReadStrategy,
}

impl std::fmt::Debug for Model<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("path", &self.path)
            .field("backend", &self.backend)
            .field("tensors", &self.inventory.tensors.len())
            .finish()
    }
}

impl Model<'static> {
    /// Opens and inspects `path`. Refuses non-regular files (without
    /// blocking on a FIFO) and files over `limits.max_file_bytes` before
    /// reading anything.
    ///
    /// ```no_run
    /// use loadlab_loader::{Backend, Limits, Model};
    /// let m = Model::open("model.safetensors", Backend::Mmap, &Limits::default())?;
    /// for t in &m.inventory().tensors {
    ///     println!("{} {} {:?}", t.name, t.dtype, t.shape);
    /// }
    /// # Ok::<(), loadlab_loader::LoadError>(())
    /// ```
    pub fn open(path: impl AsRef<Path>, backend: Backend, limits: &Limits) -> Result<Model<'static>> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let (file, len) = crate::path::open_regular(path, limits.max_file_bytes)?;
        let backend = backend.resolve(&file, len);
        let (inventory, storage) = match backend {
            // `resolve` never returns `Auto`; the arm only completes the match.
            Backend::Mmap | Backend::Auto => {
                let m = backend::map(&file, &name)?;
                let inventory = inspect_bytes(&m, &name, limits);
                let storage = Storage::Mapped(m);
                // A file truncated during the parse read as zeros: whatever
                // the parse made of them, the error is the truncation.
                check_storage(&storage, &name)?;
                (inventory?, storage)
            }
            Backend::WholeRead => {
                let v = read_whole(&file, &name, len, limits)?;
                (inspect_bytes(&v, &name, limits)?, Storage::Owned(v))
            }
            Backend::Reader { buffered } => (inspect_reader(&file, &name, limits, buffered)?, Storage::File(file)),
        };
        Ok(Model::from_parts(name, path.to_owned(), backend, inventory, storage))
    }

    /// Opens `path` only if its SHA-256 is `expected` (64 hex digits): the
    /// file is read into memory once — 1 MiB requests, several in flight —
    /// and each request's bytes are hashed in file order as soon as they
    /// arrive; the model is then parsed from that memory. One pass over the
    /// storage, where a verify followed by a load reads the file twice. On
    /// a mismatch nothing is parsed: [`LoadError::HashMismatch`]. The model
    /// holds the whole file, like [`Backend::WholeRead`].
    ///
    /// ```no_run
    /// use loadlab_loader::{Limits, Model};
    /// // The digest a model's publisher gives (e.g. Hugging Face's LFS pointer).
    /// let sha256 = "93339889293caf09aea7482aca3b0c94c8de7b65a02719b43aba1465d156cf33";
    /// let m = Model::open_verified("model-00001-of-00003.safetensors", sha256, &Limits::default())?;
    /// println!("{} tensors, verified", m.inventory().tensors.len());
    /// # Ok::<(), loadlab_loader::LoadError>(())
    /// ```
    pub fn open_verified(path: impl AsRef<Path>, expected: &str, limits: &Limits) -> Result<Model<'static>> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let want = crate::verify::parse_digest(expected)?;
        let (file, len) = crate::path::open_regular(path, limits.max_file_bytes)?;
        // The whole file is held in memory: the whole-read backend's bound.
        if len > limits.max_whole_read_bytes {
            return Err(LoadError::LimitExceeded {
                file: name,
                offset: None,
                field: "file size (verified open reads it whole)",
                found: len,
                limit: limits.max_whole_read_bytes,
            });
        }
        let plan = crate::io::ReadPlan::buffered(crate::verify::HASH_CHUNK_BYTES, VERIFIED_IN_FLIGHT);
        let (bytes, got) = crate::io::read_open_hashed(&file, &name, len, &plan)?;
        if got != want {
            return Err(LoadError::HashMismatch {
                file: name,
                expected: want,
                actual: got,
            });
        }
        let inventory = inspect_bytes(&bytes, &name, limits)?;
        Ok(Model::from_parts(
            name,
            path.to_owned(),
            Backend::WholeRead,
            inventory,
            Storage::Read(bytes),
        ))
    }

    /// Opens a file already in memory, taking the buffer (the whole-read
    /// backend without the read). `name` names it in errors.
    pub fn from_bytes(bytes: Vec<u8>, name: &str, limits: &Limits) -> Result<Model<'static>> {
        let inventory = inspect_bytes(&bytes, name, limits)?;
        Ok(Model::unopened(
            name,
            Backend::WholeRead,
            inventory,
            Storage::Owned(bytes),
        ))
    }
}

impl<'a> Model<'a> {
    /// Opens a file held in memory by the caller, borrowing it: tensor
    /// bytes are slices of `bytes`, nothing is copied (as
    /// `safetensors::SafeTensors::deserialize` does).
    ///
    /// ```
    /// use loadlab_loader::{Limits, Model};
    /// # fn tiny() -> Vec<u8> {
    /// #     let h = br#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#;
    /// #     let mut f = (h.len() as u64).to_le_bytes().to_vec();
    /// #     f.extend_from_slice(h);
    /// #     f.extend(1f32.to_le_bytes().into_iter().chain(2f32.to_le_bytes()));
    /// #     f
    /// # }
    /// let file: Vec<u8> = tiny(); // a safetensors file in memory
    /// let m = Model::from_slice(&file, "tiny.safetensors", &Limits::default())?;
    /// let w = m.tensor_bytes("w")?;
    /// assert!(matches!(w, std::borrow::Cow::Borrowed(_))); // no copy
    /// # Ok::<(), loadlab_loader::LoadError>(())
    /// ```
    pub fn from_slice(bytes: &'a [u8], name: &str, limits: &Limits) -> Result<Model<'a>> {
        let inventory = inspect_bytes(bytes, name, limits)?;
        Ok(Model::unopened(
            name,
            Backend::WholeRead,
            inventory,
            Storage::Borrowed(bytes),
        ))
    }

    /// Opens any `Read + Seek` source (a network stream behind a buffer, an
    /// archive member, a file opened elsewhere): its header is read through
    /// a 64 KiB buffer, tensor bytes by seeking and reading under a lock,
    /// so the model can be shared between threads. `name` names it in
    /// errors.
    ///
    /// ```
    /// use loadlab_loader::{Limits, Model};
    /// # fn tiny() -> Vec<u8> {
    /// #     let h = br#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#;
    /// #     let mut f = (h.len() as u64).to_le_bytes().to_vec();
    /// #     f.extend_from_slice(h);
    /// #     f.extend(1f32.to_le_bytes().into_iter().chain(2f32.to_le_bytes()));
    /// #     f
    /// # }
    /// // Any Read + Seek + Send source; here a cursor over bytes.
    /// let m = Model::from_reader(std::io::Cursor::new(tiny()), "tiny.safetensors", &Limits::default())?;
    /// assert_eq!(m.tensor_f32("w")?, [1.0, 2.0]);
    /// # Ok::<(), loadlab_loader::LoadError>(())
    /// ```
    pub fn from_reader<R: Read + Seek + Send + 'a>(mut reader: R, name: &str, limits: &Limits) -> Result<Model<'a>> {
        let inventory = inspect_reader(&mut reader, name, limits, true)?;
        Ok(Model::unopened(
            name,
            Backend::READER,
            inventory,
            Storage::Stream(std::sync::Mutex::new(Box::new(reader))),
        ))
    }

    /// A model that was handed over rather than opened from a path: its
    /// `name` stands for the path too.
    fn unopened(name: &str, backend: Backend, inventory: Inventory, storage: Storage<'a>) -> Model<'a> {
        Model::from_parts(name.to_owned(), PathBuf::from(name), backend, inventory, storage)
    }

    fn from_parts(
        name: String,
        path: PathBuf,
        backend: Backend,
        inventory: Inventory,
        storage: Storage<'a>,
    ) -> Model<'a> {
        let index = inventory
            .tensors
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.clone(), i))
            .collect();
        Model {
            name,
            path,
            backend,
            inventory,
            storage,
            index,
            read_strategy: ReadStrategy::default(),
        }
    }

    /// `Ok` unless the file shrank while it was mapped and a read met a page
    /// past its new end: then [`LoadError::Truncated`]. Only guarded
    /// mappings can tell ([`crate::guard::install`]); without the guard such
    /// a read ends the process with `SIGBUS` before this could be called.
    /// Every load function of the crate calls it after reading; a caller
    /// that reads borrowed bytes itself calls it when done with them.
    pub fn check_intact(&self) -> Result<()> {
        check_storage(&self.storage, &self.name)
    }

    /// Chooses how the reader backend fills tensor buffers (H01; the
    /// `lab` feature's baselines).
    #[cfg(feature = "lab")]
    pub fn with_read_strategy(mut self, how: ReadStrategy) -> Model<'a> {
        self.read_strategy = how;
        self
    }

    /// Everything about the file but tensor data.
    pub fn inventory(&self) -> &Inventory {
        &self.inventory
    }

    /// The path it was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The backend it was opened with; for [`Backend::Auto`], the one it
    /// chose.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Name used in error messages (the path as given).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Reads `buf.len()` bytes at `offset` (any backend).
    pub fn read_into(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.storage.read_into(&self.name, offset, buf)
    }

    /// The whole file, when the backend holds it in memory.
    pub fn bytes(&self) -> Option<&[u8]> {
        self.storage.as_slice()
    }

    /// A tensor's inventory entry, or `TensorNotFound`.
    pub fn info(&self, name: &str) -> Result<&TensorInfo> {
        self.index
            .get(name)
            .map(|&i| &self.inventory.tensors[i])
            .ok_or_else(|| LoadError::TensorNotFound {
                file: self.name.clone(),
                name: name.to_owned(),
            })
    }

    /// The tensor's bytes exactly as stored (after inflating a compressed
    /// member): borrowed from the mapping or buffer when possible, else owned.
    /// Cost: mmap — none until the pages are touched; reader — one `pread`
    /// of the tensor's length into a new buffer.
    pub fn raw_bytes(&self, name: &str) -> Result<Cow<'_, [u8]>> {
        let t = self.info(name)?;
        self.raw_bytes_of(t)
    }

    /// As [`Model::raw_bytes`], for an inventory entry of this model.
    pub fn raw_bytes_of(&self, t: &TensorInfo) -> Result<Cow<'_, [u8]>> {
        match t.data {
            DataRef::Range { offset, len } if t.layout.stored_member.is_some() => {
                let m = t.layout.stored_member.expect("checked");
                self.checked_member_range(m, offset, len)
            }
            DataRef::Range { offset, len } => match self.storage.as_slice() {
                Some(s) => Ok(Cow::Borrowed(backend::slice_range(s, &self.name, offset, len)?)),
                None => Ok(Cow::Owned(self.storage.read_at(
                    &self.name,
                    offset,
                    len,
                    self.read_strategy,
                )?)),
            },
            DataRef::Deflated {
                offset,
                compressed,
                uncompressed,
                crc32,
                skip,
                len,
            } => {
                let raw = match self.storage.as_slice() {
                    Some(s) => Cow::Borrowed(backend::slice_range(s, &self.name, offset, compressed)?),
                    None => Cow::Owned(
                        self.storage
                            .read_at(&self.name, offset, compressed, self.read_strategy)?,
                    ),
                };
                let mut full = formats::zip::inflate(&self.name, offset, &raw, uncompressed, crc32)?;
                let end = skip
                    .checked_add(len)
                    .filter(|&e| e <= full.len() as u64)
                    .ok_or_else(|| LoadError::Truncated {
                        file: self.name.clone(),
                        offset: Some(offset),
                        field: "inflated tensor data",
                        needed: skip.saturating_add(len),
                        available: full.len() as u64,
                    })?;
                full.truncate(end as usize);
                full.drain(..skip as usize);
                Ok(Cow::Owned(full))
            }
        }
    }

    /// `[offset, offset + len)` of a stored zip member, after checking the
    /// member's CRC-32 (so a flipped byte in an NPZ is an error, as in
    /// numpy). Cost: one pass of CRC-32 over the member.
    fn checked_member_range(&self, m: crate::inventory::StoredMember, offset: u64, len: u64) -> Result<Cow<'_, [u8]>> {
        let member: Cow<'_, [u8]> = match self.storage.as_slice() {
            Some(s) => Cow::Borrowed(backend::slice_range(s, &self.name, m.offset, m.len)?),
            None => Cow::Owned(self.storage.read_at(&self.name, m.offset, m.len, self.read_strategy)?),
        };
        let mut crc = flate2::Crc::new();
        crc.update(&member);
        if crc.sum() != m.crc32 {
            return Err(LoadError::Invalid {
                file: self.name.clone(),
                offset: Some(m.offset),
                field: "zip member CRC-32",
                reason: format!(
                    "member data has CRC {:08x}, the directory says {:08x}",
                    crc.sum(),
                    m.crc32
                ),
            });
        }
        let start = offset
            .checked_sub(m.offset)
            .filter(|s| s.checked_add(len).is_some_and(|e| e <= m.len))
            .ok_or_else(|| LoadError::Invalid {
                file: self.name.clone(),
                offset: Some(offset),
                field: "tensor data",
                reason: "outside its zip member".into(),
            })? as usize;
        Ok(match member {
            Cow::Borrowed(b) => Cow::Borrowed(&b[start..start + len as usize]),
            Cow::Owned(mut v) => {
                v.truncate(start + len as usize);
                v.drain(..start);
                Cow::Owned(v)
            }
        })
    }

    /// The tensor's canonical bytes: row-major, little-endian. Borrowed
    /// when the stored form already is canonical; otherwise a gathered and/or
    /// byte-swapped copy.
    pub fn tensor_bytes(&self, name: &str) -> Result<Cow<'_, [u8]>> {
        let t = self.info(name)?;
        self.tensor_bytes_of(t)
    }

    /// As [`Model::tensor_bytes`], for an inventory entry of this model.
    pub fn tensor_bytes_of(&self, t: &TensorInfo) -> Result<Cow<'_, [u8]>> {
        let raw = self.raw_bytes_of(t)?;
        canonicalize(&self.name, t, raw)
    }
}

/// Turns stored bytes into canonical row-major little-endian bytes.
pub fn canonicalize<'a>(file: &str, t: &TensorInfo, raw: Cow<'a, [u8]>) -> Result<Cow<'a, [u8]>> {
    if t.layout.is_canonical() {
        return Ok(raw);
    }
    let esize = t.dtype.size().ok_or_else(|| LoadError::Unsupported {
        file: file.to_owned(),
        what: "layout",
        found: format!("strided or big-endian block-quantized tensor {:?}", t.name),
    })? as usize;
    let mut out = match &t.layout.strides {
        Some(strides) => gather(&raw, esize, &t.shape, strides),
        None => raw.into_owned(),
    };
    if t.layout.big_endian && esize > 1 {
        // Complex numbers swap each of their two halves.
        let unit = if matches!(t.dtype, crate::DType::C64 | crate::DType::C128) {
            esize / 2
        } else {
            esize
        };
        for e in out.chunks_exact_mut(unit) {
            e.reverse();
        }
    }
    Ok(Cow::Owned(out))
}

/// Copies a strided tensor into row-major order. `src` starts at the
/// tensor's first element; callers have checked that every index it can
/// reach lies inside `src`.
fn gather(src: &[u8], esize: usize, shape: &[u64], strides: &[u64]) -> Vec<u8> {
    let n: u64 = shape.iter().product();
    let mut out = Vec::with_capacity(n as usize * esize);
    if n == 0 {
        return out;
    }
    let mut idx = vec![0u64; shape.len()];
    loop {
        let off: u64 = idx.iter().zip(strides).map(|(i, s)| i * s).sum::<u64>() * esize as u64;
        out.extend_from_slice(&src[off as usize..off as usize + esize]);
        // Odometer increment, innermost dimension fastest.
        let mut d = shape.len();
        loop {
            if d == 0 {
                return out;
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

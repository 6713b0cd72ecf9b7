//! Writing one tensor to a `.npy` file without ever writing anywhere else.
//!
//! Everything that can fail on the input (the tensor's name, the conversion,
//! reading and decoding its bytes) is done before a file is created. The
//! output is written to a fresh temporary file in the target's folder —
//! created exclusively, so a planted symlink or file at any predictable name
//! is never opened — and renamed over the target only when complete. An
//! existing target is replaced only when asked (`overwrite`), and never when
//! it is not a regular file (a symlink, a FIFO, a device, a folder). On any
//! error nothing is left behind.

use crate::convert::Target;
use crate::error::{LoadError, Result};
use crate::model::Model;
use std::io::Write;
use std::path::Path;

/// Writes tensor `name` of `model`, converted to `to`, as a `.npy` at `out`.
///
/// ```
/// use loadlab_loader::{convert::Target, export::export_npy_file, Limits, Model};
/// # fn tiny() -> Vec<u8> {
/// #     let h = br#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#;
/// #     let mut f = (h.len() as u64).to_le_bytes().to_vec();
/// #     f.extend_from_slice(h);
/// #     f.extend(1f32.to_le_bytes().into_iter().chain(2f32.to_le_bytes()));
/// #     f
/// # }
/// let bytes = tiny();
/// let m = Model::from_slice(&bytes, "tiny.safetensors", &Limits::default())?;
/// let dir = tempfile::tempdir().unwrap();
/// let out = dir.path().join("w.npy");
/// export_npy_file(&m, "w", Target::F16, &out, false)?;
/// assert_eq!(&std::fs::read(&out).unwrap()[..6], b"\x93NUMPY");
/// // An existing file is kept unless `overwrite` is true.
/// assert!(export_npy_file(&m, "w", Target::F16, &out, false).is_err());
/// # Ok::<(), loadlab_loader::LoadError>(())
/// ```
pub fn export_npy_file(model: &Model, name: &str, to: Target, out: &Path, overwrite: bool) -> Result<()> {
    let out_name = out.display().to_string();
    let refuse = |reason: String| LoadError::PathRefused {
        path: out.to_owned(),
        reason,
    };
    // 0. Never onto the input itself, under any of its names (the same
    //    path, a hard link, a symbolic link to it): the rename below would
    //    replace the model with one of its own tensors.
    if is_same_file(model.path(), out) {
        return Err(refuse(format!(
            "is the input file {} itself (the same file under this name); refusing to overwrite it",
            model.path().display()
        )));
    }
    // 1. The input: look up, read, convert — before touching the output.
    let npy = model.npy_array(name, to)?;
    // 2. The target: absent, or a regular file we were told to replace.
    match std::fs::symlink_metadata(out) {
        Ok(m) if m.file_type().is_file() => {
            if !overwrite {
                return Err(refuse("already exists (pass --force to replace it)".into()));
            }
        }
        Ok(m) => {
            return Err(refuse(format!(
                "is a {}, not a regular file; refusing to replace it",
                crate::path::file_kind(&m.file_type())
            )))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(LoadError::io(&out_name, e)),
    }
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let file_name = out
        .file_name()
        .ok_or_else(|| refuse("names no file".into()))?
        .to_string_lossy();
    // 3. A fresh temporary file beside the target (O_EXCL, random name).
    let prefix = format!(".{file_name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".partial");
    if let Some(mode) = crate::sys::new_file_permissions() {
        // The mode a plain create would give (the kernel applies the umask).
        builder.permissions(mode);
    }
    let mut tmp = builder
        .tempfile_in(dir)
        .map_err(|e| LoadError::io(dir.display().to_string(), e))?;
    let tmp_name = tmp.path().display().to_string();
    {
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        npy.write(&mut w, &tmp_name)?;
        w.flush().map_err(|e| LoadError::io(&tmp_name, e))?;
    }
    tmp.as_file().sync_all().map_err(|e| LoadError::io(&tmp_name, e))?;
    // 4. Into place. rename(2) replaces the directory entry itself, never
    // what a symlink planted there since step 2 points at.
    let placed = if overwrite {
        tmp.persist(out).map(|_| ())
    } else {
        tmp.persist_noclobber(out).map(|_| ())
    };
    placed.map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            refuse("appeared while exporting (pass --force to replace it)".into())
        } else {
            LoadError::io(&out_name, e.error)
        }
    })
}

/// True when `a` and `b` name the same existing file, following symbolic
/// links: the same device and inode on Unix; elsewhere the same canonical
/// path, or the same size, modification and creation time (on the side of
/// refusing).
pub fn is_same_file(a: &Path, b: &Path) -> bool {
    crate::sys::same_file(a, b)
}

impl Model<'_> {
    /// Writes the tensor as a standard `.npy` in `to` (what `np.save` of
    /// the reference's array in that dtype writes; BF16 as ml-dtypes' `<V2`).
    /// To write a file safely, see `export::export_npy_file`.
    pub fn export_npy(&self, name: &str, to: Target, out: impl std::io::Write) -> Result<()> {
        self.npy_array(name, to)?.write(out, self.name())
    }

    /// The tensor converted to `to`, with what its `.npy` header needs.
    pub fn npy_array(&self, name: &str, to: Target) -> Result<NpyArray> {
        let t = self.info(name)?;
        let data = self.tensor_as(name, to)?;
        let descr = match to {
            Target::F32 => "<f4",
            Target::F16 => "<f2",
            Target::BF16 => "<V2",
        };
        // GGUF lists dimensions innermost first; numpy wants them outermost first.
        let shape: Vec<u64> = if self.inventory().format == crate::Format::Gguf {
            t.shape.iter().rev().copied().collect()
        } else {
            t.shape.clone()
        };
        Ok(NpyArray { descr, shape, data })
    }
}

/// A converted tensor ready to be written as `.npy`.
#[derive(Debug)]
pub struct NpyArray {
    /// numpy's type string (`<f4`, `<f2`, `<V2`).
    pub descr: &'static str,
    /// Dimensions, outermost first.
    pub shape: Vec<u64>,
    /// Little-endian element bytes, row-major.
    pub data: Vec<u8>,
}

impl NpyArray {
    /// Writes header and data; `file` names the destination in errors.
    pub fn write(&self, out: impl std::io::Write, file: &str) -> Result<()> {
        crate::formats::npy::write(out, self.descr, &self.shape, &self.data).map_err(|e| LoadError::io(file, e))
    }
}

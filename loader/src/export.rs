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
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{file_name}."))
        .suffix(".partial")
        // The mode a plain create would give (the kernel applies the umask).
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
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
/// links: the same device and inode on Unix, the same canonical path
/// elsewhere.
pub fn is_same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        match (a.canonicalize(), b.canonicalize()) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
    }
}

//! Path validation: a file named relative to a model root must resolve,
//! after following every symlink, to a regular file inside that root and
//! under the size limit.

use crate::error::{LoadError, Result};
use std::fs::File;
use std::path::{Component, Path, PathBuf};

/// Opens `path` for reading without ever blocking, and refuses anything
/// that is not a regular file (FIFOs, sockets, devices such as `/dev/zero`,
/// directories) or is larger than `max_bytes`, before a byte is read.
///
/// The open uses `O_NONBLOCK`, so opening a FIFO with no writer returns at
/// once instead of waiting; the type is then checked on the open handle
/// (`fstat`), so a path swapped after a check cannot slip through.
/// Returns the file and its size.
pub fn open_regular(path: &Path, max_bytes: u64) -> Result<(File, u64)> {
    let name = path.display().to_string();
    let file = crate::sys::open_read(path).map_err(|e| match e.kind() {
        // The portable open refuses a non-regular file by its type.
        std::io::ErrorKind::InvalidInput => LoadError::PathRefused {
            path: path.to_owned(),
            reason: e.to_string(),
        },
        _ => LoadError::io(&name, e),
    })?;
    let meta = file.metadata().map_err(|e| LoadError::io(&name, e))?;
    if !meta.is_file() {
        return Err(LoadError::PathRefused {
            path: path.to_owned(),
            reason: format!("not a regular file (a {})", file_kind(&meta.file_type())),
        });
    }
    if meta.len() > max_bytes {
        return Err(LoadError::LimitExceeded {
            file: name,
            offset: None,
            field: "file size",
            found: meta.len(),
            limit: max_bytes,
        });
    }
    Ok((file, meta.len()))
}

/// Reads a whole small text file (a manifest, an index) through
/// [`open_regular`], refusing one over `max_bytes` or not UTF-8.
pub fn read_small_text(path: &Path, max_bytes: u64) -> Result<String> {
    use std::io::Read;
    let name = path.display().to_string();
    let (file, len) = open_regular(path, max_bytes)?;
    let mut buf = Vec::with_capacity(len as usize);
    // The file may grow after the size check: read one byte past the cap at most.
    file.take(max_bytes + 1)
        .read_to_end(&mut buf)
        .map_err(|e| LoadError::io(&name, e))?;
    if buf.len() as u64 > max_bytes {
        return Err(LoadError::LimitExceeded {
            file: name,
            offset: None,
            field: "file size",
            found: buf.len() as u64,
            limit: max_bytes,
        });
    }
    String::from_utf8(buf).map_err(|e| LoadError::Invalid {
        file: name,
        offset: Some(e.utf8_error().valid_up_to() as u64),
        field: "text",
        reason: "not UTF-8".into(),
    })
}

/// A word for a file type, for messages.
pub fn file_kind(t: &std::fs::FileType) -> &'static str {
    crate::sys::file_kind(t)
}

/// Resolves `rel` inside `root` and checks it. Refuses absolute paths,
/// `..` components, symlinks that lead outside the root, anything that is
/// not a regular file, and files larger than `max_file_bytes`.
/// Cost: two `realpath` calls and one `stat`.
pub fn resolve_in_root(root: &Path, rel: &Path, max_file_bytes: u64) -> Result<PathBuf> {
    let refuse = |reason: &str| LoadError::PathRefused {
        path: rel.to_owned(),
        reason: reason.to_owned(),
    };
    if rel.as_os_str().is_empty() {
        return Err(refuse("empty path"));
    }
    for c in rel.components() {
        match c {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => return Err(refuse("contains '..'")),
            Component::RootDir | Component::Prefix(_) => return Err(refuse("is absolute")),
        }
    }
    let root = root
        .canonicalize()
        .map_err(|e| LoadError::io(root.display().to_string(), e))?;
    let full = root.join(rel);
    let real = full
        .canonicalize()
        .map_err(|e| LoadError::io(full.display().to_string(), e))?;
    if !real.starts_with(&root) {
        return Err(refuse(&format!(
            "resolves to {} outside the root {}",
            real.display(),
            root.display()
        )));
    }
    let meta = std::fs::metadata(&real).map_err(|e| LoadError::io(real.display().to_string(), e))?;
    if !meta.is_file() {
        return Err(refuse(&format!(
            "is not a regular file (a {})",
            file_kind(&meta.file_type())
        )));
    }
    if meta.len() > max_file_bytes {
        return Err(LoadError::LimitExceeded {
            file: real.display().to_string(),
            offset: None,
            field: "file size",
            found: meta.len(),
            limit: max_file_bytes,
        });
    }
    Ok(real)
}

// Symbolic links, FIFOs and /dev/zero: Unix file-system objects.
#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn kind(r: Result<PathBuf>) -> &'static str {
        match r {
            Ok(_) => "ok",
            Err(e) => e.kind(),
        }
    }

    #[test]
    fn refuses_escapes_and_accepts_inside() {
        let outer = tempfile::tempdir().unwrap();
        let root = outer.path().join("root");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/w.bin"), b"1234").unwrap();
        std::fs::write(outer.path().join("secret"), b"x").unwrap();
        symlink(outer.path().join("secret"), root.join("escape")).unwrap();
        symlink(root.join("sub/w.bin"), root.join("inside-link")).unwrap();
        std::fs::create_dir(root.join("dir")).unwrap();

        assert_eq!(kind(resolve_in_root(&root, Path::new("sub/w.bin"), 100)), "ok");
        assert_eq!(kind(resolve_in_root(&root, Path::new("./sub/w.bin"), 100)), "ok");
        assert_eq!(kind(resolve_in_root(&root, Path::new("inside-link"), 100)), "ok");
        assert_eq!(kind(resolve_in_root(&root, Path::new("../secret"), 100)), "path");
        assert_eq!(kind(resolve_in_root(&root, Path::new("sub/../../secret"), 100)), "path");
        assert_eq!(kind(resolve_in_root(&root, &outer.path().join("secret"), 100)), "path");
        assert_eq!(kind(resolve_in_root(&root, Path::new("escape"), 100)), "path");
        assert_eq!(kind(resolve_in_root(&root, Path::new("dir"), 100)), "path");
        assert_eq!(kind(resolve_in_root(&root, Path::new("sub/w.bin"), 3)), "limit");
        assert_eq!(kind(resolve_in_root(&root, Path::new("missing"), 100)), "io");
        assert_eq!(kind(resolve_in_root(&root, Path::new(""), 100)), "path");
    }

    #[test]
    fn open_regular_refuses_what_could_block_or_never_end() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        // A FIFO with no writer: must return at once, refused.
        assert_eq!(open_regular(&fifo, 100).map(|_| ()).unwrap_err().kind(), "path");
        assert_eq!(read_small_text(&fifo, 100).unwrap_err().kind(), "path");
        assert_eq!(
            open_regular(Path::new("/dev/zero"), 100)
                .map(|_| ())
                .unwrap_err()
                .kind(),
            "path"
        );
        assert_eq!(open_regular(dir.path(), 100).map(|_| ()).unwrap_err().kind(), "path");
        let f = dir.path().join("f");
        std::fs::write(&f, b"12345").unwrap();
        assert_eq!(open_regular(&f, 100).unwrap().1, 5);
        assert_eq!(open_regular(&f, 4).map(|_| ()).unwrap_err().kind(), "limit");
        assert_eq!(read_small_text(&f, 100).unwrap(), "12345");
        assert_eq!(read_small_text(&f, 3).unwrap_err().kind(), "limit");
    }
}

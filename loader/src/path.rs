//! Path validation: a file named relative to a model root must resolve,
//! after following every symlink, to a regular file inside that root and
//! under the size limit.

use crate::error::{LoadError, Result};
use std::path::{Component, Path, PathBuf};

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
        return Err(refuse("is not a regular file"));
    }
    if meta.len() > max_file_bytes {
        return Err(LoadError::LimitExceeded {
            file: real.display().to_string(),
            offset: 0,
            field: "file size",
            found: meta.len(),
            limit: max_file_bytes,
        });
    }
    Ok(real)
}

#[cfg(test)]
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
}

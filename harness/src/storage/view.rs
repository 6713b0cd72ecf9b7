//! The files a storage profile exposes: each under the name the fixture
//! store asks for (`minilm-sharded/model-00001-of-00003.safetensors`),
//! backed by a real file wherever it lies (the fixture cache, the shared
//! folder). A profile serves this view from its own storage — linked,
//! copied or through its own filesystem — so the experiments read the same
//! bytes by the same names on every profile.

use crate::error::{HarnessError, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Names and the files behind them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct View {
    files: BTreeMap<String, PathBuf>,
}

impl View {
    /// An empty view.
    pub fn new() -> View {
        View::default()
    }

    /// Exposes the regular file at `path` as `name`: relative,
    /// `/`-separated, no empty, `.` or `..` component. A name may not be
    /// both a file and a folder of the view.
    pub fn add(&mut self, name: &str, path: &Path) -> Result<()> {
        if !valid_name(name) {
            return Err(HarnessError::Other(format!(
                "storage view: {name:?} is not a relative name of plain components"
            )));
        }
        let clash = self
            .files
            .keys()
            .find(|k| k.as_str() == name || is_folder_of(k, name) || is_folder_of(name, k));
        if let Some(k) = clash {
            return Err(HarnessError::Other(format!(
                "storage view: {name:?} clashes with {k:?}"
            )));
        }
        let meta = std::fs::metadata(path).map_err(|e| HarnessError::io(path, e))?;
        if !meta.is_file() {
            return Err(HarnessError::Other(format!(
                "storage view: {} is not a regular file",
                path.display()
            )));
        }
        self.files.insert(name.to_owned(), path.to_path_buf());
        Ok(())
    }

    /// Each name and its file, names in order.
    pub fn files(&self) -> impl Iterator<Item = (&str, &Path)> {
        self.files.iter().map(|(n, p)| (n.as_str(), p.as_path()))
    }

    /// How many files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// No file at all.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The bytes of every file together (what a copy needs).
    pub fn bytes(&self) -> Result<u64> {
        self.files.values().try_fold(0u64, |sum, p| {
            let len = std::fs::metadata(p).map_err(|e| HarnessError::io(p, e))?.len();
            Ok(sum.saturating_add(len))
        })
    }

    /// Writes the view under `dir` as symbolic links to the files (a
    /// network filesystem's server then serves the files themselves).
    pub fn link_into(&self, dir: &Path) -> Result<()> {
        for (name, path) in self.files() {
            let at = dir.join(name);
            make_parent(&at)?;
            let target = std::fs::canonicalize(path).map_err(|e| HarnessError::io(path, e))?;
            std::os::unix::fs::symlink(&target, &at).map_err(|e| HarnessError::io(&at, e))?;
        }
        Ok(())
    }

    /// Copies the files under `dir` (a memory filesystem holds them itself).
    pub fn copy_into(&self, dir: &Path) -> Result<()> {
        for (name, path) in self.files() {
            let at = dir.join(name);
            make_parent(&at)?;
            std::fs::copy(path, &at).map_err(|e| HarnessError::io(&at, e))?;
        }
        Ok(())
    }
}

fn make_parent(at: &Path) -> Result<()> {
    match at.parent() {
        Some(p) => std::fs::create_dir_all(p).map_err(|e| HarnessError::io(p, e)),
        None => Ok(()),
    }
}

/// A relative name of plain components.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains('\0') && name.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
}

/// `folder` names a folder that holds `name` (`a/b` holds `a/b/c`).
fn is_folder_of(folder: &str, name: &str) -> bool {
    name.len() > folder.len() && name.starts_with(folder) && name.as_bytes()[folder.len()] == b'/'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain_and_do_not_clash() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, b"abc").unwrap();
        let mut v = View::new();
        v.add("a/b.gguf", &f).unwrap();
        v.add("a/c.gguf", &f).unwrap();
        v.add("top.npz", &f).unwrap();
        for bad in ["", "/abs", "a//b", "./x", "a/../b", "x/.."] {
            assert!(v.add(bad, &f).is_err(), "{bad:?} accepted");
        }
        // A file and a folder of one name, either way round.
        assert!(v.add("a", &f).is_err());
        assert!(v.add("top.npz/x", &f).is_err());
        assert!(v.add("top.npz", &f).is_err());
        // Only regular files.
        assert!(v.add("d", dir.path()).is_err());
        assert!(v.add("gone", &dir.path().join("missing")).is_err());
        assert_eq!(v.len(), 3);
        assert_eq!(v.bytes().unwrap(), 9);
    }

    #[test]
    fn links_and_copies_read_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, b"tensor bytes").unwrap();
        let mut v = View::new();
        v.add("sharded/one.safetensors", &f).unwrap();
        for (how, out) in [("link", dir.path().join("l")), ("copy", dir.path().join("c"))] {
            if how == "link" {
                v.link_into(&out).unwrap();
            } else {
                v.copy_into(&out).unwrap();
            }
            let got = std::fs::read(out.join("sharded/one.safetensors")).unwrap();
            assert_eq!(got, b"tensor bytes", "{how}");
        }
        assert!(std::fs::symlink_metadata(dir.path().join("l/sharded/one.safetensors"))
            .unwrap()
            .file_type()
            .is_symlink());
    }
}

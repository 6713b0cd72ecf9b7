//! Where `lab` works: the loadlab workspace found from the current
//! directory (walking up to the `Cargo.toml` that declares the workspace),
//! or named with `--root`. Never the folder the binary was compiled in, so
//! a `lab` built in one checkout works in another.

use fixtures::Store;
use std::path::{Path, PathBuf};

/// A loadlab workspace on disk.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The folder holding the workspace `Cargo.toml`.
    pub root: PathBuf,
}

fn is_root(dir: &Path) -> bool {
    dir.join("fixtures/manifest.toml").is_file()
        && std::fs::read_to_string(dir.join("Cargo.toml")).is_ok_and(|t| t.contains("[workspace]"))
}

impl Workspace {
    /// `explicit` if given (it must be a loadlab workspace), else the
    /// nearest enclosing workspace of the current directory.
    pub fn find(explicit: Option<&Path>) -> Result<Workspace, String> {
        if let Some(dir) = explicit {
            let root = dir
                .canonicalize()
                .map_err(|e| format!("--root {}: {e}", dir.display()))?;
            return if is_root(&root) {
                Ok(Workspace { root })
            } else {
                Err(format!(
                    "--root {}: not a loadlab workspace (no Cargo.toml [workspace] with fixtures/manifest.toml)",
                    root.display()
                ))
            };
        }
        let cwd = std::env::current_dir().map_err(|e| format!("current directory: {e}"))?;
        cwd.ancestors()
            .find(|d| is_root(d))
            .map(|d| Workspace { root: d.to_owned() })
            .ok_or_else(|| {
                format!(
                    "{} is not inside a loadlab workspace; cd into one or pass --root DIR",
                    cwd.display()
                )
            })
    }

    /// `reports/`.
    pub fn reports(&self) -> PathBuf {
        self.root.join("reports")
    }

    /// `reports/ledger/`.
    pub fn ledger_dir(&self) -> PathBuf {
        self.reports().join("ledger")
    }

    /// `reports/calibration.json`.
    pub fn calibration_path(&self) -> PathBuf {
        self.reports().join("calibration.json")
    }

    /// `EXPERIMENTS.md`.
    pub fn index_path(&self) -> PathBuf {
        self.root.join("EXPERIMENTS.md")
    }

    /// A path the user gave (relative to the current directory, as usual),
    /// or `default` relative to the workspace root.
    pub fn path_or(&self, given: Option<&Path>, default: &str) -> PathBuf {
        given.map_or_else(|| self.root.join(default), Path::to_path_buf)
    }

    /// The fixture store of this workspace.
    pub fn store(&self) -> Result<Store, String> {
        Store::open_in(&self.root).map_err(|e| e.to_string())
    }
}

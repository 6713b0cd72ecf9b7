//! What the tests that run real campaigns share: a throw-away workspace
//! (a copy of this one's `Cargo.toml` and `fixtures/` in a git repository
//! of its own, in a folder whose name has a space) with a copy of the lab
//! binary, so nothing touches the checkout's ledger or binaries.

#![allow(dead_code)] // each test binary uses its own part

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if e.file_type().unwrap().is_dir() {
            copy_dir(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

/// Runs `f` (a spawn of the copied `lab`) again while the kernel says the
/// binary is busy: a test thread copying a binary while another forks
/// leaves a write descriptor open in the fork until it execs (ETXTBSY,
/// rust-lang/rust#114554), however briefly.
pub fn retrying<T>(mut f: impl FnMut() -> std::io::Result<T>) -> T {
    for _ in 0..100 {
        match f() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            r => return r.expect("run lab"),
        }
    }
    panic!("lab stayed busy for 2 s")
}

pub fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@t"])
        .args(args)
        .output()
        .unwrap()
        .status
        .success();
    assert!(ok, "git {args:?}");
}

/// A workspace of its own (a folder whose name has a space in it, as
/// users' folders do), committed, with a copy of the lab binary in `bin/`.
pub struct Ws {
    /// Removed when dropped.
    pub dir: tempfile::TempDir,
    /// The workspace root.
    pub root: PathBuf,
    /// The copied lab binary.
    pub lab: PathBuf,
}

pub fn workspace() -> Ws {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("a workspace");
    copy_dir(&repo.join("fixtures"), &root.join("fixtures"));
    std::fs::copy(repo.join("Cargo.toml"), root.join("Cargo.toml")).unwrap();
    git(&root, &["init", "-q", "-b", "main"]);
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-qm", "workspace"]);
    let lab = dir.path().join("bin/lab");
    std::fs::create_dir_all(lab.parent().unwrap()).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_lab"), &lab).unwrap();
    Ws { dir, root, lab }
}

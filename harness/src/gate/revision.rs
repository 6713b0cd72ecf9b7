//! Building the two sides of a comparison: the head (the working tree) and
//! a base revision, checked out in a git worktree of its own and built into
//! a target directory of its own, so neither build disturbs the other and
//! a second gate run reuses the base's compiled dependencies.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `git -C root args…`, returning its trimmed stdout.
pub fn git(root: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The full commit hash `rev` names.
pub fn commit_of(root: &Path, rev: &str) -> Result<String, String> {
    git(
        root,
        &["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")],
    )
    .map_err(|_| format!("{rev:?} names no commit in {}", root.display()))
}

/// The default base: the merge-base of HEAD with `main` (or `origin/main`).
pub fn default_base(root: &Path) -> Result<String, String> {
    for main in ["main", "origin/main", "master", "origin/master"] {
        if let Ok(c) = git(root, &["merge-base", "HEAD", main]) {
            return Ok(c);
        }
    }
    Err("no `main` branch to take the merge-base with; name the base with --base REV".into())
}

/// True when tracked files have uncommitted changes.
pub fn is_dirty(root: &Path) -> bool {
    git(root, &["status", "--porcelain", "--untracked-files=no"]).is_ok_and(|s| !s.is_empty())
}

/// A built binary and the folder to run it in (its workspace root).
#[derive(Debug)]
pub struct Built {
    /// The executable.
    pub exe: PathBuf,
    /// Its workspace root: processes run there, so the binary finds its own
    /// manifest and fixtures.
    pub dir: PathBuf,
    /// A worktree to remove when done.
    worktree: Option<(PathBuf, PathBuf)>,
}

impl Drop for Built {
    fn drop(&mut self) {
        if let Some((root, wt)) = &self.worktree {
            let _ = git(root, &["worktree", "remove", "--force", &wt.display().to_string()]);
        }
    }
}

/// `cargo build --release --bin BIN` in `dir`; returns the executable's
/// path, read from cargo's own messages.
fn cargo_build(dir: &Path, bin: &str, target_dir: Option<&Path>) -> Result<PathBuf, String> {
    let mut cmd = Command::new("cargo");
    cmd.current_dir(dir).args([
        "build",
        "--release",
        "--bin",
        bin,
        "--message-format=json-render-diagnostics",
    ]);
    // Always a target folder inside the checkout being built, never one
    // inherited from the caller's environment: with CARGO_TARGET_DIR set
    // (a shared target folder, a CI cache) another workspace's binary of
    // the same name would land in, and replace, the caller's own.
    cmd.env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .arg("--target-dir")
        .arg(target_dir.map_or_else(|| dir.join("target"), Path::to_path_buf));
    let out = cmd.output().map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err.lines().rev().take(15).collect();
        return Err(format!(
            "cargo build of {bin} in {} failed:\n{}",
            dir.display(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        ));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == bin)
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| format!("cargo built no executable named {bin}"))
}

/// Builds the head: the working tree at `root` as it is, into `root/target`.
pub fn build_head(root: &Path, bin: &str) -> Result<Built, String> {
    Ok(Built {
        exe: cargo_build(root, bin, None)?,
        dir: root.to_owned(),
        worktree: None,
    })
}

/// Builds `commit` in a fresh worktree under `root/target/gate/`, with the
/// target directory `root/target/gate/target` (kept between runs).
pub fn build_revision(root: &Path, commit: &str, bin: &str) -> Result<Built, String> {
    let cache = root.join("target/gate");
    let wt = cache.join(format!("worktree-{}", &commit[..commit.len().min(12)]));
    if wt.exists() {
        let _ = git(root, &["worktree", "remove", "--force", &wt.display().to_string()]);
        let _ = std::fs::remove_dir_all(&wt);
    }
    let _ = git(root, &["worktree", "prune"]);
    std::fs::create_dir_all(&cache).map_err(|e| format!("{}: {e}", cache.display()))?;
    git(
        root,
        &["worktree", "add", "--detach", &wt.display().to_string(), commit],
    )?;
    let mut built = Built {
        exe: PathBuf::new(),
        dir: wt.clone(),
        worktree: Some((root.to_owned(), wt.clone())),
    };
    // On a failed build, dropping `built` removes the worktree.
    built.exe = cargo_build(&wt, bin, Some(&cache.join("target")))?;
    Ok(built)
}

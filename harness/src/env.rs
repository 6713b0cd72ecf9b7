//! The environment a campaign ran in: machine, OS, toolchain, build, commit.

use serde::{Deserialize, Serialize};
use std::path::Path;
use std::process::Command;

/// The machine, toolchain and build a campaign or calibration ran on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    /// CPU model string.
    pub cpu: String,
    /// The CPU flags that matter to loading (SIMD for conversion, SHA-NI for hashing).
    pub cpu_flags: Vec<String>,
    /// Logical cores.
    pub cores: usize,
    /// Physical memory.
    pub memory_bytes: u64,
    /// Operating system name and version.
    pub os: String,
    /// Kernel version.
    pub kernel: String,
    /// 1, 5 and 15-minute load averages when the run started.
    pub load_average_start: [f64; 3],
    /// Load averages when it ended (`None` while running).
    pub load_average_end: Option<[f64; 3]>,
    /// `rustc --version`.
    pub rustc: String,
    /// Target features the binary was compiled with.
    pub target_features: Vec<String>,
    /// `release` or `debug`.
    pub profile: String,
    /// Commit of the checkout (short hash).
    pub git_commit: String,
    /// True when tracked files had uncommitted changes.
    pub git_dirty: bool,
    /// When the environment was captured (UTC).
    pub date: String,
    /// The machine's fingerprint (absent in campaigns recorded before it was).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<crate::fingerprint::Fingerprint>,
    /// The filesystem the fixtures were read from (absent in campaigns
    /// recorded before it was, and when it could not be told).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<crate::storage::Storage>,
}

const FLAGS: &[&str] = &["sse4_2", "avx", "avx2", "fma", "f16c", "sha_ni", "avx512f", "bmi2"];

fn cmd(c: &str, args: &[&str]) -> Option<String> {
    let o = Command::new(c).args(args).output().ok()?;
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).trim().to_owned())
}

/// The lab's own outputs: a campaign rewrites them, so they do not make a
/// tree dirty.
const OUTPUTS: &[&str] = &["reports/", "EXPERIMENTS.md"];

/// True when tracked files other than the lab's outputs (`reports/`, `EXPERIMENTS.md`) have
/// uncommitted changes: what was measured is then not what a commit holds.
pub fn dirty() -> bool {
    dirty_in(Path::new("."))
}

/// [`dirty`] of the checkout at `root`.
pub fn dirty_in(root: &Path) -> bool {
    // Not through `cmd`, which trims: the first line's leading status
    // column is a space, and each path starts at the fourth byte.
    let Ok(o) = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
    else {
        return false;
    };
    o.status.success()
        && dirty_paths(&String::from_utf8_lossy(&o.stdout))
            .iter()
            .any(|path| !OUTPUTS.iter().any(|x| path.starts_with(x)) && !only_its_results_changed(root, path))
}

/// The README is the author's except its results block, which `lab report`
/// rewrites after every campaign: a README that differs from the commit's
/// only between the block's markers is an output, not an edit (else the
/// second of two campaigns of one commit would refuse to start).
fn only_its_results_changed(root: &Path, path: &str) -> bool {
    if path != "README.md" {
        return false;
    }
    let Ok(now) = std::fs::read_to_string(root.join(path)) else {
        return false;
    };
    let Ok(o) = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["show", &format!("HEAD:{path}")])
        .output()
    else {
        return false;
    };
    let committed = String::from_utf8_lossy(&o.stdout);
    let blank = |t: &str| crate::report::readme::splice(t, "");
    o.status.success() && matches!((blank(&now), blank(&committed)), (Some(a), Some(b)) if a == b)
}

/// The paths of `git status --porcelain` lines (renames: the new path).
fn dirty_paths(porcelain: &str) -> Vec<&str> {
    porcelain
        .lines()
        .filter_map(|l| l.get(3..))
        .map(|p| p.rsplit(" -> ").next().unwrap_or(p))
        .collect()
}

/// The machine's 1, 5 and 15-minute load averages now.
pub fn load_average() -> [f64; 3] {
    sysinfo::System::load_average().map_or([f64::NAN; 3], |l| [l.one, l.five, l.fifteen])
}

/// A commit as reports and the gate show it: its first 12 hex digits.
pub fn short_commit(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

/// The commit checked out at `root` (12 hex digits), or `unknown`.
pub fn head_commit(root: &Path) -> String {
    let root = root.display().to_string();
    cmd("git", &["-C", &root, "rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into())
}

/// Captures the environment now, with the commit and tree state of the
/// current directory's checkout. Costs a few milliseconds (it runs `git`
/// and `rustc --version`).
pub fn capture() -> Environment {
    capture_in(Path::new("."))
}

/// [`capture`], with the commit and tree state of the checkout at `root`
/// (a campaign's workspace, wherever the command was started).
pub fn capture_in(root: &Path) -> Environment {
    // sysinfo cannot always read the machine (a sandbox without /proc): the
    // environment is then recorded as unknown rather than failing a run.
    let mut sys = sysinfo::System::new().ok();
    if let Some(sys) = sys.as_mut() {
        sys.refresh_cpu_all();
        sys.refresh_memory();
    }
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let flags_line = cpuinfo.lines().find(|l| l.starts_with("flags")).unwrap_or("");
    let have: std::collections::HashSet<&str> = flags_line.split_whitespace().collect();
    let mut target_features = Vec::new();
    macro_rules! tf {
        ($($f:literal),*) => { $( if cfg!(target_feature = $f) { target_features.push($f.to_string()); } )* };
    }
    tf!("sse2", "sse4.2", "avx", "avx2", "fma", "f16c", "sha");
    Environment {
        cpu: sys
            .as_ref()
            .and_then(|s| s.cpus().first().map(|c| c.brand().trim().to_owned()))
            .unwrap_or_default(),
        cpu_flags: FLAGS
            .iter()
            .filter(|f| have.contains(*f))
            .map(|f| f.to_string())
            .collect(),
        cores: sys.as_ref().map_or(0, |s| s.cpus().len()),
        memory_bytes: sys.as_ref().map_or(0, |s| s.total_memory()),
        os: sysinfo::System::long_os_version().unwrap_or_default(),
        kernel: sysinfo::System::kernel_version().unwrap_or_default(),
        load_average_start: load_average(),
        load_average_end: None,
        rustc: cmd("rustc", &["--version"]).unwrap_or_else(|| "unknown".into()),
        target_features,
        profile: if cfg!(debug_assertions) { "debug" } else { "release" }.into(),
        git_commit: head_commit(root),
        git_dirty: dirty_in(root),
        date: crate::time::utc_now(),
        fingerprint: Some(crate::fingerprint::Fingerprint::capture()),
        storage: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lab_outputs_do_not_make_a_tree_dirty() {
        let status = " M reports/calibration.json\n M EXPERIMENTS.md\nM  harness/src/env.rs\nR  a.rs -> b.rs\n";
        assert_eq!(
            dirty_paths(status),
            vec![
                "reports/calibration.json",
                "EXPERIMENTS.md",
                "harness/src/env.rs",
                "b.rs"
            ]
        );
        let outputs_only = " M reports/calibration.json\n M EXPERIMENTS.md\n";
        assert!(dirty_paths(outputs_only)
            .iter()
            .all(|p| OUTPUTS.iter().any(|x| p.starts_with(x))));
    }

    #[test]
    fn a_readme_changed_only_in_its_results_block_is_not_dirty() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let git = |args: &[&str]| {
            let ok = Command::new("git")
                .arg("-C")
                .arg(root)
                .args(["-c", "user.name=t", "-c", "user.email=t@t"])
                .args(args)
                .output()
                .is_ok_and(|o| o.status.success());
            assert!(ok, "git {args:?}");
        };
        let readme = |block: &str, prose: &str| {
            format!(
                "# x\n\n{prose}\n\n{}\n{block}\n{}\n",
                crate::report::readme::BEGIN,
                crate::report::readme::END
            )
        };
        std::fs::write(root.join("README.md"), readme("old results", "words")).unwrap();
        git(&["init", "-q"]);
        git(&["add", "-A"]);
        git(&["commit", "-qm", "c"]);
        assert!(!dirty_in(root));
        std::fs::write(root.join("README.md"), readme("new results", "words")).unwrap();
        assert!(!dirty_in(root), "a regenerated block is the lab's output");
        std::fs::write(root.join("README.md"), readme("new results", "other words")).unwrap();
        assert!(dirty_in(root), "prose is the author's");
        std::fs::write(root.join("README.md"), "# x\nno markers\n").unwrap();
        assert!(dirty_in(root), "markers removed");
    }
}

//! Instruction counts from valgrind's callgrind: deterministic for the same
//! binary, input and environment, whatever else the machine is doing — and
//! blind to time spent in the kernel (I/O, page faults).

use crate::error::{HarnessError, Result};
use std::path::Path;
use std::process::Command;

/// True when `valgrind` can be run.
pub fn available() -> bool {
    Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Total instructions (`Ir`) executed by `exe args…` under callgrind.
pub fn count(exe: &Path, args: &[String]) -> Result<u64> {
    count_in(exe, args, Path::new("."), &[])
}

/// As [`count`], run in `dir` with extra environment variables.
pub fn count_in(exe: &Path, args: &[String], dir: &Path, env: &[(String, String)]) -> Result<u64> {
    let out_file = super::scratch_file("callgrind");
    let out = Command::new("valgrind")
        .current_dir(dir)
        .envs(env.iter().cloned())
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .arg("--dump-instr=no")
        .arg(exe)
        .args(args)
        .output()
        .map_err(|e| HarnessError::Callgrind(format!("cannot run valgrind: {e}")))?;
    if !out.status.success() {
        let _ = std::fs::remove_file(&out_file);
        let err = String::from_utf8_lossy(&out.stderr);
        // The program's own lines say why it failed; valgrind's start with `==PID==`.
        let own: Vec<&str> = err
            .lines()
            .filter(|l| !l.starts_with("==") && !l.trim().is_empty())
            .collect();
        let last: Vec<&str> = if own.is_empty() {
            err.lines().rev().take(3).collect()
        } else {
            own[own.len().saturating_sub(3)..].to_vec()
        };
        return Err(HarnessError::Callgrind(format!(
            "{} exited with {}: {}",
            exe.display(),
            out.status,
            last.join(" | ")
        )));
    }
    let text = std::fs::read_to_string(&out_file).map_err(|e| HarnessError::io(&out_file, e))?;
    let _ = std::fs::remove_file(&out_file);
    parse_total(&text).ok_or_else(|| HarnessError::Callgrind("no summary/totals line in the output".into()))
}

/// The `summary:` (or `totals:`) line of a callgrind output file.
pub fn parse_total(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix("summary:").or_else(|| l.strip_prefix("totals:")))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_totals() {
        assert_eq!(super::parse_total("events: Ir\nsummary: 12345\n"), Some(12345));
        assert_eq!(super::parse_total("totals: 7 1\n"), Some(7));
        assert_eq!(super::parse_total("nothing"), None);
    }
}

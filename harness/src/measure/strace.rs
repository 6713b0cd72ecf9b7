//! Syscall counts from `strace -c -f`: evidence for experiments whose
//! effect hinges on how many reads, seeks or maps a variant makes.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// True when `strace` can be run.
pub fn available() -> bool {
    Command::new("strace")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Calls per syscall of `exe args…` (and its threads) under `strace -c -f`.
pub fn count(exe: &Path, args: &[String]) -> Result<BTreeMap<String, u64>, String> {
    let out = super::scratch_file("strace");
    let st = Command::new("strace")
        .args(["-c", "-f", "-o"])
        .arg(&out)
        .arg(exe)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run strace: {e}"))?;
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    let _ = std::fs::remove_file(&out);
    if !st.status.success() {
        return Err(format!("{} exited with {}", exe.display(), st.status));
    }
    Ok(parse(&text))
}

/// Parses `strace -c` output: rows of `% time, seconds, usecs/call, calls,
/// [errors], syscall`; the closing `total` row is strace's sum, not a call.
pub fn parse(text: &str) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for l in text.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() >= 5 && f[0].parse::<f64>().is_ok() && f[f.len() - 1] != "total" {
            if let Ok(calls) = f[3].parse::<u64>() {
                m.insert(f[f.len() - 1].to_string(), calls);
            }
        }
    }
    m
}

/// Calls in `with` beyond `without`, largest first (ties by name): the
/// syscalls of the work itself once start-up is subtracted.
pub fn delta(without: &BTreeMap<String, u64>, with: &BTreeMap<String, u64>) -> Vec<(String, i64)> {
    let mut d: Vec<(String, i64)> = with
        .iter()
        .map(|(k, n)| (k.clone(), *n as i64 - *without.get(k).unwrap_or(&0) as i64))
        .filter(|(_, n)| *n > 0)
        .collect();
    d.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_strace_summaries() {
        let text = "% time     seconds  usecs/call     calls    errors syscall\n------ ----------- ----------- --------- --------- ----------------\n 60.00    0.000060          10         6           pread64\n 40.00    0.000040           4        10         2 openat\n------ ----------- ----------- --------- --------- ----------------\n100.00    0.000100           6        16         2 total\n";
        let m = parse(text);
        assert_eq!(m.get("pread64"), Some(&6));
        assert_eq!(m.get("openat"), Some(&10));
        assert!(!m.contains_key("total"));
        let zero = BTreeMap::from([("openat".to_string(), 8)]);
        assert_eq!(
            delta(&zero, &m),
            [("pread64".to_string(), 6), ("openat".to_string(), 2)]
        );
    }
}

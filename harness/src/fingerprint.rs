//! A machine fingerprint: what must be equal for two measurements to be
//! compared as numbers (CPU model and flags, kernel, C library, compiler).
//! Stored baselines carry one; the gate refuses to compare across two.

use serde::{Deserialize, Serialize};
use std::process::Command;

/// What identifies a machine for measurement purposes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// CPU model string.
    pub cpu: String,
    /// SHA-256 prefix of the CPU's full flag list (`/proc/cpuinfo`).
    pub cpu_flags: String,
    /// Kernel release.
    pub kernel: String,
    /// C library (`ldd --version`, first line).
    pub libc: String,
    /// `rustc --version`.
    pub rustc: String,
    /// This machine instance among machines of the same kind: a digest of
    /// `/etc/machine-id` and the boot id, so two VMs of one image (or one VM
    /// booted again on another host) count as two machines. Not part of
    /// [`Fingerprint::id`]: the kind is what the gate's baselines need;
    /// the instance is what portability is judged over. Empty in records
    /// made before it was kept.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub instance: String,
}

fn first_line(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .map(|o| {
            let text = if o.stdout.is_empty() { o.stderr } else { o.stdout };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_owned()
        })
        .unwrap_or_else(|| "unknown".into())
}

impl Fingerprint {
    /// This machine's fingerprint. Costs a few milliseconds (runs `ldd`
    /// and `rustc`).
    pub fn capture() -> Fingerprint {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let field = |k: &str| {
            cpuinfo
                .lines()
                .find(|l| l.starts_with(k))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
                .unwrap_or_default()
        };
        let mut flags: Vec<&str> = Vec::new();
        let flag_line = field("flags");
        flags.extend(flag_line.split_whitespace());
        flags.sort_unstable();
        Fingerprint {
            cpu: field("model name"),
            cpu_flags: short_hash(flags.join(" ").as_bytes()),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_owned())
                .unwrap_or_default(),
            libc: first_line("ldd", &["--version"]),
            rustc: first_line("rustc", &["--version"]),
            instance: short_hash(
                format!(
                    "{}\n{}",
                    std::fs::read_to_string("/etc/machine-id").unwrap_or_default().trim(),
                    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
                        .unwrap_or_default()
                        .trim()
                )
                .as_bytes(),
            ),
        }
    }

    /// The machine instance: `KIND/INSTANCE` (the kind alone for records
    /// without an instance).
    pub fn instance_id(&self) -> String {
        if self.instance.is_empty() {
            self.id()
        } else {
            format!("{}/{}", self.id(), &self.instance[..6.min(self.instance.len())])
        }
    }

    /// A short stable identifier of the whole fingerprint.
    pub fn id(&self) -> String {
        short_hash(
            format!(
                "{}\n{}\n{}\n{}\n{}",
                self.cpu, self.cpu_flags, self.kernel, self.libc, self.rustc
            )
            .as_bytes(),
        )
    }

    /// The fields that differ from `other`, as `name: ours ≠ theirs`.
    pub fn differences(&self, other: &Fingerprint) -> Vec<String> {
        let pairs = [
            ("cpu", &self.cpu, &other.cpu),
            ("cpu flags", &self.cpu_flags, &other.cpu_flags),
            ("kernel", &self.kernel, &other.kernel),
            ("libc", &self.libc, &other.libc),
            ("rustc", &self.rustc, &other.rustc),
        ];
        pairs
            .iter()
            .filter(|(_, a, b)| a != b)
            .map(|(n, a, b)| format!("{n}: {a} ≠ {b}"))
            .collect()
    }
}

/// First 12 hex digits of FNV-1a 64 (stable across platforms and releases).
fn short_hash(b: &[u8]) -> String {
    let h = b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| {
        (h ^ u64::from(x)).wrapping_mul(0x100_0000_01b3)
    });
    format!("{:012x}", h >> 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_differences_named() {
        let a = Fingerprint {
            cpu: "x".into(),
            cpu_flags: "f".into(),
            kernel: "k".into(),
            libc: "l".into(),
            rustc: "r".into(),
            instance: "i".into(),
        };
        let mut b = a.clone();
        assert_eq!(a.id(), b.id());
        b.instance = "j".into();
        assert_eq!(a.id(), b.id(), "the kind ignores the instance");
        assert_ne!(a.instance_id(), b.instance_id());
        b.kernel = "k2".into();
        assert_ne!(a.id(), b.id());
        assert_eq!(a.differences(&b), ["kernel: k ≠ k2"]);
    }
}

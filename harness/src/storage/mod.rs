//! Storage: where the files a campaign reads lie, and the profiles it can
//! read them from.
//!
//! | profile | what it is | cold possible |
//! |---|---|---|
//! | `local` | the fixture files where they lie (this machine's disk) | yes |
//! | `tmpfs` | a copy in memory (`/dev/shm`): no device at all, the upper limit of reading | no: memory is never evicted |
//! | `sshfs` | a real network filesystem: SFTP over loopback to a private `sshd` ([`sshfs`]) | yes |
//! | `slow` | a FUSE view charging each read a round trip, a shared bandwidth and a largest request ([`slowfs`]) | yes |
//!
//! A profile serves a [`View`] (names → files) and says where it appears;
//! the experiments read the same bytes by the same names on every profile.
//! [`mounts`] tells which filesystem any path lies on; every campaign
//! records it.

pub mod mounts;
pub mod slowfs;
pub mod sshfs;
pub mod view;

pub use mounts::{of, of_in, Storage};
pub use slowfs::Throttle;
pub use view::View;

use crate::error::{HarnessError, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A storage a campaign can read its fixtures from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "lowercase")]
pub enum Profile {
    /// The files where they lie.
    Local,
    /// A copy in memory.
    Tmpfs,
    /// SFTP over loopback.
    Sshfs,
    /// FUSE with the costs of a remote store.
    Slow(Throttle),
}

/// The profiles by name, with a line each (`lab run --storage help`).
pub const CATALOG: [(&str, &str); 4] = [
    ("local", "the fixture files where they lie, on this machine's disk"),
    (
        "tmpfs",
        "a copy in memory (/dev/shm): the upper limit of reading; never cold",
    ),
    (
        "sshfs",
        "a real network filesystem: SFTP over loopback to a private sshd (needs openssh-server, sshfs)",
    ),
    (
        "slow",
        "a FUSE view with a remote store's costs; slow:latency=1ms,bandwidth=250MB/s,request=128KiB,in-flight=4 (the defaults)",
    ),
];

impl Profile {
    /// Reads `local`, `tmpfs`, `sshfs`, `slow` or
    /// `slow:latency=2ms,bandwidth=100MB/s,request=1MiB,in-flight=8` (any
    /// of the settings, the others at their defaults).
    pub fn parse(text: &str) -> Result<Profile> {
        let (name, settings) = match text.split_once(':') {
            Some((n, s)) => (n.trim(), Some(s)),
            None => (text.trim(), None),
        };
        let profile = match name {
            "local" => Profile::Local,
            "tmpfs" => Profile::Tmpfs,
            "sshfs" => Profile::Sshfs,
            "slow" => {
                let mut t = Throttle::default();
                for pair in settings.unwrap_or("").split(',').filter(|p| !p.trim().is_empty()) {
                    let (key, value) = pair
                        .split_once('=')
                        .ok_or_else(|| bad(text, &format!("{pair:?} is not key=value")))?;
                    let value = value.trim();
                    match key.trim() {
                        "latency" => {
                            t.latency_us =
                                parse_micros(value).ok_or_else(|| bad(text, "latency: e.g. 500us, 2ms, 0"))?
                        }
                        "bandwidth" => {
                            t.bandwidth = parse_bytes(value.trim_end_matches("/s"))
                                .ok_or_else(|| bad(text, "bandwidth: e.g. 250MB/s, 1GiB/s, 0 for none"))?
                        }
                        "request" => {
                            t.max_request = parse_bytes(value)
                                .and_then(|b| u32::try_from(b).ok())
                                .filter(|&b| b >= 4096)
                                .ok_or_else(|| bad(text, "request: 4KiB to 4GiB, e.g. 128KiB"))?
                        }
                        "in-flight" => {
                            t.in_flight = value
                                .parse::<u32>()
                                .ok()
                                .filter(|n| (1..=64).contains(n))
                                .ok_or_else(|| bad(text, "in-flight: 1 to 64"))?
                        }
                        other => {
                            return Err(bad(
                                text,
                                &format!("no setting {other:?} (latency, bandwidth, request, in-flight)"),
                            ))
                        }
                    }
                }
                return Ok(Profile::Slow(t));
            }
            other => {
                let names: Vec<&str> = CATALOG.iter().map(|(n, _)| *n).collect();
                return Err(bad(
                    text,
                    &format!("no profile {other:?}; there are {}", names.join(", ")),
                ));
            }
        };
        match settings {
            Some(s) if !s.trim().is_empty() => Err(bad(text, &format!("{name} has no settings"))),
            _ => Ok(profile),
        }
    }

    /// Its name: `local`, `tmpfs`, `sshfs`, `slow`.
    pub fn name(&self) -> &'static str {
        match self {
            Profile::Local => "local",
            Profile::Tmpfs => "tmpfs",
            Profile::Sshfs => "sshfs",
            Profile::Slow(_) => "slow",
        }
    }

    /// In words, with its settings.
    pub fn describe(&self) -> String {
        format!("{} ({})", self.name(), self.what())
    }

    /// What the profile is, without its name.
    pub fn what(&self) -> String {
        match self {
            Profile::Slow(t) => format!("FUSE: {}", t.describe()),
            p => CATALOG
                .iter()
                .find(|(n, _)| *n == p.name())
                .map_or_else(String::new, |(_, line)| (*line).to_owned()),
        }
    }

    /// Whether a file on it can be out of memory: tmpfs pages cannot be
    /// evicted, so a "cold" trial there is warm and is reported so.
    pub fn can_be_cold(&self) -> bool {
        !matches!(self, Profile::Tmpfs)
    }
}

fn bad(text: &str, why: &str) -> HarnessError {
    HarnessError::Other(format!("storage profile {text:?}: {why}"))
}

/// `500us`, `2ms`, `1s`, `0` → microseconds.
fn parse_micros(v: &str) -> Option<u64> {
    let (number, scale) = [("us", 1.0), ("µs", 1.0), ("ms", 1e3), ("s", 1e6)]
        .iter()
        .find_map(|(unit, scale)| v.strip_suffix(unit).map(|n| (n, *scale)))
        .unwrap_or((v, if v == "0" { 1.0 } else { f64::NAN }));
    let x: f64 = number.trim().parse().ok()?;
    let us = x * scale;
    (us.is_finite() && (0.0..1e12).contains(&us)).then_some(us.round() as u64)
}

/// `128KiB`, `1MiB`, `250MB`, `4096`, `0` → bytes (IEC units are powers of
/// 1024, SI units of 1000).
fn parse_bytes(v: &str) -> Option<u64> {
    const UNITS: [(&str, f64); 7] = [
        ("KiB", 1024.0),
        ("MiB", 1048576.0),
        ("GiB", 1073741824.0),
        ("kB", 1e3),
        ("MB", 1e6),
        ("GB", 1e9),
        ("B", 1.0),
    ];
    let (number, scale) = UNITS
        .iter()
        .find_map(|(unit, scale)| v.strip_suffix(unit).map(|n| (n, *scale)))
        .unwrap_or((v, 1.0));
    let x: f64 = number.trim().parse().ok()?;
    let b = x * scale;
    (b.is_finite() && (0.0..1e15).contains(&b)).then_some(b.round() as u64)
}

/// A profile set up and serving a view; torn down when dropped.
#[derive(Debug)]
pub struct Mounted {
    /// The profile.
    pub profile: Profile,
    guard: Guard,
}

#[derive(Debug)]
enum Guard {
    Local,
    Tmpfs(tempfile::TempDir),
    // Field order is drop order: unmount before the folder is removed.
    Slow {
        mount: slowfs::Mounted,
        dir: tempfile::TempDir,
    },
    Sshfs(sshfs::Mounted),
}

impl Mounted {
    /// Where the view's files appear by their names; `None` for `local`,
    /// whose files are read where they lie.
    pub fn root(&self) -> Option<&Path> {
        match &self.guard {
            Guard::Local => None,
            Guard::Tmpfs(dir) | Guard::Slow { dir, .. } => Some(dir.path()),
            Guard::Sshfs(m) => Some(&m.root),
        }
    }

    /// The filesystem the view lies on, as mountinfo says.
    pub fn storage(&self) -> Option<Storage> {
        self.root().and_then(of)
    }

    /// The processes that serve the files (their CPU time is the storage's
    /// work, not other load on the machine): this process for `slow`, sshd
    /// and sshfs for `sshfs`, none for `local` and `tmpfs`.
    pub fn servers(&self) -> Vec<u32> {
        match &self.guard {
            Guard::Slow { .. } => vec![std::process::id()],
            Guard::Sshfs(m) => m.servers(),
            Guard::Local | Guard::Tmpfs(_) => Vec::new(),
        }
    }

    /// What the `slow` filesystem served so far: requests, bytes, largest request.
    pub fn served(&self) -> Option<(u64, u64, u64)> {
        use std::sync::atomic::Ordering::Relaxed;
        match &self.guard {
            Guard::Slow { mount, .. } => Some((
                mount.served.requests.load(Relaxed),
                mount.served.bytes.load(Relaxed),
                mount.served.largest.load(Relaxed),
            )),
            _ => None,
        }
    }
}

/// Where temporary folders of the profiles are made, so leftovers of a
/// run that was killed can be told apart.
pub const PREFIX: &str = "loadlab-storage-";

/// Sets `profile` up to serve `view`. Mounts left by runs that were killed
/// (their server gone) are cleaned first.
pub fn up(profile: &Profile, view: &View) -> Result<Mounted> {
    clean_stale();
    let temp = |kind: &str, base: Option<&Path>| {
        let mut b = tempfile::Builder::new();
        let prefix = format!("{PREFIX}{kind}-");
        b.prefix(&prefix);
        let made = match base {
            Some(base) => b.tempdir_in(base),
            None => b.tempdir(),
        };
        made.map_err(|e| HarnessError::Other(format!("storage {kind}: temporary folder: {e}")))
    };
    let guard = match profile {
        Profile::Local => Guard::Local,
        Profile::Tmpfs => {
            let base = Path::new("/dev/shm");
            match of(base) {
                Some(s) if s.fs_type == "tmpfs" => {}
                _ => {
                    return Err(HarnessError::Other(
                        "storage tmpfs: /dev/shm is not a tmpfs on this machine".into(),
                    ))
                }
            }
            let dir = temp("tmpfs", Some(base))?;
            view.copy_into(dir.path())?;
            Guard::Tmpfs(dir)
        }
        Profile::Sshfs => Guard::Sshfs(sshfs::mount(view)?),
        Profile::Slow(t) => {
            let dir = temp("slow", None)?;
            let mount = slowfs::mount(view, *t, dir.path())?;
            Guard::Slow { mount, dir }
        }
    };
    Ok(Mounted {
        profile: profile.clone(),
        guard,
    })
}

/// Why this process cannot mount the FUSE profiles (`slow`, `sshfs`), or
/// `None` when it can: they need `/dev/fuse` and root.
pub fn fuse_missing() -> Option<&'static str> {
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0);
    if !Path::new("/dev/fuse").exists() {
        Some("no /dev/fuse")
    } else if !root {
        Some("not root")
    } else {
        None
    }
}

/// Unmounts the FUSE mounts under a [`PREFIX`] folder whose server is gone
/// (a dead FUSE mount answers `stat` with "transport endpoint is not
/// connected"); the mount points it unmounted. Live ones — another
/// campaign's — are left alone.
pub fn clean_stale() -> Vec<PathBuf> {
    mounts::all()
        .into_iter()
        .filter(|m| m.fs_type.starts_with("fuse") && m.mount_point.contains(PREFIX))
        .map(|m| PathBuf::from(m.mount_point))
        .filter(|p| std::fs::metadata(p).is_err())
        .inspect(|p| unmount(p))
        .collect()
}

/// Unmounts `at` lazily, with whichever tool this machine has.
pub(crate) fn unmount(at: &Path) {
    let tools: [(&str, &[&str]); 3] = [
        ("fusermount3", &["-u", "-z"]),
        ("fusermount", &["-u", "-z"]),
        ("umount", &["-l"]),
    ];
    for (tool, args) in tools {
        let done = Command::new(tool)
            .args(args)
            .arg(at)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if done {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_parse_with_their_settings() {
        assert_eq!(Profile::parse("local").unwrap(), Profile::Local);
        assert_eq!(Profile::parse("tmpfs").unwrap(), Profile::Tmpfs);
        assert_eq!(Profile::parse("slow").unwrap(), Profile::Slow(Throttle::default()));
        let p = Profile::parse("slow:latency=2ms,bandwidth=100MB/s,request=1MiB,in-flight=8").unwrap();
        assert_eq!(
            p,
            Profile::Slow(Throttle {
                latency_us: 2000,
                bandwidth: 100_000_000,
                max_request: 1 << 20,
                in_flight: 8
            })
        );
        let q = Profile::parse("slow:latency=500us").unwrap();
        assert_eq!(
            q,
            Profile::Slow(Throttle {
                latency_us: 500,
                ..Throttle::default()
            })
        );
        for bad in [
            "nfs",
            "local:x=1",
            "slow:latency=2",
            "slow:latency",
            "slow:request=1KiB",
            "slow:in-flight=0",
            "slow:colour=red",
            "slow:bandwidth=-1MB/s",
        ] {
            assert!(Profile::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(!Profile::Tmpfs.can_be_cold());
        assert!(Profile::Local.can_be_cold());
        assert_eq!(
            p.describe(),
            "slow (FUSE: 2 ms a request, 100 MB/s, requests ≤ 1 MiB, 8 at once)"
        );
    }

    #[test]
    fn sizes_and_times_read_their_units() {
        assert_eq!(parse_bytes("128KiB"), Some(131072));
        assert_eq!(parse_bytes("250MB"), Some(250_000_000));
        assert_eq!(parse_bytes("4096"), Some(4096));
        assert_eq!(parse_bytes("1.5GiB"), Some(1610612736));
        assert_eq!(parse_bytes("MB"), None);
        assert_eq!(parse_micros("0"), Some(0));
        assert_eq!(parse_micros("1.5ms"), Some(1500));
        assert_eq!(parse_micros("3"), None);
    }

    #[test]
    fn profiles_round_trip_through_json() {
        for p in [Profile::Local, Profile::Sshfs, Profile::Slow(Throttle::default())] {
            let j = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<Profile>(&j).unwrap(), p, "{j}");
        }
    }
}

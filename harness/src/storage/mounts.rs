//! Where the files a campaign read lie: the filesystem holding the
//! fixture cache, from `/proc/self/mountinfo` (the mount with the longest
//! mount point that contains the path). Recorded in every campaign's
//! environment, so a figure says which storage it was read from.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// The filesystem a path lies on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Storage {
    /// The path asked about (canonical).
    pub path: String,
    /// Its mount point.
    pub mount_point: String,
    /// Filesystem type (`ext4`, `tmpfs`, `fuse.sshfs`, `nfs4`, …).
    pub fs_type: String,
    /// Mount source (`/dev/vda`, `user@host:/dir`, …).
    pub source: String,
    /// Mount and superblock options.
    pub options: String,
}

impl Storage {
    /// In words: "ext4 on /dev/vda at / (rw,relatime)".
    pub fn describe(&self) -> String {
        format!(
            "{} on {} at {} ({})",
            self.fs_type, self.source, self.mount_point, self.options
        )
    }
}

/// The filesystem `path` lies on, or `None` when it cannot be told (no
/// `/proc`, a path that does not exist).
pub fn of(path: &Path) -> Option<Storage> {
    let canonical = std::fs::canonicalize(path).ok()?;
    let table = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    of_in(&canonical, &table)
}

/// [`of`] against a mountinfo table's text.
pub fn of_in(canonical: &Path, mountinfo: &str) -> Option<Storage> {
    table(mountinfo)
        .into_iter()
        .filter(|s| canonical.starts_with(&s.mount_point))
        // The innermost mount wins; of two at one point, the later one.
        .fold(None, |best: Option<Storage>, s| match best {
            Some(b) if b.mount_point.len() > s.mount_point.len() => Some(b),
            _ => Some(s),
        })
        .map(|s| Storage {
            path: canonical.display().to_string(),
            ..s
        })
}

/// Every mount of this process's mount namespace, in table order (`path`
/// is the mount point). Empty when `/proc` cannot be read.
pub fn all() -> Vec<Storage> {
    std::fs::read_to_string("/proc/self/mountinfo")
        .map(|t| table(&t))
        .unwrap_or_default()
}

/// The rows of a mountinfo table.
fn table(mountinfo: &str) -> Vec<Storage> {
    mountinfo
        .lines()
        .filter_map(|l| {
            // id parent major:minor root mount-point options [optional…] - type source super-options
            let (head, tail) = l.split_once(" - ")?;
            let h: Vec<&str> = head.split(' ').collect();
            let t: Vec<&str> = tail.split(' ').collect();
            let mount_point = unescape(h.get(4)?);
            Some(Storage {
                path: mount_point.clone(),
                fs_type: (*t.first()?).to_owned(),
                source: unescape(t.get(1)?),
                options: format!("{},{}", h.get(5)?, t.get(2).unwrap_or(&"")),
                mount_point,
            })
        })
        .collect()
}

/// mountinfo escapes space, tab, newline and backslash as octal.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c)) {
            let v = (b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0');
            out.push(char::from(v));
            i += 4;
        } else {
            out.push(char::from(b[i]));
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "\
22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
40 22 0:35 / /tmp/fix\\040cache rw,nosuid shared:20 - tmpfs tmpfs rw,size=1048576k
41 40 0:36 / /tmp/fix\\040cache/net ro,nosuid,nodev shared:21 - fuse.sshfs lab@127.0.0.1:/srv ro,user_id=0
";

    #[test]
    fn the_innermost_mount_is_the_storage() {
        let s = of_in(Path::new("/tmp/fix cache/net/model.gguf"), TABLE).unwrap();
        assert_eq!(
            (s.fs_type.as_str(), s.mount_point.as_str()),
            ("fuse.sshfs", "/tmp/fix cache/net")
        );
        assert_eq!(s.source, "lab@127.0.0.1:/srv");
        assert_eq!(s.path, "/tmp/fix cache/net/model.gguf");
        let t = of_in(Path::new("/tmp/fix cache/a"), TABLE).unwrap();
        assert_eq!(t.fs_type, "tmpfs");
        assert_eq!(of_in(Path::new("/home/x"), TABLE).unwrap().fs_type, "ext4");
        // A path that only shares a prefix of characters is not under it.
        assert_eq!(of_in(Path::new("/tmp/fix cachefoo"), TABLE).unwrap().fs_type, "ext4");
        assert!(of(Path::new("/")).is_some());
        assert_eq!(table(TABLE).len(), 3);
        assert!(all().iter().any(|m| m.mount_point == "/"));
    }
}

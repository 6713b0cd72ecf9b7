//! Every storage profile serves the view's bytes by their names, on the
//! filesystem it says, and is gone when dropped; the slow filesystem keeps
//! to its largest request and can be made cold, tmpfs cannot.
//!
//! Mounting needs `/dev/fuse` and root (CI has both); sshfs also needs
//! `openssh-server` and `sshfs`, which `.ci/run` installs. A profile the
//! machine cannot mount is reported and skipped, never passed silently,
//! and fails under `CI=true`.

use harness::platform::{evict, residency};
use harness::storage::{self, Profile, Throttle, View};
use std::path::Path;

fn bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 56) as u8
        })
        .collect()
}

fn fixture_view(dir: &Path) -> (View, Vec<(&'static str, Vec<u8>)>) {
    let files = vec![
        ("model.safetensors", bytes(3 << 20, 1)),
        ("minilm-sharded/model-00001-of-00002.safetensors", bytes(300_000, 2)),
    ];
    let mut view = View::new();
    for (i, (name, data)) in files.iter().enumerate() {
        let p = dir.join(format!("backing-{i}"));
        std::fs::write(&p, data).unwrap();
        view.add(name, &p).unwrap();
    }
    (view, files)
}

/// Says why a test checks nothing here; under `CI=true` (where `.ci/run`
/// installed everything) that is a failure, not a skip.
fn skipped(why: &str) {
    assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true: {why}");
    eprintln!("SKIPPED: {why}");
}

fn can_mount_fuse() -> bool {
    match storage::fuse_missing() {
        Some(why) => {
            skipped(&format!("{why}; FUSE profiles are not tested here"));
            false
        }
        None => true,
    }
}

/// Reads every file through the profile and checks its bytes and the
/// filesystem it lies on; returns the mount's root.
fn serves(m: &storage::Mounted, files: &[(&str, Vec<u8>)], is: fn(&storage::Storage) -> bool) -> std::path::PathBuf {
    let root = m.root().expect("a mounted profile has a root").to_path_buf();
    for (name, data) in files {
        let got = std::fs::read(root.join(name)).unwrap();
        assert!(got == *data, "{}: {name} differs", m.profile.name());
    }
    let s = m.storage().expect("the mount is in mountinfo");
    assert!(is(&s), "{}: {s:?}", m.profile.name());
    assert_eq!(Path::new(&s.mount_point), root.as_path(), "{s:?}");
    root
}

fn gone(root: &Path) {
    assert!(
        !storage::mounts::all().iter().any(|m| Path::new(&m.mount_point) == root),
        "{} still mounted",
        root.display()
    );
}

#[test]
fn slow_serves_the_bytes_within_its_request_size_and_can_be_cold() {
    if !can_mount_fuse() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (view, files) = fixture_view(dir.path());
    let throttle = Throttle {
        latency_us: 200,
        bandwidth: 0,
        max_request: 64 * 1024,
        in_flight: 2,
    };
    let m = storage::up(&Profile::Slow(throttle), &view).unwrap();
    let root = serves(&m, &files, storage::slowfs::is_slow);
    let (requests, served, largest) = m.served().unwrap();
    let total: usize = files.iter().map(|(_, d)| d.len()).sum();
    assert!(served as usize >= total, "served {served} of {total}");
    assert!(requests as usize >= total / (64 * 1024), "{requests} requests");
    assert!(largest > 0 && largest <= 64 * 1024, "largest request {largest}");
    // Read, the file is resident; evicted, it is not: cold works here.
    let big = root.join(files[0].0);
    let (resident, pages) = residency(&big).unwrap();
    assert_eq!(resident, pages);
    assert!(evict(&big));
    assert_eq!(residency(&big).unwrap().0, 0);
    // Reading again goes back to the server.
    std::fs::read(&big).unwrap();
    assert!(m.served().unwrap().1 as usize >= total + files[0].1.len());
    drop(m);
    gone(&root);
}

#[test]
fn tmpfs_serves_the_bytes_and_cannot_be_cold() {
    if !Path::new("/dev/shm").is_dir() {
        skipped("no /dev/shm");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (view, files) = fixture_view(dir.path());
    let m = storage::up(&Profile::Tmpfs, &view).unwrap();
    let root = m.root().unwrap().to_path_buf();
    for (name, data) in &files {
        assert!(std::fs::read(root.join(name)).unwrap() == *data);
    }
    assert_eq!(m.storage().unwrap().fs_type, "tmpfs");
    let big = root.join(files[0].0);
    evict(&big);
    let (resident, pages) = residency(&big).unwrap();
    assert_eq!(resident, pages, "tmpfs pages were evicted");
    assert!(!m.profile.can_be_cold());
    drop(m);
    assert!(!root.exists());
}

#[test]
fn sshfs_serves_the_bytes_over_a_private_server() {
    if !can_mount_fuse() {
        return;
    }
    let missing = storage::sshfs::missing();
    if !missing.is_empty() {
        skipped(&format!("the sshfs profile needs {}", missing.join(", ")));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (view, files) = fixture_view(dir.path());
    let m = storage::up(&Profile::Sshfs, &view).unwrap();
    let root = serves(&m, &files, |s| s.fs_type == "fuse.sshfs");
    drop(m);
    gone(&root);
}

#[test]
fn local_is_read_where_it_lies() {
    let dir = tempfile::tempdir().unwrap();
    let (view, _) = fixture_view(dir.path());
    let m = storage::up(&Profile::Local, &view).unwrap();
    assert!(m.root().is_none());
    assert!(m.served().is_none());
}

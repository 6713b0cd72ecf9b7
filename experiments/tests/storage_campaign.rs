//! A campaign on a storage profile reads its fixtures through it, is kept
//! apart from the local ledger, and is reported in `reports/storage.md`:
//! a real quick run of H31 on the local disk and then on the slow FUSE
//! profile, in a throw-away
//! workspace. Needs `/dev/fuse` and root (CI has both); without them it
//! says so and checks nothing.

mod common;

use common::{retrying, workspace};
use harness::storage::Profile;
use std::process::Command;

/// Whether this machine can mount the FUSE profiles (`/dev/fuse` and
/// root); says so when it cannot, and fails under `CI=true`, where
/// `.ci/run` provides both.
fn can_mount() -> bool {
    let Some(why) = harness::storage::fuse_missing() else {
        return true;
    };
    assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true: {why}");
    eprintln!("SKIPPED: mounting the slow profile: {why}");
    false
}

#[test]
fn a_campaign_on_the_slow_profile_is_kept_apart_cold_and_reported() {
    if !can_mount() {
        return;
    }
    let ws = workspace();
    // Slow mounts that exist already (another test or campaign's, live).
    let slow_mounts = || -> Vec<String> {
        harness::storage::mounts::all()
            .into_iter()
            .filter(|m| harness::storage::slowfs::is_slow(m) && m.mount_point.contains(harness::storage::PREFIX))
            .map(|m| m.mount_point)
            .collect()
    };
    let before = slow_mounts();
    let out = retrying(|| {
        Command::new(&ws.lab)
            .arg("--root")
            .arg(&ws.root)
            .args([
                "run",
                "--quick",
                "--offline",
                "--only",
                "H31",
                "--storage",
                "local",
                "--storage",
                "slow:latency=200us,bandwidth=0",
            ])
            .output()
    });
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // One campaign per storage, from one pinned binary; the local one in
    // the local ledger, the other apart: storages are never pooled.
    let local = harness::ledger::load_all(&ws.root.join("reports/ledger")).unwrap();
    assert_eq!(local.len(), 1, "{} local campaigns", local.len());
    assert!(matches!(local[0].storage_profile, None | Some(Profile::Local)));
    assert!(!local[0].entries.is_empty());
    let elsewhere =
        harness::ledger::load_all(&ws.root.join("reports/ledger").join(harness::ledger::STORAGE_DIR)).unwrap();
    assert_eq!(elsewhere.len(), 1);
    let c = &elsewhere[0];
    assert!(matches!(c.storage_profile, Some(Profile::Slow(t)) if t.latency_us == 200 && t.bandwidth == 0));
    let fs = c.environment.storage.as_ref();
    assert!(fs.is_some_and(harness::storage::slowfs::is_slow), "{fs:?}");
    // Its cold trials were cold through FUSE: every one started evicted.
    let cases: Vec<_> = c.entries.iter().flat_map(|e| &e.cases).collect();
    assert!(!cases.is_empty());
    for k in cases {
        let r = k.residency.as_ref().expect("residency recorded");
        assert!(r.trials > 0 && r.off == 0, "{}: {r:?}", k.label);
    }
    let page = std::fs::read_to_string(ws.root.join("reports/storage.md")).unwrap();
    assert!(page.contains("| slow |") && page.contains("H31"), "{page}");
    // The mount is gone with the campaign: no slow mount but those that
    // were there before it (a concurrent run's) is left.
    let left: Vec<String> = slow_mounts().into_iter().filter(|m| !before.contains(m)).collect();
    assert!(left.is_empty(), "still mounted: {left:?}");
}

/// `Backend::Auto` tells a FUSE mount and a tmpfs copy from the local
/// disk, and chooses the reader on the former: the loader's storage class
/// on the lab's own profiles.
#[test]
fn auto_tells_the_profiles_apart() {
    use loader::{Backend, StorageClass};
    if !can_mount() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let backing = dir.path().join("backing");
    std::fs::write(&backing, vec![7u8; 1 << 20]).unwrap();
    let mut view = harness::storage::View::new();
    view.add("model.safetensors", &backing).unwrap();
    let local = std::fs::File::open(&backing).unwrap();
    assert_ne!(StorageClass::of(&local), StorageClass::Remote);
    for (profile, class) in [
        (
            Profile::Slow(harness::storage::Throttle::default()),
            StorageClass::Remote,
        ),
        (Profile::Tmpfs, StorageClass::Memory),
    ] {
        let m = harness::storage::up(&profile, &view).unwrap();
        let f = std::fs::File::open(m.root().unwrap().join("model.safetensors")).unwrap();
        assert_eq!(StorageClass::of(&f), class, "{}", profile.name());
        let want = Backend::auto_for(class, 1 << 20);
        assert_eq!(Backend::Auto.resolve(&f, 1 << 20), want, "{}", profile.name());
    }
}

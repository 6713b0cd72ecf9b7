//! Shared by the integration tests: the fixture store, and honest skipping.
#![allow(dead_code)]

use fixtures::{Fixture, Golden, Store};
use std::path::PathBuf;

pub fn store() -> Store {
    Store::open_default().expect("fixtures/manifest.toml parses")
}

/// A fixture that is present, with its golden when one is expected.
pub struct Ready {
    pub fixture: Fixture,
    pub path: PathBuf,
    pub golden: Option<Golden>,
}

/// Collects the fixtures matching `pred`. Missing ones are reported as
/// skipped on stderr; under CI (`CI=true`) a missing fixture fails the test,
/// because `.ci/run` fetches every fixture first.
pub fn ready(store: &Store, what: &str, pred: impl Fn(&Fixture) -> bool) -> Vec<Ready> {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for f in store.manifest.fixtures.iter().filter(|f| pred(f)) {
        match store.path(&f.name) {
            None => skipped.push(format!("{}: file not in the cache (run `lab fixtures`)", f.name)),
            Some(path) => {
                let golden = store.golden(&f.name);
                let needs_golden = !f.must_be_refused() && f.format != "json";
                if needs_golden && golden.is_none() {
                    skipped.push(format!("{}: no golden (run `lab fixtures`)", f.name));
                    continue;
                }
                out.push(Ready {
                    fixture: f.clone(),
                    path,
                    golden,
                });
            }
        }
    }
    eprintln!("{what}: {} fixtures checked, {} skipped", out.len(), skipped.len());
    for s in &skipped {
        eprintln!("  SKIPPED {s}");
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        assert!(skipped.is_empty(), "{what}: fixtures missing under CI: {skipped:?}");
    }
    out
}

pub fn sha256_hex(b: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

/// The fixture's path if present; says it was skipped otherwise (and fails
/// under CI, where `.ci/run` fetched everything).
pub fn fixture_path(name: &str) -> Option<PathBuf> {
    let p = store().path(name);
    if p.is_none() {
        eprintln!("SKIPPED {name}: not in the cache");
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "{name} missing under CI"
        );
    }
    p
}

/// A zip archive of `members` written by the `zip` crate with `method`:
/// the archives hostile inputs are cut from.
pub fn zip_of(members: &[(&str, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, data) in members {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// [`zip_of`] with every member stored (as NPZ and `.pth` store them).
pub fn stored(members: &[(&str, &[u8])]) -> Vec<u8> {
    zip_of(members, zip::CompressionMethod::Stored)
}

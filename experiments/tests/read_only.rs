//! The commands that only read the ledger leave every file as it was:
//! `lab show`, `lab history`, `lab stability` without `--out` and `lab
//! compare` without `--markdown` — on a copy of this checkout's ledger.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn show_history_stability_and_compare_write_nothing() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    // A workspace: the markers `lab` looks for, and a copy of the ledger.
    std::fs::copy(repo.join("Cargo.toml"), root.join("Cargo.toml")).unwrap();
    std::fs::create_dir_all(root.join("fixtures")).unwrap();
    std::fs::copy(repo.join("fixtures/manifest.toml"), root.join("fixtures/manifest.toml")).unwrap();
    // The ledger and its folders (`storage/`: campaigns on other storages).
    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let p = e.unwrap().path();
            let dest = to.join(p.file_name().unwrap());
            if p.is_dir() {
                copy_dir(&p, &dest);
            } else {
                std::fs::copy(&p, dest).unwrap();
            }
        }
    }
    copy_dir(&repo.join("reports/ledger"), &root.join("reports/ledger"));
    let before = snapshot(root);
    let lab = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_lab"))
            .arg("--root")
            .arg(root)
            .args(args)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(
            o.status.success(),
            "lab {args:?}: {text}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        text
    };
    let show = lab(&["show", "h08"]);
    assert!(
        show.starts_with("H08 — ") && show.contains("verdict:") && show.contains("page: reports/H08.md"),
        "{show}"
    );
    let history = lab(&["history", "H11"]);
    assert!(history.contains("change point"), "{history}");
    let stability = lab(&["stability"]);
    assert!(stability.contains("nothing written"), "{stability}");
    let ids: Vec<String> = std::fs::read_dir(root.join("reports/ledger"))
        .unwrap()
        .map(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .trim_end_matches(".json")
                .to_owned()
        })
        .filter(|n| n.starts_with("20"))
        .collect();
    let one = ids.iter().max().unwrap();
    let same = lab(&["compare", one, one]);
    assert!(same.contains("compared with itself"), "{same}");
    assert!(snapshot(root) == before, "a read-only command wrote a file");
}

//! `lab gate` end to end, in its deterministic (instruction-count) mode:
//! against a baseline whose counts are 10 % lower than today's — i.e. the
//! current code does 10 % more work — it must exit 1 and say what moved.
//! Needs valgrind (CI installs it); skipped, and said so, without it.

use std::process::Command;

#[test]
fn gate_fails_when_the_code_does_10_percent_more_work() {
    if !harness::measure::callgrind::available() {
        eprintln!("SKIPPED gate_cli: valgrind is not installed");
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "valgrind missing under CI"
        );
        return;
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let base =
        harness::gate::Baseline::load(&root.join("reports/baseline-instructions.json")).expect("committed baseline");
    let mut shrunk = base.clone();
    for e in &mut shrunk.entries {
        for s in &mut e.samples {
            *s /= 1.10;
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baseline.json");
    shrunk.save(&path).unwrap();
    let json = dir.path().join("verdicts.json");
    let out = Command::new(env!("CARGO_BIN_EXE_lab"))
        .args(["gate", "--metric", "instructions", "--threshold", "5", "--baseline"])
        .arg(&path)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(harness::gate::EXIT_REGRESSED as i32), "{text}");
    assert!(text.contains("Regressed") && text.contains("gate: REGRESSED"), "{text}");
    let report: harness::gate::Report = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(report.regressed && report.rows.iter().all(|r| r.status == harness::gate::Status::Regressed));
}

#[test]
fn gate_without_a_baseline_says_it_could_not_run() {
    let out = Command::new(env!("CARGO_BIN_EXE_lab"))
        .args(["gate", "--baseline", "/nonexistent/baseline.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(harness::gate::EXIT_COULD_NOT_RUN as i32));
}

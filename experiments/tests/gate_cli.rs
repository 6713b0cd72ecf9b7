//! `lab gate` end to end on a synthetic two-commit repository: a toy
//! workspace whose `lab` speaks the gate's protocol (`gate-cases`, `trial`)
//! and spins a loop whose length each commit sets. The gate builds both
//! revisions itself and measures them on this machine in this run.
//!
//! Instruction counts are deterministic, so their outcomes are asserted
//! exactly: +15 % work fails a 5 % gate (exit 1), A/A passes (exit 0). For
//! the time metric the toy reports its work, not the clock, as its
//! `trial-seconds` (with a bounded jitter, so rounds differ): the gate's
//! time path — `--timed` trials, the protocol, the rule — is exercised and
//! its outcome asserted exactly, whatever the machine's load. Needs
//! valgrind (CI installs it); without it the instruction cases are
//! skipped, and said so.

use harness::gate::{EXIT_COULD_NOT_RUN, EXIT_PASS, EXIT_REGRESSED};
use std::path::Path;
use std::process::Command;

const TOY: &str = r#"
const WORK: u64 = @WORK@;
fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}
fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("gate-cases") => println!("GATE\tspin loop\tcurrent"),
        Some("trial") => {
            if std::env::var_os("TOY_FIXTURE_MISSING").is_some() {
                eprintln!("fixture toy.bin is not available (run `lab fixtures`)");
                std::process::exit(2);
            }
            if arg(&args, "--case").as_deref() != Some("spin loop") {
                eprintln!("no such case");
                std::process::exit(2);
            }
            let reps: u64 = arg(&args, "--reps").and_then(|r| r.parse().ok()).unwrap_or(1);
            let mut x = 1u64;
            for _ in 0..reps {
                for i in 0..WORK {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
                }
            }
            if args.iter().any(|a| a == "--timed") {
                // Seconds from the work count, ±0.5 % by process id: never the clock.
                let jitter = f64::from(std::process::id() % 11) / 1000.0 - 0.005;
                println!("trial-seconds: {}", WORK as f64 * 1e-9 * (1.0 + jitter));
            }
        }
        _ => std::process::exit(2),
    }
}
"#;

fn sh(dir: &Path, cmd: &str, args: &[&str]) {
    let st = Command::new(cmd).args(args).current_dir(dir).status().unwrap();
    assert!(st.success(), "{cmd} {args:?}");
}

fn commit(dir: &Path, main_rs: &str, msg: &str) {
    std::fs::write(dir.join("toy/src/main.rs"), main_rs).unwrap();
    sh(dir, "git", &["add", "-A"]);
    sh(
        dir,
        "git",
        &["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", msg],
    );
}

/// broken → 2 000 000 iterations → 2 300 000 iterations (+15 %).
fn toy_repo() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    std::fs::create_dir_all(r.join("toy/src")).unwrap();
    std::fs::create_dir_all(r.join("fixtures")).unwrap();
    std::fs::write(
        r.join("Cargo.toml"),
        "[workspace]\nmembers = [\"toy\"]\nresolver = \"2\"\n",
    )
    .unwrap();
    std::fs::write(
        r.join("toy/Cargo.toml"),
        "[package]\nname = \"toy\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[[bin]]\nname = \"lab\"\npath = \"src/main.rs\"\n",
    )
    .unwrap();
    std::fs::write(r.join("fixtures/manifest.toml"), "schema = 1\nfixture = []\n").unwrap();
    std::fs::write(r.join(".gitignore"), "target/\n").unwrap();
    sh(r, "git", &["init", "-q", "-b", "main"]);
    commit(r, "fn main() { this does not compile }", "broken");
    commit(r, &TOY.replace("@WORK@", "2_000_000"), "work");
    commit(r, &TOY.replace("@WORK@", "2_300_000"), "15 % more work");
    d
}

fn gate(root: &Path, args: &[&str]) -> (i32, String) {
    gate_env(root, args, &[])
}

fn gate_env(root: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lab"))
        .envs(env.iter().copied())
        .arg("--root")
        .arg(root)
        .arg("gate")
        .args(args)
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn have_valgrind() -> bool {
    if harness::measure::callgrind::available() {
        return true;
    }
    eprintln!("SKIPPED instruction-count gate cases: valgrind is not installed");
    assert!(
        std::env::var("CI").map_or(true, |v| v != "true"),
        "valgrind missing under CI"
    );
    false
}

#[test]
fn the_gate_fails_a_regression_passes_a_a_and_fails_closed() {
    let repo = toy_repo();
    let r = repo.path();
    if have_valgrind() {
        let json = r.join("verdict.json");
        let md = r.join("summary.md");
        let (code, text) = gate(
            r,
            &[
                "--base",
                "HEAD~1",
                "--metric",
                "instructions",
                "--json",
                json.to_str().unwrap(),
                "--markdown",
                md.to_str().unwrap(),
            ],
        );
        assert_eq!(code, i32::from(EXIT_REGRESSED), "{text}");
        assert!(text.contains("GATE REGRESSION: spin loop / current +15."), "{text}");
        let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        assert_eq!(v["status"], "regressed");
        assert_eq!(v["threshold_pct"], 5.0);
        assert!(v["base"]["commit"].as_str().unwrap().len() == 40 && v["fingerprint"]["cpu"].is_string());
        assert!(std::fs::read_to_string(&md)
            .unwrap()
            .contains("| spin loop / current |"));
        let (code, text) = gate(r, &["--base", "HEAD", "--metric", "instructions"]);
        assert_eq!(code, i32::from(EXIT_PASS), "A/A must pass: {text}");
        // A case whose fixture is missing could not run: never silently ungated.
        let (code, text) = gate_env(
            r,
            &["--base", "HEAD", "--metric", "instructions"],
            &[("TOY_FIXTURE_MISSING", "1")],
        );
        assert_eq!(code, i32::from(EXIT_COULD_NOT_RUN), "{text}");
        assert!(text.contains("toy.bin"), "{text}");
        // No gated case left by --only: an empty comparison cannot pass.
        let (code, text) = gate(r, &["--base", "HEAD", "--only", "no such case"]);
        assert_eq!(code, i32::from(EXIT_COULD_NOT_RUN), "{text}");
    }
    // Time: +15 % reported work (each side within ±0.5 %) fails a 5 % gate; A/A passes.
    let (code, text) = gate(r, &["--base", "HEAD~1", "--metric", "time", "--budget", "5"]);
    assert_eq!(
        code,
        i32::from(EXIT_REGRESSED),
        "+15 % by time must fail the gate: {text}"
    );
    assert!(text.contains("GATE REGRESSION: spin loop / current +1"), "{text}");
    let (code, text) = gate(r, &["--base", "HEAD", "--metric", "time", "--budget", "5"]);
    assert_eq!(code, i32::from(EXIT_PASS), "A/A by time must pass: {text}");
    // A base that does not build, and one that does not exist: could not run, with the cause.
    let (code, text) = gate(r, &["--base", "HEAD~2", "--metric", "time"]);
    assert_eq!(code, i32::from(EXIT_COULD_NOT_RUN), "{text}");
    assert!(text.contains("cargo build"), "{text}");
    let (code, text) = gate(r, &["--base", "no-such-rev"]);
    assert_eq!(code, i32::from(EXIT_COULD_NOT_RUN), "{text}");
    assert!(text.contains("no-such-rev"), "{text}");
}

#[test]
fn every_gate_case_is_listed_and_a_missing_fixture_is_named() {
    let lab = env!("CARGO_BIN_EXE_lab");
    let ws = Path::new(env!("CARGO_MANIFEST_DIR"));
    let empty = tempfile::tempdir().unwrap();
    let listed = Command::new(lab)
        .args(["gate-cases", "--metric", "instructions"])
        .current_dir(ws)
        .env("LOADLAB_FIXTURES", empty.path())
        .env("LOADLAB_FIXTURE_PATH", empty.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&listed.stdout);
    assert_eq!(text.lines().count(), experiments::gate::labels().count(), "{text}");
    let out = Command::new(lab)
        .args([
            "trial",
            "--experiment",
            "GATE",
            "--case",
            "npz inflate whisper mel filters",
            "--variant",
            "current",
        ])
        .current_dir(ws)
        .env("LOADLAB_FIXTURES", empty.path())
        .env("LOADLAB_FIXTURE_PATH", empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("whisper_mel_filters.npz"));
}

#[test]
fn lab_refuses_unknown_experiments_and_missing_workspaces() {
    let out = Command::new(env!("CARGO_BIN_EXE_lab"))
        .args(["run", "--only", "H99", "--offline"])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("H99"));
    let elsewhere = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lab"))
        .arg("list")
        .current_dir(elsewhere.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not inside a loadlab workspace"));
}

/// `lab list | head -1`: when the reader is gone, `lab` ends by SIGPIPE, as
/// any Unix tool does, not by a panic on the closed pipe (exit 101).
#[test]
fn a_closed_pipe_ends_lab_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let (reader, writer) = std::io::pipe().expect("pipe");
    // Closed before lab starts, so its first write meets a closed pipe.
    drop(reader);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root");
    let out = Command::new(env!("CARGO_BIN_EXE_lab"))
        .arg("--root")
        .arg(root)
        .arg("list")
        .stdout(writer)
        .output()
        .expect("run lab");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "lab panicked: {stderr}");
    const SIGPIPE: i32 = 13;
    assert_eq!(
        out.status.signal(),
        Some(SIGPIPE),
        "lab ended with {:?}: {stderr}",
        out.status
    );
}

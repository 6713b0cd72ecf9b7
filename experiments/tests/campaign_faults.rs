//! A campaign survives its own faults: its binary rebuilt under it, the
//! checkout moved under it, and SIGKILL at random moments followed by
//! `lab run --resume`. Each runs real quick campaigns of three short
//! experiments (H18, H09, H01) in a throw-away workspace: a copy of this
//! one's `Cargo.toml` and `fixtures/` in a git repository of its own, so
//! nothing here touches the checkout's ledger or binaries.

mod common;

use common::{git, retrying, workspace, Ws};
use std::io::BufRead;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

const ONLY: &str = "H18,H09,H01";

impl Ws {
    fn run(&self, extra: &[&str]) -> Command {
        let mut c = Command::new(&self.lab);
        c.arg("--root")
            .arg(&self.root)
            .args(["run", "--quick", "--offline", "--only", ONLY])
            .args(extra);
        c
    }

    /// A quick campaign started, once it has begun measuring (its first
    /// pass), with the rest of its output still to read.
    fn started(&self) -> (Child, std::io::BufReader<std::process::ChildStdout>) {
        let mut child = retrying(|| self.run(&[]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn());
        let out = wait_for_line(&mut child, "pass 1");
        (child, out)
    }

    fn ledger(&self) -> Vec<harness::ledger::Campaign> {
        harness::ledger::load_all(&self.root.join("reports/ledger")).expect("the ledger parses")
    }
}

/// Reads the child's standard output until a line containing `marker`.
fn wait_for_line(child: &mut Child, marker: &str) -> std::io::BufReader<std::process::ChildStdout> {
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "ended before printing {marker:?}"
        );
        if line.contains(marker) {
            return out;
        }
    }
}

#[test]
fn a_rebuild_during_a_campaign_changes_nothing_it_measures() {
    let ws = workspace();
    let (child, mut out) = ws.started();
    // `cargo build` replaces the binary: here by other code entirely.
    std::fs::remove_file(&ws.lab).unwrap();
    std::fs::write(&ws.lab, "#!/bin/sh\necho other code\nexit 7\n").unwrap();
    std::fs::set_permissions(&ws.lab, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{rest}\n{err}");
    let all = ws.ledger();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].entries.len(), 3, "{rest}");
}

#[test]
fn a_checkout_moved_under_a_campaign_is_not_recorded() {
    let ws = workspace();
    let (child, _out) = ws.started();
    git(&ws.root, &["commit", "-q", "--allow-empty", "-m", "moved"]);
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("checkout moved"), "{err}");
    assert!(ws.ledger().iter().all(|c| c.entries.is_empty()));
}

/// Entries as their JSON text, by experiment id.
fn entries(all: &[harness::ledger::Campaign]) -> Vec<(String, String, String)> {
    all.iter()
        .flat_map(|c| {
            c.entries
                .iter()
                .map(|e| (c.id.clone(), e.spec.id.clone(), serde_json::to_string(e).unwrap()))
        })
        .collect()
}

#[test]
fn sigkill_at_random_moments_then_resume_loses_no_recorded_entry() {
    // How long an uninterrupted campaign of the three takes here, now.
    let ws = workspace();
    let t = Instant::now();
    let o = retrying(|| ws.run(&[]).output());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let span = t.elapsed();
    // One kill in each quarter of that span, at a point the clock picks.
    for quarter in 0..4u32 {
        let ws = workspace();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let at = span.mul_f64((f64::from(quarter) + f64::from(nanos % 1000) / 1000.0) / 4.0);
        let child = retrying(|| {
            ws.run(&[])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
        });
        std::thread::sleep(at);
        // SIGKILL to the campaign and its workers alike.
        Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .status()
            .unwrap();
        let mut child = child;
        child.wait().unwrap();
        let before = entries(&ws.ledger());
        let o = retrying(|| ws.run(&["--resume"]).output());
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "resume after a kill at {at:?}: {text}\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let after = ws.ledger();
        let now = entries(&after);
        for e in &before {
            assert!(
                now.contains(e),
                "entry {} of {} lost or changed by the resume",
                e.1,
                e.0
            );
        }
        // The newest campaign holds every experiment once.
        let newest = after.last().unwrap();
        let mut ids: Vec<&str> = newest.entries.iter().map(|e| e.spec.id.as_str()).collect();
        ids.sort_unstable();
        assert_eq!(
            ids,
            ["H01", "H09", "H18"],
            "after a kill at {at:?} ({} recorded before)",
            before.len()
        );
        assert!(newest.finished.is_some());
        // Nothing stopped halfway is taken for a campaign.
        let stray = std::fs::read_dir(ws.root.join("reports/ledger"))
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .count();
        eprintln!(
            "kill at {at:?}: {} entries recorded before, {stray} stray temp files",
            before.len()
        );
    }
}

//! A campaign killed with SIGKILL in the middle of writing leaves the
//! ledger readable with every entry it had completed.

use harness::ledger::{self, CalibrationInForce, Campaign, Entry};
use harness::{Claim, Metric, Spec, Verdict};
use std::process::Command;
use std::time::Duration;

fn campaign(n: usize) -> Campaign {
    let entry = |i: usize| Entry {
        spec: Spec {
            id: format!("H{i:02}"),
            title: "t".into(),
            hypothesis: "x".repeat(20_000), // large entries make a torn write likely
            source: "s".into(),
            claim: Claim::no_effect("c"),
            fixtures: Vec::new(),
            metric: Metric::WallTime,
            explanation: None,
        },
        fixtures: Vec::new(),
        cases: Vec::new(),
        verdict: Verdict::NoEffect,
        recorded: String::new(),
        evidence: Vec::new(),
    };
    Campaign {
        schema: ledger::SCHEMA,
        id: "kill-test".into(),
        mode: harness::ledger::Mode::Full,
        started: String::new(),
        finished: None,
        environment: harness::env::capture(),
        calibration: CalibrationInForce {
            noise_floor: 0.02,
            instruction_floor: 0.005,
            mde: None,
            source: "t".into(),
            false_positive_rate: None,
        },
        entries: (0..n).map(entry).collect(),
    }
}

/// The child: rewrites the campaign with one more entry each time, forever.
#[test]
fn child_writer() {
    let Some(dir) = std::env::var_os("LOADLAB_KILL_TEST_DIR") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    for n in 1.. {
        ledger::save(&dir, &campaign(n)).unwrap();
        std::fs::write(dir.join("progress"), n.to_string()).unwrap();
    }
}

#[test]
fn sigkill_mid_write_leaves_every_completed_entry() {
    for wait_ms in [150u64, 400, 900] {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child_writer", "--nocapture", "--test-threads=1"])
            .env("LOADLAB_KILL_TEST_DIR", dir.path())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(wait_ms));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let done: usize = std::fs::read_to_string(dir.path().join("progress")).map_or(0, |s| s.parse().unwrap_or(0));
        let all = ledger::load_all(dir.path()).expect("the ledger parses after SIGKILL");
        if done > 0 {
            assert_eq!(all.len(), 1);
            assert!(
                all[0].entries.len() >= done,
                "{} entries on disk, {done} completed",
                all[0].entries.len()
            );
        }
        // No temp file is mistaken for a campaign.
        assert!(all.iter().all(|c| c.id == "kill-test"));
    }
}

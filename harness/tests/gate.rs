//! The gate on a synthetic workload (never on real code, never a timed
//! assertion on its own): baseline and current samples are gathered
//! interleaved in one run, so drift hits both, then judged by the gate's
//! rule. An A/A comparison passes; an injected 10 % slow-down fails a 5 %
//! threshold.

use harness::gate::{compare, Baseline, BaselineEntry, Status};
use harness::runner::{run_case, Config};
use harness::stats::calibration::{default_in_force, iterations_for, synthetic_case};
use harness::{Claim, Metric, Spec};
use std::time::Duration;

fn spec() -> Spec {
    Spec {
        id: "T".into(),
        title: "t".into(),
        hypothesis: "t".into(),
        source: "test".into(),
        claim: Claim::no_effect("t"),
        fixtures: Vec::new(),
        metric: Metric::WallTime,
        explanation: None,
    }
}

fn as_baseline(samples: Vec<f64>) -> Baseline {
    Baseline {
        schema: 1,
        created: String::new(),
        git_commit: String::new(),
        entries: vec![BaselineEntry {
            experiment: "T".into(),
            case: "w".into(),
            variant: "v".into(),
            metric: Metric::WallTime,
            samples,
        }],
    }
}

fn gate(slowdown: f64) -> Status {
    let iters = iterations_for(Duration::from_millis(2));
    let mut case = synthetic_case("gate".into(), iters, slowdown);
    let mut cfg = Config::quick(default_in_force());
    cfg.min_rounds = 60;
    cfg.max_rounds = 60;
    cfg.budget = Duration::from_secs(120);
    let rec = run_case(&spec(), &mut case, &cfg, None).unwrap();
    let base = as_baseline(rec.variants[0].samples.clone());
    let now = as_baseline(rec.variants[1].samples.clone());
    compare(&base, &now, 0.05, Some(Metric::WallTime), String::new()).rows[0].status
}

#[test]
fn gate_passes_an_a_a_run_and_fails_an_injected_10_percent_slowdown() {
    assert_eq!(gate(0.0), Status::Pass, "A/A must pass");
    assert_eq!(gate(0.10), Status::Regressed, "+10 % must fail a 5 % gate");
}

#[test]
fn missing_entries_are_reported_not_ignored() {
    let base = as_baseline(vec![1.0, 1.0, 1.0]);
    let now = Baseline {
        entries: Vec::new(),
        ..as_baseline(Vec::new())
    };
    let r = compare(&base, &now, 0.05, None, String::new());
    assert_eq!(r.rows[0].status, Status::Missing);
    assert!(!r.regressed);
}

//! The gate's comparison with a stored baseline, on deterministic sample
//! sets (never a timed assertion): A/A passes; +10 % fails a 5 % gate; an
//! interval straddling the threshold is inconclusive; a case on one side
//! only could not run; and baselines from another machine are refused.

use harness::fingerprint::Fingerprint;
use harness::gate::{compare, Baseline, BaselineEntry, Status, EXIT_COULD_NOT_RUN, EXIT_INCONCLUSIVE};
use harness::Metric;

fn samples(center: f64, spread: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| center * (1.0 + spread * ((i * 7919 % n) as f64 / n as f64 - 0.5)))
        .collect()
}

fn baseline(case: &str, s: Vec<f64>) -> Baseline {
    Baseline::new(
        "c0ffee".into(),
        vec![BaselineEntry {
            experiment: "GATE".into(),
            case: case.into(),
            variant: "current".into(),
            metric: Metric::WallTime,
            samples: s,
        }],
    )
}

fn status(base: Vec<f64>, now: Vec<f64>) -> Status {
    let r = compare(
        &baseline("w", base),
        &baseline("w", now),
        5.0,
        Some(Metric::WallTime),
        Vec::new(),
    );
    r.rows[0].status
}

#[test]
fn a_a_passes_and_ten_percent_fails() {
    assert_eq!(status(samples(1.0, 0.02, 40), samples(1.0, 0.02, 40)), Status::Pass);
    assert_eq!(
        status(samples(1.0, 0.02, 40), samples(1.10, 0.02, 40)),
        Status::Regressed
    );
}

#[test]
fn straddling_is_inconclusive_never_pass() {
    let r = compare(
        &baseline("w", samples(1.0, 0.5, 8)),
        &baseline("w", samples(1.05, 0.5, 8)),
        5.0,
        Some(Metric::WallTime),
        Vec::new(),
    );
    assert_eq!(r.rows[0].status, Status::Inconclusive);
    assert_eq!(r.exit_code(), EXIT_INCONCLUSIVE);
}

#[test]
fn missing_entries_could_not_run() {
    let base = baseline("w", samples(1.0, 0.02, 10));
    let now = Baseline {
        entries: Vec::new(),
        ..base.clone()
    };
    let r = compare(&base, &now, 5.0, None, Vec::new());
    assert_eq!(r.rows[0].status, Status::CouldNotRun);
    assert_eq!(r.exit_code(), EXIT_COULD_NOT_RUN);
    let r = compare(&now, &now, 5.0, None, Vec::new());
    assert_eq!(r.exit_code(), EXIT_COULD_NOT_RUN, "an empty comparison cannot pass");
}

#[test]
fn baselines_from_another_machine_are_refused() {
    let here = Fingerprint::capture();
    let mut b = baseline("w", vec![1.0]);
    assert!(b.check_machine(&here).is_ok());
    let mut other = here.clone();
    other.kernel.push_str("-other");
    b.fingerprint = Some(other);
    assert!(b.check_machine(&here).unwrap_err().contains("kernel"));
    b.fingerprint = None;
    assert!(b.check_machine(&here).is_err());
}

#[test]
fn updating_a_baseline_records_what_moved() {
    let old = baseline("w", vec![100.0]);
    let mut new = baseline("w", vec![112.0]);
    new.record_moves_from(&old, 1.0);
    assert_eq!(new.moved.len(), 1);
    assert!((new.moved[0].ratio - 1.12).abs() < 1e-12);
    let mut same = baseline("w", vec![100.5]);
    same.record_moves_from(&old, 1.0);
    assert!(same.moved.is_empty());
}

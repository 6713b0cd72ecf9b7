//! Reports come from the ledger alone and are reproducible: rendering the
//! same ledger twice gives identical files; an explanation written for
//! another verdict is flagged as stale.

use harness::ledger::{self, CalibrationInForce, Campaign, CaseRecord, Comparison, Entry, VariantRecord};
use harness::platform::Usage;
use harness::stats::bootstrap::Effect;
use harness::stats::summary::Summary;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Claim, Explanation, Metric, Spec, Verdict};

fn entry(verdict: Verdict, written_for: Verdict) -> Entry {
    let v = |name: &str, s: Vec<f64>| VariantRecord {
        name: name.into(),
        summary: Summary::of(&s),
        samples: s,
        wall_median_s: 0.01,
        usage: Usage::default(),
        counters: vec![("reads".into(), 3)],
        throughput_bps: Some(1e9),
    };
    Entry {
        spec: Spec {
            id: "H99".into(),
            title: "test".into(),
            hypothesis: "A vs B".into(),
            source: "here".into(),
            claim: Claim::ratio("B 30 % faster", 0.7),
            fixtures: vec!["f".into()],
            metric: Metric::WallTime,
            explanation: Some(Explanation {
                written_for,
                why: "Because. More.".into(),
                disposition: "Kept A.".into(),
                reattempt: "Nothing.".into(),
            }),
        },
        fixtures: vec![ledger::FixtureRef {
            name: "f".into(),
            sha256: "ab".repeat(32),
        }],
        cases: (0..3)
            .map(|i| CaseRecord {
                label: format!("case {i}"),
                cache: CacheMode::Warm,
                metric: Metric::WallTime,
                bytes: Some(1 << 20),
                x: Some((1u64 << (10 + 5 * i)) as f64),
                variants: vec![v("A", vec![0.010, 0.011, 0.0105]), v("B", vec![0.013, 0.0135, 0.0132])],
                comparisons: vec![Comparison {
                    a: "A".into(),
                    b: "B".into(),
                    expect: Expect::Ratio(0.7),
                    effect: Effect {
                        ratio: 1.25,
                        lo: 1.2,
                        hi: 1.3,
                        rounds: 3,
                    },
                    verdict,
                }],
                rounds: 3,
                elapsed_s: 0.1,
                stop: "test".into(),
                replication: None,
            })
            .collect(),
        verdict,
        recorded: "2026-01-01T00:00:00Z".into(),
        evidence: Vec::new(),
    }
}

fn write(dir: &std::path::Path, e: Entry) {
    let c = Campaign {
        schema: ledger::SCHEMA,
        id: "2026-01-01T00-00-00Z".into(),
        mode: harness::ledger::Mode::Full,
        started: "2026-01-01T00:00:00Z".into(),
        finished: Some("2026-01-01T00:10:00Z".into()),
        environment: harness::env::capture(),
        calibration: CalibrationInForce {
            noise_floor: 0.02,
            instruction_floor: 0.005,
            mde: Some(0.02),
            source: "t".into(),
            false_positive_rate: None,
        },
        entries: vec![e],
    };
    ledger::save(&dir.join("ledger"), &c).unwrap();
}

fn render(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let files =
        harness::report::render(&dir.join("ledger"), &dir.join("reports"), &dir.join("EXPERIMENTS.md")).unwrap();
    let mut out: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|f| (f.display().to_string(), std::fs::read(f).unwrap()))
        .collect();
    out.sort();
    out
}

#[test]
fn rendering_the_same_ledger_twice_is_byte_identical() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), entry(Verdict::Opposite, Verdict::Opposite));
    let a = render(d.path());
    let b = render(d.path());
    assert_eq!(a, b);
    let names: Vec<&str> = a.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.iter().any(|n| n.ends_with("H99-effect.svg")));
    assert!(names.iter().any(|n| n.ends_with("H99-sweep.svg")));
    let page = String::from_utf8(std::fs::read(d.path().join("reports/H99.md")).unwrap()).unwrap();
    assert!(page.contains("## Why\n\nBecause."), "{page}");
    let index = String::from_utf8(std::fs::read(d.path().join("EXPERIMENTS.md")).unwrap()).unwrap();
    assert!(index.contains("| H99 |") && index.contains("opposite to the claim"));
}

#[test]
fn an_explanation_for_another_verdict_is_flagged_stale() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), entry(Verdict::Opposite, Verdict::Confirmed));
    render(d.path());
    let page = String::from_utf8(std::fs::read(d.path().join("reports/H99.md")).unwrap()).unwrap();
    assert!(
        page.contains("STALE") && page.contains("written for the verdict “confirmed”"),
        "{page}"
    );
}

#[test]
fn campaigns_from_two_machines_keep_a_row_each() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), entry(Verdict::Confirmed, Verdict::Confirmed));
    // The same experiment measured later on another machine (another kernel).
    let mut c = ledger::load_all(&d.path().join("ledger")).unwrap().remove(0);
    c.id = "2026-01-02T00-00-00Z".into();
    if let Some(f) = c.environment.fingerprint.as_mut() {
        f.kernel.push_str("-elsewhere");
    }
    ledger::save(&d.path().join("ledger"), &c).unwrap();
    let all = ledger::load_all(&d.path().join("ledger")).unwrap();
    let chosen = harness::report::select(&all);
    assert_eq!(chosen.len(), 2, "one entry per machine");
    render(d.path());
    let index = String::from_utf8(std::fs::read(d.path().join("EXPERIMENTS.md")).unwrap()).unwrap();
    assert_eq!(index.matches("| H99 |").count(), 2, "{index}");
    assert_eq!(index.matches("· machine ").count(), 2, "{index}");
    // A second campaign on the same machine replaces the first.
    let mut same = all[0].clone();
    same.id = "2026-01-03T00-00-00Z".into();
    ledger::save(&d.path().join("ledger"), &same).unwrap();
    let all = ledger::load_all(&d.path().join("ledger")).unwrap();
    assert_eq!(harness::report::select(&all).len(), 2);
}

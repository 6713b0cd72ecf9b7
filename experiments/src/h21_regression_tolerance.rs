//! H21 — a 5 % tolerance on the median catches real regressions without
//! false alarms. Judged with the harness's own machinery: A/A runs and
//! injected slow-downs of a synthetic workload, each run twice (a "baseline"
//! and a "current" campaign) and compared by the gate's rule.

use crate::context::Ctx;
use crate::registry::Built;
use harness::calibration::{iterations_for, synthetic_case};
use harness::gate::{compare, Baseline, BaselineEntry, Status};
use harness::ledger::Evidence;
use harness::stats::verdict::Expect;
use harness::Metric;
use std::time::Duration;

/// Replays the gate: `pairs` independent (baseline, current) runs per
/// injected slow-down, judged with a 5 % threshold.
fn gate_replay(iters: u64, pairs: usize, rounds: usize) -> Evidence {
    let spec = crate::registry::spec_of("H21");
    let mut text = String::from("gate rule (fail if the 95 % interval of current/baseline lies above 1.05), replayed on independent run pairs:\n");
    for p in [0.0, 0.02, 0.05, 0.10] {
        let mut alarms = 0;
        for k in 0..pairs {
            let samples = |slow: f64, seed: u64| -> Vec<f64> {
                let mut c = synthetic_case(format!("replay {p} {k} {seed}"), iters, slow);
                let mut cfg = harness::runner::Config::quick(harness::calibration::default_in_force());
                cfg.min_rounds = rounds;
                cfg.max_rounds = rounds;
                cfg.budget = Duration::from_secs(60);
                cfg.seed = seed;
                harness::runner::run_case(&spec, &mut c, &cfg, None)
                    .map(|r| r.variants[1].samples.clone())
                    .unwrap_or_default()
            };
            let base = samples(0.0, 100 + k as u64);
            let cur = samples(p, 200 + k as u64);
            let mk = |s: Vec<f64>| Baseline {
                schema: 1,
                created: String::new(),
                git_commit: String::new(),
                fingerprint: None,
                moved: Vec::new(),
                entries: vec![BaselineEntry {
                    experiment: "H21".into(),
                    case: "w".into(),
                    variant: "B".into(),
                    metric: Metric::WallTime,
                    samples: s,
                }],
            };
            let r = compare(&mk(base), &mk(cur), 5.0, None, Vec::new());
            alarms += usize::from(r.rows.iter().any(|x| x.status == Status::Regressed));
        }
        let what = if p == 0.0 { "false alarms" } else { "alarms" };
        text.push_str(&format!(
            "  injected +{:>4.1} %: {what} in {alarms} of {pairs} pairs ({rounds} rounds each)\n",
            p * 100.0
        ));
    }
    Evidence {
        what: "gate replay".into(),
        text,
    }
}

/// H21's cases for this run (`ctx.quick()`: the CI-sized ones) and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    let iters = iterations_for(Duration::from_millis(if ctx.quick() { 2 } else { 10 }));
    for (p, expect) in [
        (0.0, Expect::NoEffect),
        (0.02, Expect::Ratio(1.02)),
        (0.05, Expect::Ratio(1.05)),
        (0.10, Expect::Ratio(1.10)),
    ] {
        let c = synthetic_case(format!("synthetic workload, injected +{:.0} %", p * 100.0), iters, p)
            .compare("A", "B", expect);
        b.cases.push(c);
    }
    if ctx.evidence {
        b.evidence.push(gate_replay(
            iters,
            if ctx.quick() { 3 } else { 20 },
            if ctx.quick() { 10 } else { 30 },
        ));
    }
    b
}

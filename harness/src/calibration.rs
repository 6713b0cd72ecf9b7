//! Calibration: what this machine's noise does to the verdict rule.
//!
//! * A/A runs (the same workload as A and B) give the **noise floor** — the
//!   band around 1.0 that A/A intervals stay inside — measured on one half
//!   of the runs, and the **false-positive rate** of the rule with that
//!   floor, measured on the other half (so the floor is not fitted to the
//!   runs it is judged on).
//! * Runs with an injected slow-down (extra work worth 1, 2, 5, 10 % of the
//!   workload in B) give the **minimum detectable effect**: the smallest
//!   slow-down every run detected, and how long detection took.

use crate::experiment::{CacheMode, Case, Claim, Metric, Outcome, Spec};
use crate::ledger::CalibrationInForce;
use crate::runner::{run_case, Config};
use crate::stats::summary::quantile;
use crate::stats::verdict::{judge, Expect, Verdict};
use serde::{Deserialize, Serialize};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// A deterministic CPU workload: `iters` rounds of integer mixing.
pub fn spin(iters: u64, seed: u64) -> u64 {
    let mut x = seed | 1;
    for _ in 0..iters {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    black_box(x)
}

/// Iterations of [`spin`] that take about `target` on this machine.
pub fn iterations_for(target: Duration) -> u64 {
    let mut iters = 1u64 << 16;
    loop {
        let t = Instant::now();
        spin(iters, 1);
        let e = t.elapsed();
        if e >= Duration::from_millis(2) {
            return (iters as f64 * target.as_secs_f64() / e.as_secs_f64()).max(1.0) as u64;
        }
        iters *= 4;
    }
}

/// A case whose B does `slowdown` (fraction) more work than A, with the
/// same result. `slowdown = 0` is an A/A case.
pub fn synthetic_case<'a>(label: String, iters: u64, slowdown: f64) -> Case<'a> {
    let extra = (iters as f64 * slowdown) as u64;
    Case::new(label, Metric::WallTime, CacheMode::Warm)
        .variant("A", move || Ok(Outcome::checksum(spin(iters, 7))))
        .variant("B", move || {
            black_box(spin(extra, 11));
            Ok(Outcome::checksum(spin(iters, 7)))
        })
}

fn synthetic_spec(claim: Claim) -> Spec {
    Spec {
        id: "CAL".into(),
        title: "calibration".into(),
        hypothesis: "synthetic workload".into(),
        source: "harness".into(),
        claim,
        fixtures: Vec::new(),
        metric: Metric::WallTime,
        explanation: None,
    }
}

/// Detection of one injected slow-down.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlowdownResult {
    /// Injected slow-down, as a fraction.
    pub slowdown: f64,
    /// Runs made.
    pub runs: usize,
    /// Runs whose verdict detected it.
    pub detected: usize,
    /// Median seconds to a verdict.
    pub median_seconds: f64,
    /// Longest time to a verdict.
    pub max_seconds: f64,
    /// Measured effect of each run.
    pub effects: Vec<f64>,
}

/// What `lab calibrate` measured on this machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// When (UTC).
    pub date: String,
    /// Where.
    pub environment: crate::env::Environment,
    /// Duration of one run of the synthetic workload.
    pub workload_ms: f64,
    /// A/A runs that set the noise floor.
    pub aa_runs: usize,
    /// Runs whose intervals set the floor.
    pub aa_floor_runs: usize,
    /// ± fraction: the largest deviation of an A/A interval bound from 1.0
    /// in the floor runs.
    pub noise_floor: f64,
    /// Held-out A/A runs judged with that floor, and how many of them the
    /// rule called significant.
    pub aa_test_runs: usize,
    /// Held-out A/A runs judged significant.
    pub aa_false_positives: usize,
    /// 95 % upper bound on the false-positive rate (exact binomial).
    pub aa_fp_upper95: f64,
    /// One result per injected slow-down.
    pub slowdowns: Vec<SlowdownResult>,
    /// The smallest injected slow-down every run detected.
    pub mde: Option<f64>,
    /// Budget of each run, seconds.
    pub budget_per_run_s: f64,
}

impl Calibration {
    /// The figures verdicts use, citing `path`.
    pub fn in_force(&self, path: &str) -> CalibrationInForce {
        CalibrationInForce {
            noise_floor: self.noise_floor,
            instruction_floor: DEFAULT_INSTRUCTION_FLOOR,
            mde: self.mde,
            source: format!("{path} ({})", self.date),
        }
    }
}

/// Before any calibration: ±2 % wall time, ±0.5 % instructions.
pub const DEFAULT_NOISE_FLOOR: f64 = 0.02;
/// Instruction counts' floor: callgrind counts move by well under this.
pub const DEFAULT_INSTRUCTION_FLOOR: f64 = 0.005;

/// What verdicts use when no calibration was run.
pub fn default_in_force() -> CalibrationInForce {
    CalibrationInForce {
        noise_floor: DEFAULT_NOISE_FLOOR,
        instruction_floor: DEFAULT_INSTRUCTION_FLOOR,
        mde: None,
        source: "default (no calibration run yet)".into(),
    }
}

/// Smallest p with P(X = 0) = (1-p)^n ≤ 5 %, i.e. the one-sided 95 % upper
/// bound after `k` = 0 events; for k > 0 a Clopper–Pearson bound by bisection.
pub fn binomial_upper95(k: usize, n: usize) -> f64 {
    if n == 0 {
        return 1.0;
    }
    let cdf = |p: f64| -> f64 {
        // P(X <= k) for Binomial(n, p).
        let mut term = (1.0 - p).powi(n as i32);
        let mut sum = term;
        for i in 0..k {
            term *= (n - i) as f64 / (i + 1) as f64 * p / (1.0 - p).max(f64::MIN_POSITIVE);
            sum += term;
        }
        sum
    };
    let (mut lo, mut hi) = (k as f64 / n as f64, 1.0);
    for _ in 0..60 {
        let mid = (lo + hi) / 2.0;
        if cdf(mid) > 0.05 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

/// Options of a calibration run.
pub struct Plan {
    /// Length of one run of the synthetic workload.
    pub workload: Duration,
    /// A/A runs that set the floor, and their budget each.
    pub aa_runs: usize,
    /// Budget of each floor-setting A/A run.
    pub aa_budget: Duration,
    /// Held-out A/A runs judged with that floor (300 bound a 0 % observed
    /// false-positive rate at 1 % with 95 % confidence), and their budget.
    pub aa_test_runs: usize,
    /// Budget of each held-out A/A run.
    pub aa_test_budget: Duration,
    /// Injected slow-downs (fractions).
    pub slowdowns: Vec<f64>,
    /// Runs per slow-down.
    pub slowdown_runs: usize,
    /// Budget of each slow-down run.
    pub slowdown_budget: Duration,
}

impl Plan {
    /// The full plan (several minutes).
    pub fn full() -> Plan {
        Plan {
            workload: Duration::from_millis(10),
            aa_runs: 20,
            aa_budget: Duration::from_secs(3),
            aa_test_runs: 300,
            aa_test_budget: Duration::from_millis(500),
            slowdowns: vec![0.01, 0.02, 0.05, 0.10],
            slowdown_runs: 3,
            slowdown_budget: Duration::from_secs(60),
        }
    }

    /// A short plan for a smoke test.
    pub fn quick() -> Plan {
        Plan {
            workload: Duration::from_millis(2),
            aa_runs: 5,
            aa_budget: Duration::from_millis(400),
            aa_test_runs: 10,
            aa_test_budget: Duration::from_millis(200),
            slowdowns: vec![0.05, 0.10],
            slowdown_runs: 1,
            slowdown_budget: Duration::from_secs(3),
        }
    }
}

/// Runs the plan. `on_step` reports progress (step, total, label).
pub fn calibrate(plan: &Plan, mut on_step: impl FnMut(usize, usize, &str)) -> crate::error::Result<Calibration> {
    let iters = iterations_for(plan.workload);
    let t = Instant::now();
    spin(iters, 7);
    let workload_ms = t.elapsed().as_secs_f64() * 1e3;
    let total = plan.aa_runs + plan.aa_test_runs + plan.slowdowns.len() * plan.slowdown_runs;
    let mut step = 0;
    let base = default_in_force();

    // A/A: half set the floor, half test it.
    let aa_spec = synthetic_spec(Claim::no_effect("A/A"));
    let mut cfg = Config::full(base.clone());
    cfg.budget = plan.aa_budget;
    cfg.target_half_width = 0.0; // run the whole budget, like a real case would at worst
    let mut intervals = Vec::new();
    for i in 0..plan.aa_runs + plan.aa_test_runs {
        step += 1;
        on_step(
            step,
            total,
            if i < plan.aa_runs {
                "A/A (floor)"
            } else {
                "A/A (held out)"
            },
        );
        cfg.seed = 1000 + i as u64;
        cfg.budget = if i < plan.aa_runs {
            plan.aa_budget
        } else {
            plan.aa_test_budget
        };
        let mut case = synthetic_case(format!("A/A {i}"), iters, 0.0);
        let rec = run_case(&aa_spec, &mut case, &cfg, None)?;
        intervals.push(rec.comparisons[0].effect);
    }
    let floor_runs = plan.aa_runs;
    let mut dev: Vec<f64> = intervals[..floor_runs]
        .iter()
        .map(|e| (1.0 - e.lo).max(e.hi - 1.0).max(0.0))
        .collect();
    dev.sort_by(f64::total_cmp);
    let noise_floor = quantile(&dev, 1.0).max(0.002);
    let test = &intervals[floor_runs..];
    let fps = test
        .iter()
        .filter(|e| judge(Expect::Unclaimed, e, noise_floor) == Verdict::Significant)
        .count();

    // Injected slow-downs, judged with the floor just measured.
    let mut in_force = base;
    in_force.noise_floor = noise_floor;
    let mut slowdowns = Vec::new();
    for &p in &plan.slowdowns {
        let spec = synthetic_spec(Claim::ratio(format!("{:.0} % slower", p * 100.0), 1.0 + p));
        let mut cfg = Config::full(in_force.clone());
        cfg.budget = plan.slowdown_budget;
        cfg.target_half_width = (p / 4.0).max(0.002);
        let mut detected = 0;
        let mut secs = Vec::new();
        let mut effects = Vec::new();
        for r in 0..plan.slowdown_runs {
            step += 1;
            on_step(step, total, &format!("+{:.0} %", p * 100.0));
            cfg.seed = 5000 + r as u64;
            let mut case = synthetic_case(format!("+{p}"), iters, p);
            let rec = run_case(&spec, &mut case, &cfg, None)?;
            let c = &rec.comparisons[0];
            if matches!(c.verdict, Verdict::Confirmed | Verdict::SmallerThanClaimed) {
                detected += 1;
            }
            secs.push(rec.elapsed_s);
            effects.push(c.effect.ratio);
        }
        secs.sort_by(f64::total_cmp);
        slowdowns.push(SlowdownResult {
            slowdown: p,
            runs: plan.slowdown_runs,
            detected,
            median_seconds: quantile(&secs, 0.5),
            max_seconds: quantile(&secs, 1.0),
            effects,
        });
    }
    let mde = slowdowns
        .iter()
        .filter(|s| s.detected == s.runs)
        .map(|s| s.slowdown)
        .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.min(x))));
    Ok(Calibration {
        date: crate::time::utc_now(),
        environment: crate::env::capture(),
        workload_ms,
        aa_runs: plan.aa_runs + plan.aa_test_runs,
        aa_floor_runs: floor_runs,
        noise_floor,
        aa_test_runs: test.len(),
        aa_false_positives: fps,
        aa_fp_upper95: binomial_upper95(fps, test.len()),
        slowdowns,
        mde,
        budget_per_run_s: plan.aa_budget.as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binomial_bounds() {
        // Rule of three: 0 of 20 → about 3/20.
        let u = binomial_upper95(0, 20);
        assert!((u - 0.139).abs() < 0.005, "{u}");
        assert!(binomial_upper95(1, 20) > u);
        assert_eq!(binomial_upper95(0, 0), 1.0);
    }
}

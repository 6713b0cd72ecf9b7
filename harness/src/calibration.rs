//! Calibration: what this machine's noise does to the experiments' own
//! verdict rule, measured on real cases.
//!
//! A *decision* is one run of the full rule — the campaign's [`Config`]:
//! its processes, extension, stopping, margin and verdict code — on a real
//! case from one workload family (warm I/O, cold I/O, CPU conversion,
//! allocation-heavy), with the case's B replaced by a second, independently
//! built instance of its A ([`Transform::AaNull`]: a true null) or by that
//! instance plus busy work worth a known fraction of its own time
//! ([`Transform::Inject`]: a known slow-down). From them:
//!
//! * the **false-positive rate** (A/A decisions called an effect) with its
//!   exact 95 % upper bound, and how often a true null ends "no effect";
//! * **power curves**: the share of runs that detect +1, 2, 5, 10 %, per
//!   family, and each family's minimum detectable effect (the smallest
//!   slow-down detected in ≥ 90 % of runs).
//!
//! No number measured here stands in for a case: every case carries its
//! own A/A control and margin (see [`crate::runner::assemble`]).

use crate::campaign::{Event, Job, Lab};
use crate::error::HarnessError;
use crate::experiment::{Case, Variant};
use crate::ledger::{CalibrationInForce, CaseRecord};
use crate::protocol::Transform;
use crate::runner::Config;
use crate::stats::summary::median;
use crate::stats::verdict::Verdict;
use crate::stats::Rng;
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

/// A synthetic case whose B does `slowdown` (fraction) more [`spin`]
/// work than A, with the same result (`slowdown = 0`: A/A). H21 replays
/// the gate's rule on it; calibration itself uses real cases.
pub fn synthetic_case<'a>(label: String, iters: u64, slowdown: f64) -> Case<'a> {
    let extra = (iters as f64 * slowdown) as u64;
    Case::new(
        label,
        crate::experiment::Metric::WallTime,
        crate::experiment::CacheMode::Warm,
    )
    // The checksum is constant: `iters` is calibrated per process, so
    // the spin's value differs between processes; equal work holds by
    // construction (B runs A's loop plus the extra).
    .variant("A", move || {
        black_box(spin(iters, 7));
        Ok(crate::experiment::Outcome::checksum(SYNTHETIC))
    })
    .variant("B", move || {
        black_box(spin(extra, 11));
        black_box(spin(iters, 7));
        Ok(crate::experiment::Outcome::checksum(SYNTHETIC))
    })
}

/// The checksum of synthetic cases.
const SYNTHETIC: u64 = 0x5917_4A11;

/// Busy work for `d` (extra work a slowed-down variant does).
fn busy_for(d: Duration) {
    let t = Instant::now();
    while t.elapsed() < d {
        black_box(spin(2000, 3));
    }
}

/// Replaces `case`'s variants by its A and, as B, the A of `second` (the
/// same case built again, so nothing is shared) — with `Inject(f)`, B then
/// works `f` × its own duration more in every trial. The case's declared
/// comparisons are dropped: the calibration spec's claim applies.
pub fn substitute<'a>(mut case: Case<'a>, mut second: Case<'a>, t: Transform) -> Option<Case<'a>> {
    if t == Transform::AsDeclared {
        return Some(case);
    }
    let a = case.variants.drain(..).next()?;
    let mut b = second.variants.drain(..).next()?;
    let extra = match t {
        Transform::Inject(f) => f,
        _ => 0.0,
    };
    let run_b = move || {
        let t0 = Instant::now();
        let out = (b.run)();
        busy_for(t0.elapsed().mul_f64(extra));
        out
    };
    case.variants = vec![
        Variant {
            name: "A".into(),
            run: a.run,
        },
        Variant::new(
            if extra > 0.0 {
                format!("A again +{:.0} %", extra * 100.0)
            } else {
                "A again".into()
            },
            run_b,
        ),
    ];
    case.comparisons.clear();
    Some(case)
}

/// A workload family and the real case that stands for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Family {
    /// "warm I/O", "cold I/O", "CPU conversion", "allocation-heavy".
    pub name: String,
    /// Experiment id of the case.
    pub experiment: String,
    /// Case label.
    pub case: String,
}

/// How many decisions to make.
pub struct Plan {
    /// A/A decisions per family.
    pub aa_per_family: usize,
    /// Injected slow-downs (fractions).
    pub slowdowns: Vec<f64>,
    /// Decisions per slow-down and family.
    pub runs_per_slowdown: usize,
}

impl Plan {
    /// 300 A/A decisions over 4 families (0 false positives bound the
    /// rate under 1 %), and 29 runs per family at +2 % and +5 % (29 of 29
    /// detected bound the power above 0.90 at 95 %).
    pub fn full() -> Plan {
        Plan {
            aa_per_family: 75,
            slowdowns: vec![0.02, 0.05],
            runs_per_slowdown: 29,
        }
    }

    /// A smoke test of the machinery (figures meaningless).
    pub fn quick() -> Plan {
        Plan {
            aa_per_family: 2,
            slowdowns: vec![0.10],
            runs_per_slowdown: 1,
        }
    }
}

/// One decision's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// What B was.
    pub transform: Transform,
    /// The rule's verdict.
    pub verdict: Verdict,
    /// B/A and its interval.
    pub ratio: f64,
    /// Lower end of the interval.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
    /// The case's margin.
    pub margin: f64,
    /// Processes used.
    pub processes: usize,
    /// Seconds the decision took.
    pub seconds: f64,
    /// A process saw a busy machine.
    pub busy: bool,
}

impl Decision {
    fn of(t: Transform, r: &CaseRecord) -> Option<Decision> {
        let c = r.comparisons.first()?;
        Some(Decision {
            transform: t,
            verdict: c.verdict,
            ratio: c.effect.ratio,
            lo: c.effect.lo,
            hi: c.effect.hi,
            margin: r.replication.as_ref().map_or(f64::NAN, |x| x.margin),
            processes: r.processes(),
            seconds: r.elapsed_s,
            busy: r.busy(),
        })
    }
}

/// Detection of one injected slow-down in one family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PowerPoint {
    /// Injected slow-down, a fraction.
    pub slowdown: f64,
    /// Decisions made.
    pub runs: usize,
    /// Decisions that called B slower (confirmed, smaller or larger than claimed).
    pub detected: usize,
    /// Median measured ratio.
    pub median_ratio: f64,
    /// Median seconds per decision.
    pub median_seconds: f64,
}

/// One family's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FamilyResult {
    /// The family and its case.
    pub family: Family,
    /// A/A decisions.
    pub aa_runs: usize,
    /// A/A decisions that ended "no effect".
    pub aa_no_effect: usize,
    /// A/A decisions that called an effect.
    pub aa_false_positives: usize,
    /// Median seconds per A/A decision.
    pub aa_median_seconds: f64,
    /// Median margin of its decisions.
    pub median_margin: f64,
    /// Detection per injected slow-down.
    pub power: Vec<PowerPoint>,
    /// Smallest injected slow-down whose detection rate has a one-sided
    /// 95 % lower bound of at least 0.90 (29 of 29 runs, 45 of 46, …).
    pub mde: Option<f64>,
    /// Every decision, in the order made.
    pub decisions: Vec<Decision>,
}

pub use crate::ledger::Rule;

/// What `lab calibrate` measured on this machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// When (UTC).
    pub date: String,
    /// Where.
    pub environment: crate::env::Environment,
    /// The rule calibrated.
    pub rule: Rule,
    /// Per family.
    pub families: Vec<FamilyResult>,
    /// A/A decisions over all families.
    pub aa_runs: usize,
    /// Of which called an effect.
    pub aa_false_positives: usize,
    /// Exact one-sided 95 % upper bound on the false-positive rate.
    pub aa_fp_upper95: f64,
    /// Of which ended "no effect".
    pub aa_no_effect: usize,
    /// Decisions made while the machine was busy.
    pub busy_decisions: usize,
    /// Wall seconds the calibration took.
    pub seconds: f64,
}

impl Calibration {
    /// The figures verdicts use, citing `path`: the rule's margin, the
    /// worst family's MDE, the false-positive rate.
    pub fn in_force(&self, path: &str) -> CalibrationInForce {
        let mde = self
            .families
            .iter()
            .map(|f| f.mde)
            .try_fold(0.0f64, |m, x| x.map(|x| m.max(x)));
        CalibrationInForce {
            noise_floor: self.rule.min_margin,
            instruction_floor: DEFAULT_INSTRUCTION_FLOOR,
            mde,
            source: format!("{path} ({})", self.date),
            false_positive_rate: Some((
                self.aa_false_positives as f64 / self.aa_runs.max(1) as f64,
                self.aa_fp_upper95,
            )),
            rule_hash: Some(self.rule.hash()),
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
        false_positive_rate: None,
        rule_hash: None,
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

/// Exact one-sided 95 % lower bound on a rate of `k` successes in `n`.
pub fn binomial_lower95(k: usize, n: usize) -> f64 {
    if n == 0 {
        return 0.0;
    }
    1.0 - binomial_upper95(n - k.min(n), n)
}

/// Detected: the rule called B slower, whatever it said about the size.
fn detected(v: Verdict) -> bool {
    matches!(
        v,
        Verdict::Confirmed | Verdict::SmallerThanClaimed | Verdict::LargerThanClaimed
    )
}

/// The seed of the `i`-th decision (0-based) of a calibration under `seed`.
pub fn decision_seed(seed: u64, i: usize) -> u64 {
    seed ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Runs the plan: every (family, transform) decision is a job, in a random
/// order, measured in passes by [`crate::campaign::measure`] — the
/// scheduler campaigns use — so drift over the hours hits nulls and
/// slow-downs alike. `lab` builds each family's case (A/A or with the
/// injected slow-down) and spawns its workers; `on` reports progress.
pub fn calibrate(
    plan: &Plan,
    cfg: &Config,
    families: &[Family],
    lab: &dyn Lab,
    on: &mut dyn FnMut(Event<'_>),
) -> crate::error::Result<Calibration> {
    let started = Instant::now();
    let mut tasks: Vec<(usize, Transform)> = Vec::new();
    for f in 0..families.len() {
        tasks.extend(std::iter::repeat_n((f, Transform::AaNull), plan.aa_per_family));
        for &p in &plan.slowdowns {
            tasks.extend(std::iter::repeat_n((f, Transform::Inject(p)), plan.runs_per_slowdown));
        }
    }
    Rng::new(cfg.seed).shuffle(&mut tasks);
    // Each decision is a job of its own (its own seed), measured in passes
    // by the scheduler campaigns use.
    let jobs: Vec<Job> = tasks
        .iter()
        .enumerate()
        .map(|(i, &(f, t))| Job {
            experiment: families[f].experiment.clone(),
            only: Some(families[f].case.clone()),
            transform: t,
            seed: decision_seed(cfg.seed, i),
        })
        .collect();
    let measured = crate::campaign::measure(lab, &jobs, cfg, on);
    let mut made: Vec<Vec<Decision>> = vec![Vec::new(); families.len()];
    for ((job, mut m), &(f, t)) in jobs.iter().zip(measured).zip(&tasks) {
        let fail = |reason: String| HarnessError::Variant {
            experiment: job.experiment.clone(),
            case: families[f].case.clone(),
            variant: "-".into(),
            reason,
        };
        if let Some(why) = m.failed.take() {
            return Err(fail(why));
        }
        let unit = lab.unit(job).map_err(fail)?;
        let i = unit
            .cases
            .iter()
            .position(|c| c.label == families[f].case)
            .ok_or_else(|| fail("case not built".into()))?;
        let procs = m.take(&unit.cases).swap_remove(i);
        let dcfg = Config {
            seed: job.seed,
            ..cfg.clone()
        };
        let rec = crate::runner::assemble(&unit.spec, &unit.cases[i], procs, &dcfg, Instant::now())?;
        if let Some(d) = Decision::of(t, &rec) {
            made[f].push(d);
        }
    }
    let results: Vec<FamilyResult> = families
        .iter()
        .zip(made)
        .map(|(fam, ds)| summarize(fam, &plan.slowdowns, ds))
        .collect();
    let aa_runs = results.iter().map(|r| r.aa_runs).sum();
    let fps = results.iter().map(|r| r.aa_false_positives).sum();
    Ok(Calibration {
        date: crate::time::utc_now(),
        environment: crate::env::capture(),
        rule: cfg.rule(),
        aa_runs,
        aa_false_positives: fps,
        aa_fp_upper95: binomial_upper95(fps, aa_runs),
        aa_no_effect: results.iter().map(|r| r.aa_no_effect).sum(),
        busy_decisions: results.iter().flat_map(|r| &r.decisions).filter(|d| d.busy).count(),
        families: results,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn summarize(fam: &Family, slowdowns: &[f64], ds: Vec<Decision>) -> FamilyResult {
    let aa: Vec<&Decision> = ds.iter().filter(|d| d.transform == Transform::AaNull).collect();
    let med = |v: Vec<f64>| median(&v);
    let power: Vec<PowerPoint> = slowdowns
        .iter()
        .map(|&p| {
            let runs: Vec<&Decision> = ds.iter().filter(|d| d.transform == Transform::Inject(p)).collect();
            PowerPoint {
                slowdown: p,
                runs: runs.len(),
                detected: runs.iter().filter(|d| detected(d.verdict)).count(),
                median_ratio: med(runs.iter().map(|d| d.ratio).collect()),
                median_seconds: med(runs.iter().map(|d| d.seconds).collect()),
            }
        })
        .collect();
    let mde = power
        .iter()
        .filter(|p| p.runs > 0 && binomial_lower95(p.detected, p.runs) >= 0.90)
        .map(|p| p.slowdown)
        .reduce(f64::min);
    FamilyResult {
        family: fam.clone(),
        aa_runs: aa.len(),
        aa_no_effect: aa.iter().filter(|d| d.verdict == Verdict::Confirmed).count(),
        // Under a claim of no effect, "opposite to the claim" is an effect called.
        aa_false_positives: aa.iter().filter(|d| d.verdict == Verdict::Opposite).count(),
        aa_median_seconds: med(aa.iter().map(|d| d.seconds).collect()),
        median_margin: med(ds.iter().map(|d| d.margin).collect()),
        power,
        mde,
        decisions: ds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::{CacheMode, Metric, Outcome};

    #[test]
    fn binomial_bounds() {
        // Rule of three: 0 of 20 → about 3/20.
        let u = binomial_upper95(0, 20);
        assert!((u - 0.139).abs() < 0.005, "{u}");
        assert!(binomial_upper95(1, 20) > u);
        assert_eq!(binomial_upper95(0, 0), 1.0);
        // 0 of 300 → about 1 %.
        assert!((binomial_upper95(0, 300) - 0.00994).abs() < 0.0005);
        // Power: 29 of 29 bound it above 0.90, 20 of 20 only above 0.86.
        assert!(binomial_lower95(29, 29) >= 0.90);
        assert!(binomial_lower95(28, 29) < 0.90);
        assert!((binomial_lower95(20, 20) - 0.861).abs() < 0.005);
    }

    fn spin_case<'a>() -> Case<'a> {
        Case::new("spin", Metric::WallTime, CacheMode::Warm)
            .variant("A", || Ok(Outcome::checksum(spin(20_000, 1))))
            .variant("B", || Ok(Outcome::checksum(spin(1, 1))))
    }

    #[test]
    fn substitution_keeps_a_and_drops_b() {
        let c = substitute(spin_case(), spin_case(), Transform::Inject(0.5)).expect("two variants");
        assert_eq!(c.variants.len(), 2);
        assert_eq!(c.variants[1].name, "A again +50 %");
        assert!(c.comparisons.is_empty(), "the calibration's claim applies");
        let mut c = c;
        let a = (c.variants[0].run)().map(|o| o.checksum).ok();
        let b = (c.variants[1].run)().map(|o| o.checksum).ok();
        assert_eq!(a, b, "the same work, the same result");
        let kept = substitute(spin_case(), spin_case(), Transform::AsDeclared).expect("kept");
        assert_eq!(kept.variants[1].name, "B");
    }

    #[test]
    fn an_injected_slowdown_adds_its_share_of_bs_own_time() {
        // B sleeps 20 ms; +50 % must make a trial last at least 30 ms
        // (both are lower bounds, so load can only lengthen it).
        let sleeper = || {
            Case::new("sleep", Metric::WallTime, CacheMode::Warm).variant("A", || {
                std::thread::sleep(Duration::from_millis(20));
                Ok(Outcome::checksum(1))
            })
        };
        let mut c = substitute(sleeper(), sleeper(), Transform::Inject(0.5)).expect("two variants");
        let t = Instant::now();
        (c.variants[1].run)().expect("runs");
        assert!(t.elapsed() >= Duration::from_millis(30), "{:?}", t.elapsed());
        let mut n = substitute(sleeper(), sleeper(), Transform::AaNull).expect("two variants");
        assert_eq!(n.variants[1].name, "A again");
        assert!((n.variants[1].run)().is_ok());
    }
}

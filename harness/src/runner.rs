//! Scheduling: warm-up, randomized interleaved rounds, cache eviction,
//! adaptive stopping, and the callgrind path for instruction counts.

use crate::error::{HarnessError, Result};
use crate::experiment::{CacheMode, Case, Metric, Spec};
use crate::ledger::{CalibrationInForce, CaseRecord, Comparison, Entry, FixtureRef, VariantRecord};
use crate::measure::{self, callgrind};
use crate::platform::{self, Usage};
use crate::stats::bootstrap::{self, Effect};
use crate::stats::summary::{median, Summary};
use crate::stats::verdict::{judge, Expect};
use crate::stats::Rng;
use indicatif::ProgressBar;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Builds the argument list that makes the experiments binary run one
/// variant of one case `reps` times (for callgrind).
pub type ChildArgs = dyn Fn(&str, &str, &str, u32) -> Vec<String>;

/// How long and how precisely to measure.
pub struct Config {
    /// Rounds before the stopping rule is consulted.
    pub min_rounds: usize,
    /// Most rounds per case.
    pub max_rounds: usize,
    /// Time budget of one case (measurement only).
    pub budget: Duration,
    /// Stop when every effect's 95 % interval is within ± this fraction.
    pub target_half_width: f64,
    /// Seeds the round order and the bootstrap.
    pub seed: u64,
    /// Noise floor and MDE the verdicts use.
    pub calibration: CalibrationInForce,
    /// The binary and arguments for instruction counts; `None` disables them.
    pub child: Option<(PathBuf, Box<ChildArgs>)>,
    /// Repetitions inside one callgrind child (the count of 0 repetitions is
    /// subtracted, so setup is not counted).
    pub callgrind_reps: u32,
}

impl Config {
    /// The full campaign: up to `budget` per case, ±1 % target.
    pub fn full(calibration: CalibrationInForce) -> Config {
        Config {
            min_rounds: 15,
            max_rounds: 5000,
            budget: Duration::from_secs(10),
            target_half_width: 0.01,
            seed: 0x10AD_1AB5,
            calibration,
            child: None,
            callgrind_reps: 3,
        }
    }

    /// CI's quick mode: short budgets, looser target.
    pub fn quick(calibration: CalibrationInForce) -> Config {
        Config {
            min_rounds: 7,
            max_rounds: 400,
            budget: Duration::from_millis(1200),
            target_half_width: 0.03,
            ..Config::full(calibration)
        }
    }
}

/// Why measuring a case stopped. Recorded in the ledger as its sentence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StopReason {
    /// Every interval reached the target half-width (a fraction).
    Precision {
        /// The widest interval's half-width, a fraction.
        half_width: f64,
        /// Rounds measured.
        rounds: usize,
    },
    /// The case's time budget was spent.
    Budget {
        /// The budget.
        seconds: f64,
        /// Rounds measured.
        rounds: usize,
    },
    /// The round cap was reached.
    RoundCap {
        /// Rounds measured.
        rounds: usize,
    },
    /// Instruction counts: one deterministic count per variant.
    Deterministic {
        /// Repetitions counted (minus a count of none).
        reps: u32,
    },
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            StopReason::Precision { half_width, rounds } => {
                write!(
                    f,
                    "precision reached (±{:.1} %) after {rounds} rounds",
                    half_width * 100.0
                )
            }
            StopReason::Budget { seconds, rounds } => write!(f, "time budget ({seconds:.0} s) after {rounds} rounds"),
            StopReason::RoundCap { rounds } => write!(f, "round cap ({rounds})"),
            StopReason::Deterministic { reps } => write!(f, "deterministic: callgrind, {reps} repetitions minus 0"),
        }
    }
}

fn comparisons(spec: &Spec, case: &Case<'_>) -> Vec<(usize, usize, Expect)> {
    let idx = |n: &str| case.variants.iter().position(|v| v.name == n);
    if !case.comparisons.is_empty() {
        return case
            .comparisons
            .iter()
            .filter_map(|(a, b, e)| Some((idx(a)?, idx(b)?, *e)))
            .collect();
    }
    let first = match spec.claim.ratio {
        Some(r) => Expect::Ratio(r),
        None => Expect::NoEffect,
    };
    (1..case.variants.len())
        .map(|i| (0, i, if i == 1 { first } else { Expect::Unclaimed }))
        .collect()
}

fn floor_for(metric: Metric, cfg: &Config) -> f64 {
    match metric {
        Metric::Instructions => cfg.calibration.instruction_floor,
        _ => cfg.calibration.noise_floor,
    }
}

/// Runs one case to a [`CaseRecord`].
pub fn run_case(spec: &Spec, case: &mut Case<'_>, cfg: &Config, bar: Option<&ProgressBar>) -> Result<CaseRecord> {
    let label = case.label.clone();
    let fail = |variant: &str, reason: String| HarnessError::Variant {
        experiment: spec.id.clone(),
        case: label.clone(),
        variant: variant.to_owned(),
        reason,
    };
    let n = case.variants.len();
    let start = Instant::now();
    // Warm-up: every variant once; they must agree on the result.
    let mut reference: Option<(String, u64)> = None;
    for v in case.variants.iter_mut() {
        if let Some(f) = case.before_each.as_mut() {
            f();
        }
        let out = (v.run)().map_err(|r| fail(&v.name, r.to_string()))?;
        match &reference {
            None => reference = Some((v.name.clone(), out.checksum)),
            Some((a, ca)) if *ca != out.checksum => {
                return Err(HarnessError::Disagree {
                    experiment: spec.id.clone(),
                    case: case.label.clone(),
                    a: a.clone(),
                    ca: *ca,
                    b: v.name.clone(),
                    cb: out.checksum,
                })
            }
            _ => {}
        }
    }
    let checksum = reference.map_or(0, |r| r.1);
    let pairs = comparisons(spec, case);
    let floor = floor_for(case.metric, cfg);

    if case.metric == Metric::Instructions {
        return run_callgrind(spec, case, cfg, &pairs, floor, start);
    }

    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); n];
    let mut walls: Vec<Vec<f64>> = vec![Vec::new(); n];
    let mut usages: Vec<Vec<Usage>> = vec![Vec::new(); n];
    let mut counters: Vec<Vec<(String, u64)>> = vec![Vec::new(); n];
    let mut rng = Rng::new(cfg.seed ^ hash(&spec.id) ^ hash(&case.label));
    let mut order: Vec<usize> = (0..n).collect();
    let measure_start = Instant::now();
    let mut stop: Option<StopReason> = None;
    let mut rounds = 0;
    let stop = loop {
        if let Some(reason) = stop {
            break reason;
        }
        rng.shuffle(&mut order);
        for &i in &order {
            if case.cache == CacheMode::Cold {
                for f in &case.files {
                    platform::evict(f);
                }
            }
            if let Some(f) = case.before_each.as_mut() {
                f();
            }
            let v = &mut case.variants[i];
            let t = measure::trial(&mut *v.run, case.metric).map_err(|r| fail(&v.name, r))?;
            if t.outcome.checksum != checksum {
                return Err(fail(
                    &v.name,
                    format!(
                        "checksum changed between trials: {:#x} vs {checksum:#x}",
                        t.outcome.checksum
                    ),
                ));
            }
            samples[i].push(t.value);
            walls[i].push(t.wall_s);
            usages[i].push(t.usage);
            counters[i] = t.outcome.counters.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        }
        rounds += 1;
        if let Some(b) = bar {
            b.set_message(format!("{} · {} · round {rounds}", spec.id, case.label));
        }
        let elapsed = measure_start.elapsed();
        if rounds >= cfg.min_rounds && rounds % 5 == 0 {
            let worst = pairs
                .iter()
                .map(|&(a, b, _)| bootstrap::paired_ratio(&samples[a], &samples[b], cfg.seed).relative_half_width())
                .fold(0.0, f64::max);
            if worst <= cfg.target_half_width {
                stop = Some(StopReason::Precision {
                    half_width: worst,
                    rounds,
                });
            }
        }
        if stop.is_none() && elapsed >= cfg.budget && rounds >= cfg.min_rounds.min(3) {
            stop = Some(StopReason::Budget {
                seconds: cfg.budget.as_secs_f64(),
                rounds,
            });
        } else if stop.is_none() && rounds >= cfg.max_rounds {
            stop = Some(StopReason::RoundCap { rounds });
        }
    };
    let variants = (0..n)
        .map(|i| {
            let wall = median(&walls[i]);
            VariantRecord {
                name: case.variants[i].name.clone(),
                summary: Summary::of(&samples[i]),
                samples: samples[i].clone(),
                wall_median_s: wall,
                usage: median_usage(&usages[i]),
                counters: counters[i].clone(),
                throughput_bps: case.bytes.map(|b| b as f64 / wall),
            }
        })
        .collect::<Vec<_>>();
    let effect = |a: usize, b: usize| bootstrap::paired_ratio(&samples[a], &samples[b], cfg.seed);
    Ok(record(case, variants, &pairs, floor, effect, rounds, start, stop))
}

fn run_callgrind(
    spec: &Spec,
    case: &Case<'_>,
    cfg: &Config,
    pairs: &[(usize, usize, Expect)],
    floor: f64,
    start: Instant,
) -> Result<CaseRecord> {
    let Some((exe, args)) = &cfg.child else {
        return Err(HarnessError::Callgrind(
            "no child binary configured for instruction counts".into(),
        ));
    };
    if !callgrind::available() {
        return Err(HarnessError::Callgrind(
            "valgrind is not installed (apt-get install valgrind)".into(),
        ));
    }
    let reps = cfg.callgrind_reps.max(1);
    let mut values = Vec::new();
    for v in &case.variants {
        let base = callgrind::count(exe, &args(&spec.id, &case.label, &v.name, 0))?;
        let full = callgrind::count(exe, &args(&spec.id, &case.label, &v.name, reps))?;
        values.push(full.saturating_sub(base) as f64 / f64::from(reps));
    }
    let variants: Vec<VariantRecord> = case
        .variants
        .iter()
        .zip(&values)
        .map(|(v, &x)| VariantRecord {
            name: v.name.clone(),
            samples: vec![x],
            summary: Summary::of(&[x]),
            wall_median_s: f64::NAN,
            usage: Usage::default(),
            counters: Vec::new(),
            throughput_bps: None,
        })
        .collect();
    let effect = |a: usize, b: usize| {
        let r = values[b] / values[a];
        Effect {
            ratio: r,
            lo: r,
            hi: r,
            rounds: 1,
        }
    };
    let stop = StopReason::Deterministic { reps };
    Ok(record(case, variants, pairs, floor, effect, 1, start, stop))
}

/// Assembles a case's record: the variants, and each declared comparison
/// with its effect (from `effect(a, b)`) and verdict.
#[allow(clippy::too_many_arguments)]
fn record(
    case: &Case<'_>,
    variants: Vec<VariantRecord>,
    pairs: &[(usize, usize, Expect)],
    floor: f64,
    effect: impl Fn(usize, usize) -> Effect,
    rounds: usize,
    start: Instant,
    stop: StopReason,
) -> CaseRecord {
    let comparisons = pairs
        .iter()
        .map(|&(a, b, expect)| {
            let e = effect(a, b);
            Comparison {
                a: variants[a].name.clone(),
                b: variants[b].name.clone(),
                expect,
                verdict: judge(expect, &e, floor),
                effect: e,
            }
        })
        .collect();
    CaseRecord {
        label: case.label.clone(),
        cache: case.cache,
        metric: case.metric,
        bytes: case.bytes,
        x: case.x,
        variants,
        comparisons,
        rounds,
        elapsed_s: start.elapsed().as_secs_f64(),
        stop: stop.to_string(),
    }
}

fn median_usage(u: &[Usage]) -> Usage {
    let m = |f: &dyn Fn(&Usage) -> f64| median(&u.iter().map(f).collect::<Vec<_>>());
    Usage {
        user_s: m(&|x| x.user_s),
        system_s: m(&|x| x.system_s),
        minor_faults: m(&|x| x.minor_faults as f64) as i64,
        major_faults: m(&|x| x.major_faults as f64) as i64,
        voluntary_switches: m(&|x| x.voluntary_switches as f64) as i64,
        involuntary_switches: m(&|x| x.involuntary_switches as f64) as i64,
        blocks_in: m(&|x| x.blocks_in as f64) as i64,
    }
}

fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Runs every case of an experiment into a ledger entry.
pub fn run_experiment(
    spec: &Spec,
    cases: &mut [Case<'_>],
    fixtures: Vec<FixtureRef>,
    cfg: &Config,
    bar: Option<&ProgressBar>,
) -> Result<Entry> {
    let mut records = Vec::with_capacity(cases.len());
    for case in cases.iter_mut() {
        records.push(run_case(spec, case, cfg, bar)?);
    }
    let verdict = records
        .first()
        .and_then(|c| c.comparisons.first())
        .map_or(crate::Verdict::Inconclusive, |c| c.verdict);
    Ok(Entry {
        spec: spec.clone(),
        fixtures,
        cases: records,
        verdict,
        recorded: crate::time::utc_now(),
        evidence: Vec::new(),
    })
}

//! Scheduling: warm-up, randomized interleaved rounds with an A/A
//! control, cache eviction, adaptive stopping, replication of each case
//! across fresh processes (extended while an interval is too wide or the
//! machine was busy), and the callgrind path for instruction counts.

use crate::error::{HarnessError, Result};
use crate::experiment::{CacheMode, Case, Metric, Spec};
use crate::ledger::{
    CalibrationInForce, CaseRecord, Comparison, ControlRecord, Entry, FixtureRef, Replication, VariantRecord,
};
use crate::load::{Load, Meter};
use crate::measure::{self, callgrind};
use crate::platform::{self, Usage};
use crate::protocol::{Transform, WorkerPlan};
use crate::stats::bootstrap::{self, Effect};
use crate::stats::mixture::{self, Mixture};
use crate::stats::summary::{median, Summary};
use crate::stats::verdict::{control_stray, judge, on_edge, region, Expect, Verdict};
use crate::stats::Rng;
use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Builds the argument list that makes the experiments binary run one
/// variant of one case `reps` times (for callgrind).
pub type ChildArgs = dyn Fn(&str, &str, &str, u32) -> Vec<String>;

/// How long and how precisely to measure.
#[derive(Clone)]
pub struct Config {
    /// Rounds before the stopping rule is consulted.
    pub min_rounds: usize,
    /// Most rounds per case.
    pub max_rounds: usize,
    /// Time budget of one case (measurement only), shared by its first
    /// `processes` processes; each extension gets one more share.
    pub budget: Duration,
    /// Stop when every effect's 95 % interval is within ± this fraction.
    /// Half the margin, so a real null can end inside it ("no effect").
    pub target_half_width: f64,
    /// Fresh processes each case is measured in (campaigns; ≥ 3).
    pub processes: usize,
    /// Processes a case may be extended to while its interval is wider
    /// than the target or a process saw a busy machine.
    pub max_processes: usize,
    /// Processes a case may be extended to while an interval contains a
    /// ratio where its verdict changes ([`on_edge`]): more evidence where
    /// a campaign would otherwise decide by which side noise put it on.
    pub edge_processes: usize,
    /// Processes an experiment's headline (first case, first comparison)
    /// may be extended to while its interval still contains a verdict's
    /// edge and its effect is headline-sized ([`HEADLINE_EFFECT`]): the
    /// verdict the README would quote is where a campaign spends more.
    pub headline_processes: usize,
    /// Run variant A a second time in every round as an A/A control.
    pub control: bool,
    /// Seeds the round order and the bootstrap.
    pub seed: u64,
    /// Noise floor and MDE the verdicts use.
    pub calibration: CalibrationInForce,
    /// The binary and arguments for instruction counts; `None` disables them.
    pub child: Option<(PathBuf, std::sync::Arc<ChildArgs>)>,
    /// The tier whose cases it measures (carried to every worker).
    pub tier: crate::protocol::Tier,
    /// Repetitions inside one callgrind child (the count of 0 repetitions is
    /// subtracted, so setup is not counted).
    pub callgrind_reps: u32,
}

impl Config {
    /// The full campaign: 3 processes sharing 7.5 s per case (up to 5
    /// processes), ±1 % target against the ±2 % margin.
    pub fn full(calibration: CalibrationInForce) -> Config {
        Config {
            min_rounds: 10,
            max_rounds: 5000,
            budget: Duration::from_millis(7500),
            target_half_width: calibration.noise_floor / 2.0,
            processes: 3,
            max_processes: 5,
            edge_processes: 8,
            headline_processes: 16,
            control: true,
            seed: 0x10AD_1AB5,
            calibration,
            child: None,
            tier: crate::protocol::Tier::Full,
            callgrind_reps: 3,
        }
    }

    /// The rule of a tier.
    pub fn of(tier: crate::protocol::Tier, calibration: CalibrationInForce) -> Config {
        match tier {
            crate::protocol::Tier::Quick => Config::quick(calibration),
            crate::protocol::Tier::Full => Config::full(calibration),
        }
    }

    /// CI's quick mode: short budgets, 3 processes, no extension.
    pub fn quick(calibration: CalibrationInForce) -> Config {
        Config {
            min_rounds: 5,
            max_rounds: 400,
            budget: Duration::from_millis(1200),
            max_processes: 3,
            edge_processes: 3,
            headline_processes: 3,
            tier: crate::protocol::Tier::Quick,
            ..Config::full(calibration)
        }
    }

    /// The settings of this rule, as the ledger records them.
    pub fn rule(&self) -> crate::ledger::Rule {
        crate::ledger::Rule {
            min_margin: self.calibration.noise_floor,
            target_half_width: self.target_half_width,
            processes: (self.processes, self.max_processes),
            edge_processes: self.edge_processes,
            headline_processes: self.headline_processes,
            budget_s: self.budget.as_secs_f64(),
            min_rounds: self.min_rounds,
            control: self.control,
            headline_effect: HEADLINE_EFFECT,
            version: crate::ledger::RULE_VERSION,
        }
    }

    /// The most processes a case is measured in (extensions included).
    pub fn most_processes(&self) -> usize {
        self.processes
            .max(self.max_processes)
            .max(self.edge_processes)
            .max(self.headline_processes)
    }

    /// What one process of a case is given when `processes` share the
    /// budget: its share, and the precision that, pooled over them, meets
    /// the target.
    pub fn per_process(&self) -> (Duration, f64) {
        let p = self.processes.max(1);
        (self.budget / p as u32, self.target_half_width * (p as f64).sqrt())
    }
}

pub use crate::ledger::StopReason;

fn comparisons(spec: Option<&Spec>, case: &Case<'_>, unknown: Expect) -> Vec<(usize, usize, Expect)> {
    let idx = |n: &str| case.variants.iter().position(|v| v.name == n);
    if !case.comparisons.is_empty() {
        return case
            .comparisons
            .iter()
            .filter_map(|(a, b, e)| Some((idx(a)?, idx(b)?, *e)))
            .collect();
    }
    let first = match spec.map(|s| s.claim.ratio) {
        Some(Some(r)) => Expect::Ratio(r),
        Some(None) => Expect::NoEffect,
        None => unknown,
    };
    (1..case.variants.len())
        .map(|i| (0, i, if i == 1 { first } else { Expect::Unclaimed }))
        .collect()
}

/// What one process measured of one case: the samples of each variant
/// (and of the A/A control, last, when there is one), round by round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessSamples {
    /// Samples per variant, paired by round; the control's come last.
    pub samples: Vec<Vec<f64>>,
    /// Wall seconds per variant and round.
    pub walls: Vec<Vec<f64>>,
    /// Median resource usage per variant.
    pub usage: Vec<Usage>,
    /// The mechanism counters each variant reported last.
    pub counters: Vec<Vec<(String, u64)>>,
    /// The digest every variant's output had.
    pub checksum: u64,
    /// Rounds measured.
    pub rounds: usize,
    /// Why this process stopped.
    pub stop: StopReason,
    /// The machine's load while it measured.
    pub load: Option<Load>,
    /// Seconds this process spent on the case.
    pub elapsed_s: f64,
    /// The case's files' page-cache residency around its trials.
    #[serde(default)]
    pub residency: Option<crate::ledger::Residency>,
}

/// Runs every variant of `case` once (its `before_each` first), digests
/// each whole output after the variant returned, and returns the digest
/// they all share — or [`HarnessError::Disagree`] naming the first
/// variant whose output differs from the first's. The warm-up of every
/// measured case, and the equal-work check of `experiments/tests`.
pub fn warm_up(spec_id: &str, case: &mut Case<'_>) -> Result<u64> {
    let mut reference: Option<(String, u64)> = None;
    for v in case.variants.iter_mut() {
        if let Some(f) = case.before_each.as_mut() {
            f();
        }
        let mut out = (v.run)().map_err(|r| HarnessError::Variant {
            experiment: spec_id.to_owned(),
            case: case.label.clone(),
            variant: v.name.clone(),
            reason: r.to_string(),
        })?;
        out.settle();
        match &reference {
            None => reference = Some((v.name.clone(), out.checksum)),
            Some((a, ca)) if *ca != out.checksum => {
                return Err(HarnessError::Disagree {
                    experiment: spec_id.to_owned(),
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
    Ok(reference.map_or(0, |r| r.1))
}

/// Name of the A/A control's samples in a record: variant A run a second
/// time in every round, at its own random position.
pub const CONTROL: &str = "A/A control";

/// Measures one case in this process: a warm-up (every variant once; all
/// outputs must agree), then randomized interleaved rounds until every
/// comparison's interval reaches `target` (checked every 5 rounds from
/// `cfg.min_rounds`), `budget` is spent, or `cfg.max_rounds` is reached.
/// With `cfg.control`, variant A also runs a second time per round.
pub fn measure_case(
    spec_id: &str,
    case: &mut Case<'_>,
    cfg: &Config,
    budget: Duration,
    target: f64,
    seed: u64,
) -> Result<ProcessSamples> {
    let label = case.label.clone();
    let fail = |variant: &str, reason: String| HarnessError::Variant {
        experiment: spec_id.to_owned(),
        case: label.clone(),
        variant: variant.to_owned(),
        reason,
    };
    let n = case.variants.len();
    let start = Instant::now();
    let meter = Meter::start();
    let checksum = warm_up(spec_id, case)?;
    // Which pairs gate stopping; their claims do not matter here.
    let pairs = comparisons(None, case, Expect::Unclaimed);
    // Slot n is the control: variant 0 again.
    let slots = if cfg.control && n > 0 { n + 1 } else { n };
    let closure_of = |slot: usize| if slot == n { 0 } else { slot };
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); slots];
    let mut walls: Vec<Vec<f64>> = vec![Vec::new(); slots];
    let mut usages: Vec<Vec<Usage>> = vec![Vec::new(); slots];
    let mut counters: Vec<Vec<(String, u64)>> = vec![Vec::new(); slots];
    let mut rng = Rng::new(seed);
    let mut order: Vec<usize> = (0..slots).collect();
    let measure_start = Instant::now();
    let mut rounds = 0;
    let mut residency = None;
    let stop = loop {
        rng.shuffle(&mut order);
        for &slot in &order {
            if case.cache == CacheMode::Cold {
                for f in &case.files {
                    platform::evict(f);
                }
            }
            if let Some(f) = case.before_each.as_mut() {
                f();
            }
            // Outside the clock: how much of the case's files is cached.
            let before = platform::resident_share(&case.files);
            let v = &mut case.variants[closure_of(slot)];
            let t = measure::trial(&mut *v.run, case.metric).map_err(|r| fail(&v.name, r))?;
            if let (Some(b), Some(a)) = (before, platform::resident_share(&case.files)) {
                let cold = case.cache == CacheMode::Cold;
                residency = crate::ledger::Residency::merge(residency, Some(crate::ledger::Residency::of(b, a, cold)));
            }
            if t.outcome.checksum != checksum {
                return Err(fail(
                    &v.name,
                    format!(
                        "output changed between trials: digest {:#x} vs {checksum:#x}",
                        t.outcome.checksum
                    ),
                ));
            }
            samples[slot].push(t.value);
            walls[slot].push(t.wall_s);
            usages[slot].push(t.usage);
            counters[slot] = t.outcome.counters.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        }
        rounds += 1;
        if rounds >= cfg.min_rounds && rounds % 5 == 0 {
            let worst = pairs
                .iter()
                .map(|&(a, b, _)| bootstrap::paired_ratio(&samples[a], &samples[b], seed).relative_half_width())
                .fold(0.0, f64::max);
            if worst <= target {
                break StopReason::Precision {
                    half_width: worst,
                    rounds,
                };
            }
        }
        if measure_start.elapsed() >= budget && rounds >= cfg.min_rounds.min(3) {
            break StopReason::Budget {
                seconds: budget.as_secs_f64(),
                rounds,
            };
        }
        if rounds >= cfg.max_rounds {
            break StopReason::RoundCap { rounds };
        }
    };
    Ok(ProcessSamples {
        samples,
        walls,
        usage: usages.iter().map(|u| median_usage(u)).collect(),
        counters,
        checksum,
        rounds,
        stop,
        load: meter.stop(),
        elapsed_s: start.elapsed().as_secs_f64(),
        residency,
    })
}

/// Runs one case in this process (one replicate) to a [`CaseRecord`]:
/// what tests, the gate's replay and instruction counts use. Campaigns
/// and calibration replicate cases across processes through
/// [`crate::campaign::measure`].
pub fn run_case(spec: &Spec, case: &mut Case<'_>, cfg: &Config, bar: Option<&ProgressBar>) -> Result<CaseRecord> {
    let start = Instant::now();
    if case.metric == Metric::Instructions {
        let pairs = comparisons(Some(spec), case, Expect::Unclaimed);
        let rule = Judging::margin(cfg.calibration.instruction_floor);
        return run_callgrind(spec, case, cfg, &pairs, rule, start);
    }
    if let Some(b) = bar {
        b.set_message(format!("{} · {}", spec.id, case.label));
    }
    let seed = case_seed(cfg.seed, &spec.id, &case.label, 0);
    let p = measure_case(&spec.id, case, cfg, cfg.budget, cfg.target_half_width, seed)?;
    assemble(spec, case, vec![p], cfg, start)
}

/// The seed of one process's rounds of one case.
pub fn case_seed(seed: u64, experiment: &str, case: &str, process: usize) -> u64 {
    seed ^ hash(experiment) ^ hash(case) ^ (process as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Combines the processes that measured a case into its record: samples
/// pooled in process order, every effect's interval from the two-stage
/// bootstrap (processes, then rounds), the margin from the A/A control,
/// and the verdicts.
pub fn assemble(
    spec: &Spec,
    case: &Case<'_>,
    procs: Vec<ProcessSamples>,
    cfg: &Config,
    start: Instant,
) -> Result<CaseRecord> {
    let n = case.variants.len();
    // A process that saw a busy machine is replaced, not averaged in: it
    // is left out whenever two quiet processes remain (campaigns measure
    // more until `cfg.processes` quiet ones exist, see `needs_more`).
    let saw_busy = |p: &ProcessSamples| p.load.is_some_and(|l| l.busy());
    let quiet = procs.iter().filter(|p| !saw_busy(p)).count();
    let replaced = if quiet >= 2 { procs.len() - quiet } else { 0 };
    let procs: Vec<ProcessSamples> = if replaced > 0 {
        procs.into_iter().filter(|p| !saw_busy(p)).collect()
    } else {
        procs
    };
    if let Some(p) = procs.iter().find(|p| p.checksum != procs[0].checksum) {
        return Err(HarnessError::Disagree {
            experiment: spec.id.clone(),
            case: case.label.clone(),
            a: "process 1".into(),
            ca: procs[0].checksum,
            b: "another process".into(),
            cb: p.checksum,
        });
    }
    let pairs = comparisons(Some(spec), case, Expect::Unclaimed);
    let seed = case_seed(cfg.seed, &spec.id, &case.label, usize::MAX);
    let views = |a: usize, b: usize| -> Vec<(&[f64], &[f64])> {
        procs
            .iter()
            .filter(|p| p.samples.len() > a.max(b))
            .map(|p| (p.samples[a].as_slice(), p.samples[b].as_slice()))
            .collect()
    };
    let margin = min_margin(case.metric, cfg);
    let effect = |a: usize, b: usize, expect: Expect| effect_of(&views(a, b), seed, expect, margin);
    let has_control = procs.iter().all(|p| p.samples.len() == n + 1) && !procs.is_empty();
    // The control is A against itself in each process: no between-process
    // term (see `replicated_ratio_within`).
    let control = has_control.then(|| bootstrap::replicated_ratio_within(&views(0, n), seed));
    let rule = Judging::of(min_margin(case.metric, cfg), control.as_ref());
    let pooled = |slot: usize, f: &dyn Fn(&ProcessSamples) -> &Vec<Vec<f64>>| -> Vec<f64> {
        procs.iter().flat_map(|p| f(p)[slot].iter().copied()).collect()
    };
    let variants = (0..n)
        .map(|i| {
            let samples = pooled(i, &|p| &p.samples);
            let wall = median(&pooled(i, &|p| &p.walls));
            VariantRecord {
                name: case.variants[i].name.clone(),
                summary: Summary::of(&samples),
                samples,
                wall_median_s: wall,
                usage: median_usage(&procs.iter().map(|p| p.usage[i]).collect::<Vec<_>>()),
                counters: procs.last().map(|p| p.counters[i].clone()).unwrap_or_default(),
                throughput_bps: case.bytes.map(|b| b as f64 / wall),
            }
        })
        .collect::<Vec<_>>();
    let rounds = procs.iter().map(|p| p.rounds).sum();
    let load = Load::worst(procs.iter().filter_map(|p| p.load));
    let reasons: Vec<StopReason> = procs.iter().map(|p| p.stop).collect();
    let stops: Vec<String> = reasons.iter().map(ToString::to_string).collect();
    let stop = if procs.len() == 1 {
        stops[0].clone()
    } else {
        format!("{} processes: {}", procs.len(), stops.join("; "))
    };
    let mut rec = record(case, variants, &pairs, rule, effect, rounds, start, stop);
    rec.stops = reasons;
    rec.residency = procs
        .iter()
        .fold(None, |acc, p| crate::ledger::Residency::merge(acc, p.residency));
    // Processes of several cases interleave: the case's time is its own.
    rec.elapsed_s = procs.iter().map(|p| p.elapsed_s).sum();
    rec.replication = Some(Replication {
        process_rounds: procs.iter().map(|p| p.rounds).collect(),
        control: control.map(|c| ControlRecord {
            samples: pooled(n, &|p| &p.samples),
            effect: c,
        }),
        margin: rule.margin,
        load,
        busy: procs.iter().filter(|p| saw_busy(p)).count(),
        replaced,
    });
    Ok(rec)
}

/// The effect of B over A from each process's round-paired samples: the
/// replicated median, or — when the rounds are bimodal with the two modes
/// in different regions of the rule (so the pooled median's verdict would
/// depend on which mode it falls in) — the mixture-stable summary, with
/// the modes.
fn effect_of(views: &[(&[f64], &[f64])], seed: u64, expect: Expect, margin: f64) -> (Effect, Option<Mixture>) {
    let modes = mixture::detect(&bootstrap::per_process_ratios(views), 2.0 * margin)
        .filter(|m| region(expect, m.modes[0].ratio, margin) != region(expect, m.modes[1].ratio, margin));
    match modes {
        Some(m) => (bootstrap::process_means(views, seed), Some(m)),
        None => (bootstrap::replicated_ratio(views, seed), None),
    }
}

/// Judges a recorded case again under `cfg`'s rule, from the samples the
/// ledger kept (split into processes by `process_rounds`): every effect,
/// interval, mixture and verdict recomputed; nothing else changed. How the
/// campaigns of an older rule read under the current one.
pub fn rejudge(experiment: &str, rec: &CaseRecord, cfg: &Config) -> CaseRecord {
    let mut out = rec.clone();
    let Some(r) = rec.replication.as_ref() else {
        return out;
    };
    let split = |v: &[f64]| -> Vec<Vec<f64>> {
        let mut at = 0;
        r.process_rounds
            .iter()
            .map(|&k| {
                let part = v.get(at..at + k).unwrap_or_default().to_vec();
                at += k;
                part
            })
            .collect()
    };
    let per: Vec<Vec<Vec<f64>>> = rec.variants.iter().map(|v| split(&v.samples)).collect();
    let seed = case_seed(cfg.seed, experiment, &rec.label, usize::MAX);
    let control = r.control.as_ref().and_then(|c| {
        let again = split(&c.samples);
        let v: Vec<(&[f64], &[f64])> = per
            .first()?
            .iter()
            .zip(&again)
            .map(|(a, b)| (a.as_slice(), b.as_slice()))
            .collect();
        Some(bootstrap::replicated_ratio_within(&v, seed))
    });
    let rule = Judging::of(min_margin(rec.metric, cfg), control.as_ref());
    for c in &mut out.comparisons {
        let (Some(a), Some(b)) = (
            rec.variants.iter().position(|v| v.name == c.a),
            rec.variants.iter().position(|v| v.name == c.b),
        ) else {
            continue;
        };
        let v: Vec<(&[f64], &[f64])> = per[a]
            .iter()
            .zip(&per[b])
            .map(|(x, y)| (x.as_slice(), y.as_slice()))
            .collect();
        let (e, m) = effect_of(&v, seed, c.expect, rule.margin);
        c.effect = e;
        c.mixture = m;
        c.verdict = rule.judge(c.expect, &e);
    }
    if let (Some(rep), Some(c)) = (out.replication.as_mut(), control) {
        rep.margin = rule.margin;
        if let Some(cr) = rep.control.as_mut() {
            cr.effect = c;
        }
    }
    out
}

/// The smallest effect a case of this metric reports as one.
pub fn min_margin(metric: Metric, cfg: &Config) -> f64 {
    match metric {
        Metric::Instructions => cfg.calibration.instruction_floor,
        _ => cfg.calibration.noise_floor,
    }
}

/// The smallest effect (|B/A − 1|) whose verdict counts as a headline
/// finding: the stability report counts flips of headlines this large, and
/// campaigns extend such a headline on a verdict's edge furthest. A/A
/// controls never come near it (the largest A/A point estimate in the
/// calibration of 2026-11-26 was 0.85 %).
pub const HEADLINE_EFFECT: f64 = 0.05;

/// Why a case needs another process after those so far, or `None`. Up to
/// `cfg.max_processes`: a process ran on a busy machine, or an interval is
/// wider than the target. Up to `cfg.edge_processes`: an interval contains
/// a ratio where its verdict changes ([`on_edge`]). Up to
/// `cfg.headline_processes`, for the experiment's `headline` case only: its
/// first comparison is still on an edge with an effect of at least
/// [`HEADLINE_EFFECT`] — a finding the README would quote, decided by which
/// side of an edge noise put it on unless the interval narrows further.
pub fn needs_more(rec: &CaseRecord, cfg: &Config, headline: bool) -> Option<&'static str> {
    let r = rec.replication.as_ref()?;
    // Processes measured, including those replaced.
    let k = r.process_rounds.len() + r.replaced;
    if k < cfg.max_processes {
        if r.process_rounds.len() - r.busy < cfg.processes {
            return Some("a process saw a busy machine");
        }
        let worst = rec
            .comparisons
            .iter()
            .map(|c| c.effect.relative_half_width())
            .fold(0.0, f64::max);
        if worst > cfg.target_half_width {
            return Some("interval wider than the target");
        }
    }
    let margin = min_margin(rec.metric, cfg);
    if control_stray(margin, r.control.as_ref().map(|c| &c.effect)).is_some() {
        // More processes of a biased schedule would not unbias it.
        return None;
    }
    let edge = |c: &Comparison| on_edge(c.expect, &c.effect, margin);
    if k < cfg.edge_processes && rec.comparisons.iter().any(edge) {
        return Some("interval on a verdict's edge");
    }
    let headline_sized = |c: &&Comparison| (c.effect.ratio - 1.0).abs() >= HEADLINE_EFFECT;
    if headline && k < cfg.headline_processes && rec.comparisons.first().filter(headline_sized).is_some_and(edge) {
        return Some("headline on a verdict's edge");
    }
    None
}

fn run_callgrind(
    spec: &Spec,
    case: &Case<'_>,
    cfg: &Config,
    pairs: &[(usize, usize, Expect)],
    rule: Judging,
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
        let e = Effect {
            ratio: r,
            lo: r,
            hi: r,
            rounds: 1,
        };
        (e, None)
    };
    let effect = |a: usize, b: usize, _: Expect| effect(a, b);
    let stop = StopReason::Deterministic { reps };
    Ok(record(case, variants, pairs, rule, effect, 1, start, stop.to_string()))
}

/// How a case's comparisons are judged: against the fixed margin, unless
/// its A/A control strayed beyond it (then not at all).
#[derive(Debug, Clone, Copy)]
struct Judging {
    margin: f64,
    strayed: bool,
}

impl Judging {
    fn margin(margin: f64) -> Judging {
        Judging { margin, strayed: false }
    }

    fn of(margin: f64, control: Option<&Effect>) -> Judging {
        Judging {
            margin,
            strayed: control_stray(margin, control).is_some(),
        }
    }

    fn judge(self, expect: Expect, e: &Effect) -> Verdict {
        if self.strayed {
            Verdict::ControlStrayed
        } else {
            judge(expect, e, self.margin)
        }
    }
}

/// Assembles a case's record: the variants, and each declared comparison
/// with its effect (from `effect(a, b)`) and verdict.
#[allow(clippy::too_many_arguments)]
fn record(
    case: &Case<'_>,
    variants: Vec<VariantRecord>,
    pairs: &[(usize, usize, Expect)],
    rule: Judging,
    effect: impl Fn(usize, usize, Expect) -> (Effect, Option<Mixture>),
    rounds: usize,
    start: Instant,
    stop: impl Into<String>,
) -> CaseRecord {
    let comparisons = pairs
        .iter()
        .map(|&(a, b, expect)| {
            let (e, mixture) = effect(a, b, expect);
            Comparison {
                a: variants[a].name.clone(),
                b: variants[b].name.clone(),
                expect,
                verdict: rule.judge(expect, &e),
                effect: e,
                mixture,
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
        stop: stop.into(),
        stops: Vec::new(),
        replication: None,
        residency: None,
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

/// The plan of one worker process (replicate `process`, 0-based) that
/// measures the cases `which` of an experiment, each with one process's
/// share of the budget and the precision that, pooled, meets the target.
pub fn worker_plan(
    spec: &Spec,
    cases: &[Case<'_>],
    which: &[usize],
    cfg: &Config,
    process: usize,
    transform: Transform,
) -> WorkerPlan {
    let (budget, target) = cfg.per_process();
    WorkerPlan {
        tier: cfg.tier,
        experiment: spec.id.clone(),
        cases: which.iter().map(|&i| cases[i].label.clone()).collect(),
        process,
        seed: cfg.seed,
        budget_s: budget.as_secs_f64(),
        target_half_width: target,
        min_rounds: cfg.min_rounds,
        max_rounds: cfg.max_rounds,
        control: cfg.control,
        transform,
    }
}

/// Files what a worker reported under its cases (by label) in `procs`.
pub fn file_reports(cases: &[Case<'_>], reports: Vec<(String, ProcessSamples)>, procs: &mut [Vec<ProcessSamples>]) {
    for (label, p) in reports {
        if let Some(i) = cases.iter().position(|c| c.label == label) {
            procs[i].push(p);
        }
    }
}

/// Which of the cases `which` need another process after those in `procs`
/// (see [`needs_more`]; case 0 is the experiment's headline). Consulted
/// once a case has `cfg.processes`.
pub fn still_needing(
    spec: &Spec,
    cases: &[Case<'_>],
    which: &[usize],
    procs: &[Vec<ProcessSamples>],
    cfg: &Config,
) -> Result<Vec<usize>> {
    let mut still = Vec::new();
    for &i in which {
        let rec = assemble(spec, &cases[i], procs[i].clone(), cfg, Instant::now())?;
        if needs_more(&rec, cfg, i == 0).is_some() {
            still.push(i);
        }
    }
    Ok(still)
}

/// The indices of the cases measured in time (not instruction counts):
/// the ones worker processes measure.
pub fn timed_cases(cases: &[Case<'_>]) -> Vec<usize> {
    (0..cases.len())
        .filter(|&i| cases[i].metric != Metric::Instructions)
        .collect()
}

/// Turns the processes that measured an experiment's timed cases (by case
/// index) into its ledger entry; instruction-count cases are counted here.
pub fn record_experiment(
    spec: &Spec,
    cases: &mut [Case<'_>],
    fixtures: Vec<FixtureRef>,
    cfg: &Config,
    mut procs: Vec<Vec<ProcessSamples>>,
    bar: Option<&ProgressBar>,
    start: Instant,
) -> Result<Entry> {
    let mut records = Vec::with_capacity(cases.len());
    for (i, case) in cases.iter_mut().enumerate() {
        if case.metric == Metric::Instructions {
            records.push(run_case(spec, case, cfg, bar)?);
        } else {
            let p = procs.get_mut(i).map(std::mem::take).unwrap_or_default();
            if p.is_empty() {
                return Err(HarnessError::Variant {
                    experiment: spec.id.clone(),
                    case: case.label.clone(),
                    variant: "-".into(),
                    reason: "no process measured this case".into(),
                });
            }
            records.push(assemble(spec, case, p, cfg, start)?);
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{Comparison, ControlRecord};

    /// A case measured in `k` processes whose one comparison (claimed 0.6,
    /// band 0.54..0.66) has the interval `lo..hi`; its control is tight.
    fn case(k: usize, lo: f64, hi: f64) -> CaseRecord {
        let effect = |lo: f64, hi: f64| Effect {
            ratio: (lo + hi) / 2.0,
            lo,
            hi,
            rounds: 60,
        };
        CaseRecord {
            label: "c".into(),
            cache: CacheMode::Warm,
            metric: Metric::WallTime,
            bytes: None,
            x: None,
            variants: Vec::new(),
            comparisons: vec![Comparison {
                a: "A".into(),
                b: "B".into(),
                expect: Expect::Ratio(0.6),
                effect: effect(lo, hi),
                verdict: Verdict::Confirmed,
                mixture: None,
            }],
            rounds: 60,
            elapsed_s: 1.0,
            stop: String::new(),
            stops: Vec::new(),
            residency: None,
            replication: Some(Replication {
                process_rounds: vec![20; k],
                control: Some(ControlRecord {
                    samples: Vec::new(),
                    effect: effect(0.995, 1.005),
                }),
                margin: 0.02,
                load: None,
                busy: 0,
                replaced: 0,
            }),
        }
    }

    #[test]
    fn extension_follows_width_then_edges() {
        let cfg = Config::full(crate::calibration::default_in_force());
        // Wide (±5 %): extended to max_processes, not beyond.
        assert!(needs_more(&case(3, 0.40, 0.44), &cfg, true).is_some());
        assert!(needs_more(&case(cfg.max_processes, 0.40, 0.44), &cfg, true).is_none());
        // Narrow and across the band's edge at 0.54: extended to edge_processes.
        let edge = |k| needs_more(&case(k, 0.535, 0.545), &cfg, false);
        assert_eq!(edge(3), Some("interval on a verdict's edge"));
        assert!(edge(cfg.max_processes).is_some());
        assert!(edge(cfg.edge_processes).is_none());
        // Narrow and settled: done at the first look.
        assert!(needs_more(&case(3, 0.50, 0.51), &cfg, true).is_none());
        // The headline, with a headline-sized effect, goes on to
        // headline_processes; a headline of a small effect does not.
        let head = |k, lo, hi| needs_more(&case(k, lo, hi), &cfg, true);
        assert_eq!(
            head(cfg.edge_processes, 0.535, 0.545),
            Some("headline on a verdict's edge")
        );
        assert!(head(cfg.headline_processes, 0.535, 0.545).is_none());
        assert!(head(cfg.edge_processes, 0.50, 0.51).is_none());
        assert!(cfg.headline_processes > cfg.edge_processes);
        let small = |k| needs_more(&case(k, 0.97, 0.985), &cfg, true);
        assert!(small(3).is_some(), "across the 2 % margin");
        assert!(small(cfg.edge_processes).is_none(), "a 2.2 % effect is no headline");
        // Quick mode never extends.
        let quick = Config::quick(crate::calibration::default_in_force());
        assert!(needs_more(&case(3, 0.535, 0.545), &quick, true).is_none());
    }
}

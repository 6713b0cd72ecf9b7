//! Measuring gated cases in fresh processes of built binaries.
//!
//! The binaries speak [`crate::protocol`].
//!
//! Every measurement is a fresh process, so nothing that ran before in the
//! same process (allocator state, caches, other cases) shifts a count.

use super::{Report, Row, Side};
use crate::experiment::Metric;
use crate::fingerprint::Fingerprint;
use crate::measure::callgrind;
use crate::protocol::{parse_trial_seconds, TrialArgs};
use crate::stats::Rng;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// A binary to measure, with the side it stands for.
#[derive(Debug, Clone)]
pub struct Subject {
    /// Base or head, as the report names it.
    pub side: Side,
    /// The executable.
    pub exe: PathBuf,
    /// Its working directory (workspace root).
    pub dir: PathBuf,
}

/// One gated case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateCase {
    /// Experiment id.
    pub experiment: String,
    /// Case label.
    pub case: String,
    /// Variant name.
    pub variant: String,
}

/// How to measure.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The metric compared.
    pub metric: Metric,
    /// Slow-down tolerated, in percent.
    pub threshold_pct: f64,
    /// Wall-time budget per case (time metric).
    pub budget: Duration,
    /// Rounds before the rule is consulted (time metric).
    pub min_rounds: usize,
    /// Most rounds per case (time metric).
    pub max_rounds: usize,
    /// Repetitions inside one callgrind process (the count of 0 is subtracted).
    pub callgrind_reps: u32,
    /// Seeds the random order of base and head within a round.
    pub seed: u64,
    /// Environment for every process (e.g. the fixture search path).
    pub env: Vec<(String, String)>,
}

impl Plan {
    /// Defaults for a metric and threshold: 30 s per case, 10–400 rounds.
    pub fn new(metric: Metric, threshold_pct: f64) -> Plan {
        Plan {
            metric,
            threshold_pct,
            budget: Duration::from_secs(30),
            min_rounds: 10,
            max_rounds: 400,
            callgrind_reps: 3,
            seed: 0x6A7E_0001,
            env: Vec::new(),
        }
    }
}

fn metric_arg(m: Metric) -> &'static str {
    match m {
        Metric::Instructions => "instructions",
        _ => "time",
    }
}

/// The gated cases a binary declares for a metric.
pub fn list_cases(s: &Subject, plan: &Plan) -> Result<Vec<GateCase>, String> {
    let out = Command::new(&s.exe)
        .args(["gate-cases", "--metric", metric_arg(plan.metric)])
        .current_dir(&s.dir)
        .envs(plan.env.iter().cloned())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", s.exe.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} gate-cases failed: {}",
            s.side.rev,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            Some(GateCase {
                experiment: f.next()?.to_owned(),
                case: f.next()?.to_owned(),
                variant: f.next()?.to_owned(),
            })
        })
        .collect())
}

fn trial_args(c: &GateCase, reps: u32, timed: bool) -> Vec<String> {
    TrialArgs {
        experiment: c.experiment.clone(),
        case: c.case.clone(),
        variant: c.variant.clone(),
        reps,
        tier: crate::protocol::Tier::Full,
        timed,
    }
    .to_args()
}

/// Seconds per repetition of one timed trial in a fresh process.
fn timed_trial(s: &Subject, c: &GateCase, reps: u32, plan: &Plan) -> Result<f64, String> {
    let out = Command::new(&s.exe)
        .args(trial_args(c, reps, true))
        .current_dir(&s.dir)
        .envs(plan.env.iter().cloned())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", s.exe.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "{}: trial failed: {}",
            s.side.rev,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    parse_trial_seconds(&text).ok_or_else(|| format!("{}: the trial printed no `trial-seconds:` line", s.side.rev))
}

/// Instructions per repetition: callgrind of `reps` minus callgrind of 0.
fn counted_trial(s: &Subject, c: &GateCase, plan: &Plan) -> Result<f64, String> {
    let reps = plan.callgrind_reps.max(1);
    let run = |n: u32| -> Result<u64, String> {
        callgrind::count_in(&s.exe, &trial_args(c, n, false), &s.dir, &plan.env)
            .map_err(|e| format!("{}: {e}", s.side.rev))
    };
    let zero = run(0)?;
    let full = run(reps)?;
    Ok(full.saturating_sub(zero) as f64 / f64::from(reps))
}

/// Repetitions per timed trial so that one trial's timed region lasts
/// about 20 ms (timer resolution and process noise stay small against it).
fn reps_for(s: &Subject, c: &GateCase, plan: &Plan) -> Result<u32, String> {
    let t = timed_trial(s, c, 1, plan)?;
    Ok(((0.02 / t.max(1e-9)).ceil() as u32).clamp(1, 10_000))
}

/// Measures every case on base and head and judges it. Wall time: rounds
/// of one fresh process per side in random order, until the rule decides,
/// the budget is spent or the round cap is reached. Instructions: one
/// callgrind count per side.
pub fn measure_pair(
    base: &Subject,
    head: &Subject,
    cases: &[GateCase],
    plan: &Plan,
    progress: &mut dyn FnMut(&str),
) -> Vec<Row> {
    let mut rows = Vec::new();
    for c in cases {
        let key = (c.experiment.as_str(), c.case.as_str(), c.variant.as_str());
        progress(&format!("{} / {}", c.case, c.variant));
        let row = match plan.metric {
            Metric::Instructions => match (counted_trial(base, c, plan), counted_trial(head, c, plan)) {
                (Ok(b), Ok(h)) => Row::judged(key, plan.metric, &[b], &[h], plan.threshold_pct),
                (Err(e), _) | (_, Err(e)) => Row::could_not_run(key.0, key.1, key.2, plan.metric, e),
            },
            _ => match timed_rounds(base, head, c, plan, progress) {
                Ok((b, h)) => Row::judged(key, plan.metric, &b, &h, plan.threshold_pct),
                Err(e) => Row::could_not_run(key.0, key.1, key.2, plan.metric, e),
            },
        };
        rows.push(row);
    }
    rows
}

fn timed_rounds(
    base: &Subject,
    head: &Subject,
    c: &GateCase,
    plan: &Plan,
    progress: &mut dyn FnMut(&str),
) -> Result<(Vec<f64>, Vec<f64>), String> {
    let reps = reps_for(head, c, plan)?;
    let mut rng = Rng::new(plan.seed ^ c.case.bytes().fold(0u64, |h, b| h.wrapping_mul(31) ^ u64::from(b)));
    let (mut b, mut h) = (Vec::new(), Vec::new());
    let start = Instant::now();
    loop {
        let mut order = [0usize, 1];
        rng.shuffle(&mut order);
        for side in order {
            if side == 0 {
                b.push(timed_trial(base, c, reps, plan)?);
            } else {
                h.push(timed_trial(head, c, reps, plan)?);
            }
        }
        let n = b.len();
        if n >= plan.min_rounds && n % 5 == 0 {
            let (_, status) = super::decide(plan.metric, &b, &h, plan.threshold_pct);
            progress(&format!("{} / {}: round {n}, {}", c.case, c.variant, status.label()));
            if status != super::Status::Inconclusive {
                break;
            }
        }
        if (n >= plan.min_rounds && start.elapsed() >= plan.budget) || n >= plan.max_rounds {
            break;
        }
    }
    Ok((b, h))
}

/// Measures the head alone (for a stored baseline): one count per case, or
/// `min_rounds` timed trials.
pub fn measure_one(head: &Subject, cases: &[GateCase], plan: &Plan) -> Vec<(GateCase, Result<Vec<f64>, String>)> {
    cases
        .iter()
        .map(|c| {
            let r = match plan.metric {
                Metric::Instructions => counted_trial(head, c, plan).map(|x| vec![x]),
                _ => reps_for(head, c, plan).and_then(|reps| {
                    (0..plan.min_rounds.max(3))
                        .map(|_| timed_trial(head, c, reps, plan))
                        .collect()
                }),
            };
            (c.clone(), r)
        })
        .collect()
}

/// The whole comparison of two built revisions: lists the head's gated
/// cases (optionally only those whose label contains one of `only`),
/// measures both sides, and reports. A case the base does not have, or a
/// head with no gated case, could not run.
pub fn compare_revisions(
    base: &Subject,
    head: &Subject,
    only: &[String],
    plan: &Plan,
    progress: &mut dyn FnMut(&str),
) -> Report {
    let mut notes = vec![match plan.metric {
        Metric::Instructions => format!(
            "instructions counted by callgrind in fresh processes ({} repetitions minus 0) for both revisions on this machine; deterministic, blind to I/O and page faults",
            plan.callgrind_reps
        ),
        _ => format!(
            "wall time of the timed region in fresh processes, base and head interleaved in random order each round; at least {} rounds, up to {:.0} s per case; 95 % bootstrap interval of the median per-round ratio",
            plan.min_rounds,
            plan.budget.as_secs_f64()
        ),
    }];
    let fingerprint = Fingerprint::capture();
    let rows = match list_cases(head, plan) {
        Err(e) => vec![Row::could_not_run("?", "(listing cases)", "-", plan.metric, e)],
        Ok(all) => {
            let chosen: Vec<GateCase> = all
                .into_iter()
                .filter(|c| only.is_empty() || only.iter().any(|o| c.case.contains(o.as_str()) || c.experiment == *o))
                .collect();
            if chosen.is_empty() {
                notes.push(if only.is_empty() {
                    "the head declares no gated case (fixtures missing? run `lab fixtures`)".into()
                } else {
                    format!("no gated case matches --only {}", only.join(","))
                });
            }
            measure_pair(base, head, &chosen, plan, progress)
        }
    };
    Report::new(
        base.side.clone(),
        head.side.clone(),
        fingerprint,
        plan.metric,
        plan.threshold_pct,
        rows,
        notes,
    )
}

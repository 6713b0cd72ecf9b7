//! The regression gate: does a change make a gated case slower than the
//! threshold allows?
//!
//! The usual way ([`run::compare_revisions`]) measures the base revision and
//! the head *on the same machine in the same run*: both are built, then
//! every gated case runs in fresh processes of each, interleaved in random
//! order (wall time) or counted by callgrind (instructions), so no stored
//! number from another machine or day enters the comparison. A stored
//! [`Baseline`] remains possible, keyed by a machine [`Fingerprint`].
//!
//! The rule ([`decide`]) fails closed. With `t` the threshold and `[lo, hi]`
//! the 95 % interval of head/base:
//! * `lo > 1 + t` — **regressed** (exit 1);
//! * `hi ≤ 1 + t` — **pass** (exit 0; *improved* when `hi < 1 − t`);
//! * otherwise — **inconclusive** (exit 3): the interval still straddles the
//!   threshold after the budget, and the report says how much longer would
//!   decide it. Noise can never turn a regression into a pass.
//!
//! A case that could not be measured (build failure, missing fixture or
//! case, tool missing) is **could not run** (exit 2), as is a comparison with
//! no case at all. Instruction counts are deterministic, so there `lo = hi`.

pub mod baseline;
pub mod revision;
pub mod run;

pub use baseline::{compare, Baseline, BaselineEntry};

use crate::env::short_commit;
use crate::experiment::Metric;
use crate::fingerprint::Fingerprint;
use crate::human;
use crate::stats::bootstrap::{paired_ratio, Effect};
use crate::stats::summary::median;
use serde::{Deserialize, Serialize};

/// Exit code: no gated case regressed.
pub const EXIT_PASS: u8 = 0;
/// Exit code: a gated case regressed beyond the threshold.
pub const EXIT_REGRESSED: u8 = 1;
/// Exit code: the gate could not run (build failure, missing fixture or
/// case, unknown id, empty comparison, tool missing).
pub const EXIT_COULD_NOT_RUN: u8 = 2;
/// Exit code: some case is still undecided after the budget.
pub const EXIT_INCONCLUSIVE: u8 = 3;

/// Version of the JSON verdict file.
pub const SCHEMA: u32 = 2;

/// The verdict on one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Within the threshold.
    Pass,
    /// Faster beyond the threshold (passes).
    Improved,
    /// Slower beyond the threshold.
    Regressed,
    /// The interval straddles the threshold after the budget.
    Inconclusive,
    /// Not measured on one side or both.
    CouldNotRun,
}

impl Status {
    /// The word in tables.
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Improved => "improved",
            Status::Regressed => "REGRESSED",
            Status::Inconclusive => "inconclusive",
            Status::CouldNotRun => "could not run",
        }
    }

    /// Severity for the overall outcome: regressed > could not run > inconclusive > pass.
    fn rank(self) -> u8 {
        match self {
            Status::Pass | Status::Improved => 0,
            Status::Inconclusive => 1,
            Status::CouldNotRun => 2,
            Status::Regressed => 3,
        }
    }

    /// The process exit code for this outcome.
    pub fn exit_code(self) -> u8 {
        match self {
            Status::Pass | Status::Improved => EXIT_PASS,
            Status::Regressed => EXIT_REGRESSED,
            Status::CouldNotRun => EXIT_COULD_NOT_RUN,
            Status::Inconclusive => EXIT_INCONCLUSIVE,
        }
    }
}

/// The rule, on an effect (head/base) and a threshold in percent.
pub fn judge(e: &Effect, threshold_pct: f64) -> Status {
    let limit = 1.0 + threshold_pct / 100.0;
    if !(e.lo.is_finite() && e.hi.is_finite()) {
        Status::CouldNotRun
    } else if e.lo > limit {
        Status::Regressed
    } else if e.hi <= limit {
        if e.hi < 1.0 - threshold_pct / 100.0 {
            Status::Improved
        } else {
            Status::Pass
        }
    } else {
        Status::Inconclusive
    }
}

/// The effect of head over base: deterministic counts compare as numbers,
/// timed rounds as the median of per-round ratios with its bootstrap
/// interval (`base[i]` and `head[i]` ran in the same round).
pub fn effect(metric: Metric, base: &[f64], head: &[f64]) -> Effect {
    match metric {
        Metric::Instructions => {
            let r = median(head) / median(base);
            Effect {
                ratio: r,
                lo: r,
                hi: r,
                rounds: 1,
            }
        }
        _ if base.len() < 3 || base.len() != head.len() => Effect::undefined(),
        _ => paired_ratio(base, head, 0x6A7E),
    }
}

/// Judges one case from its samples.
pub fn decide(metric: Metric, base: &[f64], head: &[f64], threshold_pct: f64) -> (Effect, Status) {
    let e = effect(metric, base, head);
    (e, judge(&e, threshold_pct))
}

/// Rounds that would likely decide an inconclusive case: the interval's
/// half-width shrinks as 1/√rounds, and must shrink below the distance from
/// the estimate to the threshold.
pub fn rounds_to_decide(e: &Effect, threshold_pct: f64) -> Option<usize> {
    let limit = 1.0 + threshold_pct / 100.0;
    let half = (e.hi - e.lo) / 2.0;
    let gap = (e.ratio - limit).abs();
    if !(half.is_finite() && gap > 0.0 && e.rounds > 0) {
        return None;
    }
    let need = (e.rounds as f64 * (half / gap).powi(2)).ceil();
    (need.is_finite() && need < 1e7).then_some(need as usize)
}

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Side {
    /// What was asked for (`main`, `HEAD~1`, a path to a baseline file).
    pub rev: String,
    /// The commit measured (full hash), or the baseline's recorded commit.
    pub commit: String,
    /// True when the working tree had uncommitted changes.
    pub dirty: bool,
}

/// The verdict on one gated case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Experiment id (`GATE`).
    pub experiment: String,
    /// Case label.
    pub case: String,
    /// Variant name.
    pub variant: String,
    /// The metric compared.
    pub metric: Metric,
    /// Median of the base's samples.
    pub base_median: f64,
    /// Median of the head's samples.
    pub head_median: f64,
    /// head/base with its 95 % interval (`None` when not measured).
    pub effect: Option<Effect>,
    /// (ratio − 1) × 100.
    pub delta_pct: Option<f64>,
    /// The verdict.
    pub status: Status,
    /// Why it could not run, or what would decide it.
    pub note: String,
}

impl Row {
    /// A row for a case one side could not measure.
    pub fn could_not_run(experiment: &str, case: &str, variant: &str, metric: Metric, why: String) -> Row {
        Row {
            experiment: experiment.into(),
            case: case.into(),
            variant: variant.into(),
            metric,
            base_median: f64::NAN,
            head_median: f64::NAN,
            effect: None,
            delta_pct: None,
            status: Status::CouldNotRun,
            note: why,
        }
    }

    /// A judged row from both sides' samples, the effect computed by [`effect`].
    pub fn judged(key: (&str, &str, &str), metric: Metric, base: &[f64], head: &[f64], threshold_pct: f64) -> Row {
        Row::from_effect(key, metric, base, head, effect(metric, base, head), threshold_pct)
    }

    /// A row judging `e`, an effect of head over base computed by the caller
    /// (a stored baseline compares unpaired samples), with both sides' medians.
    pub fn from_effect(
        (experiment, case, variant): (&str, &str, &str),
        metric: Metric,
        base: &[f64],
        head: &[f64],
        e: Effect,
        threshold_pct: f64,
    ) -> Row {
        let status = judge(&e, threshold_pct);
        let note = match status {
            Status::Inconclusive => rounds_to_decide(&e, threshold_pct)
                .map(|n| format!("about {n} rounds (now {}) would decide it", e.rounds))
                .unwrap_or_default(),
            Status::CouldNotRun => "too few samples".into(),
            _ => String::new(),
        };
        Row {
            experiment: experiment.into(),
            case: case.into(),
            variant: variant.into(),
            metric,
            base_median: median(base),
            head_median: median(head),
            delta_pct: e.ratio.is_finite().then_some((e.ratio - 1.0) * 100.0),
            effect: Some(e),
            status,
            note,
        }
    }
}

/// What the gate decided, and everything needed to read it later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// [`SCHEMA`].
    pub schema: u32,
    /// The base side.
    pub base: Side,
    /// The head side.
    pub head: Side,
    /// The machine both were measured on.
    pub fingerprint: Fingerprint,
    /// The metric compared.
    pub metric: Metric,
    /// Slow-down tolerated, in percent.
    pub threshold_pct: f64,
    /// One per gated case.
    pub rows: Vec<Row>,
    /// The overall verdict (worst row; could not run when there is none).
    pub status: Status,
    /// Method and caveats, in words.
    pub notes: Vec<String>,
}

impl Report {
    /// Assembles a report; the overall status is the worst row's, and an
    /// empty comparison could not run.
    pub fn new(
        base: Side,
        head: Side,
        fingerprint: Fingerprint,
        metric: Metric,
        threshold_pct: f64,
        rows: Vec<Row>,
        notes: Vec<String>,
    ) -> Report {
        let status = rows
            .iter()
            .map(|r| r.status)
            .max_by_key(|s| s.rank())
            .unwrap_or(Status::CouldNotRun);
        Report {
            schema: SCHEMA,
            base,
            head,
            fingerprint,
            metric,
            threshold_pct,
            rows,
            status,
            notes,
        }
    }

    /// True when some case regressed.
    pub fn regressed(&self) -> bool {
        self.status == Status::Regressed
    }

    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        self.status.exit_code()
    }

    fn cells(&self, r: &Row) -> [String; 6] {
        let ci = r.effect.filter(|e| e.lo.is_finite()).map_or("—".to_owned(), |e| {
            if e.lo == e.hi {
                format!("{} (exact)", human::ratio(e.ratio))
            } else {
                format!(
                    "{} [{}, {}]",
                    human::ratio(e.ratio),
                    human::ratio(e.lo),
                    human::ratio(e.hi)
                )
            }
        });
        [
            format!("{} / {}", r.case, r.variant),
            human::short(r.metric, r.base_median),
            human::short(r.metric, r.head_median),
            r.delta_pct.map_or("—".into(), |d| format!("{d:+.1} %")),
            ci,
            r.status.label().into(),
        ]
    }

    /// A fixed-width table for a terminal or a CI log.
    pub fn table(&self) -> String {
        let head = ["case", "base", "head", "Δ", "head/base [95 % CI]", "status"];
        let rows: Vec<[String; 6]> = self.rows.iter().map(|r| self.cells(r)).collect();
        let w: Vec<usize> = (0..6)
            .map(|i| {
                rows.iter()
                    .map(|r| r[i].chars().count())
                    .chain([head[i].chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |c: [&str; 6]| {
            let mut s = String::new();
            for (i, cell) in c.iter().enumerate() {
                let pad = w[i] - cell.chars().count();
                if i == 0 || i == 5 {
                    s.push_str(cell);
                    s.push_str(&" ".repeat(pad));
                } else {
                    s.push_str(&" ".repeat(pad));
                    s.push_str(cell);
                }
                s.push_str("  ");
            }
            s.trim_end().to_owned() + "\n"
        };
        let mut s = line(head);
        for r in &rows {
            s.push_str(&line([&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]]));
        }
        for r in self.rows.iter().filter(|r| !r.note.is_empty()) {
            s.push_str(&format!("  {} / {}: {}\n", r.case, r.variant, r.note));
        }
        s
    }

    /// A markdown summary (for `$GITHUB_STEP_SUMMARY`).
    pub fn markdown(&self) -> String {
        let mut s = format!(
            "### loadlab gate: {} ({}, threshold +{} %)\n\nbase `{}` ({}) · head `{}`{} · machine `{}`\n\n",
            self.status.label(),
            self.metric.name(),
            self.threshold_pct,
            short_commit(&self.base.commit),
            self.base.rev,
            short_commit(&self.head.commit),
            if self.head.dirty { " (uncommitted changes)" } else { "" },
            self.fingerprint.id()
        );
        s.push_str("| case | base | head | Δ | head/base [95 % CI] | status |\n|---|--:|--:|--:|--:|---|\n");
        for r in &self.rows {
            let c = self.cells(r);
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                c[0], c[1], c[2], c[3], c[4], c[5]
            ));
        }
        let notes: Vec<String> = self
            .rows
            .iter()
            .filter(|r| !r.note.is_empty())
            .map(|r| format!("- {} / {}: {}", r.case, r.variant, r.note))
            .chain(self.notes.iter().map(|n| format!("- {n}")))
            .collect();
        if !notes.is_empty() {
            s.push('\n');
            s.push_str(&notes.join("\n"));
            s.push('\n');
        }
        s
    }

    /// One greppable line per regressed case.
    pub fn regression_lines(&self) -> Vec<String> {
        self.rows
            .iter()
            .filter(|r| r.status == Status::Regressed)
            .map(|r| {
                format!(
                    "GATE REGRESSION: {} / {} {} {} (base {}, head {}; threshold +{} %)",
                    r.case,
                    r.variant,
                    r.delta_pct.map_or("?".into(), |d| format!("{d:+.1} %")),
                    r.metric.name(),
                    human::short(r.metric, r.base_median),
                    human::short(r.metric, r.head_median),
                    self.threshold_pct
                )
            })
            .collect()
    }

    /// The closing line: `gate: pass` and the like, with the exit code.
    pub fn verdict_line(&self) -> String {
        format!("gate: {} (exit {})", self.status.label(), self.exit_code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic per-round samples: base 1.0 ± noise, head scaled by `r`.
    fn rounds(n: usize, r: f64, noise: f64) -> (Vec<f64>, Vec<f64>) {
        let mut rng = crate::stats::Rng::new(7);
        let mut u = || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
        let base: Vec<f64> = (0..n).map(|_| 1.0 + noise * u()).collect();
        let head: Vec<f64> = base.iter().map(|b| b * r * (1.0 + noise * u())).collect();
        (base, head)
    }

    #[test]
    fn a_a_passes_and_ten_percent_fails_a_five_percent_gate() {
        let (b, h) = rounds(30, 1.0, 0.02);
        assert_eq!(decide(Metric::WallTime, &b, &h, 5.0).1, Status::Pass);
        let (b, h) = rounds(30, 1.10, 0.02);
        assert_eq!(decide(Metric::WallTime, &b, &h, 5.0).1, Status::Regressed);
        let (b, h) = rounds(30, 0.80, 0.02);
        assert_eq!(decide(Metric::WallTime, &b, &h, 5.0).1, Status::Improved);
    }

    #[test]
    fn a_straddling_interval_is_inconclusive_never_a_pass() {
        // +5 % true effect with 20 % noise: the interval covers the threshold.
        let (b, h) = rounds(12, 1.05, 0.4);
        let (e, s) = decide(Metric::WallTime, &b, &h, 5.0);
        assert!(e.lo < 1.05 && e.hi > 1.05, "{e:?}");
        assert_eq!(s, Status::Inconclusive);
        assert!(rounds_to_decide(&e, 5.0).is_some_and(|n| n > 0));
    }

    #[test]
    fn instruction_counts_compare_exactly() {
        assert_eq!(decide(Metric::Instructions, &[100.0], &[104.9], 5.0).1, Status::Pass);
        assert_eq!(
            decide(Metric::Instructions, &[100.0], &[110.0], 5.0).1,
            Status::Regressed
        );
        assert_eq!(decide(Metric::Instructions, &[100.0], &[100.0], 5.0).1, Status::Pass);
    }

    #[test]
    fn missing_or_empty_cannot_pass() {
        assert_eq!(decide(Metric::WallTime, &[], &[], 5.0).1, Status::CouldNotRun);
        assert_eq!(
            decide(Metric::WallTime, &[1.0, 1.0, 1.0], &[1.0], 5.0).1,
            Status::CouldNotRun
        );
        let side = Side {
            rev: "b".into(),
            commit: "c".into(),
            dirty: false,
        };
        let fp = Fingerprint::capture();
        let empty = Report::new(
            side.clone(),
            side.clone(),
            fp.clone(),
            Metric::Instructions,
            5.0,
            vec![],
            vec![],
        );
        assert_eq!(empty.exit_code(), EXIT_COULD_NOT_RUN);
        let rows = vec![
            Row::judged(("G", "a", "v"), Metric::Instructions, &[1.0], &[1.0], 5.0),
            Row::could_not_run("G", "b", "v", Metric::Instructions, "fixture missing".into()),
        ];
        let r = Report::new(
            side.clone(),
            side.clone(),
            fp.clone(),
            Metric::Instructions,
            5.0,
            rows,
            vec![],
        );
        assert_eq!(r.exit_code(), EXIT_COULD_NOT_RUN);
        let rows = vec![
            Row::judged(("G", "a", "v"), Metric::Instructions, &[1.0], &[2.0], 5.0),
            Row::could_not_run("G", "b", "v", Metric::Instructions, "x".into()),
        ];
        let r = Report::new(side.clone(), side, fp, Metric::Instructions, 5.0, rows, vec![]);
        assert_eq!(r.exit_code(), EXIT_REGRESSED);
        assert_eq!(r.regression_lines().len(), 1);
        assert!(
            r.regression_lines()[0].contains("+100.0 %"),
            "{:?}",
            r.regression_lines()
        );
        assert!(r.markdown().contains("| a / v |"));
        assert!(
            r.table().contains("2.00  instr") || r.table().contains("2.00 instr"),
            "{}",
            r.table()
        );
    }
}

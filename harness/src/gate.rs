//! The regression gate: a baseline (samples per experiment, case and
//! variant) saved from one run, compared with a fresh run of the same
//! subset. It fails only for a statistically significant slow-down beyond
//! the threshold: the lower end of the 95 % interval of current/baseline
//! must exceed 1 + threshold. Instruction counts are deterministic, so
//! there the ratio itself is compared.

use crate::error::{HarnessError, Result};
use crate::experiment::Metric;
use crate::ledger::Campaign;
use crate::stats::bootstrap::{ratio_of_medians, Effect};
use crate::stats::summary::median;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Exit code when the gate finds a regression.
pub const EXIT_REGRESSED: u8 = 1;
/// Exit code when the gate could not run (missing baseline, fixtures, tools).
pub const EXIT_COULD_NOT_RUN: u8 = 2;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineEntry {
    pub experiment: String,
    pub case: String,
    pub variant: String,
    pub metric: Metric,
    pub samples: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub schema: u32,
    pub created: String,
    pub git_commit: String,
    pub entries: Vec<BaselineEntry>,
}

impl Baseline {
    /// Every variant of every case of a campaign.
    pub fn from_campaign(c: &Campaign) -> Baseline {
        let mut entries = Vec::new();
        for e in &c.entries {
            for case in &e.cases {
                for v in &case.variants {
                    entries.push(BaselineEntry {
                        experiment: e.spec.id.clone(),
                        case: case.label.clone(),
                        variant: v.name.clone(),
                        metric: case.metric,
                        samples: v.samples.clone(),
                    });
                }
            }
        }
        Baseline {
            schema: crate::ledger::SCHEMA,
            created: c.started.clone(),
            git_commit: c.environment.git_commit.clone(),
            entries,
        }
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(|e| HarnessError::Json {
            path: path.to_owned(),
            source: e,
        })?;
        crate::ledger::write_atomic(path, text.as_bytes())
    }

    pub fn load(path: &Path) -> Result<Baseline> {
        let text = std::fs::read_to_string(path).map_err(|e| HarnessError::io(path, e))?;
        serde_json::from_str(&text).map_err(|e| HarnessError::Json {
            path: path.to_owned(),
            source: e,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Regressed,
    Improved,
    /// In the baseline but not in this run (or the other way round).
    Missing,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub experiment: String,
    pub case: String,
    pub variant: String,
    pub metric: Metric,
    pub baseline_median: f64,
    pub current_median: f64,
    pub effect: Option<Effect>,
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub threshold: f64,
    pub rows: Vec<Row>,
    pub regressed: bool,
    /// What calibration says about this gate's false alarms.
    pub false_alarm_note: String,
}

/// Compares a fresh run with the baseline. `metric` restricts the rows
/// (`None`: every metric).
pub fn compare(base: &Baseline, now: &Baseline, threshold: f64, metric: Option<Metric>, note: String) -> Report {
    let mut rows = Vec::new();
    for b in base.entries.iter().filter(|b| metric.is_none_or(|m| b.metric == m)) {
        let cur = now.entries.iter().find(|c| {
            c.experiment == b.experiment && c.case == b.case && c.variant == b.variant && c.metric == b.metric
        });
        let Some(cur) = cur else {
            rows.push(Row {
                experiment: b.experiment.clone(),
                case: b.case.clone(),
                variant: b.variant.clone(),
                metric: b.metric,
                baseline_median: median(&b.samples),
                current_median: f64::NAN,
                effect: None,
                status: Status::Missing,
            });
            continue;
        };
        let effect = ratio_of_medians(&b.samples, &cur.samples, 0x6A7E);
        let status = if effect.lo > 1.0 + threshold {
            Status::Regressed
        } else if effect.hi < 1.0 - threshold {
            Status::Improved
        } else {
            Status::Pass
        };
        rows.push(Row {
            experiment: b.experiment.clone(),
            case: b.case.clone(),
            variant: b.variant.clone(),
            metric: b.metric,
            baseline_median: median(&b.samples),
            current_median: median(&cur.samples),
            effect: Some(effect),
            status,
        });
    }
    let regressed = rows.iter().any(|r| r.status == Status::Regressed);
    Report {
        threshold,
        rows,
        regressed,
        false_alarm_note: note,
    }
}

impl Report {
    /// A fixed-width table of what moved.
    pub fn table(&self) -> String {
        let mut s = format!(
            "{:<5} {:<34} {:<22} {:>12} {:>12} {:>22}  {}\n",
            "exp", "case", "variant", "baseline", "current", "ratio [95 % CI]", "status"
        );
        for r in &self.rows {
            let ci = r
                .effect
                .map_or("-".to_owned(), |e| format!("{:.3} [{:.3}, {:.3}]", e.ratio, e.lo, e.hi));
            s.push_str(&format!(
                "{:<5} {:<34} {:<22} {:>12.4e} {:>12.4e} {:>22}  {:?}\n",
                r.experiment,
                truncate(&r.case, 34),
                truncate(&r.variant, 22),
                r.baseline_median,
                r.current_median,
                ci,
                r.status
            ));
        }
        s
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        s.chars().take(n - 1).collect::<String>() + "…"
    }
}

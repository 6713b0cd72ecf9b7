//! Stored baselines: samples of the gated cases saved from one run, for
//! comparing later runs *on the same machine*. Each carries the machine's
//! [`Fingerprint`]; comparing across fingerprints is refused. Updating a
//! baseline records which cases moved and by how much, so a change that
//! rewrites the baseline cannot silently absorb a regression.

use super::{Report, Row, Side};
use crate::error::{HarnessError, Result};
use crate::experiment::Metric;
use crate::fingerprint::Fingerprint;
use crate::stats::bootstrap::ratio_of_medians;
use crate::stats::summary::median;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Samples of one variant of one gated case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineEntry {
    /// Experiment id.
    pub experiment: String,
    /// Case label.
    pub case: String,
    /// Variant name.
    pub variant: String,
    /// What the samples measure.
    pub metric: Metric,
    /// The measurements.
    pub samples: Vec<f64>,
}

/// A case whose median moved when the baseline was last updated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Moved {
    /// `case / variant`.
    pub case: String,
    /// New median / old median.
    pub ratio: f64,
}

/// A saved baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// Format version.
    pub schema: u32,
    /// When it was measured (UTC).
    pub created: String,
    /// The commit measured.
    pub git_commit: String,
    /// The machine it was measured on; `None` in baselines from before
    /// fingerprints, which the gate refuses.
    #[serde(default)]
    pub fingerprint: Option<Fingerprint>,
    /// Cases whose medians moved against the baseline this one replaced.
    #[serde(default)]
    pub moved: Vec<Moved>,
    /// The samples.
    pub entries: Vec<BaselineEntry>,
}

impl Baseline {
    /// A baseline of `entries` measured now on this machine.
    pub fn new(git_commit: String, entries: Vec<BaselineEntry>) -> Baseline {
        Baseline {
            schema: crate::ledger::SCHEMA,
            created: crate::time::utc_now(),
            git_commit,
            fingerprint: Some(Fingerprint::capture()),
            moved: Vec::new(),
            entries,
        }
    }

    /// Records in `self.moved` every case whose median differs from `old`'s
    /// by more than `min_pct` percent (and cases that appeared or vanished).
    pub fn record_moves_from(&mut self, old: &Baseline, min_pct: f64) {
        self.moved.clear();
        for e in &self.entries {
            let key = format!("{} / {}", e.case, e.variant);
            let prev = old.entries.iter().find(|o| {
                o.experiment == e.experiment && o.case == e.case && o.variant == e.variant && o.metric == e.metric
            });
            let ratio = prev.map_or(f64::NAN, |p| median(&e.samples) / median(&p.samples));
            if !ratio.is_finite() || (ratio - 1.0).abs() * 100.0 > min_pct {
                self.moved.push(Moved { case: key, ratio });
            }
        }
    }

    /// Writes the baseline atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(|e| HarnessError::Json {
            path: path.to_owned(),
            source: e,
        })?;
        crate::ledger::write_atomic(path, text.as_bytes())
    }

    /// Reads a baseline.
    pub fn load(path: &Path) -> Result<Baseline> {
        let text = std::fs::read_to_string(path).map_err(|e| HarnessError::io(path, e))?;
        serde_json::from_str(&text).map_err(|e| HarnessError::Json {
            path: path.to_owned(),
            source: e,
        })
    }

    /// Refuses a baseline measured on another machine (or on an unknown one).
    pub fn check_machine(&self, here: &Fingerprint) -> std::result::Result<(), String> {
        match &self.fingerprint {
            None => Err("the baseline records no machine fingerprint; measure a new one here with `lab baseline`".into()),
            Some(f) if f != here => Err(format!(
                "the baseline was measured on another machine ({}); compare only on the same machine, or use `lab gate --base REV`",
                f.differences(here).join("; ")
            )),
            Some(_) => Ok(()),
        }
    }
}

/// Compares a fresh run (`now`) with a stored baseline (`base`) case by
/// case: instruction counts exactly, other metrics by the ratio of medians
/// with a bootstrap interval (unpaired: the runs were not interleaved, so
/// drift between them is part of the noise). `metric` restricts the rows.
/// A case on one side only could not run.
pub fn compare(
    base: &Baseline,
    now: &Baseline,
    threshold_pct: f64,
    metric: Option<Metric>,
    notes: Vec<String>,
) -> Report {
    let mut rows = Vec::new();
    let wanted = |m: Metric| metric.is_none_or(|x| x == m);
    for b in base.entries.iter().filter(|b| wanted(b.metric)) {
        let cur = now.entries.iter().find(|c| {
            c.experiment == b.experiment && c.case == b.case && c.variant == b.variant && c.metric == b.metric
        });
        let Some(cur) = cur else {
            rows.push(Row::could_not_run(
                &b.experiment,
                &b.case,
                &b.variant,
                b.metric,
                "in the baseline, not measured now".into(),
            ));
            continue;
        };
        // Instruction counts compare exactly; the other metrics' runs were
        // not interleaved, so their samples compare unpaired.
        let e = match b.metric {
            Metric::Instructions => super::effect(b.metric, &b.samples, &cur.samples),
            _ => ratio_of_medians(&b.samples, &cur.samples, 0x6A7E),
        };
        let row = Row::from_effect(
            (&b.experiment, &b.case, &b.variant),
            b.metric,
            &b.samples,
            &cur.samples,
            e,
            threshold_pct,
        );
        rows.push(row);
    }
    for c in now.entries.iter().filter(|c| wanted(c.metric)) {
        if !base
            .entries
            .iter()
            .any(|b| b.experiment == c.experiment && b.case == c.case && b.variant == c.variant && b.metric == c.metric)
        {
            rows.push(Row::could_not_run(
                &c.experiment,
                &c.case,
                &c.variant,
                c.metric,
                "measured now, not in the baseline".into(),
            ));
        }
    }
    let side = |b: &Baseline, rev: &str| Side {
        rev: rev.into(),
        commit: b.git_commit.clone(),
        dirty: false,
    };
    Report::new(
        side(base, "baseline"),
        side(now, "current"),
        now.fingerprint.clone().unwrap_or_else(Fingerprint::capture),
        metric.unwrap_or(Metric::Instructions),
        threshold_pct,
        rows,
        notes,
    )
}

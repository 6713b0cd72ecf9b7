//! Comparing two campaigns (`lab compare`) and exporting one as CSV
//! (`lab csv`). A change line is criterion's: for every variant of every
//! case present in both, the new median over the old one with a 95 %
//! bootstrap interval (each campaign's samples resampled separately), and
//! what that means — judged with the same bands as a verdict. Each
//! comparison's effect is shown old → new with both verdicts, so a flipped
//! verdict cannot hide.

use super::markdown::interval_text;
use crate::experiment::Metric;
use crate::human::value;
use crate::ledger::{Campaign, CaseRecord};
use crate::stats::bootstrap::{ratio_of_medians, Effect};
use crate::stats::verdict::{judge, Expect, Verdict};
use std::fmt::Write;

/// What happened to one variant between two campaigns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Lower metric, beyond the band.
    Improved,
    /// Higher metric, beyond the band.
    Regressed,
    /// Inside the band.
    NoChange,
    /// The interval contains one edge of the band: the change on one side
    /// of it, none on the other.
    AtEdge,
    /// The interval contains both edges of the band.
    Inconclusive,
}

impl Change {
    /// The word printed.
    pub fn label(self) -> &'static str {
        match self {
            Change::Improved => "improved",
            Change::Regressed => "regressed",
            Change::NoChange => "no change",
            Change::AtEdge => "at the edge",
            Change::Inconclusive => "inconclusive",
        }
    }
}

/// One variant's change line.
#[derive(Debug, Clone)]
pub struct VariantChange {
    /// Experiment id.
    pub experiment: String,
    /// Case label.
    pub case: String,
    /// Variant name.
    pub variant: String,
    /// The case's metric.
    pub metric: Metric,
    /// Old and new medians.
    pub old: f64,
    /// New median.
    pub new: f64,
    /// New over old, with its interval.
    pub effect: Effect,
    /// What it means.
    pub change: Change,
}

/// One comparison's effect in both campaigns.
#[derive(Debug, Clone)]
pub struct EffectChange {
    /// Experiment id.
    pub experiment: String,
    /// Case label.
    pub case: String,
    /// "B vs A".
    pub comparison: String,
    /// Old effect and verdict.
    pub old: (Effect, Verdict),
    /// New effect and verdict.
    pub new: (Effect, Verdict),
}

/// Everything two campaigns share, compared.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// Old campaign id.
    pub old: String,
    /// New campaign id.
    pub new: String,
    /// Per-variant changes.
    pub variants: Vec<VariantChange>,
    /// Per-comparison effects.
    pub effects: Vec<EffectChange>,
    /// The commit both campaigns measured, when it is the same: their
    /// differences are then noise between campaigns, not a change of code.
    pub same_commit: Option<String>,
    /// The two are one campaign: nothing can have changed.
    pub itself: bool,
}

fn band(metric: Metric, margin: f64) -> f64 {
    match metric {
        Metric::Instructions => 0.005,
        _ => margin,
    }
}

/// Compares `new` with `old`; `margin` is the band for wall time and memory.
pub fn compare(old: &Campaign, new: &Campaign, margin: f64) -> Comparison {
    let itself = old.id == new.id;
    let mut variants = Vec::new();
    let mut effects = Vec::new();
    for e in &new.entries {
        let Some(oe) = old.entries.iter().find(|x| x.spec.id == e.spec.id) else {
            continue;
        };
        for c in &e.cases {
            let Some(oc) = oe.cases.iter().find(|x| x.label == c.label) else {
                continue;
            };
            for v in &c.variants {
                let Some(ov) = oc.variants.iter().find(|x| x.name == v.name) else {
                    continue;
                };
                let eff = ratio_of_medians(&ov.samples, &v.samples, 0xC0FFEE);
                let change = match judge(Expect::NoEffect, &eff, band(c.metric, margin)) {
                    _ if itself => Change::NoChange,
                    Verdict::Confirmed => Change::NoChange,
                    Verdict::Opposite if eff.ratio < 1.0 => Change::Improved,
                    Verdict::Opposite => Change::Regressed,
                    Verdict::AtEdge(..) => Change::AtEdge,
                    _ => Change::Inconclusive,
                };
                variants.push(VariantChange {
                    experiment: e.spec.id.clone(),
                    case: c.label.clone(),
                    variant: v.name.clone(),
                    metric: c.metric,
                    old: ov.summary.median,
                    new: v.summary.median,
                    effect: eff,
                    change,
                });
            }
            for k in &c.comparisons {
                if let Some(ok) = oc.comparisons.iter().find(|x| x.a == k.a && x.b == k.b) {
                    effects.push(EffectChange {
                        experiment: e.spec.id.clone(),
                        case: c.label.clone(),
                        comparison: format!("{} vs {}", k.b, k.a),
                        old: (ok.effect, ok.verdict),
                        new: (k.effect, k.verdict),
                    });
                }
            }
        }
    }
    let (oc, nc) = (&old.environment.git_commit, &new.environment.git_commit);
    Comparison {
        old: old.id.clone(),
        new: new.id.clone(),
        variants,
        effects,
        same_commit: (oc == nc && !oc.is_empty()).then(|| nc.clone()),
        itself,
    }
}

fn signed_pct(e: &Effect) -> String {
    let p = |r: f64| format!("{:+.2} %", (r - 1.0) * 100.0);
    format!("[{} {} {}]", p(e.lo), p(e.ratio), p(e.hi))
}

impl Comparison {
    /// The summary: the counts, and what the two campaigns share.
    pub fn summary(&self) -> String {
        let flips = self.effects.iter().filter(|e| e.old.1 != e.new.1).count();
        let contradicted = self.effects.iter().filter(|e| e.old.1.contradicts(e.new.1)).count();
        let mut s = format!(
            "{} variants: {} improved, {} regressed, {} no change, {} at the edge, {} inconclusive; {} of {} verdicts worded differently, {} of them contradictory",
            self.variants.len(),
            self.count(Change::Improved),
            self.count(Change::Regressed),
            self.count(Change::NoChange),
            self.count(Change::AtEdge),
            self.count(Change::Inconclusive),
            flips,
            self.effects.len(),
            contradicted
        );
        if self.itself {
            s.push_str("\nA campaign compared with itself: no change, by definition.");
        } else if let Some(c) = &self.same_commit {
            let _ = write!(
                s,
                "\nWarning: both campaigns measured commit {c}: every difference here is noise between campaigns on this machine, not a change of code."
            );
        }
        s
    }

    /// Criterion-style lines for a terminal: the summary first, then the
    /// verdicts that changed, then every variant.
    pub fn terminal(&self) -> String {
        let mut s = format!("{} → {}\n{}\n", self.old, self.new, self.summary());
        let flips: Vec<&EffectChange> = self.effects.iter().filter(|e| e.old.1 != e.new.1).collect();
        for f in flips {
            let _ = writeln!(
                s,
                "  verdict changed: {} · {} · {}: {} ({}) → {} ({})",
                f.experiment,
                f.case,
                f.comparison,
                f.old.1.label(),
                interval_text(&f.old.0),
                f.new.1.label(),
                interval_text(&f.new.0)
            );
        }
        s.push('\n');
        for v in &self.variants {
            let _ = writeln!(
                s,
                "{} · {} · {}\n    {}: {} → {}   change: {}   {}",
                v.experiment,
                v.case,
                v.variant,
                v.metric.name(),
                value(v.metric, v.old),
                value(v.metric, v.new),
                signed_pct(&v.effect),
                v.change.label()
            );
        }
        s
    }

    /// Variants with this change.
    pub fn count(&self, c: Change) -> usize {
        self.variants.iter().filter(|v| v.change == c).count()
    }

    /// The same as a markdown page.
    pub fn markdown(&self) -> String {
        let mut s = format!(
            "# {} → {}\n\n{}\n\n",
            self.old,
            self.new,
            self.summary().replace('\n', "\n\n")
        );
        s.push_str(
            "| experiment | case | variant | old | new | change [95 % CI] | |\n|---|---|---|---:|---:|---|---|\n",
        );
        for v in &self.variants {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} |",
                v.experiment,
                v.case,
                v.variant,
                value(v.metric, v.old),
                value(v.metric, v.new),
                signed_pct(&v.effect),
                v.change.label()
            );
        }
        s.push_str("\n## Effects\n\n| experiment | case | comparison | old | new |\n|---|---|---|---|---|\n");
        for f in &self.effects {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} — {} | {} — {}{} |",
                f.experiment,
                f.case,
                f.comparison,
                interval_text(&f.old.0),
                f.old.1.label(),
                interval_text(&f.new.0),
                f.new.1.label(),
                if f.old.1 == f.new.1 { "" } else { " **(changed)**" }
            );
        }
        s
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// A campaign as CSV: one row per variant and one per comparison.
pub fn csv(c: &Campaign) -> String {
    let mut s = String::from(
        "campaign,commit,dirty,experiment,case,cache,metric,kind,name,n,median,min,max,sd,ratio,lo,hi,verdict,margin,processes,busy\n",
    );
    for e in &c.entries {
        for k in &e.cases {
            let common = |kind: &str, name: &str| {
                [
                    c.id.clone(),
                    c.environment.git_commit.clone(),
                    c.environment.git_dirty.to_string(),
                    e.spec.id.clone(),
                    k.label.clone(),
                    format!("{:?}", k.cache).to_lowercase(),
                    k.metric.name().to_owned(),
                    kind.to_owned(),
                    name.to_owned(),
                ]
                .iter()
                .map(|x| csv_field(x))
                .collect::<Vec<_>>()
                .join(",")
            };
            let tail = |k: &CaseRecord| {
                format!(
                    "{},{},{}",
                    k.replication
                        .as_ref()
                        .map_or(String::new(), |r| format!("{}", r.margin)),
                    k.processes(),
                    k.busy()
                )
            };
            for v in &k.variants {
                let m = &v.summary;
                let _ = writeln!(
                    s,
                    "{},{},{},{},{},{},,,,,{}",
                    common("variant", &v.name),
                    m.n,
                    m.median,
                    m.min,
                    m.max,
                    m.sd,
                    tail(k)
                );
            }
            for q in &k.comparisons {
                let _ = writeln!(
                    s,
                    "{},{},,,,,{},{},{},{},{}",
                    common("comparison", &format!("{} vs {}", q.b, q.a)),
                    q.effect.rounds,
                    q.effect.ratio,
                    q.effect.lo,
                    q.effect.hi,
                    csv_field(&q.verdict.label()),
                    tail(k)
                );
            }
        }
    }
    s
}

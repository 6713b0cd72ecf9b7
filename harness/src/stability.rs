//! Stability as a figure: do independent campaigns of one commit agree?
//! For every comparison of every case present in all of them: the
//! verdicts, whether they agree, and how many pairs of intervals overlap.
//! A headline is only quoted when its verdict held in every campaign.

use crate::ledger::{Campaign, Mode};
use crate::stats::bootstrap::Effect;
use crate::stats::verdict::Verdict;
use serde::{Deserialize, Serialize};

/// One comparison across campaigns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Experiment id.
    pub experiment: String,
    /// Case label.
    pub case: String,
    /// "A vs B".
    pub comparison: String,
    /// True for the experiment's headline (first case, first comparison).
    pub headline: bool,
    /// One verdict per campaign.
    pub verdicts: Vec<Verdict>,
    /// One effect per campaign.
    pub effects: Vec<Effect>,
    /// Pairs of campaigns whose intervals overlap.
    pub overlapping_pairs: usize,
    /// Pairs compared.
    pub pairs: usize,
    /// Campaigns in which any process ran on a busy machine.
    pub busy: usize,
}

impl Row {
    /// Every campaign gave the same verdict.
    pub fn agrees(&self) -> bool {
        self.verdicts.windows(2).all(|w| w[0] == w[1])
    }

    /// The largest effect any campaign measured, as |ratio − 1|.
    pub fn largest_effect(&self) -> f64 {
        self.effects.iter().map(|e| (e.ratio - 1.0).abs()).fold(0.0, f64::max)
    }
}

/// The comparison of several campaigns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stability {
    /// Campaign ids compared, oldest first.
    pub campaigns: Vec<String>,
    /// Commits they measured (one, normally).
    pub commits: Vec<String>,
    /// Every comparison present in all of them.
    pub rows: Vec<Row>,
}

fn overlap(a: &Effect, b: &Effect) -> bool {
    a.lo <= b.hi && b.lo <= a.hi
}

impl Stability {
    /// Compares `campaigns` (oldest first).
    pub fn of(campaigns: &[&Campaign]) -> Stability {
        let mut rows = Vec::new();
        if let Some(first) = campaigns.first() {
            for entry in &first.entries {
                for (ci, case) in entry.cases.iter().enumerate() {
                    for (k, cmp) in case.comparisons.iter().enumerate() {
                        let found: Vec<_> = campaigns
                            .iter()
                            .filter_map(|c| {
                                let e = c.entries.iter().find(|e| e.spec.id == entry.spec.id)?;
                                let cs = e.cases.iter().find(|x| x.label == case.label)?;
                                let m = cs.comparisons.iter().find(|m| m.a == cmp.a && m.b == cmp.b)?;
                                Some((m.verdict, m.effect, cs.busy()))
                            })
                            .collect();
                        if found.len() != campaigns.len() {
                            continue;
                        }
                        let effects: Vec<Effect> = found.iter().map(|f| f.1).collect();
                        let mut pairs = 0;
                        let mut overlapping = 0;
                        for i in 0..effects.len() {
                            for j in i + 1..effects.len() {
                                pairs += 1;
                                overlapping += usize::from(overlap(&effects[i], &effects[j]));
                            }
                        }
                        rows.push(Row {
                            experiment: entry.spec.id.clone(),
                            case: case.label.clone(),
                            comparison: format!("{} vs {}", cmp.b, cmp.a),
                            headline: ci == 0 && k == 0,
                            verdicts: found.iter().map(|f| f.0).collect(),
                            effects,
                            overlapping_pairs: overlapping,
                            pairs,
                            busy: found.iter().filter(|f| f.2).count(),
                        });
                    }
                }
            }
        }
        let mut commits: Vec<String> = campaigns.iter().map(|c| c.environment.git_commit.clone()).collect();
        commits.dedup();
        Stability {
            campaigns: campaigns.iter().map(|c| c.id.clone()).collect(),
            commits,
            rows,
        }
    }

    /// Share of interval pairs that overlap.
    pub fn overlap_share(&self) -> f64 {
        let p: usize = self.rows.iter().map(|r| r.pairs).sum();
        let o: usize = self.rows.iter().map(|r| r.overlapping_pairs).sum();
        o as f64 / p.max(1) as f64
    }

    /// Share of comparisons whose verdict agreed in every campaign.
    pub fn agreement_share(&self) -> f64 {
        self.rows.iter().filter(|r| r.agrees()).count() as f64 / self.rows.len().max(1) as f64
    }

    /// Headlines whose verdict flipped although some campaign measured an
    /// effect of at least `size` (0.05 = 5 %).
    pub fn headline_flips(&self, size: f64) -> Vec<&Row> {
        self.rows
            .iter()
            .filter(|r| r.headline && !r.agrees() && r.largest_effect() >= size)
            .collect()
    }
}

/// The newest full campaigns recorded under the replicated rule (schema ≥ 2
/// case records) on `commit`, oldest first, at most `n`.
pub fn replicated_campaigns<'a>(all: &'a [Campaign], commit: Option<&str>, n: usize) -> Vec<&'a Campaign> {
    let mut v: Vec<&Campaign> = all
        .iter()
        .filter(|c| c.mode == Mode::Full && c.finished.is_some())
        .filter(|c| c.entries.len() > 1)
        .filter(|c| c.entries.iter().flat_map(|e| &e.cases).any(|k| k.replication.is_some()))
        .filter(|c| commit.is_none_or(|k| c.environment.git_commit == k))
        .collect();
    v.sort_by(|a, b| a.started.cmp(&b.started));
    let skip = v.len().saturating_sub(n);
    v.split_off(skip)
}

/// How many of `campaigns` gave experiment `id`'s headline the verdict `v`,
/// out of how many recorded it.
pub fn headline_agreement(campaigns: &[&Campaign], id: &str, v: Verdict) -> (usize, usize) {
    let got: Vec<Verdict> = campaigns
        .iter()
        .filter_map(|c| c.entries.iter().find(|e| e.spec.id == id))
        .map(|e| e.verdict)
        .collect();
    (got.iter().filter(|x| **x == v).count(), got.len())
}

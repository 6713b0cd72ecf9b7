//! Stability as a figure: do independent campaigns of one commit agree?
//! For every comparison of every case present in all of them: the
//! verdicts, whether any two *contradict* (two definite verdicts of
//! different regions, or a definite one outside an "at the edge" pair) or
//! are only worded differently, how many pairs of intervals overlap, and
//! how many pairs differ by |z| > 1.96 — about 5 % for honest 95 %
//! intervals; far fewer means they are wider than they need be, far more
//! that they are too narrow. When the campaigns come from two or more
//! machines, each comparison gets the between-machine variance and is
//! called **portable** only when every machine gave it the same definite
//! verdict. A headline is only quoted when its verdict held in every
//! campaign.

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
    /// The machine of each campaign (fingerprint id).
    #[serde(default)]
    pub machines: Vec<String>,
    /// Campaigns in which the comparison's rounds were bimodal.
    #[serde(default)]
    pub bimodal: usize,
}

impl Row {
    /// Every campaign gave the same verdict.
    pub fn agrees(&self) -> bool {
        self.verdicts.windows(2).all(|w| w[0] == w[1])
    }

    /// Some two campaigns' verdicts contradict each other.
    pub fn contradictory(&self) -> bool {
        self.verdicts
            .iter()
            .enumerate()
            .any(|(i, a)| self.verdicts[i + 1..].iter().any(|b| a.contradicts(*b)))
    }

    /// Pairs of campaigns whose effects differ by |z| > 1.96, out of the
    /// pairs with finite intervals (see [`z`]).
    pub fn z_pairs(&self) -> (usize, usize) {
        let mut out = (0, 0);
        for i in 0..self.effects.len() {
            for j in i + 1..self.effects.len() {
                if let Some(z) = z(&self.effects[i], &self.effects[j]) {
                    out.1 += 1;
                    out.0 += usize::from(z.abs() > 1.96);
                }
            }
        }
        out
    }

    /// Where the verdict holds: `Portable` when two or more machines all
    /// gave the same definite verdict, `MachineBound` when machines
    /// disagree, `OneMachine` when every campaign ran on one.
    pub fn reach(&self) -> Reach {
        reach_of(&self.machines, &self.verdicts)
    }

    /// The between-machine variance of the log ratio (τ², moment estimate
    /// over the machines' mean log ratios beyond what their intervals
    /// explain), or `None` with fewer than two machines.
    pub fn between_machines(&self) -> Option<f64> {
        let pts: Vec<(f64, f64)> = by_machine(&self.machines, &self.effects)
            .iter()
            .filter_map(|(_, es)| {
                let logs: Vec<f64> = es.iter().map(|e| e.ratio.ln()).filter(|x| x.is_finite()).collect();
                let ses: Vec<f64> = es.iter().filter_map(|e| log_se(e)).collect();
                if logs.is_empty() || ses.is_empty() {
                    return None;
                }
                let mean = logs.iter().sum::<f64>() / logs.len() as f64;
                let var = ses.iter().map(|s| s * s).sum::<f64>() / (ses.len() * ses.len()) as f64;
                Some((mean, var))
            })
            .collect();
        (pts.len() >= 2).then(|| crate::stats::bootstrap::tau2_dl(&pts))
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

/// Where a comparison's verdict holds (see [`Row::reach`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reach {
    /// Every campaign ran on one machine: the verdict is of that machine.
    OneMachine,
    /// Two or more machines gave the same definite verdict.
    Portable,
    /// The machines' verdicts differ.
    MachineBound,
}

impl Reach {
    /// In words.
    pub fn label(self) -> &'static str {
        match self {
            Reach::OneMachine => "on this machine",
            Reach::Portable => "portable",
            Reach::MachineBound => "machine-bound",
        }
    }
}

fn overlap(a: &Effect, b: &Effect) -> bool {
    a.lo <= b.hi && b.lo <= a.hi
}

/// The standard error of an effect's log ratio implied by its 95 %
/// interval (the interval's log width over 2 × 1.96).
pub fn log_se(e: &Effect) -> Option<f64> {
    let w = (e.hi.ln() - e.lo.ln()) / (2.0 * 1.96);
    (w.is_finite() && w > 0.0).then_some(w)
}

/// How many standard errors apart two effects' log ratios are.
pub fn z(a: &Effect, b: &Effect) -> Option<f64> {
    let (sa, sb) = (log_se(a)?, log_se(b)?);
    let d = a.ratio.ln() - b.ratio.ln();
    d.is_finite().then(|| d / sa.hypot(sb))
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
                                Some((
                                    m.verdict,
                                    m.effect,
                                    cs.busy(),
                                    crate::ledger::machine_of(c),
                                    m.mixture.is_some(),
                                ))
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
                            machines: found.iter().map(|f| f.3.clone()).collect(),
                            bimodal: found.iter().filter(|f| f.4).count(),
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

    /// Comparisons some two campaigns contradict each other on.
    pub fn contradictory(&self) -> Vec<&Row> {
        self.rows.iter().filter(|r| r.contradictory()).collect()
    }

    /// Share of verdicts (all campaigns) that are "at the edge".
    pub fn at_edge_share(&self) -> f64 {
        let all: Vec<&Verdict> = self.rows.iter().flat_map(|r| &r.verdicts).collect();
        all.iter().filter(|v| matches!(v, Verdict::AtEdge(..))).count() as f64 / all.len().max(1) as f64
    }

    /// Pairs of intervals whose effects differ by |z| > 1.96, and pairs.
    pub fn z_pairs(&self) -> (usize, usize) {
        self.rows
            .iter()
            .map(Row::z_pairs)
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    }

    /// Every disagreement sits next to an "at the edge" or "inconclusive"
    /// verdict (none is two definite verdicts): the rule's promise.
    pub fn disagreements_at_edges(&self) -> bool {
        self.rows
            .iter()
            .filter(|r| !r.agrees())
            .all(|r| r.verdicts.iter().any(|v| v.region().is_none()))
    }

    /// Distinct machines among the campaigns.
    pub fn machines(&self) -> usize {
        let mut m: Vec<&String> = self.rows.iter().flat_map(|r| &r.machines).collect();
        m.sort();
        m.dedup();
        m.len()
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
    // Of one commit, only campaigns of the newest one's selection replicate
    // it: a peers-group campaign is no replicate of a full campaign.
    if commit.is_some() {
        if let Some(newest) = v.last() {
            let wanted: Vec<String> = selection(newest).into_iter().map(str::to_owned).collect();
            v.retain(|c| selection(c) == wanted);
        }
    }
    let skip = v.len().saturating_sub(n);
    v.split_off(skip)
}

/// The experiments a campaign recorded, sorted: campaigns replicate each
/// other only when they ran the same ones.
pub fn selection(c: &Campaign) -> Vec<&str> {
    let mut ids: Vec<&str> = c.entries.iter().map(|e| e.spec.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
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

/// Where experiment `id`'s headline verdict holds, from every replicated
/// full campaign of `commit` in `all` (any machine): see [`Row::reach`].
pub fn headline_reach(all: &[Campaign], commit: &str, id: &str) -> Reach {
    let cs = replicated_campaigns(all, Some(commit), usize::MAX);
    let (verdicts, machines): (Vec<Verdict>, Vec<String>) = cs
        .iter()
        .filter_map(|c| {
            Some((
                c.entries.iter().find(|e| e.spec.id == id)?.verdict,
                crate::ledger::machine_of(c),
            ))
        })
        .unzip();
    reach_of(&machines, &verdicts)
}

/// Where verdicts measured on `machines` (one per verdict) hold: one
/// machine only, every machine agreeing on one definite verdict
/// (portable), or not (machine-bound).
pub fn reach_of(machines: &[String], verdicts: &[Verdict]) -> Reach {
    if by_machine(machines, verdicts).len() < 2 {
        return Reach::OneMachine;
    }
    match verdicts.first() {
        Some(first) if first.region().is_some() && verdicts.iter().all(|v| v == first) => Reach::Portable,
        _ => Reach::MachineBound,
    }
}

/// `items` (one per entry of `machines`) grouped by machine, machines in
/// first-seen order.
fn by_machine<'a, T>(machines: &'a [String], items: &'a [T]) -> Vec<(&'a str, Vec<&'a T>)> {
    let mut by: Vec<(&str, Vec<&T>)> = Vec::new();
    for (m, x) in machines.iter().zip(items) {
        match by.iter_mut().find(|(k, _)| *k == m.as_str()) {
            Some((_, xs)) => xs.push(x),
            None => by.push((m.as_str(), vec![x])),
        }
    }
    by
}

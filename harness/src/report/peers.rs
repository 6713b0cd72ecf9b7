//! `reports/peers.md`: loadlab against its peers and this machine's limits,
//! drawn from the newest entries of the peers group.
//!
//! Every peers comparison puts the peer or the limit as A and loadlab as B,
//! so B/A is loadlab's time as a multiple of the other's; a target says
//! how large B/A may be (`Expect::AtMost`) and its verdict reads the 95 %
//! interval against it.

use super::markdown::{agreement_text, interval_text};
use super::svg::{self, Chart};
use crate::error::Result;
use crate::human::{ratio as ratio_text, value};
use crate::ledger::{Campaign, Entry, Mode};
use crate::stats::verdict::{Expect, Verdict};
use std::fmt::Write;
use std::path::Path;

/// How often the same comparison reached the same verdict in the newest
/// (up to three) full campaigns of the entry's commit that ran it.
fn agreement(
    campaigns: &[Campaign],
    e: &Entry,
    c: &Campaign,
    case: &str,
    a: &str,
    b: &str,
    v: Verdict,
) -> Option<(usize, usize)> {
    let mut same: Vec<&Campaign> = campaigns
        .iter()
        .filter(|x| x.mode == Mode::Full && x.finished.is_some())
        .filter(|x| x.environment.git_commit == c.environment.git_commit)
        .filter(|x| x.entries.iter().any(|y| y.spec.id == e.spec.id))
        .collect();
    same.sort_by(|x, y| x.started.cmp(&y.started));
    let same = &same[same.len().saturating_sub(3)..];
    if !same.iter().any(|x| x.id == c.id) {
        return None;
    }
    let got: Vec<Verdict> = same
        .iter()
        .filter_map(|x| x.entries.iter().find(|y| y.spec.id == e.spec.id))
        .filter_map(|y| y.cases.iter().find(|k| k.label == case))
        .filter_map(|k| k.comparisons.iter().find(|m| m.a == a && m.b == b))
        .map(|m| m.verdict)
        .collect();
    Some((got.iter().filter(|x| **x == v).count(), got.len()))
}

/// Renders the page (and its chart into `svg_dir`) when the ledger holds
/// any peers entry; `is_peer` tells an experiment id of the group.
pub fn page(
    chosen: &[(Entry, Campaign)],
    campaigns: &[Campaign],
    is_peer: &dyn Fn(&str) -> bool,
    svg_dir: &Path,
) -> Result<Option<(String, Chart)>> {
    let peers: Vec<&(Entry, Campaign)> = chosen.iter().filter(|(e, _)| is_peer(&e.spec.id)).collect();
    let Some((first, _)) = peers.first() else {
        return Ok(None);
    };
    // One forest of every comparison, through the experiments' own chart.
    let mut all = first.clone();
    all.spec.id = "peers".into();
    all.cases = peers
        .iter()
        .flat_map(|(e, _)| {
            e.cases.iter().map(move |c| {
                let mut c = c.clone();
                c.label = format!("{} {}", e.spec.id, c.label);
                c
            })
        })
        .collect();
    let chart = Chart {
        file: "peers-effect.svg".into(),
        caption: "loadlab's time over the peer's or the limit's (B/A) per comparison: dot and 95 % interval; red triangle: the target (at most); black line: 1.0 (as fast).".into(),
    };
    svg::effect_chart(&all, &svg_dir.join(&chart.file))?;

    let mut s = String::new();
    let _ = writeln!(s, "# loadlab against its peers and this machine's limits\n");
    let _ = writeln!(
        s,
        "Generated from the ledger (`lab report`); the experiments are the `Peers` group of [EXPERIMENTS.md](../EXPERIMENTS.md), run with `lab run --group peers` (Rust peers linked with `--features peers`). In every row A is the peer or the limit and B is loadlab, measured in the same processes, interleaved, warm page cache unless the case says otherwise: **B/A below 1 means loadlab took less time.** A target is the largest B/A the project accepts; its verdict reads the whole 95 % interval: *target met* (all of it at or under), *target missed* (all of it over), *inconclusive* (straddling). Python references are timed inside their own process around the operation only; their start-up is in P09's evidence.\n"
    );
    let mut met = 0;
    let mut missed = Vec::new();
    let mut unclear = Vec::new();
    let mut rows = String::new();
    let mut limits = String::new();
    for (e, c) in &peers {
        for case in &e.cases {
            for k in &case.comparisons {
                let med = |n: &str| {
                    case.variants
                        .iter()
                        .find(|v| v.name == n)
                        .map_or("—".into(), |v| value(case.metric, v.summary.median))
                };
                let agree = agreement(campaigns, e, c, &case.label, &k.a, &k.b, k.verdict);
                let target = match k.expect {
                    Expect::AtMost(t) => format!("≤ {}×", ratio_text(t)),
                    _ => "—".into(),
                };
                let speed = if k.effect.ratio > 0.0 {
                    format!("{:.2}×", 1.0 / k.effect.ratio)
                } else {
                    "—".into()
                };
                let _ = writeln!(
                    rows,
                    "| [{id}]({id}.md) | {} | {} | {} | {} | {} | {} | {speed} | {target} | {} | {} |",
                    case.label,
                    k.a,
                    med(&k.a),
                    k.b,
                    med(&k.b),
                    interval_text(&k.effect),
                    k.verdict.label(),
                    agreement_text(agree),
                    id = e.spec.id,
                );
                let what = format!("{} {} — {} vs {}", e.spec.id, case.label, k.b, k.a);
                match k.verdict {
                    Verdict::TargetMet => met += 1,
                    Verdict::TargetMissed => missed.push((what, interval_text(&k.effect), target.clone())),
                    _ if matches!(k.expect, Expect::AtMost(_)) => {
                        unclear.push((what, interval_text(&k.effect), target.clone()))
                    }
                    _ => {}
                }
                if k.a.contains("limit") && k.effect.ratio > 0.0 {
                    let _ = writeln!(
                        limits,
                        "| {} | {} | {} | {:.0} % [{:.0}, {:.0}] |",
                        e.spec.id,
                        case.label,
                        k.a,
                        100.0 / k.effect.ratio,
                        100.0 / k.effect.hi,
                        100.0 / k.effect.lo
                    );
                }
            }
        }
    }
    let n = met + missed.len() + unclear.len();
    let _ = writeln!(
        s,
        "## Summary\n\n**{met} of {n} targets met, {} missed, {} inconclusive.**\n",
        missed.len(),
        unclear.len()
    );
    if !missed.is_empty() {
        let _ = writeln!(s, "Where loadlab misses its target (each page gives the evidence):\n");
        for (w, eff, t) in &missed {
            let _ = writeln!(s, "- {w}: {eff}, target {t}");
        }
        s.push('\n');
    }
    if !unclear.is_empty() {
        let _ = writeln!(s, "Not decided by these campaigns:\n");
        for (w, eff, t) in &unclear {
            let _ = writeln!(s, "- {w}: {eff}, target {t}");
        }
        s.push('\n');
    }
    let _ = writeln!(s, "![{}](svg/{})\n\n*{}*\n", chart.caption, chart.file, chart.caption);
    let _ = writeln!(
        s,
        "## Every comparison\n\n| id | case | A | A median | B | B median | B/A [95 % CI] | loadlab's speed (A/B) | target | verdict | campaigns agreeing |\n|---|---|---|---|---|---|---|---|---|---|---|\n{rows}"
    );
    if !limits.is_empty() {
        let _ = writeln!(
            s,
            "## Share of the machine's limit\n\nFor comparisons against a limit, loadlab's speed as a percentage of the limit's (100 % = at the limit), with its 95 % interval.\n\n| id | case | limit | loadlab |\n|---|---|---|---|\n{limits}"
        );
    }
    let _ = writeln!(s, "## Campaigns\n");
    let mut by: std::collections::BTreeMap<&str, (&Campaign, Vec<&str>)> = Default::default();
    for (e, c) in &peers {
        by.entry(c.id.as_str()).or_insert((c, Vec::new())).1.push(&e.spec.id);
    }
    for (id, (c, exps)) in by {
        let commit = &c.environment.git_commit;
        let _ = writeln!(
            s,
            "- `{id}` (commit `{}`{}): {}",
            &commit[..commit.len().min(10)],
            if c.environment.git_dirty { ", dirty tree" } else { "" },
            exps.join(", ")
        );
    }
    Ok(Some((s, chart)))
}

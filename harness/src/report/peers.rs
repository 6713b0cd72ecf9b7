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
    if peers.is_empty() {
        return Ok(None);
    }
    // One axis for every row: loadlab's figure over the other's.
    let (near, far) = loadlab_rows(&peers);
    let chart = Chart {
        file: "peers-effect.svg".into(),
        caption: "loadlab ÷ the peer or the limit, per comparison (below 1: loadlab needs less): dot and 95 % interval; triangle: the target (at most). Rows far off this scale are drawn on their own below.".into(),
    };
    let forest = |title: String| svg::Forest {
        axis: "loadlab ÷ other",
        claim: "target (at most)",
        direction: "below 1: loadlab needs less",
        title,
    };
    svg::forest_chart(
        &near,
        &forest("loadlab against its peers and the machine's limits".into()),
        &svg_dir.join(&chart.file),
    )?;
    let far_chart = if far.iter().any(|r| !r.header) {
        let c = Chart {
            file: "peers-far.svg".into(),
            caption:
                "Rows more than 30× from 1.0, on a scale of their own (same reading: below 1, loadlab needs less)."
                    .into(),
        };
        svg::forest_chart(&far, &forest("Far off the main scale".into()), &svg_dir.join(&c.file))?;
        Some(c)
    } else {
        let _ = std::fs::remove_file(svg_dir.join("peers-far.svg"));
        None
    };

    let mut s = String::new();
    let _ = writeln!(s, "# loadlab against its peers and this machine's limits\n");
    let _ = writeln!(
        s,
        "Generated from the ledger (`lab report`); the experiments are the `Peers` group of [EXPERIMENTS.md](../EXPERIMENTS.md), run with `lab run --group peers` (Rust peers linked with `--features peers`). Every row divides loadlab's figure by the other's — the peer's or the limit's, whichever variant letter each has — measured in the same processes, interleaved, warm page cache unless the case says otherwise: **loadlab ÷ other below 1 means loadlab needed less.** P10's rows compare the machine with itself (two cores ÷ one, a mapping ÷ reads), not loadlab. A target is the largest ratio the project accepts; its verdict reads the whole 95 % interval: *target met* (all of it at or under), *target missed* (all of it over), and straddling the bound *inconclusive* under rule version 1 or *at the edge: target met | target missed* under version 2. Python references are timed inside their own process around the operation only; their start-up is in P09's evidence.\n"
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
                // loadlab over the other, whichever letter each has.
                let flip = is_loadlab(&k.a) && !is_loadlab(&k.b);
                let (ours, other) = if flip { (&k.a, &k.b) } else { (&k.b, &k.a) };
                let effect = if flip {
                    crate::stats::bootstrap::Effect {
                        ratio: 1.0 / k.effect.ratio,
                        lo: 1.0 / k.effect.hi,
                        hi: 1.0 / k.effect.lo,
                        rounds: k.effect.rounds,
                    }
                } else {
                    k.effect
                };
                let target = match k.expect {
                    // B/A ≤ t with loadlab as A is loadlab ÷ other ≥ 1/t.
                    Expect::AtMost(t) if flip => format!("≥ {}×", ratio_text(1.0 / t)),
                    Expect::AtMost(t) => format!("≤ {}×", ratio_text(t)),
                    _ => "—".into(),
                };
                let _ = writeln!(
                    rows,
                    "| [{id}]({id}.md) | {} | {} | {} | {} | {} | {} | {target} | {} | {} |",
                    case.label,
                    bare(other),
                    med(other),
                    bare(ours),
                    med(ours),
                    interval_text(&effect),
                    k.verdict.label(),
                    agreement_text(agree),
                    id = e.spec.id,
                );
                let what = format!("{} {} — {} ÷ {}", e.spec.id, case.label, bare(ours), bare(other));
                match k.verdict {
                    Verdict::TargetMet => met += 1,
                    Verdict::TargetMissed => missed.push((what, interval_text(&effect), target.clone())),
                    _ if matches!(k.expect, Expect::AtMost(_)) => {
                        unclear.push((what, interval_text(&effect), target.clone()))
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
    if let Some(c) = &far_chart {
        let _ = writeln!(s, "![{}](svg/{})\n\n*{}*\n", c.caption, c.file, c.caption);
    }
    let _ = writeln!(
        s,
        "## Every comparison\n\n| id | case | other | its median | loadlab | its median | loadlab ÷ other [95 % CI] | target | verdict | campaigns agreeing |\n|---|---|---|---|---|---|---|---|---|---|\n{rows}"
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

/// The variant name without its letter ("B loadlab mmap" → "loadlab mmap").
fn bare(name: &str) -> &str {
    match name.split_once(' ') {
        Some((l, rest)) if l.len() == 1 && l.chars().all(|c| c.is_ascii_uppercase()) => rest,
        _ => name,
    }
}

fn is_loadlab(name: &str) -> bool {
    let n = bare(name);
    n.starts_with("loadlab") || n.starts_with("loader")
}

/// The forest rows of every peers comparison as loadlab ÷ other (inverted
/// where loadlab is A), grouped by that pair; rows more than 30× from 1.0
/// go to the second list, to be drawn on a scale of their own.
pub fn loadlab_rows(peers: &[&(Entry, Campaign)]) -> (Vec<svg::Row>, Vec<svg::Row>) {
    let mut groups: Vec<(String, Vec<svg::Row>)> = Vec::new();
    for (e, _) in peers {
        for case in &e.cases {
            for k in &case.comparisons {
                let flip = is_loadlab(&k.a) && !is_loadlab(&k.b);
                let (num, den) = if flip { (&k.a, &k.b) } else { (&k.b, &k.a) };
                let inv = |x: f64| if flip { 1.0 / x } else { x };
                let (lo, hi) = if flip {
                    (inv(k.effect.hi), inv(k.effect.lo))
                } else {
                    (k.effect.lo, k.effect.hi)
                };
                let pair = format!("{} ÷ {}", bare(num), bare(den));
                let row = svg::Row {
                    label: format!("{} {}", e.spec.id, case.label),
                    ratio: inv(k.effect.ratio),
                    lo,
                    hi,
                    claimed: k.expect.ratio().map(inv),
                    margin: case.replication.as_ref().map_or(0.0, |r| r.margin),
                    header: false,
                };
                match groups.iter_mut().find(|(p, _)| *p == pair) {
                    Some((_, rows)) => rows.push(row),
                    None => groups.push((pair, vec![row])),
                }
            }
        }
    }
    let far = |r: &svg::Row| r.ratio > 0.0 && (r.ratio < 1.0 / 30.0 || r.ratio > 30.0);
    let (mut near, mut away) = (Vec::new(), Vec::new());
    for (pair, rows) in groups {
        for (list, keep) in [(&mut near, false), (&mut away, true)] {
            let chosen: Vec<svg::Row> = rows.iter().filter(|r| far(r) == keep).cloned().collect();
            if !chosen.is_empty() {
                list.push(svg::Row::header(pair.clone()));
                list.extend(chosen);
            }
        }
    }
    (near, away)
}

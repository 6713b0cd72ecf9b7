//! `lab stability`: verdict agreement and interval overlap between
//! independent full campaigns of one commit, written as markdown and JSON.

use super::{Outcome, EXIT_FAILED};
use crate::workspace::Workspace;
use harness::ledger;
use harness::report::markdown::interval_text;
use harness::runner::HEADLINE_EFFECT;
use harness::runner::{self, Config};
use harness::stability::{replicated_campaigns, Reach, Row, Stability};
use std::fmt::Write;
use std::path::Path;
use std::process::ExitCode;

/// Compares the campaigns `ids` (default: every replicated full campaign
/// of the newest commit that has at least two): prints the summary, and
/// writes the page to `out` (and its `.json` beside it) only when asked.
/// With `rejudge`, every case is judged again under the current rule first.
pub fn run(ws: &Workspace, ids: &[String], out: Option<&Path>, rejudge: bool) -> Outcome {
    let mut all = ledger::load_all(&ws.ledger_dir())?;
    if rejudge {
        let cfg = Config::full(super::campaign::calibration_in_force(ws));
        for c in &mut all {
            c.rule = Some(cfg.rule());
            for e in &mut c.entries {
                let id = e.spec.id.clone();
                for k in &mut e.cases {
                    *k = runner::rejudge(&id, k, &cfg);
                }
                if let Some(v) = e.cases.first().and_then(|k| k.comparisons.first()) {
                    e.verdict = v.verdict;
                }
            }
        }
    }
    let chosen: Vec<&ledger::Campaign> = if ids.is_empty() {
        let newest = replicated_campaigns(&all, None, usize::MAX);
        let commit = newest
            .iter()
            .rev()
            .map(|c| c.environment.git_commit.clone())
            .find(|k| newest.iter().filter(|c| &c.environment.git_commit == k).count() >= 2);
        match commit {
            Some(k) => replicated_campaigns(&all, Some(&k), usize::MAX),
            None => Vec::new(),
        }
    } else {
        ids.iter()
            .map(|id| {
                all.iter()
                    .find(|c| &c.id == id)
                    .ok_or_else(|| format!("no campaign {id}"))
            })
            .collect::<Result<_, _>>()?
    };
    if chosen.len() < 2 {
        eprintln!(
            "error: stability needs at least two campaigns of one commit (found {})",
            chosen.len()
        );
        return Ok(ExitCode::from(EXIT_FAILED));
    }
    let s = Stability::of(&chosen);
    println!("{}", summary(&s, rejudge));
    match out {
        Some(out) => {
            ledger::write_atomic(out, render(&s, rejudge).as_bytes())?;
            ledger::write_atomic(
                &out.with_extension("json"),
                serde_json::to_string_pretty(&s)?.as_bytes(),
            )?;
            println!("wrote {} and its .json", out.display());
        }
        None => println!("(nothing written: pass --out reports/stability.md to write the page)"),
    }
    Ok(ExitCode::SUCCESS)
}

/// The figures in one paragraph.
pub fn summary(s: &Stability, rejudged: bool) -> String {
    let (z, pairs) = s.z_pairs();
    let disagree = s.rows.iter().filter(|r| !r.agrees()).count();
    let mut o = format!(
        concat!(
            "{} campaigns on {} machine{}, {} comparisons{}: verdicts agree in {:.1} %; {} disagree, ",
            "of which **{} contradictory** (two definite verdicts that cannot both hold) and {} worded differently but consistent; ",
            "{:.1} % of verdicts are \"at the edge\"; intervals overlap pairwise in {:.1} %; ",
            "{} of {} pairs ({:.1} %) differ by |z| > 1.96 (about 5 % for honest 95 % intervals); ",
            "{} headline flips among effects ≥ {:.0} %."
        ),
        s.campaigns.len(),
        s.machines(),
        if s.machines() == 1 { "" } else { "s" },
        s.rows.len(),
        if rejudged { ", judged again under the current rule" } else { "" },
        s.agreement_share() * 100.0,
        disagree,
        s.contradictory().len(),
        disagree - s.contradictory().len(),
        s.at_edge_share() * 100.0,
        s.overlap_share() * 100.0,
        z,
        pairs,
        z as f64 * 100.0 / pairs.max(1) as f64,
        s.headline_flips(HEADLINE_EFFECT).len(),
        HEADLINE_EFFECT * 100.0,
    );
    let bimodal: Vec<String> = s
        .rows
        .iter()
        .filter(|r| r.bimodal > 0)
        .map(|r| format!("{} · {} ({} of {})", r.experiment, r.case, r.bimodal, r.verdicts.len()))
        .collect();
    if !bimodal.is_empty() {
        let _ = write!(
            o,
            " Bimodal rounds (judged on the mean over processes): {}.",
            bimodal.join("; ")
        );
    }
    if s.machines() > 1 {
        let portable = s.rows.iter().filter(|r| r.reach() == Reach::Portable).count();
        let bound = s.rows.iter().filter(|r| r.reach() == Reach::MachineBound).count();
        let mut taus: Vec<f64> = s.rows.iter().filter_map(Row::between_machines).map(f64::sqrt).collect();
        taus.sort_by(f64::total_cmp);
        let med = taus.get(taus.len() / 2).copied().unwrap_or(f64::NAN);
        let _ = write!(
            o,
            " Between machines: {portable} comparisons portable (same definite verdict on every machine), {bound} machine-bound; median between-machine τ {:.2} % of the ratio.",
            med * 100.0
        );
    }
    o
}

/// The stability page.
pub fn render(s: &Stability, rejudged: bool) -> String {
    let mut o = String::new();
    let flips = s.headline_flips(HEADLINE_EFFECT);
    let _ = writeln!(
        o,
        "# Stability: {} campaigns of commit {}\n\n{}\n",
        s.campaigns.len(),
        s.commits.join(", "),
        summary(s, rejudged)
    );
    if !flips.is_empty() {
        let _ = writeln!(
            o,
            "Headlines that flipped (effects ≥ {:.0} %):\n",
            HEADLINE_EFFECT * 100.0
        );
        for r in &flips {
            let verdicts: Vec<String> = r.verdicts.iter().map(|v| v.label()).collect();
            let _ = writeln!(
                o,
                "- **{}** · {} · {}: {}{}",
                r.experiment,
                r.case,
                r.comparison,
                verdicts.join(" / "),
                if r.contradictory() { " (contradictory)" } else { "" }
            );
        }
        o.push('\n');
    }
    let _ = writeln!(o, "Campaigns: {}.\n", s.campaigns.join(", "));
    let _ = writeln!(
        o,
        "Generated by `lab stability{}` from the ledger.\n",
        if rejudged { " --rejudge" } else { "" }
    );
    let header =
        "| experiment | verdicts | effects | overlap | \\|z\\| > 1.96 | where | busy |\n|---|---|---|---|---|---|---|";
    let _ = writeln!(o, "## Headlines\n\n{header}");
    for r in s.rows.iter().filter(|r| r.headline) {
        row(&mut o, r);
    }
    let _ = writeln!(o, "\n## Contradictory comparisons\n");
    let contra = s.contradictory();
    if contra.is_empty() {
        let _ = writeln!(o, "None.");
    } else {
        let _ = writeln!(o, "{header}");
        for r in contra {
            row(&mut o, r);
        }
    }
    let _ = writeln!(o, "\n## Comparisons worded differently, consistent\n\n{header}");
    for r in s.rows.iter().filter(|r| !r.agrees() && !r.contradictory()) {
        row(&mut o, r);
    }
    o
}

fn row(o: &mut String, r: &Row) {
    let verdicts: Vec<String> = r.verdicts.iter().map(|v| v.label()).collect();
    let effects: Vec<String> = r.effects.iter().map(interval_text).collect();
    let (z, pairs) = r.z_pairs();
    let _ = writeln!(
        o,
        "| {} · {} · {} | {} | {} | {}/{} | {}/{} | {} | {} |",
        r.experiment,
        r.case,
        r.comparison,
        if r.agrees() {
            format!("{} ×{}", verdicts[0], verdicts.len())
        } else {
            verdicts.join(" / ")
        },
        effects.join("; "),
        r.overlapping_pairs,
        r.pairs,
        z,
        pairs,
        r.reach().label(),
        r.busy
    );
}

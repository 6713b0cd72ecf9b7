//! `lab show ID`: what the ledger says of one experiment, read only — the
//! page's facts on a terminal, without rendering or writing anything.

use super::{Outcome, EXIT_USAGE};
use crate::registry;
use crate::workspace::Workspace;
use harness::ledger::{self, Campaign};
use harness::report::markdown::{agreement_text, interval_text};
use std::fmt::Write;
use std::process::ExitCode;

/// Prints experiment `id`'s newest entry (the one its report page shows).
pub fn run(ws: &Workspace, id: &str) -> Outcome {
    let Some(exp) = registry::find(id) else {
        let ids: Vec<&str> = registry::ALL.iter().map(|e| e.id).collect();
        eprintln!("error: no experiment {id:?} (known: {})", ids.join(", "));
        return Ok(ExitCode::from(EXIT_USAGE));
    };
    let campaigns = ledger::load_all(&ws.ledger_dir())?;
    let chosen = harness::report::select(&campaigns);
    let Some((e, c)) = chosen.iter().rev().find(|(e, _)| e.spec.id == exp.id) else {
        println!("{}: not recorded yet (run `lab run --only {}`)", exp.id, exp.id);
        return Ok(ExitCode::SUCCESS);
    };
    print!("{}", text(e, c, &campaigns));
    Ok(ExitCode::SUCCESS)
}

/// The text `lab show` prints for an entry of campaign `c`.
pub fn text(e: &ledger::Entry, c: &Campaign, all: &[Campaign]) -> String {
    let same = harness::stability::replicated_campaigns(all, Some(&c.environment.git_commit), 3);
    let agreement = same
        .iter()
        .any(|x| x.id == c.id)
        .then(|| harness::stability::headline_agreement(&same, &e.spec.id, e.verdict));
    let mut s = String::new();
    let _ = writeln!(s, "{} — {}", e.spec.id, e.spec.title);
    let _ = writeln!(s, "claim: {} ({})", e.spec.claim.text, e.spec.source);
    let _ = writeln!(
        s,
        "verdict: {} ({}); campaign {} of commit {} on machine {}",
        e.verdict.label(),
        agreement_text(agreement),
        c.id,
        c.environment.git_commit,
        ledger::machine_of(c)
    );
    for case in &e.cases {
        let _ = writeln!(s, "  {}", case.label);
        for k in &case.comparisons {
            let _ = writeln!(
                s,
                "    {} vs {}: {} — {}",
                k.b,
                k.a,
                interval_text(&k.effect),
                k.verdict.label()
            );
        }
    }
    if let Some(x) = &e.spec.explanation {
        let stale = if x.written_for == e.verdict {
            String::new()
        } else {
            format!(" (written for “{}”, not this verdict)", x.written_for.label())
        };
        let _ = writeln!(s, "why{stale}: {}", x.why);
    }
    let _ = writeln!(s, "page: reports/{}.md", e.spec.id);
    s
}

/// `lab history ID[/CASE]`: the headline (or that case's first comparison)
/// in every full campaign of the ledger, oldest first, and the change
/// points found in it. Reads only.
pub fn history(ws: &Workspace, which: &str) -> Outcome {
    let (id, case) = match which.split_once('/') {
        Some((id, case)) => (id, Some(case)),
        None => (which, None),
    };
    if registry::find(id).is_none() {
        eprintln!("error: no experiment {id:?} (give ID or ID/CASE LABEL, e.g. H14 or \"H14/model.safetensors (86.7 MiB), warm, wall time\")");
        return Ok(ExitCode::from(EXIT_USAGE));
    }
    let campaigns = ledger::load_all(&ws.ledger_dir())?;
    let points = harness::history::series(&campaigns, id, case);
    print!("{}", history_text(&points, &harness::history::change_points(&points)));
    Ok(ExitCode::SUCCESS)
}

/// The text `lab history` prints.
pub fn history_text(points: &[harness::history::Point], steps: &[harness::history::ChangePoint]) -> String {
    let mut s = String::new();
    if points.is_empty() {
        let _ = writeln!(s, "no full campaign recorded it");
        return s;
    }
    let _ = writeln!(s, "{} — {}", points[0].comparison, points[points.len() - 1].case);
    for (i, p) in points.iter().enumerate() {
        if let Some(c) = steps.iter().find(|c| c.index == i) {
            let _ = writeln!(
                s,
                "  ---- change point: {}× → {}× (p = {:.3}) ----",
                harness::human::ratio(c.before),
                harness::human::ratio(c.after),
                c.p
            );
        }
        let _ = writeln!(
            s,
            "  {}  {}  {}  {} — {}",
            p.campaign,
            p.commit.chars().take(10).collect::<String>(),
            p.machine,
            interval_text(&p.effect),
            p.verdict.label()
        );
    }
    let _ = writeln!(
        s,
        "{} campaigns, {} change point{}",
        points.len(),
        steps.len(),
        if steps.len() == 1 { "" } else { "s" }
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use harness::history::Point;
    use harness::stats::bootstrap::Effect;
    use harness::Verdict;

    #[test]
    fn history_marks_the_step_before_the_first_campaign_after_it() {
        let points: Vec<Point> = [0.8, 0.81, 0.79, 0.8, 0.6, 0.61, 0.59, 0.6]
            .iter()
            .enumerate()
            .map(|(i, r)| Point {
                campaign: format!("camp{i}"),
                commit: format!("commit{i}"),
                machine: "m".into(),
                case: "k".into(),
                comparison: "B vs A".into(),
                effect: Effect {
                    ratio: *r,
                    lo: r * 0.99,
                    hi: r * 1.01,
                    rounds: 9,
                },
                verdict: Verdict::Confirmed,
            })
            .collect();
        let steps = harness::history::change_points(&points);
        let text = history_text(&points, &steps);
        let lines: Vec<&str> = text.lines().collect();
        let at = lines.iter().position(|l| l.contains("change point")).expect(&text);
        assert!(
            lines[at + 1].contains("camp4") && lines[at + 1].contains("commit4"),
            "{text}"
        );
        assert!(text.ends_with("8 campaigns, 1 change point\n"), "{text}");
    }
}

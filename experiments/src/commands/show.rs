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

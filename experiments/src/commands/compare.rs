//! `lab compare OLD NEW` (change lines between two campaigns, like
//! criterion's) and `lab csv CAMPAIGN` (a campaign as CSV).

use super::Outcome;
use crate::workspace::Workspace;
use harness::ledger::{self, Campaign};
use harness::report::compare;
use std::path::Path;
use std::process::ExitCode;

/// A campaign by id (in this workspace's ledger) or by ledger file path.
pub fn find(ws: &Workspace, which: &str) -> Result<Campaign, super::Error> {
    let p = Path::new(which);
    if p.is_file() {
        return Ok(ledger::load(p)?);
    }
    ledger::load(&ledger::campaign_path(&ws.ledger_dir(), which))
        .map_err(|_| format!("no campaign {which:?} (an id in reports/ledger/ or a ledger file)").into())
}

/// Prints the change lines; with `markdown`, also writes them there.
pub fn run(ws: &Workspace, old: &str, new: &str, markdown: Option<&Path>) -> Outcome {
    let (o, n) = (find(ws, old)?, find(ws, new)?);
    let margin = n.calibration.noise_floor;
    let c = compare::compare(&o, &n, margin);
    print!("{}", c.terminal());
    if let Some(p) = markdown {
        ledger::write_atomic(p, c.markdown().as_bytes())?;
        println!("wrote {}", p.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes (or prints) a campaign as CSV.
pub fn csv(ws: &Workspace, which: &str, out: Option<&Path>) -> Outcome {
    let c = find(ws, which)?;
    let text = compare::csv(&c);
    match out {
        Some(p) => {
            ledger::write_atomic(p, text.as_bytes())?;
            println!("wrote {}", p.display());
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

//! `lab fixtures`: fetch, derive and verify the manifest's fixtures.

use super::{bar, say, Outcome, EXIT_FAILED, EXIT_USAGE};
use crate::workspace::Workspace;
use fixtures::Status;
use std::process::ExitCode;

/// What `ensure_all` made ready and what it could not.
pub struct Summary {
    /// Fixtures ready.
    pub ready: usize,
    /// `(name, why)` of those missing.
    pub missing: Vec<(String, String)>,
}

/// Makes every fixture (with `tag`, if given) ready, one line per fixture
/// in a log (`quiet`: only the missing ones and the summary).
pub fn ensure_all(ws: &Workspace, tag: Option<&str>, quiet: bool) -> Result<Summary, super::Error> {
    let store = ws.store()?;
    let chosen: Vec<_> = store
        .manifest
        .fixtures
        .iter()
        .filter(|f| tag.is_none_or(|t| f.has_tag(t)))
        .collect();
    if chosen.is_empty() {
        return Err(format!("no fixture has the tag {:?}", tag.unwrap_or("")).into());
    }
    let total: u64 = chosen.iter().map(|f| f.bytes).sum();
    let bar = bar(
        total,
        "{spinner} fixtures [{bar:30}] {bytes}/{total_bytes} ({eta}) {msg}",
    )?;
    let mut missing = Vec::new();
    let mut ready = 0;
    for (i, f) in chosen.iter().enumerate() {
        bar.set_message(f.name.clone());
        match store.ensure(&f.name) {
            Status::Ready(p) => {
                ready += 1;
                if !quiet {
                    say(&bar, format!("ok      {:>12}  {}  ({})", f.bytes, f.name, p.display()));
                }
            }
            Status::Missing(why) => {
                say(&bar, format!("MISSING {:>12}  {}: {why}", f.bytes, f.name));
                missing.push((f.name.clone(), why));
            }
        }
        if quiet && bar.is_hidden() && (i + 1) % 16 == 0 {
            println!("fixtures: {}/{} checked", i + 1, chosen.len());
        }
        bar.inc(f.bytes);
    }
    bar.finish_and_clear();
    println!(
        "fixtures: {ready} ready, {} missing, {} chosen; cache {}",
        missing.len(),
        chosen.len(),
        store.cache.display()
    );
    for (name, why) in &missing {
        println!("  skipped {name}: {why}");
    }
    Ok(Summary { ready, missing })
}

/// `lab fixtures`: exit 0 when every fixture is ready — or, outside CI,
/// when the missing ones are listed with their reasons (offline use); exit 1
/// under `CI=true` with any fixture missing; exit 2 for an unknown tag.
pub fn run(ws: &Workspace, tag: Option<&str>, quiet: bool) -> Outcome {
    let s = match ensure_all(ws, tag, quiet) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(EXIT_USAGE));
        }
    };
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    if ci && !s.missing.is_empty() {
        eprintln!("error: {} fixtures missing under CI", s.missing.len());
        return Ok(ExitCode::from(EXIT_FAILED));
    }
    Ok(ExitCode::SUCCESS)
}

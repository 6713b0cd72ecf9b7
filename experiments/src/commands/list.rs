//! `lab list`: the experiments (and, with `--cases`, their cases).

use super::Outcome;
use crate::workspace::Workspace;
use crate::{registry, Ctx};
use harness::protocol::Tier;
use std::process::ExitCode;

/// Lists every experiment from its declaration alone; building the cases
/// (which opens fixtures) only with `cases`.
pub fn run(ws: &Workspace, tier: Tier, cases: bool) -> Outcome {
    let ctx = if cases {
        Some(Ctx {
            evidence: false,
            ..Ctx::new(ws.store()?, tier)
        })
    } else {
        None
    };
    for exp in registry::ALL {
        let spec = exp.spec();
        println!(
            "{} — {} [{}]: {}",
            exp.id,
            spec.title,
            spec.metric.name(),
            spec.claim.text
        );
        if let Some(ctx) = &ctx {
            let built = (exp.build)(ctx);
            for c in &built.cases {
                let names: Vec<&str> = c.variants.iter().map(|v| v.name.as_str()).collect();
                println!("    {}  ({})", c.label, names.join(" | "));
            }
            for s in &built.skipped {
                println!("    skipped: {s}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

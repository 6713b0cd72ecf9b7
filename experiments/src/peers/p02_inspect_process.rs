//! P02 — `loader inspect` as a whole process against a candle-core CLI.

use super::{run, sibling};
use crate::context::{digest, Skip};
use crate::registry::Built;
use crate::Ctx;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Metric, Outcome};
use std::process::Command;

/// "N tensors, M metadata keys" from the first line of either listing.
fn counts(out: &str) -> Result<u64, String> {
    let first = out.lines().next().unwrap_or("");
    let num_before = |word: &str| -> Option<u64> {
        let i = first.find(word)?;
        first[..i].split_whitespace().last()?.trim_matches(',').parse().ok()
    };
    match (num_before(" tensors"), num_before(" metadata keys")) {
        (Some(t), Some(m)) => Ok(digest(format!("{t} {m}").as_bytes())),
        _ => Err(format!("no counts in {first:?}")),
    }
}

fn case(ctx: &Ctx, name: &str) -> Result<Case<'static>, Skip> {
    let path = ctx.need(name)?;
    let candle = sibling(
        "candle-inspect",
        "`cargo build --release -p experiments --features peers`",
    )?;
    let loader_bin = sibling("loader", "`cargo build --release -p loadlab-cli`")?;
    let (pa, pb) = (path.clone(), path.clone());
    Ok(Case::new(
        format!("{name}, warm, whole process"),
        Metric::WallTime,
        CacheMode::Warm,
    )
    .files([path])
    .variant("A candle-core CLI", move || {
        Ok(Outcome::checksum(counts(&run(Command::new(&candle).arg(&pa))?)?))
    })
    .variant("B loader inspect", move || {
        Ok(Outcome::checksum(counts(&run(Command::new(&loader_bin)
            .arg("inspect")
            .arg(&pb))?)?))
    })
    .compare("A candle-core CLI", "B loader inspect", Expect::AtMost(0.5)))
}

/// P02's cases for this run and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(case(ctx, "gemma-3-270m-q4_k_m.gguf"));
    b
}

//! P02 — `loader inspect` as a whole process against a candle-core CLI.

use super::{run, sibling};
use crate::context::digest;
use crate::registry::Built;
use crate::Ctx;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Claim, Explanation, Metric, Outcome, Spec, Verdict};
use std::process::Command;

/// P02's declaration.
pub fn spec() -> Spec {
    Spec {
        id: "P02".into(),
        title: "GGUF inspect as a whole process: candle-core CLI vs `loader inspect`".into(),
        hypothesis: "What a user waits for at the shell: start a process, list a GGUF file's metadata and tensors, exit. A is `candle-inspect` (this repository's candle-core based command, `--features peers`: `Content::read` over a `BufReader`, then the same listing); B is `loader inspect` (mmap backend). Both must report the same tensor and metadata-key counts.".into(),
        source: "issue “performance”: `loader inspect` took 96–98 ms and 45 MiB against 62–78 ms and 34 MiB for a candle-based CLI".into(),
        claim: Claim::ratio("`loader inspect` finishes in at most half the time of the candle CLI (B/A ≤ 0.5)", 0.5),
        fixtures: vec!["gemma-3-270m-q4_k_m.gguf".into()],
        metric: Metric::WallTime,
        explanation: Some(Explanation {
            written_for: Verdict::TargetMet,
            why: r#"A process that inspects Gemma-3 and prints the listing takes 30.9 ms with `loader inspect` against 69.9 ms with the candle-based CLI, the in-process difference (P01: about 47 ms) less what both pay alike — process start-up, mapping the libraries, printing. Both print a comparable listing (every metadata key with a shortened value, every tensor with its type, shape and offset) and report the same counts."#.into(),
            disposition: r#"Nothing to change."#.into(),
            reattempt: r#"A start-up profile of both binaries, if the in-process gap closes and start-up becomes the difference."#.into(),
        }),
    }
}

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

fn case(ctx: &Ctx, name: &str) -> Result<Case<'static>, String> {
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

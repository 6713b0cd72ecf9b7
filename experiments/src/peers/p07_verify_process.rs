//! P07 — SHA-256 of a file as a whole process: `openssl dgst`, `sha256sum`
//! and `loader verify`.

use super::{hex64, run, sibling};
use crate::context::Skip;
use crate::registry::Built;
use crate::Ctx;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Metric, Outcome};
use std::process::Command;

fn case(ctx: &Ctx, name: &str) -> Result<Case<'static>, Skip> {
    let path = ctx.need(name)?;
    let want = loader::verify::sha256_file(&path)?;
    let loader_bin = sibling("loader", "`cargo build --release -p loadlab-cli`")?;
    let printed = move |out: String, want: &str| -> harness::experiment::VariantResult {
        // `SHA2-256(FILE)= HEX` (openssl) or `HEX  FILE` (sha256sum).
        let hex = out
            .split_whitespace()
            .find(|w| w.len() == 64 && w.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| format!("no digest in {out:?}"))?;
        if hex != want {
            return Err(format!("digest {hex} is not the file's {want}").into());
        }
        Ok(Outcome::checksum(hex64(hex)?))
    };
    let (pa, pb, pc) = (path.clone(), path.clone(), path.clone());
    let (wa, wb, wc) = (want.clone(), want.clone(), want);
    Ok(Case::new(
        format!(
            "{name} ({}), warm, whole process",
            harness::report::svg::human(Ctx::size(&path) as f64)
        ),
        Metric::WallTime,
        CacheMode::Warm,
    )
    .files([path.clone()])
    .bytes(Ctx::size(&path))
    .variant("A openssl dgst -sha256", move || {
        printed(run(Command::new("openssl").args(["dgst", "-sha256"]).arg(&pa))?, &wa)
    })
    .variant("B sha256sum", move || {
        printed(run(Command::new("sha256sum").arg(&pb))?, &wb)
    })
    .variant("C loader verify", move || {
        run(Command::new(&loader_bin).arg("verify").arg(&pc).args(["--sha256", &wc]))?;
        Ok(Outcome::checksum(hex64(&wc)?))
    })
    .compare("A openssl dgst -sha256", "C loader verify", Expect::AtMost(1.0))
    .compare("B sha256sum", "C loader verify", Expect::AtMost(1.0)))
}

/// P07's cases for this run and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(case(ctx, "gemma-3-270m-q4_k_m.gguf"));
    b.case(case(ctx, "sweep-64m.safetensors"));
    b
}

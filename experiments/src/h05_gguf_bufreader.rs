//! H05 — GGUF inspect through a generic reader: raw `File` (A) against the
//! internal 64 KiB `BufReader` (B); and the buffered reader against mmap (C).

use crate::context::{inventory_digest, Ctx, Skip};
use crate::registry::Built;
use harness::experiment::VariantResult;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Metric, Outcome};
use loader::{Backend, Limits};

fn case(ctx: &Ctx, name: &'static str, cache: CacheMode) -> Result<Case<'static>, Skip> {
    let path = ctx.need(name)?;
    let label = format!("{name} ({} tokens)", crate::context::vocab_size(&path));
    let reader = move |p: &std::path::Path, buffered: bool| -> VariantResult {
        let f = std::fs::File::open(p)?;
        let inv = loader::inspect_reader(f, name, &Limits::default(), buffered)?;
        Ok(Outcome::checksum(inventory_digest(&inv)))
    };
    let l2 = Limits::default();
    let (pa, pb, pc) = (path.clone(), path.clone(), path.clone());
    Ok(Case::new(
        format!("{label}, {}", crate::context::cache_word(cache)),
        Metric::WallTime,
        cache,
    )
    .files([path])
    .variant("A raw File", move || reader(&pa, false))
    .variant("B BufReader 64 KiB", move || reader(&pb, true))
    .variant("C mmap", move || {
        let inv = loader::inspect_path(&pc, Backend::Mmap, &l2)?;
        Ok(Outcome::checksum(inventory_digest(&inv)))
    })
    .compare("A raw File", "B BufReader 64 KiB", Expect::Ratio(1.0 / 52.0))
    .compare("B BufReader 64 KiB", "C mmap", Expect::NoEffect))
}

/// H05's cases for this run (`ctx.quick()`: the CI-sized ones) and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(case(ctx, "gemma-3-270m-q4_k_m.gguf", CacheMode::Warm));
    b.case(case(ctx, "SmolLM2-135M-Instruct.Q4_1.gguf", CacheMode::Warm));
    if !ctx.quick() {
        b.case(case(ctx, "ggml-vocab-falcon.gguf", CacheMode::Warm));
        b.case(case(ctx, "ggml-vocab-llama-spm.gguf", CacheMode::Warm));
        b.case(case(ctx, "gemma-3-270m-q4_k_m.gguf", CacheMode::Cold));
        b.case(case(ctx, "SmolLM2-135M-Instruct.Q4_1.gguf", CacheMode::Cold));
    }
    b
}

//! H19 — a 64 MB threshold picks mmap above and read below as the faster
//! strategy: read (A) against mmap (B) from 64 KiB to 1 GiB.

use crate::context::{model_digest, Ctx, Skip};
use crate::registry::Built;
use harness::experiment::VariantResult;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Metric, Outcome};
use loader::load::threshold::PROPOSED_THRESHOLD_BYTES;
use loader::{Backend, Limits, Model};

/// The size sweep (real weights tiled), smallest first.
pub const SWEEP: &[&str] = &[
    "sweep-64k.safetensors",
    "sweep-1m.safetensors",
    "sweep-16m.safetensors",
    "sweep-64m.safetensors",
    "sweep-256m.safetensors",
    "sweep-1g.safetensors",
];

fn case(ctx: &Ctx, name: &str, cache: CacheMode) -> Result<Case<'static>, Skip> {
    let path = ctx.need(name)?;
    let size = Ctx::size(&path);
    let run = move |p: &std::path::Path, b: Backend| -> VariantResult {
        let m = Model::open(p, b, &Limits::default())?;
        // Every byte is read: what a consumer of the weights pays.
        Ok(Outcome::checksum(model_digest(&m)))
    };
    let (p1, p2) = (path.clone(), path.clone());
    let expect = if size >= PROPOSED_THRESHOLD_BYTES {
        Expect::Ratio(0.95)
    } else {
        Expect::Ratio(1.05)
    };
    Ok(Case::new(
        format!(
            "{} ({}), {}",
            harness::report::svg::human(size as f64),
            if size >= PROPOSED_THRESHOLD_BYTES {
                "above 64 MB"
            } else {
                "below 64 MB"
            },
            crate::context::cache_word(cache)
        ),
        Metric::WallTime,
        cache,
    )
    .files([path])
    .bytes(size)
    .x(size as f64)
    .variant("A read", move || run(&p1, Backend::WholeRead))
    .variant("B mmap", move || run(&p2, Backend::Mmap))
    .compare("A read", "B mmap", expect))
}

/// H19's cases for this run (`ctx.quick()`: the CI-sized ones) and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    let sizes: &[&str] = if ctx.quick() { &SWEEP[..3] } else { SWEEP };
    // Headline: the largest size run.
    for s in sizes.iter().rev() {
        b.case(case(ctx, s, CacheMode::Warm));
    }
    if !ctx.quick() {
        for s in sizes.iter().rev() {
            b.case(case(ctx, s, CacheMode::Cold));
        }
    }
    b
}

//! H04 — safetensors parse: read the whole file (A) against mapping it (B),
//! parse alone and parse + inspect, across file sizes.

use crate::context::{inventory_digest, Ctx, Skip};
use crate::registry::Built;
use harness::experiment::VariantResult;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Metric, Outcome};
use loader::{Backend, Limits, Model};

fn case(ctx: &Ctx, name: &str, cache: CacheMode, inspect: bool, headline: bool) -> Result<Case<'static>, Skip> {
    let path = ctx.need(name)?;
    let size = Ctx::size(&path);
    let (pa, pb) = (path.clone(), path.clone());
    let run = move |p: &std::path::Path, b: Backend| -> VariantResult {
        let m = Model::open(p, b, &Limits::default())?;
        // The whole inventory (names, dtypes, shapes, ranges) in both modes.
        Ok(Outcome::checksum(inventory_digest(m.inventory())))
    };
    let what = if inspect { "parse + inspect" } else { "parse" };
    let mut c = Case::new(
        format!(
            "{} {what}, {}",
            harness::report::svg::human(size as f64),
            crate::context::cache_word(cache)
        ),
        Metric::WallTime,
        cache,
    )
    .files([path])
    .x(size as f64)
    .variant("A fs::read", move || run(&pa, Backend::WholeRead))
    .variant("B mmap", move || run(&pb, Backend::Mmap));
    if !headline {
        c = c.compare("A fs::read", "B mmap", Expect::Unclaimed);
    }
    Ok(c)
}

/// H04's cases for this run (`ctx.quick()`: the CI-sized ones) and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(case(ctx, "sweep-1g.safetensors", CacheMode::Warm, false, true));
    let sizes: &[&str] = if ctx.quick() {
        &["sweep-1m.safetensors", "sweep-16m.safetensors"]
    } else {
        super::h19_mmap_threshold::SWEEP
    };
    for s in sizes.iter().filter(|s| **s != "sweep-1g.safetensors") {
        b.case(case(ctx, s, CacheMode::Warm, false, false));
    }
    if !ctx.quick() {
        for s in sizes {
            b.case(case(ctx, s, CacheMode::Warm, true, false));
            b.case(case(ctx, s, CacheMode::Cold, false, false));
        }
    }
    b
}

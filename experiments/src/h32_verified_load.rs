//! H32 — a verified load in one pass (the bytes hashed as they are read,
//! the model parsed from them) against verifying the file and then loading
//! it, beside the bare load with no verification.

use crate::context::{model_digest, Ctx, Skip};
use crate::registry::Built;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Metric, Outcome};
use loader::{Backend, Limits, Model};

fn case(ctx: &Ctx, name: &str, cache: CacheMode) -> Result<Case<'static>, Skip> {
    let path = ctx.need(name)?;
    let size = Ctx::size(&path);
    // The digest a publisher would give, computed once before any trial.
    let want = loader::verify::sha256_file(&path)?;
    let (pa, wa) = (path.clone(), want.clone());
    let (pb, wb) = (path.clone(), want);
    let pc = path.clone();
    Ok(Case::new(
        format!(
            "{name} ({}), {}",
            harness::report::svg::human(size as f64),
            crate::context::cache_word(cache)
        ),
        Metric::WallTime,
        cache,
    )
    .files([path])
    .bytes(size)
    .variant("A verify, then load", move || {
        loader::verify::verify_sha256(&pa, &wa)?;
        let m = Model::open(&pa, Backend::WholeRead, &Limits::default())?;
        Ok(Outcome::output(move || model_digest(&m)))
    })
    .variant("B verified load in one pass", move || {
        let m = Model::open_verified(&pb, &wb, &Limits::default())?;
        Ok(Outcome::output(move || model_digest(&m)))
    })
    .variant("C load, not verified", move || {
        let m = Model::open(&pc, Backend::WholeRead, &Limits::default())?;
        Ok(Outcome::output(move || model_digest(&m)))
    })
    .compare("A verify, then load", "B verified load in one pass", Expect::Ratio(0.6))
    // What verifying costs when done this way: at most 1.1× the bare load.
    .compare(
        "C load, not verified",
        "B verified load in one pass",
        Expect::AtMost(1.1),
    ))
}

/// H32's cases for this run and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(case(ctx, "model.safetensors", CacheMode::Cold));
    if !ctx.quick() {
        b.case(case(ctx, "model.safetensors", CacheMode::Warm));
        b.case(case(ctx, "gemma-3-270m-q4_k_m.gguf", CacheMode::Cold));
        b.case(case(ctx, "sweep-256m.safetensors", CacheMode::Cold));
    }
    b
}

//! H36 — which backend loads a whole model fastest, cold, on each storage,
//! and whether `Backend::Auto` chooses it: every tensor loaded with the
//! mapping, the reader and the whole read, and with `Auto`.

use crate::context::{tensors_digest, Ctx, Skip};
use crate::registry::Built;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Metric, Outcome};
use loader::{Backend, Limits, Model};
use std::path::Path;

/// The names of the variants, in the order they are added.
pub const MMAP: &str = "A mmap";
/// See [`MMAP`].
pub const READER: &str = "B reader";
/// See [`MMAP`].
pub const WHOLE: &str = "C whole read";
/// See [`MMAP`].
pub const AUTO: &str = "D auto";

/// Loading every tensor of `path` (shown as `name`) with each backend and
/// with `Auto`; `Auto` is claimed within 1.1× of each, and so is the
/// reader (the rule's re-attempt: the reader for every whole load). `lab
/// advise` adds its own variants to this case.
pub fn case(path: &Path, name: &str, cache: CacheMode) -> Case<'static> {
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    let load = |backend: Backend| {
        let p = path.to_path_buf();
        move || -> harness::experiment::VariantResult {
            let m = Model::open(&p, backend, &Limits::default())?;
            let ts = loader::load::load_all(&m, &loader::load::LoadOptions::default())?;
            Ok(Outcome::output(move || tensors_digest(&ts)))
        }
    };
    Case::new(
        format!(
            "{name} ({}), {}, every tensor loaded",
            harness::report::svg::human(size as f64),
            crate::context::cache_word(cache)
        ),
        Metric::WallTime,
        cache,
    )
    .files([path.to_path_buf()])
    .bytes(size)
    .variant(MMAP, load(Backend::Mmap))
    .variant(READER, load(Backend::READER))
    .variant(WHOLE, load(Backend::WholeRead))
    .variant(AUTO, load(Backend::Auto))
    .compare(MMAP, AUTO, Expect::AtMost(1.1))
    .compare(READER, AUTO, Expect::AtMost(1.1))
    .compare(WHOLE, AUTO, Expect::AtMost(1.1))
    .compare(MMAP, READER, Expect::AtMost(1.1))
    .compare(WHOLE, READER, Expect::AtMost(1.1))
}

fn fixture_case(ctx: &Ctx, name: &str, cache: CacheMode) -> Result<Case<'static>, Skip> {
    Ok(case(&ctx.need(name)?, name, cache))
}

/// H36's cases for this run and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(fixture_case(ctx, "model.safetensors", CacheMode::Cold));
    if !ctx.quick() {
        b.case(fixture_case(ctx, "gemma-3-270m-q4_k_m.gguf", CacheMode::Cold));
        b.case(fixture_case(ctx, "minilm.npz", CacheMode::Cold));
        b.case(fixture_case(ctx, "model.safetensors", CacheMode::Warm));
    }
    b
}

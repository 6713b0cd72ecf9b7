//! H01 — NPZ array read: zeroed buffer + one `read_exact` (A) against
//! reading straight into uninitialized capacity (B, a real memset
//! elision), beside `Vec::with_capacity` + `take(n).read_to_end` (C, which
//! the first campaigns measured as "B" although std zero-fills it).

use crate::context::{digest, mix, Ctx, Skip};
use crate::registry::Built;
use harness::experiment::VariantResult;
use harness::{CacheMode, Case, Metric, Outcome};
use loader::{Backend, Limits, Model, ReadStrategy};

fn case(ctx: &Ctx, cache: CacheMode) -> Result<Case<'static>, Skip> {
    let path = ctx.need("minilm.npz")?;
    let open = |how| {
        Model::open(&path, Backend::Reader { buffered: true }, &Limits::default()).map(|m| m.with_read_strategy(how))
    };
    let a = open(ReadStrategy::ZeroedReadExact)?;
    let b = open(ReadStrategy::UninitPread)?;
    let c = open(ReadStrategy::CapacityReadToEnd)?;
    let bytes = a.inventory().data_bytes();
    // Every array is read into its own buffer; all are digested after the clock.
    let run = |m: &Model| -> VariantResult {
        let mut arrays = Vec::with_capacity(m.inventory().tensors.len());
        for t in &m.inventory().tensors {
            arrays.push(m.raw_bytes_of(t)?.into_owned());
        }
        Ok(Outcome::output(move || arrays.iter().fold(0, |h, a| mix(h, digest(a)))))
    };
    Ok(Case::new(
        format!("minilm.npz (90 MB, 104 arrays), {}", crate::context::cache_word(cache)),
        Metric::WallTime,
        cache,
    )
    .files([path.clone()])
    .bytes(bytes)
    .variant("A zeroed + read_exact", move || run(&a))
    .variant("B uninit + pread (no memset)", move || run(&b))
    .variant("C with_capacity + read_to_end", move || run(&c)))
}

/// H01's cases for this run (`ctx.quick()`: the CI-sized ones) and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(case(ctx, CacheMode::Warm));
    if !ctx.quick() {
        b.case(case(ctx, CacheMode::Cold));
    }
    b
}

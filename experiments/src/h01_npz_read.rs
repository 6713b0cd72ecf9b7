//! H01 — NPZ array read: zeroed buffer + one `read_exact` (A) against
//! reading straight into uninitialized capacity (B, a real memset
//! elision), beside `Vec::with_capacity` + `take(n).read_to_end` (C, which
//! the first campaigns measured as "B" although std zero-fills it).

use crate::context::{digest, mix, Ctx};
use crate::registry::Built;
use harness::experiment::VariantResult;
use harness::{CacheMode, Case, Claim, Explanation, Metric, Outcome, Spec, Verdict};
use loader::{Backend, Limits, Model, ReadStrategy};

/// H01's declaration: claim, source, fixtures, metric and explanation.
pub fn spec() -> Spec {
    Spec {
        id: "H01".into(),
        title: "NPZ array read: memset elision".into(),
        hypothesis: "Reading every array of an NPZ through the reader backend: A allocates `vec![0u8; n]` and fills it with one positioned `read_exact`; B allocates `Vec::with_capacity(n)` and fills the uninitialized capacity with positioned reads (`ReadStrategy::UninitPread`), so no byte is written twice; C is `take(n).read_to_end` into `Vec::with_capacity(n)` — what campaigns before 2026-11-26 measured as B, although std zero-fills each chunk of spare capacity before `read` (about 33.5 M instructions of `memset` per 32 MiB), so it added a memset rather than eliding one.".into(),
        source: "seeds/001, experiment 1 (an audit finding; that ledger measured B 33 % slower)".into(),
        claim: Claim::ratio("B saves ~30 % of the read time", 0.70),
        fixtures: vec!["minilm.npz".into()],
        metric: Metric::WallTime,
        explanation: Some(Explanation {
            written_for: Verdict::NoEffect,
            why: r#"Eliding the memset makes no measurable difference: B (positioned reads straight into uninitialized capacity) took 0.998–1.002× A's time warm in 3 of 3 replicated campaigns of 2026-11-26, every interval inside ±1 %, and cold 1.00–1.01× (2 of 3 "no effect", the third inconclusive while another process used the machine). There is no memset worth eliding: `vec![0u8; n]` of a large array is served by `calloc` with pages the kernel zeroes on first touch, which the read would fault in anyway. What the seed measured as "B" (here C: `take(n).read_to_end`) really is slower — 2 % warm, 22 % cold — because std zero-fills each chunk of spare capacity before `read` and issues several `pread`s per array where `read_exact` issues one."#.into(),
            disposition: r#"`ReadStrategy::ZeroedReadExact` stays the reader backend's default (no unsafe code for no gain); `UninitPread` is kept as the measured alternative. Both doc comments cite this entry."#.into(),
            reattempt: r#"Arrays small enough that calloc serves them from recycled (non-zero) heap memory, where a memset is real work, measured against A with this experiment."#.into(),
        }),
    }
}

fn case(ctx: &Ctx, cache: CacheMode) -> Result<Case<'static>, String> {
    let path = ctx.need("minilm.npz")?;
    let open = |how| {
        Model::open(&path, Backend::Reader { buffered: true }, &Limits::default()).map(|m| m.with_read_strategy(how))
    };
    let a = open(ReadStrategy::ZeroedReadExact).map_err(|e| e.to_string())?;
    let b = open(ReadStrategy::UninitPread).map_err(|e| e.to_string())?;
    let c = open(ReadStrategy::CapacityReadToEnd).map_err(|e| e.to_string())?;
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

/// H01's cases for this run (`ctx.quick`: the CI-sized ones) and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(case(ctx, CacheMode::Warm));
    if !ctx.quick {
        b.case(case(ctx, CacheMode::Cold));
    }
    b
}

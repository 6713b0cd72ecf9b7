//! H27 — large output buffers on ordinary 4 KiB pages (A) or advised onto
//! transparent huge pages before their first write (B).

use crate::context::{f32_digest, quantized_blocks, tensors_digest, Ctx};
use crate::registry::Built;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Claim, Explanation, Metric, Outcome, Spec, Verdict};
use loader::alloc::with_huge_pages;
use loader::{Backend, Limits, Model};

/// H27's declaration.
pub fn spec() -> Spec {
    Spec {
        id: "H27".into(),
        title: "Large outputs: 4 KiB pages vs transparent huge pages".into(),
        hypothesis: "Every loader path that returns a fresh buffer of at least 4 MiB (dequantized or converted tensors, owned tensor copies, positioned reads) gets it from the allocator as untouched pages, and pays one page fault per 4 KiB on the first write. A allocates as the allocator does; B advises the buffer onto transparent huge pages (`madvise(MADV_HUGEPAGE)`, `loader::alloc`) before the first write, so the kernel maps 2 MiB at a time (THP is in `madvise` mode on this machine, defrag `madvise`). Same code otherwise; the switch is process-wide and each variant sets it before its trial. Outputs are digested after the clock and must agree.".into(),
        source: "H25's first trials (2026-11-26): dequantizing MiniLM's Q4_0 embeddings into a reused buffer took 2.4 ms, into a fresh `Vec` 15 ms — the difference is first-touch page faults, which candle-core pays too".into(),
        claim: Claim::ratio("B takes at most half the time of A on outputs of tens of MiB", 0.5),
        fixtures: vec!["minilm-q4_0.gguf".into(), "gemma-3-270m-q4_k_m.gguf".into(), "model.safetensors".into()],
        metric: Metric::WallTime,
        explanation: Some(Explanation {
            written_for: Verdict::LargerThanClaimed,
            why: r#"A fresh 44.7 MiB buffer takes 11 446 minor page faults per dequantization with 4 KiB pages and 715 with huge pages (15.1 ms against 4.3 ms); for dequantization, where the decoding itself takes 2 ms, that is the whole story: B takes 0.28× the time of A (3.6× less). Whole-model loads gain less, 25–38 %, because only MiniLM's embedding matrices are above the 4 MiB floor and loads also pay for reading the file. The first replay also showed why advice needs a ceiling: on a 640 MiB output B was bimodal — 48 ms at best, 541 ms at the median against A's 225 ms — because THP's defrag mode here is `madvise`, so an advised fault compacts memory synchronously when 2 MiB pages run short, and 320 of them rarely come free. Above 64 MiB (`HUGE_MAX_BYTES`) the advice is no longer given, so that case now measures no difference by design."#.into(),
            disposition: r#"`loader::alloc` advises every fresh output buffer from 4 MiB to 64 MiB (dequantized and converted tensors, owned tensor copies, positioned reads), citing this entry; `LoadOptions::ordinary_pages` (or `alloc::with_huge_pages(false, …)` in the lab) turns it off."#.into(),
            reattempt: r#"A machine whose THP defrag is `defer` or `never`, or a measurement of compaction stalls at sizes between 64 MiB and 640 MiB, to move the ceiling."#.into(),
        }),
    }
}

fn with_pages<'a>(
    huge: bool,
    mut f: impl FnMut() -> harness::experiment::VariantResult + 'a,
) -> impl FnMut() -> harness::experiment::VariantResult + 'a {
    move || with_huge_pages(huge, &mut f)
}

fn dequant(ctx: &Ctx, file: &str, tensor: &str) -> Result<Case<'static>, String> {
    let q = quantized_blocks(ctx, file, tensor)?;
    let (ty, blocks, n) = (q.ty, q.blocks.clone(), q.elements());
    let n = n as u64;
    let run = |huge: bool| {
        let blocks = blocks.clone();
        with_pages(huge, move || {
            let v = loader::dequant::dequantize_f32(ty, &blocks)?;
            Ok(Outcome::output(move || f32_digest(&v)))
        })
    };
    Ok(Case::new(
        format!(
            "dequantize_f32, {} {tensor} of {file} ({} of F32)",
            ty.name(),
            harness::report::svg::human((n * 4) as f64)
        ),
        Metric::WallTime,
        CacheMode::Warm,
    )
    .bytes(n * 4)
    .variant("A 4 KiB pages", run(false))
    .variant("B huge pages", run(true))
    .compare("A 4 KiB pages", "B huge pages", Expect::Ratio(0.5)))
}

fn load(ctx: &Ctx, backend: Backend, target: Option<loader::convert::Target>) -> Result<Case<'static>, String> {
    let path = ctx.need("model.safetensors")?;
    let run = |huge: bool| {
        let p = path.clone();
        with_pages(huge, move || {
            let m = Model::open(&p, backend, &Limits::default())?;
            let ts = loader::load::load_all(
                &m,
                &loader::load::LoadOptions {
                    target,
                    ..Default::default()
                },
            )?;
            Ok(Outcome::output(move || tensors_digest(&ts)))
        })
    };
    Ok(Case::new(
        format!(
            "load_all of model.safetensors ({}), {} backend, {}, warm",
            harness::report::svg::human(Ctx::size(&path) as f64),
            backend.name(),
            target.map_or("own dtype".to_string(), |t| format!("to {}", t.dtype().name()))
        ),
        Metric::WallTime,
        CacheMode::Warm,
    )
    .files([path.clone()])
    .variant("A 4 KiB pages", run(false))
    .variant("B huge pages", run(true))
    .compare("A 4 KiB pages", "B huge pages", Expect::Ratio(0.5)))
}

/// H27's cases for this run (`ctx.quick`: the MiniLM ones).
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(dequant(ctx, "minilm-q4_0.gguf", "embeddings.word_embeddings.weight"));
    b.case(load(ctx, Backend::Mmap, None));
    if !ctx.quick {
        b.case(dequant(ctx, "gemma-3-270m-q4_k_m.gguf", "token_embd.weight"));
        b.case(load(ctx, Backend::Reader { buffered: true }, None));
        b.case(load(ctx, Backend::Mmap, Some(loader::convert::Target::F16)));
    }
    b
}

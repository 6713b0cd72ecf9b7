//! H27 — large output buffers on ordinary 4 KiB pages (A) or advised onto
//! transparent huge pages before their first write (B).

use crate::context::{f32_digest, quantized_blocks, tensors_digest, Ctx, Skip};
use crate::registry::Built;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Metric, Outcome};
use loader::alloc::with_huge_pages;
use loader::{Backend, Limits, Model};

fn with_pages<'a>(
    huge: bool,
    mut f: impl FnMut() -> harness::experiment::VariantResult + 'a,
) -> impl FnMut() -> harness::experiment::VariantResult + 'a {
    move || with_huge_pages(huge, &mut f)
}

fn dequant(ctx: &Ctx, file: &str, tensor: &str) -> Result<Case<'static>, Skip> {
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

fn load(ctx: &Ctx, backend: Backend, target: Option<loader::convert::Target>) -> Result<Case<'static>, Skip> {
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

/// H27's cases for this run (`ctx.quick()`: the MiniLM ones).
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(dequant(ctx, "minilm-q4_0.gguf", "embeddings.word_embeddings.weight"));
    b.case(load(ctx, Backend::Mmap, None));
    if !ctx.quick() {
        b.case(dequant(ctx, "gemma-3-270m-q4_k_m.gguf", "token_embd.weight"));
        b.case(load(ctx, Backend::Reader { buffered: true }, None));
        b.case(load(ctx, Backend::Mmap, Some(loader::convert::Target::F16)));
    }
    b
}

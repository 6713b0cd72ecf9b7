//! H28 — fresh output buffers filled page fault by page fault (A) or
//! populated writable in one `madvise(MADV_POPULATE_WRITE)` before their
//! first write (B).

use crate::context::{f32_digest, quantized_blocks, tensors_digest, Ctx, Skip};
use crate::registry::Built;
use harness::experiment::VariantResult;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Metric, Outcome};
use loader::alloc::with_prefault;
use loader::{Backend, Limits, Model};

const A: &str = "A faulted as written";
const B: &str = "B pre-faulted (MADV_POPULATE_WRITE)";

fn scoped<'a>(on: bool, mut f: impl FnMut() -> VariantResult + 'a) -> impl FnMut() -> VariantResult + 'a {
    move || with_prefault(on, &mut f)
}

fn dequant(ctx: &Ctx, file: &str, tensor: &str) -> Result<Case<'static>, Skip> {
    let q = quantized_blocks(ctx, file, tensor)?;
    let (ty, blocks, n) = (q.ty, q.blocks.clone(), q.elements() as u64);
    let run = |on: bool| {
        let blocks = blocks.clone();
        scoped(on, move || {
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
    .variant(A, run(false))
    .variant(B, run(true))
    .compare(A, B, Expect::Ratio(0.8)))
}

fn load(ctx: &Ctx, backend: Backend) -> Result<Case<'static>, Skip> {
    let path = ctx.need("model.safetensors")?;
    let run = |on: bool| {
        let p = path.clone();
        scoped(on, move || {
            let m = Model::open(&p, backend, &Limits::default())?;
            // One thread: the setting is the calling thread's.
            let ts = loader::load::load_all(
                &m,
                &loader::load::LoadOptions {
                    parallel: false,
                    ..Default::default()
                },
            )?;
            Ok(Outcome::output(move || tensors_digest(&ts)))
        })
    };
    Ok(Case::new(
        format!(
            "load_all of model.safetensors ({}), {} backend, one thread, warm",
            harness::report::svg::human(Ctx::size(&path) as f64),
            backend.name()
        ),
        Metric::WallTime,
        CacheMode::Warm,
    )
    .files([path.clone()])
    .bytes(Ctx::size(&path))
    .variant(A, run(false))
    .variant(B, run(true))
    .compare(A, B, Expect::Ratio(0.8)))
}

/// H28's cases for this run (`ctx.quick()`: the MiniLM ones).
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(load(ctx, Backend::Mmap));
    b.case(dequant(ctx, "minilm-q4_0.gguf", "embeddings.word_embeddings.weight"));
    if !ctx.quick() {
        b.case(dequant(ctx, "gemma-3-270m-q4_k_m.gguf", "token_embd.weight"));
        b.case(load(ctx, Backend::Reader { buffered: true }));
    }
    b
}

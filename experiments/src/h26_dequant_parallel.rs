//! H26 — GGUF dequant of one large tensor on one thread (A) or in runs of
//! whole blocks on rayon's pool (B).

use crate::context::{quantized_blocks, reused_f32_output, Ctx, Reused, Skip};
use crate::registry::Built;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Metric};
use std::sync::{Arc, Mutex};

fn case(ctx: &Ctx, file: &str, tensor: &str) -> Result<Case<'static>, Skip> {
    let q = quantized_blocks(ctx, file, tensor)?;
    let (ty, blocks, n) = (q.ty, q.blocks.clone(), q.elements());
    let variant = |parallel: bool| {
        let blocks = blocks.clone();
        let out: Reused<f32> = Arc::new(Mutex::new(vec![0f32; n]));
        move || -> harness::experiment::VariantResult {
            let mut o = out.lock().map_err(|_| "poisoned")?;
            if parallel {
                loader::dequant::dequantize_into_parallel(ty, &blocks, &mut o)?;
            } else {
                loader::dequant::dequantize_into(ty, &blocks, &mut o)?;
            }
            Ok(reused_f32_output(&out))
        }
    };
    Ok(Case::new(
        format!(
            "{} {tensor} of {file} ({} of F32)",
            ty.name(),
            harness::report::svg::human((n * 4) as f64)
        ),
        Metric::WallTime,
        CacheMode::Warm,
    )
    .bytes((n * 4) as u64)
    .variant("A one thread", variant(false))
    .variant("B two threads", variant(true))
    .compare("A one thread", "B two threads", Expect::Ratio(0.55)))
}

/// H26's cases for this run (`ctx.quick()`: the MiniLM Q4_0 embeddings).
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(case(ctx, "minilm-q4_0.gguf", "embeddings.word_embeddings.weight"));
    if !ctx.quick() {
        b.case(case(ctx, "minilm-q8_0.gguf", "embeddings.word_embeddings.weight"));
        b.case(case(ctx, "gemma-3-270m-q4_k_m.gguf", "token_embd.weight"));
    }
    b
}

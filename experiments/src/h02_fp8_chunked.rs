//! H02 — FP8 (E4M3) → BF16 per tensor: one zip loop into a zeroed buffer
//! (A) against chunked extend through a 2048-element stack scratch (B).

use crate::context::{digest, Ctx, Skip};
use crate::registry::Built;
use harness::{CacheMode, Case, Metric, Outcome};
use loader::convert::fp8::{fp8_to_bf16_scaled_with, Fp8Kind, Fp8Pattern};
use loader::{Backend, Limits, Model};

fn case(ctx: &Ctx, name: &str, tensor: &str) -> Result<Case<'static>, Skip> {
    let path = ctx.need(name)?;
    let m = Model::open(&path, Backend::Mmap, &Limits::default())?;
    let src = m.tensor_bytes(tensor)?.into_owned();
    let scale_name = format!("{tensor}_scale");
    let scale = m.tensor_f32(&scale_name)?[0];
    let n = src.len();
    let src_b = src.clone();
    Ok(Case::new(
        format!("{tensor} ({:.1} M elements)", n as f64 / 1e6),
        Metric::WallTime,
        CacheMode::Warm,
    )
    .bytes(n as u64)
    .x((n * 2) as f64)
    .variant("A zeroed zip", move || {
        let out = fp8_to_bf16_scaled_with(&src, Fp8Kind::E4M3FN, scale, Fp8Pattern::ZeroedZip);
        Ok(Outcome::output(move || digest(&out)))
    })
    .variant("B chunked extend", move || {
        let out = fp8_to_bf16_scaled_with(&src_b, Fp8Kind::E4M3FN, scale, Fp8Pattern::ChunkedExtend);
        Ok(Outcome::output(move || digest(&out)))
    }))
}

/// H02's cases for this run (`ctx.quick()`: the CI-sized ones) and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(case(ctx, "fp8-e4m3-4096x11008.safetensors", "ffn.weight"));
    b.case(case(
        ctx,
        "minilm-fp8-e4m3.safetensors",
        "embeddings.word_embeddings.weight",
    ));
    if !ctx.quick() {
        b.case(case(
            ctx,
            "minilm-fp8-e4m3.safetensors",
            "encoder.layer.0.intermediate.dense.weight",
        ));
    }
    b
}

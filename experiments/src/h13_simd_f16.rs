//! H13 — SIMD F32 → F16 (the `half` slice API, F16C) against scalar
//! per-element conversion.

use crate::context::{f16_digest, mix, reused_output, Ctx, Reused, Skip};
use crate::registry::Built;
use half::f16;
use harness::experiment::VariantResult;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Metric, Outcome};
use loader::convert::{self, scalar};
use loader::{Backend, DType, Limits, Model};

fn f32s(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn convert_only(ctx: &Ctx) -> Result<Case<'static>, Skip> {
    let m = Model::open(&ctx.need("model.safetensors")?, Backend::Mmap, &Limits::default())?;
    let mut all = Vec::new();
    for t in m.inventory().tensors.iter().filter(|t| t.dtype == DType::F32) {
        all.extend(f32s(&m.tensor_bytes_of(t)?));
    }
    let n = all.len();
    let src = std::rc::Rc::new(all);
    let (s1, s2) = (src.clone(), src);
    // Outputs reused across trials (the conversion alone is timed), every
    // value digested after the clock.
    let d1: Reused<f16> = std::sync::Arc::new(std::sync::Mutex::new(vec![f16::ZERO; n]));
    let d2: Reused<f16> = std::sync::Arc::new(std::sync::Mutex::new(vec![f16::ZERO; n]));
    Ok(Case::new(
        format!("conversion only: {:.1} M MiniLM weights", n as f64 / 1e6),
        Metric::WallTime,
        CacheMode::Warm,
    )
    .bytes((n * 4) as u64)
    .variant("A scalar per element", move || {
        scalar::f32_to_f16(&s1, &mut d1.lock().map_err(|_| "poisoned")?)?;
        Ok(reused_output(&d1, f16_digest))
    })
    .variant("B half slice (F16C)", move || {
        convert::f32_to_f16(&s2, &mut d2.lock().map_err(|_| "poisoned")?)?;
        Ok(reused_output(&d2, f16_digest))
    }))
}

fn whole_load(ctx: &Ctx) -> Result<Case<'static>, Skip> {
    let path = ctx.need("model.safetensors")?;
    let open = || Model::open(&path, Backend::Reader { buffered: true }, &Limits::default());
    let (m1, m2) = (open()?, open()?);
    let run = |m: &Model, simd: bool| -> VariantResult {
        let mut outs = Vec::new();
        for t in m.inventory().tensors.iter().filter(|t| t.dtype == DType::F32) {
            let src = f32s(&m.tensor_bytes_of(t)?);
            let mut d = vec![f16::ZERO; src.len()];
            if simd {
                convert::f32_to_f16(&src, &mut d)?;
            } else {
                scalar::f32_to_f16(&src, &mut d)?;
            }
            outs.push(d);
        }
        // Every tensor's every value, after the clock.
        Ok(Outcome::output(move || {
            outs.iter().fold(0, |h, d| mix(h, f16_digest(d)))
        }))
    };
    Ok(Case::new(
        "whole load: read (reader backend) + convert, MiniLM",
        Metric::WallTime,
        CacheMode::Warm,
    )
    .variant("A scalar per element", move || run(&m1, false))
    .variant("B half slice (F16C)", move || run(&m2, true))
    .compare("A scalar per element", "B half slice (F16C)", Expect::Ratio(0.75)))
}

/// H13's cases for this run (`ctx.quick()`: the CI-sized ones) and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(convert_only(ctx));
    b.case(whole_load(ctx));
    b
}

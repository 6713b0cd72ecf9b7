//! P08 — F32 → F16 conversion against the `half` crate's slice conversion,
//! the ceiling on this CPU (F16C).

use crate::context::{digest, Skip};
use crate::registry::Built;
use crate::Ctx;
use half::f16;
use half::slice::HalfFloatSliceExt;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Metric, Outcome};
use std::sync::{Arc, Mutex};

fn case(ctx: &Ctx) -> Result<Case<'static>, Skip> {
    let path = ctx.need("model.safetensors")?;
    let m = loader::Model::open(&path, loader::Backend::Mmap, &loader::Limits::default())?;
    let src: Vec<f32> = m.tensor_f32("embeddings.word_embeddings.weight")?;
    let n = src.len();
    let src2 = src.clone();
    // Outputs are reused across trials and digested after the clock.
    let shared = || Arc::new(Mutex::new(vec![f16::ZERO; n]));
    let (out_a, out_b) = (shared(), shared());
    let deferred = |out: &Arc<Mutex<Vec<f16>>>| {
        let out = out.clone();
        Outcome::output(move || {
            let Ok(v) = out.lock() else { return 0 };
            let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_bits().to_le_bytes()).collect();
            digest(&bytes)
        })
    };
    Ok(Case::new(
        format!(
            "word embeddings ({n} values, {} of F32), in memory",
            harness::report::svg::human((n * 4) as f64)
        ),
        Metric::WallTime,
        CacheMode::Warm,
    )
    .bytes((n * 4) as u64)
    .variant("A half convert_from_f32_slice", move || {
        out_a.lock().map_err(|_| "poisoned")?.convert_from_f32_slice(&src);
        Ok(deferred(&out_a))
    })
    .variant("B loadlab f32_to_f16", move || {
        loader::convert::f32_to_f16(&src2, &mut out_b.lock().map_err(|_| "poisoned")?)?;
        Ok(deferred(&out_b))
    })
    .compare(
        "A half convert_from_f32_slice",
        "B loadlab f32_to_f16",
        Expect::AtMost(1.0 / 0.95),
    ))
}

/// P08's cases for this run and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(case(ctx));
    b
}

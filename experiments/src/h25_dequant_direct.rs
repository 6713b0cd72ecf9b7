//! H25 — GGUF dequant to F32: decode each block into a stack buffer and
//! copy it out (A), or decode straight into the output (B).

use crate::context::{largest_quantized, quantized_blocks, reused_f32_output, Ctx, Reused, Skip, QUANTIZED_FILES};
use crate::registry::Built;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Metric};
use loader::dequant::{dequantize_into_with, supports, Path};
use loader::GgmlType;
use std::sync::{Arc, Mutex};

fn case(ctx: &Ctx, file: &str, tensor: &str) -> Result<Case<'static>, Skip> {
    let q = quantized_blocks(ctx, file, tensor)?;
    let (ty, blocks, n) = (q.ty, q.blocks.clone(), q.elements());
    let variant = |p: Path| {
        let blocks = blocks.clone();
        let out: Reused<f32> = Arc::new(Mutex::new(vec![0f32; n]));
        move || -> harness::experiment::VariantResult {
            dequantize_into_with(ty, &blocks, &mut out.lock().map_err(|_| "poisoned")?, p)?;
            Ok(reused_f32_output(&out))
        }
    };
    Ok(Case::new(
        format!(
            "{} {tensor} of {file} ({n} elements, {} of F32)",
            ty.name(),
            harness::report::svg::human((n * 4) as f64)
        ),
        Metric::WallTime,
        CacheMode::Warm,
    )
    .bytes((n * 4) as u64)
    .variant("A block copy", variant(Path::BlockCopy))
    .variant("B direct", variant(Path::Direct))
    .compare("A block copy", "B direct", Expect::Ratio(0.6)))
}

/// H25's cases for this run (`ctx.quick()`: Q8_0 and Q4_K only).
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    let all = largest_quantized(ctx, QUANTIZED_FILES, supports);
    if all.is_empty() {
        b.skipped
            .push("no quantized GGUF fixture is available (run `lab fixtures`)".into());
    }
    for (ty, file, tensor, _) in all {
        if ctx.quick() && !matches!(ty, GgmlType::Q4_0 | GgmlType::Q4_K) {
            continue;
        }
        b.case(case(ctx, &file, &tensor));
    }
    b
}

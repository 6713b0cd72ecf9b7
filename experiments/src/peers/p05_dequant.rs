//! P05 — GGUF dequantization to F32: candle-core against loadlab, for
//! every block type both support, on the largest real tensor of each.

use crate::registry::Built;
use crate::Ctx;

#[cfg(feature = "peers")]
mod linked {
    use super::*;
    use crate::context::Skip;
    use harness::stats::verdict::Expect;
    use harness::{CacheMode, Case, Metric, Outcome};
    use loader::GgmlType;

    fn candle_type(t: GgmlType) -> Option<candle_core::quantized::GgmlDType> {
        use candle_core::quantized::GgmlDType as C;
        Some(match t {
            GgmlType::Q4_0 => C::Q4_0,
            GgmlType::Q4_1 => C::Q4_1,
            GgmlType::Q5_0 => C::Q5_0,
            GgmlType::Q5_1 => C::Q5_1,
            GgmlType::Q8_0 => C::Q8_0,
            GgmlType::Q2_K => C::Q2K,
            GgmlType::Q3_K => C::Q3K,
            GgmlType::Q4_K => C::Q4K,
            GgmlType::Q5_K => C::Q5K,
            GgmlType::Q6_K => C::Q6K,
            _ => return None,
        })
    }

    /// For each block type candle knows, the largest tensor of it.
    pub fn largest(ctx: &Ctx) -> Vec<(GgmlType, String, String, u64)> {
        crate::context::largest_quantized(ctx, crate::context::QUANTIZED_FILES, |t| candle_type(t).is_some())
    }

    pub fn case(ctx: &Ctx, ty: GgmlType, file: &str, tensor: &str) -> Result<Case<'static>, Skip> {
        let q = crate::context::quantized_blocks(ctx, file, tensor)?;
        let blocks = q.blocks.clone();
        let n = q.elements() as u64;
        let mut dims: Vec<usize> = q.shape.iter().map(|&d| d as usize).collect();
        dims.reverse();
        let ct = candle_type(ty).ok_or("candle has no such type")?;
        let qt = candle_core::quantized::ggml_file::qtensor_from_ggml(ct, &blocks, dims, &candle_core::Device::Cpu)
            .map_err(|e| Skip::Other(format!("candle-core: {e}")))?;
        let b2 = blocks.clone();
        Ok(Case::new(
            format!(
                "{} {tensor} of {file} ({} elements, {} of F32)",
                ty.name(),
                n,
                harness::report::svg::human((n * 4) as f64)
            ),
            Metric::WallTime,
            CacheMode::Warm,
        )
        .bytes(n * 4)
        .variant("A candle-core", move || {
            let t = qt.dequantize(&candle_core::Device::Cpu)?;
            Ok(Outcome::output(move || {
                let v: Vec<f32> = t.flatten_all().and_then(|t| t.to_vec1()).unwrap_or_default();
                super::super::f32_digest(&v)
            }))
        })
        .variant("B loadlab", move || {
            let v = loader::dequant::dequantize_f32(ty, &b2)?;
            Ok(Outcome::output(move || super::super::f32_digest(&v)))
        })
        .compare("A candle-core", "B loadlab", Expect::AtMost(1.0 / 1.5)))
    }
}

/// P05's cases for this run and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    #[cfg(feature = "peers")]
    {
        let all = linked::largest(ctx);
        if all.is_empty() {
            b.skipped
                .push("no quantized GGUF fixture is available (run `lab fixtures`)".into());
        }
        for (ty, file, tensor, _) in all {
            b.case(linked::case(ctx, ty, &file, &tensor));
        }
    }
    #[cfg(not(feature = "peers"))]
    {
        let _ = ctx;
        b.skipped.push(super::NOT_LINKED.into());
    }
    b
}

//! P05 — GGUF dequantization to F32: candle-core against loadlab, for
//! every block type both support, on the largest real tensor of each.

use crate::registry::Built;
use crate::Ctx;
use harness::{Claim, Metric, Spec};

/// P05's declaration.
pub fn spec() -> Spec {
    Spec {
        id: "P05".into(),
        title: "GGUF dequant to F32: candle-core vs loadlab, per block type".into(),
        hypothesis: "Dequantizing one quantized tensor, already in memory, to F32 on one thread. A is candle-core's `QTensor::dequantize` (CPU; the tensor built with `qtensor_from_ggml` outside the timed region); B is loadlab's `dequant::dequantize_f32`. One case per block type that both implement, on the largest tensor of that type among the committed real GGUF files (Gemma-3, SmolLM2, MiniLM quantized by gguf-py). The two outputs are digested bit for bit after the clock and must agree.".into(),
        source: "issue “performance”: loadlab was 1.30× (Q6_K), 1.49× (Q5_0), 1.45× (Q4_K) and 1.14× (Q8_0) candle-core".into(),
        claim: Claim::ratio("loadlab dequantizes every type at least 1.5× faster than candle-core (B/A ≤ 0.667)", 1.0 / 1.5),
        fixtures: vec![
            "gemma-3-270m-q4_k_m.gguf".into(),
            "SmolLM2-135M-Instruct.Q4_1.gguf".into(),
            "minilm-q4_0.gguf".into(),
            "minilm-q5_1.gguf".into(),
        ],
        metric: Metric::WallTime,
        explanation: None,
    }
}

#[cfg(feature = "peers")]
mod linked {
    use super::*;
    use harness::stats::verdict::Expect;
    use harness::{CacheMode, Case, Outcome};
    use loader::{Backend, GgmlType, Limits, Model};
    use std::sync::Arc;

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

    pub fn case(ctx: &Ctx, ty: GgmlType, file: &str, tensor: &str) -> Result<Case<'static>, String> {
        let path = ctx.need(file)?;
        let m = Model::open(&path, Backend::Mmap, &Limits::default()).map_err(|e| e.to_string())?;
        let q = m.quantized(tensor).map_err(|e| e.to_string())?;
        let blocks: Arc<Vec<u8>> = Arc::new(q.blocks.to_vec());
        let n: u64 = q.shape.iter().product();
        let mut dims: Vec<usize> = q.shape.iter().map(|&d| d as usize).collect();
        dims.reverse();
        let ct = candle_type(ty).ok_or("candle has no such type")?;
        let qt = candle_core::quantized::ggml_file::qtensor_from_ggml(ct, &blocks, dims, &candle_core::Device::Cpu)
            .map_err(|e| e.to_string())?;
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
            let t = qt.dequantize(&candle_core::Device::Cpu).map_err(|e| e.to_string())?;
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

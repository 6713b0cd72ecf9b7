//! P05 — GGUF dequantization to F32: candle-core against loadlab, for
//! every block type both support, on the largest real tensor of each.

use crate::registry::Built;
use crate::Ctx;
use harness::{Claim, Explanation, Metric, Spec, Verdict};

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
        explanation: Some(Explanation {
            written_for: Verdict::TargetMet, // the headline case, MiniLM's Q4_0
            why: r#"Both implementations decode into a fresh `Vec`, and for tensors of tens of MiB the first writes to it — one page fault per 4 KiB — cost several times the decoding itself (MiniLM's Q4_0 embeddings: 2 ms of decoding, 15 ms in all). loadlab advises buffers of 4–64 MiB onto transparent huge pages (H27) and writes each block straight into the output (H25); candle-core allocates and faults page by page. That is where the 2.6–3.9× on MiniLM's 44.7 MiB Q4_0, Q4_1, Q5_0 and Q5_1 embeddings comes from — not from faster kernels. Two cases show the limits. Gemma-3's 640 MiB Q8_0 embedding is above the advice's 64 MiB ceiling (set because advised faults of that size stalled on memory compaction, H27), so both sides fault page by page and loadlab is only about 1.1× faster. On Gemma's 5 MiB Q4_K and Q6_K tensors nothing is faulted (the allocator reuses memory it holds), and the kernels alone decide: Q4_K is 1.8× candle-core, Q6_K only about 1.2×, because loadlab's Q6_K kernel decodes at 12.8 GiB/s of F32 against Q4_0's 23 GiB/s (H25), a compute-bound loop. candle-core has none of the ternary, i-quant or FP4 types, so those are timed against nothing here."#.into(),
            disposition: r#"Five of the seven types both implement meet the 1.5× target; Q6_K and the 640 MiB Q8_0 case do not, and this page says so. No default changes here: the speed-ups are H25's and H27's."#.into(),
            reattempt: r#"A Q6_K kernel that vectorizes (scales hoisted per 16 values, the 4-bit and 2-bit planes combined with whole-register shifts), and pre-faulting very large outputs in one call (`MADV_POPULATE_WRITE`) instead of huge pages — each replayed as a hypothesis of its own, bit-exact with gguf-py."#.into(),
        }),
    }
}

#[cfg(feature = "peers")]
mod linked {
    use super::*;
    use harness::stats::verdict::Expect;
    use harness::{CacheMode, Case, Outcome};
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

    pub fn case(ctx: &Ctx, ty: GgmlType, file: &str, tensor: &str) -> Result<Case<'static>, String> {
        let q = crate::context::quantized_blocks(ctx, file, tensor)?;
        let blocks = q.blocks.clone();
        let n = q.elements() as u64;
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

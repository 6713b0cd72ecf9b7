//! H25 — GGUF dequant to F32: decode each block into a stack buffer and
//! copy it out (A), or decode straight into the output (B).

use crate::context::{largest_quantized, quantized_blocks, reused_f32_output, Ctx, Reused, QUANTIZED_FILES};
use crate::registry::Built;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Claim, Explanation, Metric, Spec, Verdict};
use loader::dequant::{dequantize_into_with, supports, Path};
use loader::GgmlType;
use std::sync::{Arc, Mutex};

/// H25's declaration.
pub fn spec() -> Spec {
    Spec {
        id: "H25".into(),
        title: "GGUF dequant to F32: block copy vs direct writes (and an AVX2 instance, removed)".into(),
        hypothesis: "Dequantizing one real quantized tensor (in memory) into a preallocated F32 output on one thread. A decodes each block into a stack buffer and copies it into the output (the path until 2026-11-26); B decodes each block straight into its slot of the output. The first replay (campaign 2026-11-26T04-00-11Z) also had C: B compiled for AVX2 (a `#[target_feature]` instance of the same loop, chosen when the CPU reports AVX2), the claim's main lever. Same IEEE operations in the same order: the outputs are digested after the clock and must agree bit for bit. One case per block type, on its largest tensor among the committed real GGUF files.".into(),
        source: "the peers group (P05, 2026-11-26): loadlab's dequant ran at 1.05–1.12× candle-core for Q4_0, Q4_1, Q5_0, Q5_1, Q6_K and Q8_0, against a target of 1.5×".into(),
        claim: Claim::ratio("direct writes, compiled for AVX2, take at most 0.6× the time of A", 0.6),
        fixtures: QUANTIZED_FILES.iter().map(|f| f.to_string()).collect(),
        metric: Metric::WallTime,
        explanation: Some(Explanation {
            written_for: Verdict::SmallerThanClaimed,
            why: r#"The kernels were never the bottleneck the claim assumed. Into a reused buffer, MiniLM's Q4_0 embeddings (11.7 M values) decode in about 1.9 ms — 23 GiB/s of F32 written, as fast as this VM copies memory (P10) — so the stack-buffer copy that B removes costs 2–13 % (largest on Q4_K, whose blocks are 256 values), and there is nothing left for wider registers to win: in the first replay the AVX2 instance (C) came out within 1 % of B on every one of nine block types (e.g. Q4_0 0.933× of A against B's 0.936×). What made loadlab's dequant barely faster than candle-core's (P05: 1.05–1.12× on six types) was not decoding but the first writes to a fresh output buffer: 15 ms of page faults around 2 ms of decoding — see H27."#.into(),
            disposition: r#"`dequant::Path::Direct` (B) is the default, citing this entry. The AVX2 instance was removed with its `unsafe` call: it did not earn its place."#.into(),
            reattempt: r#"A machine where decoding, not memory, is the limit (several cores sharing one tensor, or a slower core), measured against B."#.into(),
        }),
    }
}

fn case(ctx: &Ctx, file: &str, tensor: &str) -> Result<Case<'static>, String> {
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

/// H25's cases for this run (`ctx.quick`: Q8_0 and Q4_K only).
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    let all = largest_quantized(ctx, QUANTIZED_FILES, supports);
    if all.is_empty() {
        b.skipped
            .push("no quantized GGUF fixture is available (run `lab fixtures`)".into());
    }
    for (ty, file, tensor, _) in all {
        if ctx.quick && !matches!(ty, GgmlType::Q4_0 | GgmlType::Q4_K) {
            continue;
        }
        b.case(case(ctx, &file, &tensor));
    }
    b
}

//! H25 — GGUF dequant to F32: decode each block into a stack buffer and
//! copy it out (A), decode straight into the output (B), and the same
//! compiled for AVX2 and chosen at run time (C).

use crate::context::{digest, largest_quantized, Ctx, QUANTIZED_FILES};
use crate::registry::Built;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Claim, Metric, Outcome, Spec};
use loader::dequant::{dequantize_into_with, supports, Path};
use loader::{Backend, GgmlType, Limits, Model};
use std::sync::{Arc, Mutex};

/// H25's declaration.
pub fn spec() -> Spec {
    Spec {
        id: "H25".into(),
        title: "GGUF dequant to F32: block copy vs direct writes vs direct writes compiled for AVX2".into(),
        hypothesis: "Dequantizing one real quantized tensor (in memory) into a preallocated F32 output on one thread. A decodes each block into a stack buffer and copies it into the output (the path until 2026-11-26); B decodes each block straight into its slot of the output; C is B compiled for AVX2 (a `#[target_feature]` instance of the same loop, chosen when the CPU reports AVX2), so LLVM's vectorizer uses 256-bit registers where the x86-64 baseline has 128-bit ones. Same IEEE operations in the same order: the three outputs are digested after the clock and must agree bit for bit. One case per block type, on its largest tensor among the committed real GGUF files.".into(),
        source: "the peers group (P05, 2026-11-26): loadlab's dequant ran at 1.05–1.12× candle-core for Q4_0, Q4_1, Q5_0, Q5_1, Q6_K and Q8_0, against a target of 1.5×".into(),
        claim: Claim::ratio("C takes at most 0.6× the time of A", 0.6),
        fixtures: QUANTIZED_FILES.iter().map(|f| f.to_string()).collect(),
        metric: Metric::WallTime,
        explanation: None,
    }
}

fn case(ctx: &Ctx, ty: GgmlType, file: &str, tensor: &str) -> Result<Case<'static>, String> {
    let path = ctx.need(file)?;
    let m = Model::open(&path, Backend::Mmap, &Limits::default()).map_err(|e| e.to_string())?;
    let q = m.quantized(tensor).map_err(|e| e.to_string())?;
    let blocks: Arc<Vec<u8>> = Arc::new(q.blocks.to_vec());
    let n: usize = q.shape.iter().product::<u64>() as usize;
    let variant = |p: Path| {
        let blocks = blocks.clone();
        let out = Arc::new(Mutex::new(vec![0f32; n]));
        move || -> harness::experiment::VariantResult {
            dequantize_into_with(ty, &blocks, &mut out.lock().map_err(|_| "poisoned")?, p)?;
            let out = out.clone();
            Ok(Outcome::output(move || {
                out.lock().map_or(0, |v| {
                    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
                    digest(&bytes)
                })
            }))
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
    .variant("C direct, AVX2", variant(Path::DirectAvx2))
    .compare("A block copy", "C direct, AVX2", Expect::Ratio(0.6))
    .compare("A block copy", "B direct", Expect::Unclaimed))
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
        b.case(case(ctx, ty, &file, &tensor));
    }
    b
}

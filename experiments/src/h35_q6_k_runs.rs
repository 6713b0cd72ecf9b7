//! H35 — the Q6_K kernel: outputs written four at a time 32 apart with the
//! scale looked up per element (A, ggml's loop) against contiguous runs of
//! 16 that share one scale (B).

use crate::context::{f32_digest, largest_quantized, quantized_blocks, Ctx, Skip, QUANTIZED_FILES};
use crate::registry::Built;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Metric, Outcome};
use loader::dequant::blocks::{q6_k, q6_k_runs, QK_K};
use loader::GgmlType;

/// Bytes of one Q6_K block.
const BLOCK: usize = 210;

type Kernel = fn(&[u8; BLOCK], &mut [f32; QK_K]);

/// Every block of `blocks` through `kernel` into a fresh output.
fn dequantize(kernel: Kernel, blocks: &[u8]) -> Vec<f32> {
    let mut out = vec![0f32; blocks.len() / BLOCK * QK_K];
    for (b, y) in blocks.chunks_exact(BLOCK).zip(out.chunks_exact_mut(QK_K)) {
        // Both are whole chunks of exactly these lengths.
        if let (Ok(b), Ok(y)) = (<&[u8; BLOCK]>::try_from(b), <&mut [f32; QK_K]>::try_from(y)) {
            kernel(b, y);
        }
    }
    out
}

fn case(ctx: &Ctx, file: &str, tensor: &str) -> Result<Case<'static>, Skip> {
    let q = quantized_blocks(ctx, file, tensor)?;
    if q.ty != GgmlType::Q6_K {
        return Err(Skip::Other(format!("{tensor} of {file} is {}, not Q6_K", q.ty.name())));
    }
    let n = q.elements() as u64;
    let run = |kernel: Kernel| {
        let blocks = q.blocks.clone();
        move || -> harness::experiment::VariantResult {
            let v = dequantize(kernel, &blocks);
            Ok(Outcome::output(move || f32_digest(&v)))
        }
    };
    Ok(Case::new(
        format!(
            "Q6_K {tensor} of {file} ({} of F32)",
            harness::report::svg::human((n * 4) as f64)
        ),
        Metric::WallTime,
        CacheMode::Warm,
    )
    .bytes(n * 4)
    .variant("A interleaved, scale per element", run(q6_k))
    .variant("B runs of 16, one scale each", run(q6_k_runs))
    .compare(
        "A interleaved, scale per element",
        "B runs of 16, one scale each",
        Expect::Ratio(0.7),
    ))
}

/// H35's cases: the largest Q6_K tensor of the fixtures, and the one P05
/// compares with candle-core.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(case(ctx, "gemma-3-270m-q4_k_m.gguf", "blk.0.ffn_down.weight"));
    if !ctx.quick() {
        for (_, file, tensor, _) in largest_quantized(ctx, QUANTIZED_FILES, |t| t == GgmlType::Q6_K) {
            if tensor != "blk.0.ffn_down.weight" {
                b.case(case(ctx, &file, &tensor));
            }
        }
    }
    b
}

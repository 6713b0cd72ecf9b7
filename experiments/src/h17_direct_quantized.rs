//! H17 — handing out a GGUF tensor's quantized blocks directly against
//! dequantizing and re-quantizing them.

use crate::context::{digest, mix, Ctx};
use crate::registry::Built;
use harness::{CacheMode, Case, Claim, Explanation, Metric, Outcome, Spec, Verdict};
use loader::{Backend, DType, GgmlType, Limits, Model};

/// H17's declaration: claim, source, fixtures, metric and explanation.
pub fn spec() -> Spec {
    Spec {
        id: "H17".into(),
        title: "Direct quantized load vs dequant → requant".into(),
        hypothesis: "A consumer that computes on Q8_0 blocks loads every Q8_0 tensor of a GGUF file: A dequantizes each to F32 and quantizes it back to Q8_0 (the round trip a loader without quantized types forces); B takes the blocks as stored (`Model::quantized`). Both hand the consumer the same number of Q8_0 bytes per tensor (the checksum); the blocks may differ by the round trip's rounding, which is the other reason to avoid it.".into(),
        source: "seeds/002 (idea 7: −40…60 % load time)".into(),
        claim: Claim::ratio("40–60 % less load time (ratio 0.5)", 0.5),
        fixtures: vec!["minilm-q8_0.gguf".into(), "gemma-3-270m-q4_k_m.gguf".into()],
        metric: Metric::WallTime,
        explanation: Some(Explanation {
            written_for: Verdict::LargerThanClaimed,
            why: r#"Handing out the stored blocks is 11× faster on MiniLM's 40 Q8_0 tensors (0.089–0.090× the time in the three campaigns of 71e7dea (2026-11-26)) and 21× on Gemma-3's 10 Q8_0 tensors (0.047–0.048×) — far beyond the claimed −40…60 %. With the mmap backend the blocks are borrowed from the mapping: B touches each block once, with no page faults once the file is cached, while A writes 4 bytes of F32 per element and then re-quantizes them. (The ratios were 0.07× and 0.05× at f9716d7; A's dequantization has since become faster — direct writes, H25, and huge-page outputs, H27 — which narrows the gap on MiniLM.) Besides the time, the round trip need not reproduce the stored blocks bit for bit; only its size is the same, which is all this experiment's checksum compares."#.into(),
            disposition: r#"`Model::quantized` hands out raw blocks with their type (borrowed under mmap); callers that compute on quantized data should use it."#.into(),
            reattempt: r#"Nothing to re-attempt; a consumer that needs F32 anyway would compare dequantize-once against this, which is a different question."#.into(),
        }),
    }
}

fn case(ctx: &Ctx, name: &str) -> Result<Case<'static>, String> {
    let path = ctx.need(name)?;
    let m = Model::open(&path, Backend::Mmap, &Limits::default()).map_err(|e| e.to_string())?;
    let names: Vec<String> = m
        .inventory()
        .tensors
        .iter()
        .filter(|t| t.dtype == DType::Ggml(GgmlType::Q8_0))
        .map(|t| t.name.clone())
        .collect();
    if names.is_empty() {
        return Err(format!("{name} has no Q8_0 tensor"));
    }
    let bytes: u64 = names.iter().map(|n| m.info(n).map_or(0, |t| t.byte_len())).sum();
    let m2 = Model::open(&path, Backend::Mmap, &Limits::default()).map_err(|e| e.to_string())?;
    let n2 = names.clone();
    Ok(Case::new(
        format!(
            "{name}: {} Q8_0 tensors ({})",
            names.len(),
            harness::report::svg::human(bytes as f64)
        ),
        Metric::WallTime,
        CacheMode::Warm,
    )
    .bytes(bytes)
    .variant("A dequant → requant", move || {
        let mut blocks = Vec::with_capacity(names.len());
        for n in &names {
            let f = m.tensor_f32(n)?;
            blocks.push(loader::quant::quantize_q8_0(&f)?);
        }
        // Every block byte, after the clock: requantizing must give back the file's blocks.
        Ok(Outcome::output(move || blocks.iter().fold(0, |h, b| mix(h, digest(b)))))
    })
    .variant("B direct blocks", move || {
        let mut blocks = Vec::with_capacity(n2.len());
        for n in &n2 {
            let q = m2.quantized(n)?;
            // Touch every block, as a consumer would.
            let mut acc = 0u8;
            for b in q.blocks.chunks(34) {
                acc ^= b[2];
            }
            std::hint::black_box(acc);
            blocks.push(q.blocks.into_owned());
        }
        Ok(Outcome::output(move || blocks.iter().fold(0, |h, b| mix(h, digest(b)))))
    }))
}

/// H17's cases for this run (`ctx.quick`: the CI-sized ones) and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(case(ctx, "minilm-q8_0.gguf"));
    if !ctx.quick {
        b.case(case(ctx, "gemma-3-270m-q4_k_m.gguf"));
    }
    b
}

//! H13 — SIMD F32 → F16 (the `half` slice API, F16C) against scalar
//! per-element conversion.

use crate::context::{mix, Ctx};
use crate::registry::Built;
use half::f16;
use harness::experiment::VariantResult;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Claim, Explanation, Metric, Outcome, Spec, Verdict};
use loader::convert::{self, scalar};
use loader::{Backend, DType, Limits, Model};

/// H13's declaration: claim, source, fixtures, metric and explanation.
pub fn spec() -> Spec {
    Spec {
        id: "H13".into(),
        title: "SIMD F32 → F16 vs scalar".into(),
        hypothesis: "Converting F32 weights to F16: A converts one element at a time in software (`loader::convert::scalar`); B uses the production path, `half`'s slice conversion, which uses the F16C instructions when the CPU has them. Measured on the conversion alone, and as a share of a whole load (read from the file with the reader backend, then convert).".into(),
        source: "seeds/002 (idea 3: 4–8× on conversion; −20…30 % of load)".into(),
        claim: Claim::ratio("4–8× faster conversion (ratio 0.167)", 1.0 / 6.0),
        fixtures: vec!["model.safetensors".into()],
        metric: Metric::WallTime,
        explanation: Some(Explanation {
            written_for: Verdict::LargerThanClaimed,
            why: r#"`half`'s slice conversion converts MiniLM's 22.7 M weights 8.3–8.5× faster than a software per-element conversion (0.117–0.120× the time in the three campaigns of 71e7dea (2026-11-26)), just beyond the claimed 4–8×. It runs the F16C instruction `vcvtps2ph` on 8 lanes when the CPU has it (this one does: `f16c` is in the recorded CPU flags; `half` checks at run time), while the software path spends a dozen integer operations and two branches per element. As a share of a whole load (read through the reader backend, then convert) it saves 45 % (0.546×) — more than the claimed 20–30 %, because on a warm cache the read is only a copy. The campaigns of f9716d7 measured 7.4–8.3× (0.121–0.135×), on the claim's edge, so their verdicts alternated between "confirmed" and "larger than claimed"; so did those of 4214f40 (2026-11-26): 0.127× [0.118, 0.138] "confirmed" once, 0.123× and 0.121× "larger than claimed" twice, although the first campaign's case ran to eight processes. The claim band's edge (0.132) sits inside the spread of this case's processes (0.119–0.142). At a09162c, where a headline still on an edge is measured in up to 16 processes, all three campaigns said "larger than claimed": 0.120× [0.118, 0.123] (5 processes), 0.126× [0.121, 0.132] (11) and 0.126× [0.117, 0.132] (5) — the last two intervals end 0.3 % and 0.008 % short of the edge (0.13194), so this agreement is narrow and another set of campaigns may word it "confirmed"."#.into(),
            disposition: r#"The production conversions (`loader::convert`) use `half`'s slice API; the scalar path exists only as this experiment's baseline. The module doc cites this entry."#.into(),
            reattempt: r#"A CPU without F16C, where `half` falls back to software; or an explicit AVX-512 path (this VM reports `avx512f`) measured against the slice API."#.into(),
        }),
    }
}

fn f32s(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// Every 997th F16's bits plus the length: differs for any output that
/// differs in length or at a sampled element.
fn bits_digest(d: &[f16]) -> u64 {
    d.iter()
        .step_by(997)
        .fold(d.len() as u64, |h, x| mix(h, u64::from(x.to_bits())))
}

fn convert_only(ctx: &Ctx) -> Result<Case<'static>, String> {
    let m =
        Model::open(&ctx.need("model.safetensors")?, Backend::Mmap, &Limits::default()).map_err(|e| e.to_string())?;
    let mut all = Vec::new();
    for t in m.inventory().tensors.iter().filter(|t| t.dtype == DType::F32) {
        all.extend(f32s(&m.tensor_bytes_of(t).map_err(|e| e.to_string())?));
    }
    let n = all.len();
    let src = std::rc::Rc::new(all);
    let (s1, s2) = (src.clone(), src);
    let mut d1 = vec![f16::ZERO; n];
    let mut d2 = vec![f16::ZERO; n];
    let sum = |d: &[f16]| bits_digest(d);
    Ok(Case::new(
        format!("conversion only: {:.1} M MiniLM weights", n as f64 / 1e6),
        Metric::WallTime,
        CacheMode::Warm,
    )
    .bytes((n * 4) as u64)
    .variant("A scalar per element", move || {
        scalar::f32_to_f16(&s1, &mut d1)?;
        Ok(Outcome::checksum(sum(&d1)))
    })
    .variant("B half slice (F16C)", move || {
        convert::f32_to_f16(&s2, &mut d2)?;
        Ok(Outcome::checksum(sum(&d2)))
    }))
}

fn whole_load(ctx: &Ctx) -> Result<Case<'static>, String> {
    let path = ctx.need("model.safetensors")?;
    let open = || Model::open(&path, Backend::Reader { buffered: true }, &Limits::default());
    let (m1, m2) = (open().map_err(|e| e.to_string())?, open().map_err(|e| e.to_string())?);
    let run = |m: &Model, simd: bool| -> VariantResult {
        let mut h = 0;
        for t in m.inventory().tensors.iter().filter(|t| t.dtype == DType::F32) {
            let src = f32s(&m.tensor_bytes_of(t)?);
            let mut d = vec![f16::ZERO; src.len()];
            if simd {
                convert::f32_to_f16(&src, &mut d)?;
            } else {
                scalar::f32_to_f16(&src, &mut d)?;
            }
            h = mix(h, bits_digest(&d));
        }
        Ok(Outcome::checksum(h))
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

/// H13's cases for this run (`ctx.quick`: the CI-sized ones) and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(convert_only(ctx));
    b.case(whole_load(ctx));
    b
}

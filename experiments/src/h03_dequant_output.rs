//! H03 — GGUF dequantization to BF16: preallocated output + indexed
//! `copy_from_slice` (A) against `Vec::with_capacity` + per-block
//! `extend_from_slice` (B), for Q8_0 and Q4_0 at 2/16/90/200 MB of output,
//! and for the real quantized tensors of SmolLM2 and Gemma-3.

use crate::context::{digest, Ctx, Skip};
use crate::registry::Built;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Metric, Outcome};
use loader::dequant::{dequantize_bf16_with, OutputPattern};
use loader::{Backend, DType, Limits, Model};

fn case(ctx: &Ctx, file: &str, tensor: &str, label: String, headline: bool) -> Result<Case<'static>, Skip> {
    let path = ctx.need(file)?;
    let m = Model::open(&path, Backend::Mmap, &Limits::default())?;
    let t = m.info(tensor)?;
    let DType::Ggml(ty) = t.dtype else {
        return Err(format!("{tensor} is {}, not quantized", t.dtype).into());
    };
    let data = m.tensor_bytes(tensor)?.into_owned();
    let out_bytes = t.n_elements() * 2;
    let data_b = data.clone();
    let mut c = Case::new(
        format!(
            "{label}: {} → BF16 {}",
            ty.name(),
            harness::report::svg::human(out_bytes as f64)
        ),
        Metric::WallTime,
        CacheMode::Warm,
    )
    .x(out_bytes as f64)
    .bytes(out_bytes)
    .variant("A preallocated + copy_from_slice", move || {
        let o = dequantize_bf16_with(ty, &data, OutputPattern::Preallocated)?;
        Ok(Outcome::output(move || digest(&o)))
    })
    .variant("B with_capacity + extend", move || {
        let o = dequantize_bf16_with(ty, &data_b, OutputPattern::Extend)?;
        Ok(Outcome::output(move || digest(&o)))
    });
    if !headline {
        c = c.compare(
            "A preallocated + copy_from_slice",
            "B with_capacity + extend",
            Expect::Ratio(0.875),
        );
    }
    Ok(c)
}

/// The largest tensor of `ty` in a file.
fn largest_of(ctx: &Ctx, file: &str, ty: &str) -> Option<String> {
    let m = Model::open(&ctx.fixture(file)?, Backend::Mmap, &Limits::default()).ok()?;
    m.inventory()
        .tensors
        .iter()
        .filter(|t| t.dtype.name() == ty)
        .max_by_key(|t| t.byte_len())
        .map(|t| t.name.clone())
}

/// H03's cases for this run (`ctx.quick()`: the CI-sized ones) and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    let sizes: &[&str] = if ctx.quick() {
        &["2mb", "16mb"]
    } else {
        &["2mb", "16mb", "90mb", "200mb"]
    };
    b.case(
        case(ctx, "dequant-sweep-q8_0.gguf", "sweep.90mb", "derived".into(), true)
            .or_else(|_| case(ctx, "dequant-sweep-q8_0.gguf", "sweep.16mb", "derived".into(), true)),
    );
    for q in ["q8_0", "q4_0"] {
        for s in sizes {
            if q == "q8_0" && *s == "90mb" || ctx.quick() && q == "q8_0" && *s == "16mb" {
                continue;
            }
            b.case(case(
                ctx,
                &format!("dequant-sweep-{q}.gguf"),
                &format!("sweep.{s}"),
                "derived".into(),
                false,
            ));
        }
    }
    let reals: &[(&str, &str, &str)] = &[
        ("SmolLM2-135M-Instruct.Q4_1.gguf", "Q4_1", "SmolLM2"),
        ("SmolLM2-135M-Instruct.Q4_1.gguf", "Q8_0", "SmolLM2"),
        ("gemma-3-270m-q4_k_m.gguf", "Q4_K", "Gemma-3"),
        ("gemma-3-270m-q4_k_m.gguf", "Q6_K", "Gemma-3"),
        ("gemma-3-270m-q4_k_m.gguf", "Q5_0", "Gemma-3"),
        ("gemma-3-270m-q4_k_m.gguf", "Q8_0", "Gemma-3"),
    ];
    for (file, ty, label) in reals.iter().take(if ctx.quick() { 1 } else { reals.len() }) {
        match largest_of(ctx, file, ty) {
            Some(t) => b.case(case(ctx, file, &t, format!("{label} {t}"), false)),
            None => b.skipped.push(format!("{file}: no {ty} tensor or fixture missing")),
        }
    }
    b
}

//! H17 — handing out a GGUF tensor's quantized blocks directly against
//! dequantizing and re-quantizing them.

use crate::context::{digest, mix, Ctx, Skip};
use crate::registry::Built;
use harness::{CacheMode, Case, Metric, Outcome};
use loader::{Backend, DType, GgmlType, Limits, Model};

fn case(ctx: &Ctx, name: &str) -> Result<Case<'static>, Skip> {
    let path = ctx.need(name)?;
    let m = Model::open(&path, Backend::Mmap, &Limits::default())?;
    let names: Vec<String> = m
        .inventory()
        .tensors
        .iter()
        .filter(|t| t.dtype == DType::Ggml(GgmlType::Q8_0))
        .map(|t| t.name.clone())
        .collect();
    if names.is_empty() {
        return Err(format!("{name} has no Q8_0 tensor").into());
    }
    let bytes: u64 = names.iter().map(|n| m.info(n).map_or(0, |t| t.byte_len())).sum();
    let m2 = Model::open(&path, Backend::Mmap, &Limits::default())?;
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

/// H17's cases for this run (`ctx.quick()`: the CI-sized ones) and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(case(ctx, "minilm-q8_0.gguf"));
    if !ctx.quick() {
        b.case(case(ctx, "gemma-3-270m-q4_k_m.gguf"));
    }
    b
}

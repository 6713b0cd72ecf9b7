//! H23 — GGUF inspect: one value per vocabulary element (A) against packed
//! arrays (B: one string buffer with end offsets, typed numeric vectors).

use crate::context::{digest, Ctx, Skip};
use crate::registry::Built;
use harness::experiment::VariantResult;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Metric, Outcome};
use loader::formats::gguf::{inspect_with, Arrays};
use loader::Limits;

fn case(ctx: &Ctx, name: &'static str, metric: Metric) -> Result<Case<'static>, Skip> {
    let path = ctx.need(name)?;
    // The file's mapping, shared by both variants (the parse reads from memory).
    let model = std::sync::Arc::new(loader::Model::open(&path, loader::Backend::Mmap, &Limits::default())?);
    let label = format!(
        "{name} ({} tokens), in memory, {}",
        crate::context::vocab_size(&path),
        metric.name()
    );
    let parse = move |arrays: Arrays| -> VariantResult {
        let bytes = model.bytes().ok_or("the mmap backend holds the file's bytes")?;
        let limits = Limits::default();
        let mut input = loader::input::Input::new(std::io::Cursor::new(bytes), bytes.len() as u64, name);
        input.set_budget(limits.parse_budget(bytes.len() as u64));
        let inv = inspect_with(&mut input, &limits, arrays)?;
        // Every key and value, serialized after the clock: equal work means
        // equal inventories, not equal counts.
        Ok(Outcome::output(move || {
            digest(serde_json::to_string(&inv).unwrap_or_default().as_bytes())
        }))
    };
    let claim = if metric == Metric::PeakMemory { 0.5 } else { 0.33 };
    Ok(Case::new(label, metric, CacheMode::Warm)
        .files([path])
        .variant("A one value per element", {
            let parse = parse.clone();
            move || parse(Arrays::PerElement)
        })
        .variant("B packed arrays", move || parse(Arrays::Packed))
        .compare("A one value per element", "B packed arrays", Expect::Ratio(claim)))
}

/// H23's cases for this run (`ctx.quick()`: the CI-sized ones) and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(case(ctx, "gemma-3-270m-q4_k_m.gguf", Metric::WallTime));
    if !ctx.quick() {
        b.case(case(ctx, "gemma-3-270m-q4_k_m.gguf", Metric::PeakMemory));
        b.case(case(ctx, "SmolLM2-135M-Instruct.Q4_1.gguf", Metric::WallTime));
        b.case(case(ctx, "ggml-vocab-llama-spm.gguf", Metric::WallTime));
    }
    b
}

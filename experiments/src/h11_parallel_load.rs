//! H11 — parallel tensor loading (rayon over tensors) against sequential.

use crate::context::{tensors_digest, Ctx, Skip};
use crate::registry::Built;
use harness::experiment::VariantResult;
use harness::{CacheMode, Case, Metric, Outcome};
use loader::convert::Target;
use loader::load::{load_all, LoadOptions};
use loader::{Backend, Limits, Model};

fn case(ctx: &Ctx, name: &str, target: Option<Target>, backend: Backend, what: &str) -> Result<Case<'static>, Skip> {
    let path = ctx.need(name)?;
    let m = Model::open(&path, backend, &Limits::default())?;
    let m2 = Model::open(&path, backend, &Limits::default())?;
    let n = m.inventory().tensors.len();
    let run = move |m: &Model, parallel: bool| -> VariantResult {
        let t = load_all(
            m,
            &LoadOptions {
                target,
                parallel,
                progress: None,
                ordinary_pages: false,
            },
        )?;
        Ok(Outcome::output(move || tensors_digest(&t)))
    };
    Ok(Case::new(
        format!("{name} ({n} tensors): {what} via {}", backend.name()),
        Metric::WallTime,
        CacheMode::Warm,
    )
    .bytes(m.inventory().data_bytes())
    .variant("A sequential", move || run(&m, false))
    .variant("B rayon (2 cores)", move || run(&m2, true)))
}

/// H11's cases for this run (`ctx.quick()`: the CI-sized ones) and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(case(
        ctx,
        "model.safetensors",
        Some(Target::F16),
        Backend::Mmap,
        "F32 → F16",
    ));
    b.case(case(
        ctx,
        "SmolLM2-135M-Instruct.Q4_1.gguf",
        Some(Target::BF16),
        Backend::Mmap,
        "dequant → BF16",
    ));
    if !ctx.quick() {
        b.case(case(ctx, "model.safetensors", None, Backend::Mmap, "copy out"));
        b.case(case(
            ctx,
            "model.safetensors",
            Some(Target::F16),
            Backend::Reader { buffered: true },
            "F32 → F16",
        ));
        b.case(case(
            ctx,
            "gemma-3-270m-q4_k_m.gguf",
            Some(Target::F32),
            Backend::Mmap,
            "dequant → F32",
        ));
    }
    b
}

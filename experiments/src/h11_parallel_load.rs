//! H11 — parallel tensor loading (rayon over tensors) against sequential.

use crate::context::{digest, mix, Ctx};
use crate::registry::Built;
use harness::{CacheMode, Case, Claim, Metric, Outcome, Spec};
use loader::convert::Target;
use loader::load::{load_all, LoadOptions};
use loader::{Backend, Limits, Model};

pub fn spec() -> Spec {
    Spec {
        id: "H11".into(),
        title: "Parallel tensor loading".into(),
        hypothesis: "Loading and converting every tensor of a model: A one tensor after another, B on rayon's pool (`LoadOptions::parallel`), identical results. This machine has 2 cores, so 2× (ratio 0.5) is the ceiling.".into(),
        source: "seeds/002 (idea 1: −30…50 % load time)".into(),
        claim: Claim::ratio("30–50 % less load time (ratio 0.6)", 0.6),
        fixtures: vec!["model.safetensors".into(), "SmolLM2-135M-Instruct.Q4_1.gguf".into(), "gemma-3-270m-q4_k_m.gguf".into()],
        metric: Metric::WallTime,
        explanation: None,
    }
}

fn case(ctx: &Ctx, name: &str, target: Option<Target>, backend: Backend, what: &str) -> Result<Case<'static>, String> {
    let path = ctx.need(name)?;
    let m = Model::open(&path, backend, &Limits::default()).map_err(|e| e.to_string())?;
    let m2 = Model::open(&path, backend, &Limits::default()).map_err(|e| e.to_string())?;
    let n = m.inventory().tensors.len();
    let run = move |m: &Model, parallel: bool| -> Result<Outcome, String> {
        let t = load_all(
            m,
            &LoadOptions {
                target,
                parallel,
                progress: None,
            },
        )
        .map_err(|e| e.to_string())?;
        Ok(Outcome::checksum(t.iter().fold(0, |h, x| mix(h, digest(&x.data)))))
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
    if !ctx.quick {
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

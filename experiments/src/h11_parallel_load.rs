//! H11 — parallel tensor loading (rayon over tensors) against sequential.

use crate::context::{tensors_digest, Ctx};
use crate::registry::Built;
use harness::experiment::VariantResult;
use harness::{CacheMode, Case, Claim, Explanation, Metric, Outcome, Spec, Verdict};
use loader::convert::Target;
use loader::load::{load_all, LoadOptions};
use loader::{Backend, Limits, Model};

/// H11's declaration: claim, source, fixtures, metric and explanation.
pub fn spec() -> Spec {
    Spec {
        id: "H11".into(),
        title: "Parallel tensor loading".into(),
        hypothesis: "Loading and converting every tensor of a model: A one tensor after another, B on rayon's pool (`LoadOptions::parallel`), identical results. This machine has 2 cores, so 2× (ratio 0.5) is the ceiling.".into(),
        source: "seeds/002 (idea 1: −30…50 % load time)".into(),
        claim: Claim::ratio("30–50 % less load time (ratio 0.6)", 0.6),
        fixtures: vec!["model.safetensors".into(), "SmolLM2-135M-Instruct.Q4_1.gguf".into(), "gemma-3-270m-q4_k_m.gguf".into()],
        metric: Metric::WallTime,
        explanation: Some(Explanation {
            written_for: Verdict::Confirmed,
            why: r#"Parallel loading now reaches the claimed 30–50 % or more: converting MiniLM to F16 through the mapping takes 0.44–0.49× the sequential time in the three campaigns of 71e7dea (2026-11-26) (10.3 ms against 20.8 ms), and dequantizing SmolLM2 to BF16 about 0.4×. The headline's verdict alternates between "confirmed" and "larger than claimed" because its interval's upper end (0.525–0.547) sits on the edge of the claim's band (0.54). Part of it is parallelism on two cores; the rest is memory: B's trials take 715 minor page faults per MiniLM load against A's 7 488 (both took 11 446 at f9716d7, when the ratio was 0.84–0.86×). Since fresh 4–64 MiB outputs are advised onto huge pages (H27) both variants fault less, and rayon's worker threads allocate from their own glibc arenas, which keep freed memory for reuse, while the main thread's large blocks are returned and faulted in again each trial. Through the reader backend the gain is 0.55–0.75×; copying out and Gemma-3's 1 GB F32 dequantization are inconclusive (their intervals span 0.5–1.1)."#.into(),
            disposition: r#"`LoadOptions::parallel` stays opt-in (default off, so a caller's own pool is not oversubscribed); its doc comment cites this entry."#.into(),
            reattempt: r#"A machine with more than 2 cores, and a memory-neutral comparison (both variants allocating from the same arena, or reusing a destination buffer) to separate parallel speed-up from allocator effects."#.into(),
        }),
    }
}

fn case(ctx: &Ctx, name: &str, target: Option<Target>, backend: Backend, what: &str) -> Result<Case<'static>, String> {
    let path = ctx.need(name)?;
    let m = Model::open(&path, backend, &Limits::default()).map_err(|e| e.to_string())?;
    let m2 = Model::open(&path, backend, &Limits::default()).map_err(|e| e.to_string())?;
    let n = m.inventory().tensors.len();
    let run = move |m: &Model, parallel: bool| -> VariantResult {
        let t = load_all(
            m,
            &LoadOptions {
                target,
                parallel,
                progress: None,
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

/// H11's cases for this run (`ctx.quick`: the CI-sized ones) and what was skipped.
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

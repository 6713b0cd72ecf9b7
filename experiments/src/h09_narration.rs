//! H09 — narration (a formatted log event per tensor, as audit/narration
//! layers emit) during a load is negligible.

use crate::context::{tensors_digest, Ctx, Skip};
use crate::registry::Built;
use harness::experiment::VariantResult;
use harness::{CacheMode, Case, Metric, Outcome};
use loader::load::{load_all, LoadOptions, Progress};
use loader::{Backend, Limits, Model};
use std::sync::Mutex;

fn case(ctx: &Ctx, name: &str) -> Result<Case<'static>, Skip> {
    let path = ctx.need(name)?;
    let m = Model::open(&path, Backend::Mmap, &Limits::default())?;
    let m2 = Model::open(&path, Backend::Mmap, &Limits::default())?;
    let n = m.inventory().tensors.len();
    let run = |m: &Model, narrate: bool| -> VariantResult {
        let log = Mutex::new(Vec::new());
        let cb = |p: Progress| {
            let line = format!(
                "[loader] tensor {}/{}: {} of {} bytes ({:.1} %)",
                p.tensors_done,
                p.tensors_total,
                p.bytes_done,
                p.bytes_total,
                p.bytes_done as f64 * 100.0 / p.bytes_total.max(1) as f64
            );
            log.lock().map(|mut l| l.push(line)).ok();
        };
        let opts = LoadOptions {
            target: None,
            parallel: false,
            progress: if narrate { Some(&cb) } else { None },
            ordinary_pages: false,
        };
        let t = load_all(m, &opts)?;
        let events = log.lock().map(|l| l.len()).unwrap_or(0) as u64;
        Ok(Outcome::output(move || tensors_digest(&t)).with("narration events", events))
    };
    Ok(
        Case::new(format!("{name} ({n} tensors)"), Metric::WallTime, CacheMode::Warm)
            .variant("A silent", move || run(&m, false))
            .variant("B narrated", move || run(&m2, true)),
    )
}

/// H09's cases for this run (`ctx.quick()`: the CI-sized ones) and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(case(ctx, "model.safetensors"));
    if !ctx.quick() {
        b.case(case(ctx, "SmolLM2-135M-Instruct.Q4_1.gguf"));
    }
    b
}

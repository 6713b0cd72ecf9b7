//! H18 — progress-callback overhead during a load: none, a synchronous
//! callback, or a callback that sends to a channel drained by another thread.

use crate::context::{tensors_digest, Ctx, Skip};
use crate::registry::Built;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Metric, Outcome};
use loader::convert::Target;
use loader::load::{load_all, LoadOptions, Progress};
use loader::{Backend, Limits, Model};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

fn case(ctx: &Ctx, name: &str, target: Target) -> Result<Case<'static>, Skip> {
    let path = ctx.need(name)?;
    let open = || Model::open(&path, Backend::Mmap, &Limits::default());
    let (m1, m2, m3) = (open()?, open()?, open()?);
    Ok(
        Case::new(format!("{name} → {target:?}"), Metric::WallTime, CacheMode::Warm)
            .variant("A no callback", move || {
                let t = load_all(
                    &m1,
                    &LoadOptions {
                        target: Some(target),
                        parallel: false,
                        progress: None,
                        ordinary_pages: false,
                    },
                )?;
                Ok(Outcome::output(move || tensors_digest(&t)))
            })
            .variant("B sync callback", move || {
                let last = AtomicU64::new(0);
                let status = Mutex::new(String::new());
                let cb = |p: Progress| {
                    last.store(p.bytes_done, Ordering::Relaxed);
                    if let Ok(mut s) = status.lock() {
                        *s = format!("{}/{} tensors", p.tensors_done, p.tensors_total);
                    }
                };
                let t = load_all(
                    &m2,
                    &LoadOptions {
                        target: Some(target),
                        parallel: false,
                        progress: Some(&cb),
                        ordinary_pages: false,
                    },
                )?;
                Ok(Outcome::output(move || tensors_digest(&t)))
            })
            .variant("C channel callback", move || {
                let (tx, rx) = std::sync::mpsc::channel::<Progress>();
                let consumer = std::thread::spawn(move || rx.iter().map(|p| p.bytes_done).max().unwrap_or(0));
                let tx = Mutex::new(tx);
                let cb = |p: Progress| {
                    if let Ok(t) = tx.lock() {
                        let _ = t.send(p);
                    }
                };
                let t = load_all(
                    &m3,
                    &LoadOptions {
                        target: Some(target),
                        parallel: false,
                        progress: Some(&cb),
                        ordinary_pages: false,
                    },
                )?;
                drop(tx);
                consumer.join().map_err(|_| "consumer panicked")?;
                Ok(Outcome::output(move || tensors_digest(&t)))
            })
            .compare("A no callback", "B sync callback", Expect::Ratio(1.026))
            .compare("A no callback", "C channel callback", Expect::Ratio(1.068)),
    )
}

/// H18's cases for this run (`ctx.quick()`: the CI-sized ones) and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(case(ctx, "model.safetensors", Target::F16));
    if !ctx.quick() {
        b.case(case(ctx, "SmolLM2-135M-Instruct.Q4_1.gguf", Target::BF16));
    }
    b
}

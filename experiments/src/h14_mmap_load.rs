//! H14 — mmap loading against read-into-buffer loading: time and resident memory.

use crate::context::{model_digest, Ctx, Skip};
use crate::registry::Built;
use harness::experiment::VariantResult;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Metric, Outcome};
use loader::{Backend, Limits, Model};

/// What the timed region does with each tensor's bytes.
#[derive(Clone, Copy, PartialEq)]
enum Consumer {
    /// Reads every byte (a digest): what a consumer that uses the weights
    /// pays. The headline.
    EveryByte,
    /// Reads one byte per 4 KiB page: faults every page in but reads 1/4096
    /// of it, so mmap's speed-up here is an upper bound.
    OneBytePerPage,
}

fn case(ctx: &Ctx, name: &str, cache: CacheMode, metric: Metric, consumer: Consumer) -> Result<Case<'static>, Skip> {
    let path = ctx.need(name)?;
    let size = Ctx::size(&path);
    let run = move |p: &std::path::Path, b: Backend| -> VariantResult {
        let m = Model::open(p, b, &Limits::default())?;
        if consumer == Consumer::EveryByte {
            return Ok(Outcome::checksum(model_digest(&m)));
        }
        let mut acc = 0u8;
        for t in &m.inventory().tensors {
            for page in m.tensor_bytes_of(t)?.chunks(4096) {
                acc ^= page[0];
            }
        }
        std::hint::black_box(acc);
        // Equal work is checked on every byte, after the clock.
        Ok(Outcome::output(move || model_digest(&m)))
    };
    let (p1, p2) = (path.clone(), path.clone());
    let mut c = Case::new(
        format!(
            "{name} ({}), {}, {}{}",
            harness::report::svg::human(size as f64),
            crate::context::cache_word(cache),
            metric.name(),
            if consumer == Consumer::OneBytePerPage {
                ", one byte per page"
            } else {
                ""
            }
        ),
        metric,
        cache,
    )
    .files([path])
    .bytes(size)
    .x(size as f64)
    .variant("A read into buffer", move || run(&p1, Backend::WholeRead))
    .variant("B mmap", move || run(&p2, Backend::Mmap));
    if metric == Metric::PeakMemory {
        c = c.compare("A read into buffer", "B mmap", Expect::Ratio(0.7));
    }
    Ok(c)
}

/// H14's cases for this run (`ctx.quick()`: the CI-sized ones) and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    use Consumer::{EveryByte, OneBytePerPage};
    b.case(case(
        ctx,
        "model.safetensors",
        CacheMode::Warm,
        Metric::WallTime,
        EveryByte,
    ));
    b.case(case(
        ctx,
        "model.safetensors",
        CacheMode::Warm,
        Metric::WallTime,
        OneBytePerPage,
    ));
    b.case(case(
        ctx,
        "model.safetensors",
        CacheMode::Warm,
        Metric::PeakMemory,
        EveryByte,
    ));
    if !ctx.quick() {
        b.case(case(
            ctx,
            "model.safetensors",
            CacheMode::Cold,
            Metric::WallTime,
            EveryByte,
        ));
        b.case(case(
            ctx,
            "sweep-256m.safetensors",
            CacheMode::Warm,
            Metric::WallTime,
            EveryByte,
        ));
        b.case(case(
            ctx,
            "sweep-256m.safetensors",
            CacheMode::Warm,
            Metric::WallTime,
            OneBytePerPage,
        ));
        b.case(case(
            ctx,
            "sweep-256m.safetensors",
            CacheMode::Cold,
            Metric::WallTime,
            EveryByte,
        ));
        b.case(case(
            ctx,
            "sweep-256m.safetensors",
            CacheMode::Warm,
            Metric::PeakMemory,
            EveryByte,
        ));
        b.case(case(
            ctx,
            "sweep-1g.safetensors",
            CacheMode::Warm,
            Metric::WallTime,
            EveryByte,
        ));
    }
    b
}

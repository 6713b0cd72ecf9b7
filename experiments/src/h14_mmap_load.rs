//! H14 — mmap loading against read-into-buffer loading: time and resident memory.

use crate::context::{model_digest, Ctx};
use crate::registry::Built;
use harness::experiment::VariantResult;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Claim, Explanation, Metric, Outcome, Spec, Verdict};
use loader::{Backend, Limits, Model};

/// H14's declaration: claim, source, fixtures, metric and explanation.
pub fn spec() -> Spec {
    Spec {
        id: "H14".into(),
        title: "mmap vs read-into-buffer loading".into(),
        hypothesis: "Opening a model and reading every tensor's bytes once (a digest over each tensor, so every page is touched): A reads the file into a buffer first (`Backend::WholeRead`); B maps it (`Backend::Mmap`). Both time and the peak resident memory the load adds; mapped pages are file-backed and counted in RSS too, but the kernel can drop them under pressure.".into(),
        source: "seeds/002 (idea 4: −10…20 % time, −30 % memory)".into(),
        claim: Claim::ratio("10–20 % less load time (ratio 0.85) and 30 % less memory (ratio 0.7)", 0.85),
        fixtures: vec!["model.safetensors".into(), "sweep-256m.safetensors".into(), "sweep-1g.safetensors".into()],
        metric: Metric::WallTime,
        explanation: Some(Explanation {
            written_for: Verdict::Confirmed,
            why: r#"(Written for campaigns before 2026-11-26, whose consumer read one byte per page — now the "one byte per page" cases; the headline now reads every byte.) Mapping beats reading into a buffer by far more than the claimed 10–20 % on a warm cache — 8.5× on MiniLM (7.4 ms against 60 ms), 9.6× on 256 MiB, 8.5× on 1 GiB — because reading pays for a fresh buffer (22 185 page faults for 87 MB) and a copy out of the page cache (56 ms of system time), while the mapping only faults the page-cache pages in (558 faults: the kernel maps them in large batches) and touches each once. Cold, both wait for the disk and mapping is 34–38 % faster, still above the claim. Memory is the part the claim gets wrong as measured by the resident set: the peak RSS added is identical (90.9 MB, 268 MB) because mapped file pages count in RSS once touched. The difference is in kind, not size: the mapped pages are clean page cache the kernel can drop under pressure, the buffer is anonymous memory that can only be swapped — the lab's metric does not split the two."#.into(),
            disposition: r#"`Backend::Mmap` is the loader's recommended backend (README; `threshold::MEASURED_THRESHOLD_BYTES` for the small-file exception, H19)."#.into(),
            reattempt: r#"A memory metric that separates anonymous from file-backed resident pages (`RssAnon` against `RssFile` in /proc/self/status), and a run under memory pressure, to test the −30 % claim where it would matter."#.into(),
        }),
    }
}

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

fn case(ctx: &Ctx, name: &str, cache: CacheMode, metric: Metric, consumer: Consumer) -> Result<Case<'static>, String> {
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

/// H14's cases for this run (`ctx.quick`: the CI-sized ones) and what was skipped.
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
    if !ctx.quick {
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

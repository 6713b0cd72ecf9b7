//! H20 — an LRU model cache with a memory budget makes repeated loads
//! cheap without ever holding more than its budget.

use crate::context::{mix, Ctx};
use crate::registry::Built;
use harness::{CacheMode, Case, Claim, Explanation, Metric, Outcome, Spec, Verdict};
use loader::cache::lru::ModelCache;
use loader::convert::Target;
use loader::load::{load_all, LoadOptions, LoadedTensor};
use loader::{Backend, Limits, Model};
use std::path::PathBuf;

/// H20's declaration: claim, source, fixtures, metric and explanation.
pub fn spec() -> Spec {
    Spec {
        id: "H20".into(),
        title: "LRU model cache under a memory budget".into(),
        hypothesis: "A server answers 12 requests cycling over three models (MiniLM as F16 safetensors, BF16 safetensors and Q8_0 GGUF, each loaded and converted to F16, ~45 MB resident each) in the pattern a,a,b,a,c,a,b,a,a,c,b,a: A loads the model on every request; B serves them from a `ModelCache` whose budget holds two models, so it must evict. The variant fails if the cache ever holds more than its budget; hits, misses, evictions and peak cached bytes are recorded.".into(),
        source: "seeds/004 (brief: 'LRU cache with memory-aware eviction')".into(),
        claim: Claim::ratio("cache hits make repeated loads much cheaper (ratio 0.3 over the request mix); never over budget", 0.3),
        fixtures: vec!["minilm-f16.safetensors".into(), "minilm-bf16.safetensors".into(), "minilm-q8_0.gguf".into()],
        metric: Metric::WallTime,
        explanation: Some(Explanation {
            written_for: Verdict::SmallerThanClaimed,
            why: r#"The cache kept its promise on memory — it never held more than its budget (peak cached bytes 90.9 MB against a 113.6 MB budget, checked after every request) — but saved only 9–18 % of the time (0.82–0.91× in the three campaigns of 71e7dea (2026-11-26)), not the claimed ~70 %. With room for two of the three models, the request mix gives 5 hits and 7 misses (5 evictions), so B loads 7 times where A loads 12; yet each of B's loads costs more (about 17 ms against A's 11 ms), because with two models held, a new load cannot reuse memory the allocator just got back from the previous model and must fault in fresh pages: B takes 15 566 minor faults for 7 loads, A 7 680 for 12. (At f9716d7, before huge-page outputs, B was 1.4× slower; loads have since become cheaper for both, A more.) Holding the models is also what peak memory shows: 213 MB added against A's 119 MB (1.8×, the "opposite" of saving memory, as a cache must be)."#.into(),
            disposition: r#"`ModelCache` is kept as built (budget enforced, LRU, counters); its module doc cites this entry: it pays off only when hits dominate, which a budget of two for three models does not give."#.into(),
            reattempt: r#"A request mix and budget where hits dominate (e.g. budget ≥ working set), and loads into reused buffers so the per-miss cost does not depend on what the cache holds."#.into(),
        }),
    }
}

const PATTERN: &[usize] = &[0, 0, 1, 0, 2, 0, 1, 0, 0, 2, 1, 0];

fn load(p: &std::path::Path) -> Result<(Vec<LoadedTensor>, u64), String> {
    let m = Model::open(p, Backend::Mmap, &Limits::default()).map_err(|e| e.to_string())?;
    let t = load_all(
        &m,
        &LoadOptions {
            target: Some(Target::F16),
            parallel: false,
            progress: None,
            ordinary_pages: false,
        },
    )
    .map_err(|e| e.to_string())?;
    let bytes = t.iter().map(|x| x.data.len() as u64).sum();
    Ok((t, bytes))
}

/// Declared exception to digesting every byte after the clock: keeping
/// twelve loads alive until then would change what A's memory case
/// measures, so each load is digested in the timed region, both variants
/// alike, by sampling 64 bytes of every 4 KiB page.
fn sum(t: &[LoadedTensor]) -> u64 {
    t.iter().fold(0, |h, x| mix(h, crate::context::sampled_digest(&x.data)))
}

fn case(ctx: &Ctx, metric: Metric) -> Result<Case<'static>, String> {
    let files: Vec<PathBuf> = spec().fixtures.iter().map(|f| ctx.need(f)).collect::<Result<_, _>>()?;
    let one = load(&files[0])?.1;
    let budget = one * 2 + one / 2;
    let f2 = files.clone();
    Ok(Case::new(
        format!(
            "12 requests over 3 models, budget {} ({})",
            harness::report::svg::human(budget as f64),
            metric.name()
        ),
        metric,
        CacheMode::Warm,
    )
    .variant("A load every request", move || {
        let mut h = 0;
        for &i in PATTERN {
            h = mix(h, sum(&load(&files[i])?.0));
        }
        Ok(Outcome::checksum(h))
    })
    .variant("B LRU cache", move || {
        let cache: ModelCache<usize, Vec<LoadedTensor>> = ModelCache::new(budget);
        let mut h = 0;
        for &i in PATTERN {
            let t = cache.get_or_load(&i, || load(&f2[i]))?;
            h = mix(h, sum(&t));
            let s = cache.stats();
            if s.bytes > budget {
                return Err(format!("cache holds {} bytes over its budget of {budget}", s.bytes).into());
            }
        }
        let s = cache.stats();
        Ok(Outcome::checksum(h)
            .with("hits", s.hits)
            .with("misses", s.misses)
            .with("evictions", s.evictions)
            .with("peak cached bytes", s.peak_bytes)
            .with("budget", budget))
    }))
}

/// H20's cases for this run (`ctx.quick`: the CI-sized ones) and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(case(ctx, Metric::WallTime));
    if !ctx.quick {
        b.case(case(ctx, Metric::PeakMemory));
    }
    b
}

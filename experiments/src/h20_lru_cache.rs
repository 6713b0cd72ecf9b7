//! H20 — an LRU model cache with a memory budget makes repeated loads
//! cheap without ever holding more than its budget.

use crate::context::{mix, Ctx, Skip};
use crate::registry::Built;
use harness::{CacheMode, Case, Metric, Outcome};
use loader::cache::lru::ModelCache;
use loader::convert::Target;
use loader::load::{load_all, LoadOptions, LoadedTensor};
use loader::{Backend, Limits, Model};
use std::path::PathBuf;

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

fn case(ctx: &Ctx, metric: Metric) -> Result<Case<'static>, Skip> {
    let files: Vec<PathBuf> = crate::registry::spec_of("H20")
        .fixtures
        .iter()
        .map(|f| ctx.need(f))
        .collect::<Result<_, _>>()?;
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

/// H20's cases for this run (`ctx.quick()`: the CI-sized ones) and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(case(ctx, Metric::WallTime));
    if !ctx.quick() {
        b.case(case(ctx, Metric::PeakMemory));
    }
    b
}

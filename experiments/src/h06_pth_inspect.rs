//! H06 — PyTorch inspect: mmap path (A) against the reader path (B, C) and
//! the Python reference (D), on every real `.pth` (legacy and zip).

use crate::context::{hex64, names_and_shapes, Ctx, Skip};
use crate::registry::Built;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Metric, Outcome};
use loader::{Backend, Limits};
use std::process::Command;

/// Runs the Python reference once and returns its in-process seconds
/// and its digest ([`names_and_shapes`] of what it loaded).
fn python_reference(ctx: &Ctx, path: &std::path::Path) -> Result<(f64, u64), String> {
    let py = ctx.store.cache.join("venv/bin/python");
    let script = ctx.store.dir.join("python/pth_bench.py");
    let out = Command::new(&py)
        .arg(&script)
        .arg(path)
        .output()
        .map_err(|e| format!("{}: {e}", py.display()))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr)
            .lines()
            .last()
            .unwrap_or("python failed")
            .to_owned());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut it = text.split_whitespace();
    let secs: f64 = it.next().and_then(|s| s.parse().ok()).ok_or("no timing printed")?;
    let _count = it.next().ok_or("no tensor count printed")?;
    let hex = it.next().ok_or("no digest printed (old pth_bench.py?)")?;
    let d = hex64(hex)?;
    Ok((secs, d))
}

fn case<'a>(ctx: &'a Ctx, name: &str, cache: CacheMode) -> Result<Case<'a>, Skip> {
    let path = ctx.need(name)?;
    let l = Limits::default();
    let n_tensors = loader::inspect_path(&path, Backend::Mmap, &l)?.tensors.len();
    let (pa, pb, pc, pd) = (path.clone(), path.clone(), path.clone(), path.clone());
    let (la, lb, lc) = (l.clone(), l.clone(), l);
    // Variants must agree: the checksum covers every tensor's name and
    // shape, which the reference also reports (as the same digest).
    let count = move |inv: loader::Inventory| {
        Outcome::checksum(names_and_shapes(
            inv.tensors.iter().map(|t| (t.name.as_str(), t.shape.as_slice())),
        ))
    };
    let size = Ctx::size(&path);
    Ok(Case::new(
        format!(
            "{name} ({}, {n_tensors} tensors), {}",
            harness::report::svg::human(size as f64),
            crate::context::cache_word(cache)
        ),
        Metric::WallTime,
        cache,
    )
    .files([path])
    .x(size as f64)
    .variant("A mmap", move || {
        Ok(count(loader::inspect_path(&pa, Backend::Mmap, &la)?))
    })
    .variant("B reader (BufReader)", move || {
        Ok(count(loader::inspect_path(
            &pb,
            Backend::Reader { buffered: true },
            &lb,
        )?))
    })
    .variant("C reader (unbuffered)", move || {
        Ok(count(loader::inspect_path(
            &pc,
            Backend::Reader { buffered: false },
            &lc,
        )?))
    })
    .variant("D Python reference", move || {
        let (secs, n) = python_reference(ctx, &pd)?;
        Ok(Outcome {
            checksum: n,
            measured_s: Some(secs),
            ..Outcome::default()
        })
    })
    .compare("A mmap", "B reader (BufReader)", Expect::Ratio(1.36))
    .compare("A mmap", "C reader (unbuffered)", Expect::Ratio(1.36))
    .compare("A mmap", "D Python reference", Expect::Ratio(4.07)))
}

/// H06's cases for this run (`ctx.quick()`: the CI-sized ones) and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    // Every real `.pth` the page lists (legacy and zip); quick runs take the first two.
    let all = crate::registry::spec_of("H06").fixtures;
    let files = if ctx.quick() {
        &all[..all.len().min(2)]
    } else {
        &all[..]
    };
    for f in files {
        b.case(case(ctx, f, CacheMode::Warm));
    }
    if !ctx.quick() {
        b.case(case(ctx, "taesd-taef2_decoder.pth", CacheMode::Cold));
    }
    b
}

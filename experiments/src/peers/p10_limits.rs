//! P10 — this machine's limits for moving bytes, measured in the same run
//! as the comparisons: memory copy on one and on both cores, and reading a
//! warm file by `pread` into a reused buffer against mapping and touching it.

use crate::context::{digest, Skip};
use crate::registry::Built;
use crate::Ctx;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Metric, Outcome};
use std::os::unix::fs::FileExt;
use std::sync::{Arc, Mutex};

fn memcpy() -> Case<'static> {
    let n = 256 << 20;
    let src: Arc<Vec<u8>> = Arc::new((0..n).map(|i| (i * 31 % 251) as u8).collect());
    let (da, db) = (Arc::new(Mutex::new(vec![1u8; n])), Arc::new(Mutex::new(vec![1u8; n])));
    let deferred = |d: &Arc<Mutex<Vec<u8>>>| {
        let d = d.clone();
        Outcome::output(move || d.lock().map_or(0, |v| digest(&v)))
    };
    let (s1, s2) = (src.clone(), src);
    Case::new("memcpy 256 MiB, in memory", Metric::WallTime, CacheMode::Warm)
        .bytes(n as u64)
        .variant("A one core", move || {
            da.lock().map_err(|_| "poisoned")?.copy_from_slice(&s1);
            Ok(deferred(&da))
        })
        .variant("B two cores", move || {
            {
                let mut d = db.lock().map_err(|_| "poisoned")?;
                let (d0, d1) = d.split_at_mut(n / 2);
                let (h0, h1) = s2.split_at(n / 2);
                rayon::join(|| d0.copy_from_slice(h0), || d1.copy_from_slice(h1));
            }
            Ok(deferred(&db))
        })
        .compare("A one core", "B two cores", Expect::Unclaimed)
}

fn page_cache(ctx: &Ctx, name: &str) -> Result<Case<'static>, Skip> {
    let path = ctx.need(name)?;
    let size = Ctx::size(&path);
    let buf = Arc::new(Mutex::new(vec![0u8; size as usize]));
    let (pa, pb) = (path.clone(), path.clone());
    Ok(Case::new(
        format!("{name} ({}), warm", harness::report::svg::human(size as f64)),
        Metric::WallTime,
        CacheMode::Warm,
    )
    .files([path])
    .bytes(size)
    .variant("A pread into a reused buffer", move || {
        let f = std::fs::File::open(&pa)?;
        f.read_exact_at(&mut buf.lock().map_err(|_| "poisoned")?, 0)?;
        let b = buf.clone();
        Ok(Outcome::output(move || b.lock().map_or(0, |v| digest(&v))))
    })
    .variant("B mmap, one byte per page", move || {
        let m = loader::Model::open(&pb, loader::Backend::Mmap, &loader::Limits::default())?;
        let bytes = m.bytes().ok_or("mapped")?;
        let mut x = 0u8;
        for page in bytes.chunks(4096) {
            x ^= page[0];
        }
        std::hint::black_box(x);
        Ok(Outcome::output(move || m.bytes().map_or(0, digest)))
    })
    .compare(
        "A pread into a reused buffer",
        "B mmap, one byte per page",
        Expect::Unclaimed,
    ))
}

/// P10's cases for this run and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.cases.push(memcpy());
    b.case(page_cache(
        ctx,
        if ctx.quick() {
            "sweep-64m.safetensors"
        } else {
            "sweep-256m.safetensors"
        },
    ));
    b
}

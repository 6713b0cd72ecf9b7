//! H10 — async file I/O does not make a single load faster.

use crate::context::{digest, Ctx, Skip};
use crate::registry::Built;
use harness::{CacheMode, Case, Metric, Outcome};
use std::io::Read;

fn read_async_style(path: &std::path::Path, len: u64) -> Result<Vec<u8>, String> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(8);
    let p = path.to_owned();
    let io = std::thread::spawn(move || -> Result<(), String> {
        let mut f = std::fs::File::open(&p).map_err(|e| e.to_string())?;
        loop {
            let mut buf = vec![0u8; 1 << 20];
            let n = f.read(&mut buf).map_err(|e| e.to_string())?;
            if n == 0 {
                return Ok(());
            }
            buf.truncate(n);
            if tx.send(buf).is_err() {
                return Ok(());
            }
        }
    });
    let mut out = Vec::with_capacity(len as usize);
    for chunk in rx {
        out.extend_from_slice(&chunk);
    }
    io.join().map_err(|_| "I/O thread panicked".to_string())??;
    Ok(out)
}

fn case(ctx: &Ctx, name: &str, cache: CacheMode) -> Result<Case<'static>, Skip> {
    let path = ctx.need(name)?;
    let len = Ctx::size(&path);
    let (p1, p2) = (path.clone(), path.clone());
    Ok(Case::new(
        format!(
            "{name} ({}), {}",
            harness::report::svg::human(len as f64),
            crate::context::cache_word(cache)
        ),
        Metric::WallTime,
        cache,
    )
    .files([path])
    .bytes(len)
    .variant("A synchronous read", move || {
        let mut v = Vec::with_capacity(len as usize);
        std::fs::File::open(&p1).and_then(|mut f| f.read_to_end(&mut v))?;
        Ok(Outcome::output(move || digest(&v)))
    })
    .variant("B async-style (I/O thread + channel)", move || {
        let v = read_async_style(&p2, len)?;
        Ok(Outcome::output(move || digest(&v)))
    }))
}

/// H10's cases for this run (`ctx.quick()`: the CI-sized ones) and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(case(ctx, "model.safetensors", CacheMode::Warm));
    if !ctx.quick() {
        b.case(case(ctx, "model.safetensors", CacheMode::Cold));
        b.case(case(ctx, "sweep-256m.safetensors", CacheMode::Warm));
        b.case(case(ctx, "sweep-256m.safetensors", CacheMode::Cold));
    }
    b
}

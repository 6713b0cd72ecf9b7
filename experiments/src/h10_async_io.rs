//! H10 — async file I/O does not make a single load faster.

use crate::context::{digest, Ctx};
use crate::registry::Built;
use harness::{CacheMode, Case, Claim, Explanation, Metric, Outcome, Spec, Verdict};
use std::io::Read;

/// H10's declaration: claim, source, fixtures, metric and explanation.
pub fn spec() -> Spec {
    Spec {
        id: "H10".into(),
        title: "Async file I/O for a single load".into(),
        hypothesis: "Reading a whole model file into memory: A reads it synchronously (`read_to_end` on a sized buffer, as the whole-read backend does); B reads it the way async runtimes implement file I/O — the blocking reads run on a separate I/O thread in 1 MiB chunks handed to the consumer through a channel (what `tokio::fs` does on a blocking pool; no runtime is pulled in to measure it).".into(),
        source: "seeds/000 (audit: 'better concurrency, not faster for a single load')".into(),
        claim: Claim::no_effect("async I/O gives no gain for one load"),
        fixtures: vec!["model.safetensors".into(), "sweep-256m.safetensors".into()],
        metric: Metric::WallTime,
        explanation: Some(Explanation {
            written_for: Verdict::Opposite,
            why: r#"Async-style reading was 6–8 % *faster*, not "no gain": warm and cold on 87 MB and warm on 256 MB (cold 256 MB: 6 %, inconclusive). The I/O thread overlaps the kernel's copy of the next 1 MiB chunk with the consumer's copy of the previous one into the output, so the two cores work at once; the counters show the cost side too — user time 4× A's (20 ms against 4 ms: the extra copy) and 75–245 context switches per read against none. The result is fragile: in an earlier campaign run with glibc's mmap threshold pinned (every 1 MiB chunk a fresh mapping, twice the page faults), the same variant was 11–23 % slower — the allocator decides whether the overlap or the extra faults win. Both are reasons to treat the audit's "no gain" as untested rather than true: the gain comes from using a second core, not from asynchrony."#.into(),
            disposition: r#"No change: loadlab reads synchronously; a caller who wants overlap gets it from `load_all(parallel)` or a read-ahead thread (H07), not from an async runtime."#.into(),
            reattempt: r#"A real async runtime (tokio's `fs`, io_uring) measured against A on the same files, and the allocator configuration recorded with the result."#.into(),
        }),
    }
}

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

fn case(ctx: &Ctx, name: &str, cache: CacheMode) -> Result<Case<'static>, String> {
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

/// H10's cases for this run (`ctx.quick`: the CI-sized ones) and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(case(ctx, "model.safetensors", CacheMode::Warm));
    if !ctx.quick {
        b.case(case(ctx, "model.safetensors", CacheMode::Cold));
        b.case(case(ctx, "sweep-256m.safetensors", CacheMode::Warm));
        b.case(case(ctx, "sweep-256m.safetensors", CacheMode::Cold));
    }
    b
}

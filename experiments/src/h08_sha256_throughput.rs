//! H08 — SHA-256 streaming verification "is optimal at ~500 MB/s" and the
//! unavoidable bottleneck of a load.

use crate::context::{mix, Ctx, Skip};
use crate::registry::Built;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Metric, Outcome};
use sha2::{Digest, Sha256};
use std::io::Read;

fn case(ctx: &Ctx, name: &str, cache: CacheMode) -> Result<Case<'static>, Skip> {
    let path = ctx.need(name)?;
    let size = Ctx::size(&path);
    let mem = std::fs::read(&path)?;
    let p1 = path.clone();
    let as_u64 = |d: &[u8]| d.iter().fold(0u64, |h, &b| mix(h, u64::from(b)));
    Ok(Case::new(
        format!(
            "{name} ({}), {}",
            harness::report::svg::human(size as f64),
            crate::context::cache_word(cache)
        ),
        Metric::WallTime,
        cache,
    )
    .files([path])
    .bytes(size)
    .variant("A hash in memory", move || {
        Ok(Outcome::checksum(as_u64(&Sha256::digest(&mem))))
    })
    .variant("B streaming verify (file)", move || {
        let (hex, _) = loader::verify::sha256_reader(std::fs::File::open(&p1)?, "f")?;
        let bytes: Vec<u8> = (0..32)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or(0))
            .collect();
        Ok(Outcome::checksum(as_u64(&bytes)))
    })
    .compare("A hash in memory", "B streaming verify (file)", Expect::NoEffect))
}

fn hex_of(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the I/O alone costs: reading the file (A) against reading and
/// hashing it (B); both report the bytes they consumed.
fn io_case(ctx: &Ctx, name: &str, cache: CacheMode) -> Result<Case<'static>, Skip> {
    let path = ctx.need(name)?;
    let size = Ctx::size(&path);
    let (p1, p2, p3) = (path.clone(), path.clone(), path.clone());
    // The whole file's SHA-256 by an independent path (one read, one
    // digest), computed once, after the clock of the first trial.
    let expected: std::rc::Rc<std::cell::OnceCell<String>> = std::rc::Rc::default();
    Ok(Case::new(
        format!(
            "{name} ({}), read vs read + hash, {}",
            harness::report::svg::human(size as f64),
            crate::context::cache_word(cache)
        ),
        Metric::WallTime,
        cache,
    )
    .files([path])
    .bytes(size)
    .variant("A read only", move || {
        let mut f = std::fs::File::open(&p1)?;
        let mut buf = vec![0u8; loader::verify::HASH_CHUNK_BYTES];
        let mut n = 0u64;
        loop {
            let k = f.read(&mut buf)?;
            if k == 0 {
                break;
            }
            n += k as u64;
        }
        if n != size {
            return Err(format!("read {n} of {size} bytes").into());
        }
        // Handed over like B's, so both digests mix the same way.
        Ok(Outcome::output(move || n))
    })
    .variant("B streaming verify (file)", move || {
        let (hex, n) = loader::verify::sha256_reader(std::fs::File::open(&p2)?, "f")?;
        let expected = expected.clone();
        let p3 = p3.clone();
        Ok(Outcome::output(move || {
            let want = expected
                .get_or_init(|| std::fs::read(&p3).map_or_else(|e| e.to_string(), |b| hex_of(&Sha256::digest(&b))));
            // A wrong hash makes B's output differ from A's byte count.
            if hex == *want {
                n
            } else {
                !n
            }
        }))
    })
    .compare("A read only", "B streaming verify (file)", Expect::Unclaimed))
}

/// H08's cases for this run (`ctx.quick()`: the CI-sized ones) and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    let big = if ctx.quick() {
        "sweep-64m.safetensors"
    } else {
        "sweep-1g.safetensors"
    };
    b.case(case(ctx, big, CacheMode::Warm));
    b.case(io_case(ctx, big, CacheMode::Warm));
    if !ctx.quick() {
        b.case(case(ctx, big, CacheMode::Cold));
        b.case(io_case(ctx, big, CacheMode::Cold));
        b.case(case(ctx, "gemma-3-270m-q4_k_m.gguf", CacheMode::Warm));
    }
    if ctx.evidence {
        b.evidence = super::h07_sha256_parallel::hashing_capability();
    }
    b
}

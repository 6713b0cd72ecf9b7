//! H16 — a pre-quantized cache keyed by content hash against quantizing on
//! every load.

use crate::context::{digest, mix, Ctx, Skip};
use crate::registry::Built;
use harness::{CacheMode, Case, Metric, Outcome};
use loader::cache::prequant::{quantize_model_q8_0, Outcome as Hit, PrequantCache};
use loader::{Backend, Limits, Model};

fn checksum(m: &Model) -> Result<u64, String> {
    let mut h = 0;
    for t in &m.inventory().tensors {
        h = mix(h, digest(&m.raw_bytes_of(t).map_err(|e| e.to_string())?));
    }
    Ok(h)
}

fn case(ctx: &Ctx) -> Result<Case<'static>, Skip> {
    let src = ctx.need("model.safetensors")?;
    let dir = ctx.scratch.join("h16-prequant");
    let cache = PrequantCache::new(&dir);
    let l = Limits::default();
    cache.load(&src, &l)?; // populate once
    let (s1, s2, l1, l2) = (src.clone(), src, l.clone(), l);
    let digest_memo = cache.source_digest(&s1)?;
    Ok(
        Case::new("MiniLM F32 → Q8_0, cache warm (hit)", Metric::WallTime, CacheMode::Warm)
            .variant("A quantize every load", move || {
                let m = Model::open(&s1, Backend::Mmap, &l1)?;
                let bytes = quantize_model_q8_0(&m, &digest_memo)?;
                let q = Model::from_bytes(bytes, "q8_0", &l1)?;
                Ok(Outcome::output(move || checksum(&q).unwrap_or(0)))
            })
            .variant("B prequantized cache", move || {
                let (q, hit) = cache.load(&s2, &l2)?;
                Ok(Outcome::output(move || checksum(&q).unwrap_or(0)).with("cache hit", u64::from(hit == Hit::Hit)))
            }),
    )
}

/// H16's cases for this run (`ctx.quick()`: the CI-sized ones) and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(case(ctx));
    b
}

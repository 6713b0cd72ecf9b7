//! P04 — load every F32 tensor of a safetensors file: candle-core against
//! loadlab, beside the machine's limit (reading the file's bytes once).

use crate::registry::Built;
use crate::Ctx;

#[cfg(feature = "peers")]
fn case(ctx: &Ctx, name: &str) -> Result<harness::Case<'static>, crate::context::Skip> {
    use crate::context::{digest, mix};
    use harness::stats::verdict::Expect;
    use harness::{CacheMode, Case, Metric, Outcome};
    use loader::{Backend, Limits, Model};
    use std::os::unix::fs::FileExt;
    let path = ctx.need(name)?;
    let inv = loader::inspect_path(&path, Backend::Mmap, &Limits::default())?;
    // (name, offset, len) in name order: the digest's order for every variant.
    let mut spans: Vec<(String, u64, u64)> = inv
        .tensors
        .iter()
        .filter_map(|t| match t.data {
            loader::DataRef::Range { offset, len } => Some((t.name.clone(), offset, len)),
            _ => None,
        })
        .collect();
    spans.sort();
    let start = spans.iter().map(|s| s.1).min().unwrap_or(0);
    let end = spans.iter().map(|s| s.1 + s.2).max().unwrap_or(0);
    let size = end - start;
    fn digest_of<'b>(items: impl IntoIterator<Item = (&'b str, &'b [u8])>) -> u64 {
        let mut items: Vec<_> = items.into_iter().collect();
        items.sort_by(|a, b| a.0.cmp(b.0));
        items.iter().fold(items.len() as u64, |h, (n, b)| {
            mix(mix(h, digest(n.as_bytes())), digest(b))
        })
    }
    let (pa, pb, pc) = (path.clone(), path.clone(), path.clone());
    let buf = std::sync::Arc::new(std::sync::Mutex::new(vec![0u8; size as usize]));
    let spans_c = std::sync::Arc::new(spans.clone());
    Ok(Case::new(
        format!(
            "{name} ({}, {} tensors), warm",
            harness::report::svg::human(size as f64),
            spans.len()
        ),
        Metric::WallTime,
        CacheMode::Warm,
    )
    .files([path])
    .bytes(size)
    .variant("A candle-core", move || {
        let ts = candle_core::safetensors::load(&pa, &candle_core::Device::Cpu)?;
        Ok(Outcome::output(move || {
            let items: Vec<(String, Vec<u8>)> = ts.into_iter().map(|(n, t)| (n, super::candle_bytes(&t))).collect();
            digest_of(items.iter().map(|(n, b)| (n.as_str(), b.as_slice())))
        }))
    })
    .variant("B loadlab", move || {
        let m = Model::open(&pb, Backend::Mmap, &Limits::default())?;
        let ts = loader::load::load_all(&m, &loader::load::LoadOptions::default())?;
        Ok(Outcome::output(move || {
            digest_of(ts.iter().map(|t| (t.name.as_str(), t.data.as_slice())))
        }))
    })
    .variant("C limit: pread into a reused buffer", move || {
        let f = std::fs::File::open(&pc)?;
        f.read_exact_at(&mut buf.lock().map_err(|_| "poisoned")?, start)?;
        // The buffer is digested tensor by tensor after the clock.
        let (buf, spans) = (buf.clone(), spans_c.clone());
        Ok(Outcome::output(move || {
            let Ok(b) = buf.lock() else { return 0 };
            digest_of(
                spans
                    .iter()
                    .map(|(n, o, l)| (n.as_str(), &b[(o - start) as usize..(o - start + l) as usize])),
            )
        }))
    })
    .compare("A candle-core", "B loadlab", Expect::AtMost(0.5))
    .compare("C limit: pread into a reused buffer", "B loadlab", Expect::Unclaimed))
}

/// P04's cases for this run and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    #[cfg(feature = "peers")]
    b.case(case(ctx, "model.safetensors"));
    #[cfg(not(feature = "peers"))]
    {
        let _ = ctx;
        b.skipped.push(super::NOT_LINKED.into());
    }
    b
}

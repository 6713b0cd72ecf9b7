//! P03 — safetensors inspect: the safetensors crate against loadlab.

use crate::registry::Built;
use crate::Ctx;
use harness::{Claim, Explanation, Metric, Spec, Verdict};

/// P03's declaration.
pub fn spec() -> Spec {
    Spec {
        id: "P03".into(),
        title: "safetensors inspect: the safetensors crate vs loadlab".into(),
        hypothesis: "Parsing and validating a safetensors header from bytes already in memory (the file mapped once, outside the timed region): A is the safetensors crate's `SafeTensors::deserialize`, the reference reader; B is loadlab's `inspect_bytes`. Both produce every tensor's name, dtype, shape and byte range, digested after the clock; the digests must agree.".into(),
        source: "issue “performance”: loadlab's inspect of MiniLM ran at 1.06× the safetensors crate".into(),
        claim: Claim::ratio("loadlab is at least as fast as the safetensors crate (B/A ≤ 1.0)", 1.0),
        fixtures: vec!["model.safetensors".into(), "cloneofsimo-lora_disney_inpainting.safetensors".into()],
        metric: Metric::WallTime,
        explanation: Some(Explanation {
            written_for: Verdict::TargetMet,
            why: r#"Both parse the same JSON header from the same mapped bytes and apply the same rules (offsets tile the data section, byte lengths match shapes and dtypes). loadlab is 1.10–1.16× faster — a few microseconds on a 104-tensor header (61 µs against 69 µs). Both are serde-based JSON parses followed by the same validation; where the microseconds go was not profiled further, and at this size they matter to no caller."#.into(),
            disposition: r#"Nothing to change."#.into(),
            reattempt: r#"Only a larger header (tens of thousands of tensors) would tell whether the margin holds."#.into(),
        }),
    }
}

#[cfg(feature = "peers")]
fn case(ctx: &Ctx, name: &str) -> Result<harness::Case<'static>, String> {
    use harness::stats::verdict::Expect;
    use harness::{CacheMode, Case, Outcome};
    use loader::{Backend, Limits, Model};
    use std::sync::Arc;
    let path = ctx.need(name)?;
    let m = Arc::new(Model::open(&path, Backend::Mmap, &Limits::default()).map_err(|e| e.to_string())?);
    let n = m.inventory().tensors.len();
    let m2 = m.clone();
    let line =
        |name: &str, dt: &str, shape: &[u64], start: u64, end: u64| format!("{name} {dt} {shape:?} {start} {end}");
    Ok(Case::new(
        format!("{name} ({n} tensors), in memory"),
        Metric::WallTime,
        CacheMode::Warm,
    )
    .variant("A safetensors crate", move || {
        let bytes = m.bytes().ok_or("mapped")?;
        let st = safetensors::SafeTensors::deserialize(bytes)?;
        // The views borrow the mapping; their description is collected
        // after the clock from a fresh parse of the same bytes.
        drop(st);
        let m = m.clone();
        Ok(Outcome::output(move || {
            let bytes = m.bytes().unwrap_or_default();
            let st = safetensors::SafeTensors::deserialize(bytes).ok();
            let lines = st.map_or_else(Vec::new, |st| {
                st.tensors()
                    .into_iter()
                    .map(|(n, v)| {
                        let start = v.data().as_ptr() as u64 - bytes.as_ptr() as u64;
                        let shape: Vec<u64> = v.shape().iter().map(|&d| d as u64).collect();
                        line(
                            &n,
                            &format!("{:?}", v.dtype()),
                            &shape,
                            start,
                            start + v.data().len() as u64,
                        )
                    })
                    .collect()
            });
            super::lines_sha(lines)
        }))
    })
    .variant("B loadlab", move || {
        let bytes = m2.bytes().ok_or("mapped")?;
        let inv = loader::inspect_bytes(bytes, "model", &Limits::default())?;
        Ok(Outcome::output(move || {
            let lines = inv
                .tensors
                .iter()
                .map(|t| {
                    let (o, l) = match t.data {
                        loader::DataRef::Range { offset, len } => (offset, len),
                        _ => (0, 0),
                    };
                    line(&t.name, t.dtype.name(), &t.shape, o, o + l)
                })
                .collect();
            super::lines_sha(lines)
        }))
    })
    .compare("A safetensors crate", "B loadlab", Expect::AtMost(1.0)))
}

/// P03's cases for this run and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    #[cfg(feature = "peers")]
    {
        b.case(case(ctx, "model.safetensors"));
        b.case(case(ctx, "cloneofsimo-lora_disney_inpainting.safetensors"));
    }
    #[cfg(not(feature = "peers"))]
    {
        let _ = ctx;
        b.skipped.push(super::NOT_LINKED.into());
    }
    b
}

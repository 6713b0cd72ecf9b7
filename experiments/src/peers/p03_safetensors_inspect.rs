//! P03 — safetensors inspect: the safetensors crate against loadlab.

use crate::registry::Built;
use crate::Ctx;

#[cfg(feature = "peers")]
fn case(ctx: &Ctx, name: &str) -> Result<harness::Case<'static>, crate::context::Skip> {
    use harness::stats::verdict::Expect;
    use harness::{CacheMode, Case, Metric, Outcome};
    use loader::{Backend, Limits, Model};
    use std::sync::Arc;
    let path = ctx.need(name)?;
    let m = Arc::new(Model::open(&path, Backend::Mmap, &Limits::default())?);
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

//! H12 — streaming (chunked) F32 → F16 conversion against converting the
//! whole tensor: peak memory, and time.

use crate::context::{digest, mix, Ctx, Skip};
use crate::registry::Built;
use harness::experiment::VariantResult;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Metric, Outcome};
use loader::convert::Target;
use loader::load::stream::{convert_streaming, convert_whole, DEFAULT_CHUNK_ELEMENTS};
use loader::{Backend, DType, Limits, Model};
use std::cell::RefCell;

/// The open model, its F32 tensors (name, F16 bytes) and their destinations.
type Shared = (Model<'static>, Vec<(String, usize)>, RefCell<Vec<Vec<u8>>>);

fn case(ctx: &Ctx, backend: Backend, metric: Metric) -> Result<Case<'static>, Skip> {
    let path = ctx.need("model.safetensors")?;
    // Each variant owns its model and destinations, so a variant that wrote
    // nothing could not pass on the other's output.
    let own = || -> Result<std::rc::Rc<Shared>, String> {
        let m = Model::open(&path, backend, &Limits::default()).map_err(|e| e.to_string())?;
        let names: Vec<(String, usize)> = m
            .inventory()
            .tensors
            .iter()
            .filter(|t| t.dtype == DType::F32)
            .map(|t| (t.name.clone(), t.n_elements() as usize * 2))
            .collect();
        // One destination per tensor, allocated and touched outside the trials.
        let dst: Vec<Vec<u8>> = names.iter().map(|(_, n)| vec![1u8; *n]).collect();
        Ok(std::rc::Rc::new((m, names, RefCell::new(dst))))
    };
    let (s1, s2) = (own()?, own()?);
    let run = |s: &std::rc::Rc<Shared>, streaming: bool| -> VariantResult {
        {
            let (m, names, dst) = &**s;
            let mut dst = dst.borrow_mut();
            for ((name, _), d) in names.iter().zip(dst.iter_mut()) {
                if streaming {
                    convert_streaming(m, name, Target::F16, d, DEFAULT_CHUNK_ELEMENTS)?;
                } else {
                    convert_whole(m, name, Target::F16, d)?;
                }
            }
        }
        let s = s.clone();
        Ok(Outcome::output(move || {
            s.2.borrow().iter().fold(0, |h, d| mix(h, digest(d)))
        }))
    };
    let mut c = Case::new(
        format!(
            "MiniLM, all F32 tensors → F16, {} backend, {}",
            backend.name(),
            metric.name()
        ),
        metric,
        CacheMode::Warm,
    )
    .variant("A whole tensor", move || run(&s1, false))
    .variant("B streaming chunks", move || run(&s2, true));
    if metric == Metric::WallTime {
        c = c.compare("A whole tensor", "B streaming chunks", Expect::Ratio(0.85));
    }
    Ok(c)
}

/// H12's cases for this run (`ctx.quick()`: the CI-sized ones) and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(case(ctx, Backend::Reader { buffered: true }, Metric::PeakMemory));
    b.case(case(ctx, Backend::Reader { buffered: true }, Metric::WallTime));
    if !ctx.quick() {
        b.case(case(ctx, Backend::Mmap, Metric::PeakMemory));
        b.case(case(ctx, Backend::Mmap, Metric::WallTime));
    }
    b
}

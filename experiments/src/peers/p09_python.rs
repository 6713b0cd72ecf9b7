//! P09 — the Python references, each timed inside its own process after
//! its imports: numpy, safetensors, gguf-py, hashlib.

use super::{arrays_sha, names_and_shapes, numpy_name, python_op, run};
use crate::context::Skip;
use crate::registry::Built;
use crate::Ctx;
use harness::ledger::{Evidence, EvidenceKind};
use harness::stats::verdict::Expect;
use harness::{CacheMode, Case, Metric, Outcome};
use loader::{Backend, Limits, Model};

/// loadlab's side of an operation: the timed work, with the result's
/// digest (in the reference's form) computed after the clock.
fn ours(op: &str, p: &std::path::Path) -> harness::experiment::VariantResult {
    Ok(match op {
        "npz" | "safetensors" => {
            let m = Model::open(p, Backend::Mmap, &Limits::default())?;
            let ts = loader::load::load_all(&m, &loader::load::LoadOptions::default())?;
            Outcome::output(move || {
                arrays_sha(
                    ts.iter()
                        .map(|t| (t.name.as_str(), numpy_name(t.dtype), t.data.as_slice())),
                )
            })
        }
        "gguf" => {
            let inv = loader::inspect_path(p, Backend::Mmap, &Limits::default())?;
            Outcome::output(move || names_and_shapes(inv.tensors.iter().map(|t| (t.name.as_str(), t.shape.as_slice()))))
        }
        _ => {
            let d = super::hex64(&loader::verify::sha256_file(p)?)?;
            Outcome::output(move || d)
        }
    })
}

fn case<'a>(ctx: &'a Ctx, op: &'static str, name: &str) -> Result<Case<'a>, Skip> {
    let path = ctx.need(name)?;
    // The reference must run here at all (venv present); its digest is
    // what loadlab's must equal (the harness compares them).
    let (_, want) = python_op(ctx, op, &path)?;
    let p = path.clone();
    let what = match op {
        "npz" => "numpy.load, every array",
        "safetensors" => "safetensors.numpy.load_file",
        "gguf" => "gguf.GGUFReader",
        _ => "hashlib.sha256",
    };
    let pa = path.clone();
    Ok(
        Case::new(format!("{what}: {name}, warm"), Metric::WallTime, CacheMode::Warm)
            .files([path])
            .variant("A Python reference", move || {
                let (secs, d) = python_op(ctx, op, &pa)?;
                if d != want {
                    return Err(format!("the reference's digest changed: {d:#x} vs {want:#x}").into());
                }
                // Settled like loadlab's deferred digest, so equal results compare equal.
                Ok(Outcome {
                    measured_s: Some(secs),
                    ..Outcome::output(move || d)
                })
            })
            .variant("B loadlab", move || ours(op, &p))
            .compare("A Python reference", "B loadlab", Expect::AtMost(1.0)),
    )
}

/// Interpreter start-up with the references' imports, as a whole process
/// (median of 5), for the evidence.
fn startup(ctx: &Ctx) -> Result<Evidence, String> {
    let py = super::python(ctx)?;
    let script = ctx.store.dir.join("python/peer_bench.py");
    let mut t = Vec::new();
    for _ in 0..5 {
        let s = std::time::Instant::now();
        run(std::process::Command::new(&py).arg(&script).args(["startup", "-"]))?;
        t.push(s.elapsed().as_secs_f64());
    }
    t.sort_by(f64::total_cmp);
    Ok(Evidence {
        what: EvidenceKind::Other("Python start-up, excluded from A".into()),
        text: format!(
            "Starting the venv's interpreter and importing numpy, gguf and safetensors.numpy takes {:.0} ms as a whole process (median of 5; min {:.0} ms, max {:.0} ms). A's figures exclude it; a user running the reference as a script pays it on top.",
            t[2] * 1e3,
            t[0] * 1e3,
            t[4] * 1e3
        ),
    })
}

/// P09's cases for this run and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    b.case(case(ctx, "npz", "minilm.npz"));
    b.case(case(ctx, "safetensors", "model.safetensors"));
    b.case(case(ctx, "gguf", "gemma-3-270m-q4_k_m.gguf"));
    b.case(case(ctx, "sha256", "gemma-3-270m-q4_k_m.gguf"));
    if ctx.evidence {
        match startup(ctx) {
            Ok(e) => b.evidence.push(e),
            Err(e) => b.skipped.push(format!("Python start-up not measured: {e}")),
        }
    }
    b
}

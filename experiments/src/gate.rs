//! The regression gate's subset: small, deterministic workloads on the
//! loader's hot paths, measured in instructions (callgrind) or wall time.

use crate::context::{digest, inventory_digest, Ctx};
use harness::{CacheMode, Case, Claim, Metric, Outcome, Spec};
use loader::{Backend, Limits, Model};

pub const ID: &str = "GATE";

pub fn spec() -> Spec {
    Spec {
        id: ID.into(),
        title: "regression gate".into(),
        hypothesis: "Hot paths of the loader keep their cost.".into(),
        source: "loadlab CI".into(),
        claim: Claim::no_effect("no regression"),
        fixtures: Vec::new(),
        metric: Metric::Instructions,
        explanation: None,
    }
}

fn one<'a>(label: &str, metric: Metric, run: impl FnMut() -> Result<Outcome, String> + 'a) -> Case<'a> {
    Case::new(label, metric, CacheMode::Warm).variant("current", run)
}

/// The gate's cases; those whose fixture is missing are left out.
pub fn cases(ctx: &Ctx, metric: Metric) -> Vec<Case<'static>> {
    let mut out = Vec::new();
    let l = Limits::default();
    if let Some(p) = ctx.fixture("SmolLM2-135M-Instruct.Q4_1.gguf") {
        let l = l.clone();
        out.push(one("gguf inspect (mmap) SmolLM2", metric, move || {
            let inv = loader::inspect_path(&p, Backend::Mmap, &l).map_err(|e| e.to_string())?;
            Ok(Outcome::checksum(inventory_digest(&inv)))
        }));
    }
    if let Some(p) = ctx.fixture("cloneofsimo-analog_svd_rank4.safetensors") {
        let l = l.clone();
        out.push(one("safetensors inspect (mmap) LoRA", metric, move || {
            let inv = loader::inspect_path(&p, Backend::Mmap, &l).map_err(|e| e.to_string())?;
            Ok(Outcome::checksum(inventory_digest(&inv)))
        }));
    }
    if let Some(p) = ctx.fixture("burn-mnist.pt") {
        let l = l.clone();
        out.push(one("pth inspect (mmap) burn-mnist", metric, move || {
            let inv = loader::inspect_path(&p, Backend::Mmap, &l).map_err(|e| e.to_string())?;
            Ok(Outcome::checksum(inventory_digest(&inv)))
        }));
    }
    if let Some(p) = ctx.fixture("gemma-3-270m-q4_k_m.gguf") {
        if let Ok(m) = Model::open(&p, Backend::Mmap, &l) {
            for name in ["blk.0.ffn_down.weight", "blk.0.attn_q.weight"] {
                if let Ok(t) = m.info(name) {
                    let label = format!("dequant {} {} → F32", t.dtype, name);
                    let m = Model::open(&p, Backend::Mmap, &l).expect("opened just above");
                    out.push(one(&label, metric, move || {
                        let f = m.tensor_f32(name).map_err(|e| e.to_string())?;
                        Ok(Outcome::checksum(f.len() as u64 ^ f[f.len() / 2].to_bits() as u64))
                    }));
                }
            }
        }
    }
    if let Some(p) = ctx.fixture("model.safetensors") {
        if let Ok(m) = Model::open(&p, Backend::Mmap, &l) {
            let name = "encoder.layer.0.intermediate.dense.weight";
            if m.info(name).is_ok() {
                out.push(one("convert F32 → F16 (1536×384)", metric, move || {
                    let b = m
                        .tensor_as(name, loader::convert::Target::F16)
                        .map_err(|e| e.to_string())?;
                    Ok(Outcome::checksum(digest(&b)))
                }));
            }
        }
    }
    if let Some(p) = ctx.fixture("whisper_mel_filters.npz") {
        if let Ok(m) = Model::open(&p, Backend::Mmap, &l) {
            out.push(one("npz inflate whisper mel filters", metric, move || {
                let b = m.tensor_bytes("mel_128").map_err(|e| e.to_string())?;
                Ok(Outcome::checksum(digest(&b)))
            }));
        }
    }
    out
}

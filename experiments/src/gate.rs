//! The regression gate's set: small, deterministic workloads on the
//! loader's hot paths, measured in instructions (callgrind) or wall time.
//! Each case is built on its own (`build_one`), so a process that measures
//! one case never holds another's files or allocations.

use crate::context::{digest, inventory_digest, Ctx};
use harness::experiment::VariantResult;
use harness::{CacheMode, Case, Claim, Metric, Outcome, Spec};
use loader::{Backend, Limits, Model};

/// The gate's experiment id.
pub const ID: &str = "GATE";
/// The one variant of every gate case.
pub const VARIANT: &str = "current";

/// The gate as an experiment spec (for ledgers of gate runs).
pub fn spec() -> Spec {
    Spec {
        id: ID.into(),
        title: "regression gate".into(),
        hypothesis: "Hot paths of the loader keep their cost.".into(),
        source: "loadlab CI".into(),
        claim: Claim::no_effect("no regression"),
        fixtures: Vec::new(),
        metric: Metric::Instructions,
        equal_work: None,
        explanation: None,
    }
}

type Run = Box<dyn FnMut() -> VariantResult>;

/// One gated case: its label, its fixture, and how to build its workload.
struct GateCase {
    label: &'static str,
    fixture: &'static str,
    /// The experiment whose history covers the same code path.
    history: &'static str,
    build: fn(&std::path::Path) -> Result<Run, String>,
}

fn inspect(p: &std::path::Path) -> Result<Run, String> {
    let p = p.to_owned();
    Ok(Box::new(move || {
        let inv = loader::inspect_path(&p, Backend::Mmap, &Limits::default())?;
        Ok(Outcome::checksum(inventory_digest(&inv)))
    }))
}

fn open(p: &std::path::Path) -> Result<Model<'static>, String> {
    Model::open(p, Backend::Mmap, &Limits::default()).map_err(|e| e.to_string())
}

fn dequant(p: &std::path::Path, name: &'static str) -> Result<Run, String> {
    let m = open(p)?;
    m.info(name).map_err(|e| e.to_string())?;
    Ok(Box::new(move || {
        let f = m.tensor_f32(name)?;
        // Every value, after the clock (a callgrind trial drops it undigested).
        Ok(Outcome::output(move || crate::context::f32_digest(&f)))
    }))
}

const CASES: &[GateCase] = &[
    GateCase {
        label: "gguf inspect (mmap) SmolLM2",
        history: "H23",
        fixture: "SmolLM2-135M-Instruct.Q4_1.gguf",
        build: inspect,
    },
    GateCase {
        label: "safetensors inspect (mmap) LoRA",
        history: "H04",
        fixture: "cloneofsimo-analog_svd_rank4.safetensors",
        build: inspect,
    },
    GateCase {
        label: "pth inspect (mmap) burn-mnist",
        history: "H06",
        fixture: "burn-mnist.pt",
        build: inspect,
    },
    GateCase {
        label: "dequant Q6_K blk.0.ffn_down.weight → F32",
        history: "H25",
        fixture: "gemma-3-270m-q4_k_m.gguf",
        build: |p| dequant(p, "blk.0.ffn_down.weight"),
    },
    GateCase {
        label: "dequant Q5_0 blk.0.attn_q.weight → F32",
        history: "H25",
        fixture: "gemma-3-270m-q4_k_m.gguf",
        build: |p| dequant(p, "blk.0.attn_q.weight"),
    },
    GateCase {
        label: "convert F32 → F16 (1536×384)",
        history: "H13",
        fixture: "model.safetensors",
        build: |p| {
            let m = open(p)?;
            let name = "encoder.layer.0.intermediate.dense.weight";
            m.info(name).map_err(|e| e.to_string())?;
            Ok(Box::new(move || {
                let b = m.tensor_as(name, loader::convert::Target::F16)?;
                Ok(Outcome::output(move || digest(&b)))
            }))
        },
    },
    GateCase {
        label: "npz inflate whisper mel filters",
        history: "H01",
        fixture: "whisper_mel_filters.npz",
        build: |p| {
            let m = open(p)?;
            Ok(Box::new(move || {
                // Inflated, so owned: moving it out costs nothing.
                let b = m.tensor_bytes("mel_128")?.into_owned();
                Ok(Outcome::output(move || digest(&b)))
            }))
        },
    },
];

/// Every gate case label, whether or not its fixture is present.
pub fn labels() -> impl Iterator<Item = &'static str> {
    CASES.iter().map(|c| c.label)
}

fn case_of(g: &GateCase, ctx: &Ctx, metric: Metric) -> Result<Case<'static>, String> {
    let p = ctx.need(g.fixture).map_err(|e| e.to_string())?;
    let run = (g.build)(&p)?;
    Ok(Case::new(g.label, metric, CacheMode::Warm).variant(VARIANT, run))
}

/// Builds one gate case by label.
pub fn build_one(ctx: &Ctx, metric: Metric, label: &str) -> Result<Case<'static>, String> {
    let g = CASES
        .iter()
        .find(|c| c.label == label)
        .ok_or_else(|| format!("no gate case {label:?}"))?;
    case_of(g, ctx, metric)
}

/// Every gate case that can be built, and why the others cannot.
pub fn cases(ctx: &Ctx, metric: Metric) -> (Vec<Case<'static>>, Vec<String>) {
    let mut built = Vec::new();
    let mut skipped = Vec::new();
    for g in CASES {
        match case_of(g, ctx, metric) {
            Ok(c) => built.push(c),
            Err(e) => skipped.push(format!("{}: {e}", g.label)),
        }
    }
    (built, skipped)
}

/// The experiment whose history covers gated case `label`'s code path.
pub fn history_of(label: &str) -> Option<&'static str> {
    CASES.iter().find(|c| c.label == label).map(|c| c.history)
}

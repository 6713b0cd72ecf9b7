//! P01 — GGUF inspect in-process: candle-core's reader against loadlab's.

use crate::registry::Built;
use crate::Ctx;

/// The canonical text of a metadata value (floats as F32, as both store them).
fn canon_loadlab(v: &loader::MetaValue, out: &mut String) {
    use loader::MetaValue as M;
    use std::fmt::Write;
    match v {
        M::Bool(b) => write!(out, "{b}").unwrap_or(()),
        M::Int(i) => write!(out, "{i}").unwrap_or(()),
        M::UInt(u) => write!(out, "{u}").unwrap_or(()),
        M::Float(f) => write!(out, "{:?}", *f as f32).unwrap_or(()),
        M::Str(s) => out.push_str(s),
        M::Strings(a) => {
            out.push('[');
            for s in a.iter() {
                out.push_str(s);
                out.push('\u{1}');
            }
            out.push(']');
        }
        M::Numbers(n) => canon_array(n.iter(), out),
        M::Array(a) => canon_array(a.iter().cloned(), out),
    }
}

fn canon_array(items: impl Iterator<Item = loader::MetaValue>, out: &mut String) {
    out.push('[');
    for x in items {
        canon_loadlab(&x, out);
        out.push('\u{1}');
    }
    out.push(']');
}

/// loadlab's inventory in the canonical form.
pub fn loadlab_lines(inv: &loader::Inventory) -> Vec<String> {
    let mut lines: Vec<String> = inv
        .tensors
        .iter()
        .map(|t| {
            let off = match t.data {
                loader::DataRef::Range { offset, .. } => offset,
                _ => u64::MAX,
            };
            format!("T {} {} {:?} {off}", t.name, t.dtype.name(), t.shape)
        })
        .collect();
    for (k, v) in &inv.metadata {
        let mut s = format!("M {k} ");
        canon_loadlab(v, &mut s);
        lines.push(s);
    }
    lines
}

#[cfg(feature = "peers")]
mod linked {
    use super::*;
    use crate::context::Skip;
    use candle_core::quantized::gguf_file::{Content, Value};
    use candle_core::quantized::GgmlDType;
    use harness::stats::verdict::Expect;
    use harness::{CacheMode, Case, Metric, Outcome};
    use loader::{Backend, Limits};

    /// The ggml name of a candle dtype.
    pub fn ggml_name(d: GgmlDType) -> &'static str {
        use GgmlDType::*;
        match d {
            F32 => "F32",
            F16 => "F16",
            BF16 => "BF16",
            Q4_0 => "Q4_0",
            Q4_1 => "Q4_1",
            Q5_0 => "Q5_0",
            Q5_1 => "Q5_1",
            Q8_0 => "Q8_0",
            Q8_1 => "Q8_1",
            Q2K => "Q2_K",
            Q3K => "Q3_K",
            Q4K => "Q4_K",
            Q5K => "Q5_K",
            Q6K => "Q6_K",
            Q8K => "Q8_K",
        }
    }

    fn canon_candle(v: &Value, out: &mut String) {
        use std::fmt::Write;
        match v {
            Value::U8(x) => write!(out, "{x}").unwrap_or(()),
            Value::I8(x) => write!(out, "{x}").unwrap_or(()),
            Value::U16(x) => write!(out, "{x}").unwrap_or(()),
            Value::I16(x) => write!(out, "{x}").unwrap_or(()),
            Value::U32(x) => write!(out, "{x}").unwrap_or(()),
            Value::I32(x) => write!(out, "{x}").unwrap_or(()),
            Value::U64(x) => write!(out, "{x}").unwrap_or(()),
            Value::I64(x) => write!(out, "{x}").unwrap_or(()),
            Value::F32(x) => write!(out, "{x:?}").unwrap_or(()),
            Value::F64(x) => write!(out, "{:?}", *x as f32).unwrap_or(()),
            Value::Bool(b) => write!(out, "{b}").unwrap_or(()),
            Value::String(s) => out.push_str(s),
            Value::Array(a) => {
                out.push('[');
                for x in a {
                    canon_candle(x, out);
                    out.push('\u{1}');
                }
                out.push(']');
            }
        }
    }

    /// candle's content in the canonical form.
    pub fn candle_lines(c: &Content) -> Vec<String> {
        let mut lines: Vec<String> = c
            .tensor_infos
            .iter()
            .map(|(name, t)| {
                let mut dims: Vec<u64> = t.shape.dims().iter().map(|&d| d as u64).collect();
                dims.reverse(); // candle lists dimensions outermost first
                format!(
                    "T {name} {} {dims:?} {}",
                    ggml_name(t.ggml_dtype),
                    c.tensor_data_offset + t.offset
                )
            })
            .collect();
        for (k, v) in &c.metadata {
            let mut s = format!("M {k} ");
            canon_candle(v, &mut s);
            lines.push(s);
        }
        lines
    }

    pub fn case(ctx: &Ctx, name: &str, metric: Metric) -> Result<Case<'static>, Skip> {
        let path = ctx.need(name)?;
        let label = format!(
            "{name} ({} tokens), warm, {}",
            crate::context::vocab_size(&path),
            metric.name()
        );
        let (pa, pb, pc) = (path.clone(), path.clone(), path.clone());
        let claim = if metric == Metric::PeakMemory { 0.5 } else { 0.2 };
        Ok(Case::new(label, metric, CacheMode::Warm)
            .files([path])
            .variant("A candle-core", move || {
                let mut r = std::io::BufReader::new(std::fs::File::open(&pa)?);
                let c = Content::read(&mut r)?;
                Ok(Outcome::output(move || super::super::lines_sha(candle_lines(&c))))
            })
            .variant("B loadlab mmap", move || {
                let inv = loader::inspect_path(&pb, Backend::Mmap, &Limits::default())?;
                Ok(Outcome::output(move || super::super::lines_sha(loadlab_lines(&inv))))
            })
            .variant("C loadlab reader", move || {
                let inv = loader::inspect_path(&pc, Backend::Reader { buffered: true }, &Limits::default())?;
                Ok(Outcome::output(move || super::super::lines_sha(loadlab_lines(&inv))))
            })
            .compare("A candle-core", "B loadlab mmap", Expect::AtMost(claim))
            .compare("A candle-core", "C loadlab reader", Expect::AtMost(claim)))
    }
}

#[cfg(feature = "peers")]
pub use linked::{candle_lines, ggml_name};

/// P01's cases for this run and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    #[cfg(feature = "peers")]
    {
        use harness::Metric;
        b.case(linked::case(ctx, "gemma-3-270m-q4_k_m.gguf", Metric::WallTime));
        b.case(linked::case(ctx, "gemma-3-270m-q4_k_m.gguf", Metric::PeakMemory));
        if !ctx.quick() {
            b.case(linked::case(ctx, "SmolLM2-135M-Instruct.Q4_1.gguf", Metric::WallTime));
        }
    }
    #[cfg(not(feature = "peers"))]
    {
        let _ = ctx;
        b.skipped.push(super::NOT_LINKED.into());
    }
    b
}

//! P11 — load every tensor of a whole model cold, on whatever storage the
//! campaign runs on (`lab run --only P11 --storage …`): candle-core, the
//! safetensors crate, ztensor and the Python references against loadlab's
//! `Backend::Auto`, each file evicted before every trial and its residency
//! checked. Every variant's output is every tensor's name and bytes as
//! stored, digested after the clock in one form (`raw_digest`), so each
//! peer is checked to have loaded the same bytes.

use crate::registry::Built;
use crate::Ctx;

/// SHA-256 over sorted `name NUL bytes` records — the form
/// `peer_bench.py`'s `load-*` operations print — as a `u64`.
pub fn raw_digest<'a>(items: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> u64 {
    use sha2::Digest;
    let mut v: Vec<_> = items.into_iter().collect();
    v.sort_by(|a, b| a.0.cmp(b.0));
    let mut h = sha2::Sha256::new();
    for (name, bytes) in v {
        h.update(name.as_bytes());
        h.update([0]);
        h.update(bytes);
    }
    let d = h.finalize();
    u64::from_be_bytes(d[..8].try_into().unwrap_or_default())
}

#[cfg(feature = "peers")]
mod linked {
    use super::raw_digest;
    use crate::context::Skip;
    use crate::peers::{candle_bytes, python_op};
    use crate::Ctx;
    use harness::experiment::VariantResult;
    use harness::stats::verdict::Expect;
    use harness::{CacheMode, Case, Metric, Outcome};
    use loader::{Backend, Limits, Model};
    use std::path::Path;

    /// The formats the case is built for.
    #[derive(Clone, Copy)]
    enum Format {
        Safetensors,
        Gguf,
        Npz,
    }

    /// candle-core's load of the whole file into CPU tensors.
    fn candle(format: Format, p: &Path) -> VariantResult {
        let ts: Vec<(String, candle_core::Tensor)> = match format {
            Format::Safetensors => candle_core::safetensors::load(p, &candle_core::Device::Cpu)?
                .into_iter()
                .collect(),
            Format::Npz => candle_core::Tensor::read_npz(p)?,
            Format::Gguf => return candle_gguf(p),
        };
        Ok(Outcome::output(move || {
            let items: Vec<(String, Vec<u8>)> = ts.into_iter().map(|(n, t)| (n, candle_bytes(&t))).collect();
            raw_digest(items.iter().map(|(n, b)| (n.as_str(), b.as_slice())))
        }))
    }

    /// candle-core's GGUF load: the header, then every tensor as a CPU
    /// `QTensor` holding the stored blocks.
    fn candle_gguf(p: &Path) -> VariantResult {
        use candle_core::quantized::gguf_file::Content;
        let mut f = std::io::BufReader::new(std::fs::File::open(p)?);
        let content = Content::read(&mut f)?;
        let mut ts = Vec::with_capacity(content.tensor_infos.len());
        for name in content.tensor_infos.keys() {
            ts.push((name.clone(), content.tensor(&mut f, name, &candle_core::Device::Cpu)?));
        }
        // The stored blocks are borrowed for the digest, after the clock.
        Ok(Outcome::output(move || {
            let items: Vec<(&str, std::borrow::Cow<'_, [u8]>)> = ts
                .iter()
                .map(|(n, t)| (n.as_str(), t.data().unwrap_or_default()))
                .collect();
            raw_digest(items.iter().map(|(n, b)| (*n, b.as_ref())))
        }))
    }

    /// The safetensors crate, as its users load a file: read it whole,
    /// deserialize, copy each tensor's bytes out.
    fn safetensors_crate(p: &Path) -> VariantResult {
        let bytes = std::fs::read(p)?;
        let st = safetensors::SafeTensors::deserialize(&bytes)?;
        let items: Vec<(String, Vec<u8>)> = st.tensors().into_iter().map(|(n, v)| (n, v.data().to_vec())).collect();
        drop(bytes);
        Ok(Outcome::output(move || {
            raw_digest(items.iter().map(|(n, b)| (n.as_str(), b.as_slice())))
        }))
    }

    /// ztensor (through `ztensor-compat`, which reads foreign formats): open,
    /// then every tensor's bytes into owned memory.
    fn ztensor(p: &Path) -> VariantResult {
        let src = ztensor_compat::open(p).map_err(|e| e.to_string())?;
        let mut items: Vec<(String, Vec<u8>)> = Vec::with_capacity(src.len());
        for t in src.tensors() {
            let part = t.data().map_err(|e| e.to_string())?;
            let bytes = part.bytes().map_err(|e| e.to_string())?.into_owned();
            items.push((t.name().to_owned(), bytes));
        }
        Ok(Outcome::output(move || {
            raw_digest(items.iter().map(|(n, b)| (n.as_str(), b.as_slice())))
        }))
    }

    /// loadlab: `Backend::Auto` and `load_all` with the defaults.
    fn loadlab(p: &Path) -> VariantResult {
        let m = Model::open(p, Backend::Auto, &Limits::default())?;
        let ts = loader::load::load_all(&m, &loader::load::LoadOptions::default())?;
        Ok(Outcome::output(move || {
            raw_digest(ts.iter().map(|t| (t.name.as_str(), t.data.as_slice())))
        }))
    }

    /// The cold load of `name` by every peer that reads its format and by
    /// loadlab, with the targets for loadlab's B/A against each: ≥ 1.5×
    /// candle-core, ≥ 1.2× the safetensors crate and ztensor, no slower
    /// than the Python reference.
    pub fn case<'a>(ctx: &'a Ctx, name: &str) -> Result<Case<'a>, Skip> {
        let format = match name.rsplit('.').next() {
            Some("gguf") => Format::Gguf,
            Some("npz") => Format::Npz,
            _ => Format::Safetensors,
        };
        let path = ctx.need(name)?;
        let size = Ctx::size(&path);
        let op = match format {
            Format::Safetensors => "load-safetensors",
            Format::Gguf => "load-gguf",
            Format::Npz => "load-npz",
        };
        // The Python reference must run here at all (venv present); its
        // digest is what every variant's must equal.
        let (_, want) = python_op(ctx, op, &path)?;
        let mut c = Case::new(
            format!(
                "{name} ({}), cold, every tensor loaded",
                harness::report::svg::human(size as f64)
            ),
            Metric::WallTime,
            CacheMode::Cold,
        )
        .files([path.clone()])
        .bytes(size);
        let pa = path.clone();
        c = c.variant("A candle-core", move || candle(format, &pa));
        let mut peers = vec![("A candle-core", Expect::AtMost(1.0 / 1.5))];
        if let Format::Safetensors = format {
            let pb = path.clone();
            c = c.variant("B safetensors crate", move || safetensors_crate(&pb));
            peers.push(("B safetensors crate", Expect::AtMost(1.0 / 1.2)));
        }
        let pc = path.clone();
        c = c.variant("C ztensor", move || ztensor(&pc));
        peers.push(("C ztensor", Expect::AtMost(1.0 / 1.2)));
        let pd = path.clone();
        c = c.variant("D Python reference", move || {
            let (secs, d) = python_op(ctx, op, &pd)?;
            if d != want {
                return Err(format!("the reference's digest changed: {d:#x} vs {want:#x}").into());
            }
            // Timed inside its own process after its imports.
            Ok(Outcome {
                measured_s: Some(secs),
                ..Outcome::output(move || d)
            })
        });
        peers.push(("D Python reference", Expect::AtMost(1.0)));
        let pe = path.clone();
        c = c.variant("E loadlab", move || loadlab(&pe));
        for (peer, expect) in peers {
            c = c.compare(peer, "E loadlab", expect);
        }
        Ok(c)
    }
}

/// P11's cases for this run and what was skipped.
pub fn build(ctx: &Ctx) -> Built<'_> {
    let mut b = Built::default();
    #[cfg(feature = "peers")]
    for name in ["model.safetensors", "gemma-3-270m-q4_k_m.gguf", "minilm.npz"] {
        b.case(linked::case(ctx, name));
    }
    #[cfg(not(feature = "peers"))]
    {
        let _ = ctx;
        b.skipped.push(super::NOT_LINKED.into());
    }
    b
}

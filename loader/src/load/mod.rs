//! Loading whole models: every tensor materialized (optionally converted),
//! sequentially or in parallel, with an optional progress callback; plus
//! streaming conversion, lazy loading and the size-threshold backend choice.

lab_modules! {
    /// Tensors materialized on first use (H?).
    mod lazy;
    /// Conversion in chunks straight into a caller's buffer (H12).
    mod stream;
    /// The backend chosen by file size (H19).
    mod threshold;
}

/// The size below which `Backend::Auto` reads a whole file off remote
/// storage (H19).
pub(crate) use threshold::MEASURED_THRESHOLD_BYTES;

use crate::convert::Target;
use crate::dtype::DType;
use crate::error::Result;
use crate::model::Model;
#[cfg(feature = "parallel")]
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

/// One materialized tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedTensor {
    /// Tensor name.
    pub name: String,
    /// Element type.
    pub dtype: DType,
    /// Dimensions as the file lists them.
    pub shape: Vec<u64>,
    /// Little-endian row-major bytes of `dtype`.
    pub data: Vec<u8>,
}

/// Progress of a load, reported after each tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes loaded so far.
    pub bytes_done: u64,
    /// Bytes to load in all.
    pub bytes_total: u64,
    /// Tensors loaded so far.
    pub tensors_done: u64,
    /// Tensors to load in all.
    pub tensors_total: u64,
}

/// How to load.
#[derive(Clone, Copy, Default)]
pub struct LoadOptions<'a> {
    /// Convert or dequantize every float tensor to this type; `None` keeps
    /// each tensor's own type (canonical bytes copied out).
    pub target: Option<Target>,
    /// Load tensors on rayon's pool instead of one after another. Off by
    /// default so a caller's own pool is not oversubscribed. The ledger's
    /// H11 (`reports/H11.md` in the loadlab repository), with every output
    /// freshly allocated as in a one-shot load, found it erratic on a
    /// 2-core VM: from one load to the next it was either well below or
    /// well above the sequential time.
    pub parallel: bool,
    /// Called after each tensor. Absent, no counter is even updated; the
    /// ledger's H18 could not measure a cost of a
    /// synchronous or channel callback against none.
    pub progress: Option<&'a (dyn Fn(Progress) + Sync)>,
    /// Keep fresh outputs on ordinary pages: no transparent-huge-page
    /// advice for buffers of 4–64 MiB, which the ledger's H27 measured
    /// faster to fill (`reports/H27.md` in the loadlab repository; Linux
    /// only; the advice is a hint and never changes contents).
    pub ordinary_pages: bool,
}

/// Materializes one tensor, converted to `target` when it is a float or
/// GGUF block type (`None` keeps its own type).
///
/// ```
/// use loadlab_loader::{convert::Target, load::load_tensor, DType, Limits, Model};
/// # fn tiny() -> Vec<u8> {
/// #     let h = br#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#;
/// #     let mut f = (h.len() as u64).to_le_bytes().to_vec();
/// #     f.extend_from_slice(h);
/// #     f.extend(1f32.to_le_bytes().into_iter().chain(2f32.to_le_bytes()));
/// #     f
/// # }
/// let bytes = tiny();
/// let m = Model::from_slice(&bytes, "tiny.safetensors", &Limits::default())?;
/// let t = load_tensor(&m, "w", Some(Target::F16))?;
/// assert_eq!((t.dtype, t.data.len()), (DType::F16, 4));
/// # Ok::<(), loadlab_loader::LoadError>(())
/// ```
pub fn load_tensor(model: &Model, name: &str, target: Option<Target>) -> Result<LoadedTensor> {
    let t = model.info(name)?;
    let convertible = t.dtype.is_float() || matches!(t.dtype, DType::Ggml(_));
    let (dtype, data) = match target {
        Some(to) if convertible && t.dtype != to.dtype() => (to.dtype(), model.tensor_as(name, to)?),
        _ => match model.tensor_bytes_of(t)? {
            std::borrow::Cow::Borrowed(b) => {
                let v = crate::alloc::copy_of(b);
                // The copy read the mapping: a file that shrank under it
                // read as zeros there (guarded mappings), which is an error.
                model.check_intact()?;
                (t.dtype, v)
            }
            std::borrow::Cow::Owned(v) => (t.dtype, v),
        },
    };
    Ok(LoadedTensor {
        name: t.name.clone(),
        dtype,
        shape: t.shape.clone(),
        data,
    })
}

/// Loads every tensor of the model, in inventory order either way.
///
/// ```
/// use loadlab_loader::load::{load_all, LoadOptions};
/// use loadlab_loader::{Limits, Model};
/// # fn tiny() -> Vec<u8> {
/// #     let h = br#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#;
/// #     let mut f = (h.len() as u64).to_le_bytes().to_vec();
/// #     f.extend_from_slice(h);
/// #     f.extend(1f32.to_le_bytes().into_iter().chain(2f32.to_le_bytes()));
/// #     f
/// # }
/// let bytes = tiny();
/// let m = Model::from_slice(&bytes, "tiny.safetensors", &Limits::default())?;
/// let all = load_all(&m, &LoadOptions::default())?;
/// assert_eq!(all[0].data, [1f32.to_le_bytes(), 2f32.to_le_bytes()].concat());
/// # Ok::<(), loadlab_loader::LoadError>(())
/// ```
pub fn load_all(model: &Model, opts: &LoadOptions<'_>) -> Result<Vec<LoadedTensor>> {
    let tensors = &model.inventory().tensors;
    let total_bytes: u64 = tensors.iter().map(|t| t.byte_len()).sum();
    let done_bytes = AtomicU64::new(0);
    let done_tensors = AtomicU64::new(0);
    let one = |t: &crate::TensorInfo| -> Result<LoadedTensor> {
        let out = crate::alloc::with_huge_pages(!opts.ordinary_pages, || load_tensor(model, &t.name, opts.target))?;
        if let Some(cb) = opts.progress {
            let b = done_bytes.fetch_add(t.byte_len(), Ordering::Relaxed) + t.byte_len();
            let n = done_tensors.fetch_add(1, Ordering::Relaxed) + 1;
            cb(Progress {
                bytes_done: b,
                bytes_total: total_bytes,
                tensors_done: n,
                tensors_total: tensors.len() as u64,
            });
        }
        Ok(out)
    };
    #[cfg(feature = "parallel")]
    if opts.parallel {
        return tensors.par_iter().map(one).collect();
    }
    tensors.iter().map(one).collect()
}

/// Conversion and dequantization of single tensors: the layer above
/// [`Model`]'s bytes.
impl Model<'_> {
    /// The tensor converted (F16/BF16/F64/FP8) or dequantized (GGUF types)
    /// to `to`, as little-endian bytes in row-major order. One allocation
    /// for the output, one for the canonical copy when the storage needs it.
    pub fn tensor_as(&self, name: &str, to: Target) -> Result<Vec<u8>> {
        let t = self.info(name)?;
        let bytes = self.tensor_bytes_of(t)?;
        let out = crate::dequant::to_target(t.dtype, &bytes, to).map_err(|e| e.in_tensor(self.name(), name))?;
        self.check_intact()?;
        Ok(out)
    }

    /// The tensor as F32 values.
    pub fn tensor_f32(&self, name: &str) -> Result<Vec<f32>> {
        let b = self.tensor_as(name, Target::F32)?;
        Ok(b.chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    /// A GGUF tensor's quantized blocks as stored, with their type, for
    /// callers that compute on quantized data and never dequantize (H17).
    pub fn quantized(&self, name: &str) -> Result<QuantizedTensor<'_>> {
        let t = self.info(name)?;
        let DType::Ggml(ty) = t.dtype else {
            return Err(crate::LoadError::Conversion {
                file: self.name().to_owned(),
                name: name.to_owned(),
                from: t.dtype.name().to_owned(),
                to: "quantized blocks".into(),
            });
        };
        Ok(QuantizedTensor {
            ty,
            shape: t.shape.clone(),
            blocks: self.raw_bytes_of(t)?,
        })
    }
}

/// A quantized tensor handed out without dequantizing.
#[derive(Debug)]
pub struct QuantizedTensor<'a> {
    /// The GGML block type.
    pub ty: crate::GgmlType,
    /// GGUF order (innermost first).
    pub shape: Vec<u64>,
    /// The blocks as stored.
    pub blocks: std::borrow::Cow<'a, [u8]>,
}

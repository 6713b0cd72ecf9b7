//! GGUF dequantization to F32 and to BF16: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0,
//! Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, the ternary TQ1_0 and TQ2_0, IQ4_NL,
//! IQ4_XS, MXFP4, NVFP4, the grid i-quants IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS and
//! IQ3_S, IQ1_S and IQ1_M, plus the plain F32/F16/BF16/F64 types. Every other
//! ggml type is refused with a `Conversion` error naming it.
//! Bit-exact with gguf-py's `gguf.quants.dequantize` (tests compare every
//! quantized tensor of every fixture, and random blocks of every type).
//!
//! `OutputPattern` (the `lab` feature) selects how the BF16 output is written, the two
//! patterns H03 compares.

lab_modules! {
    /// The block layouts and their kernels.
    mod blocks;
    /// The i-quant grids, as ggml tabulates them.
    mod grids;
    /// The i-quant kernels.
    mod iquants;
    /// The non-linear 4-bit kernels (IQ4_NL, IQ4_XS, MXFP4, NVFP4).
    mod nonlinear;
    /// The ternary kernels (TQ1_0, TQ2_0).
    mod ternary;
}

use crate::convert;
use crate::dtype::{DType, GgmlType};
use crate::error::{LoadError, Result};
use half::bf16;
use half::slice::HalfFloatSliceExt;

/// The BF16 output pattern, public to the lab only.
mod output_pattern {
    /// How a dequantizer writes its BF16 output (H03).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
    #[cfg_attr(not(feature = "lab"), allow(dead_code))]
    pub enum OutputPattern {
        /// `vec![0u8; n]` up front, each block written with an indexed
        /// `copy_from_slice`.
        Preallocated,
        /// `Vec::with_capacity(n)`, each block appended with `extend_from_slice`.
        /// Production default: the ledger's H03 (`reports/H03.md` in the
        /// loadlab repository) measured it faster than `Preallocated` in
        /// most cases and slower in none.
        #[default]
        Extend,
    }
}
#[cfg(feature = "lab")]
pub use output_pattern::OutputPattern;
#[cfg(not(feature = "lab"))]
use output_pattern::OutputPattern;

/// Types this module dequantizes: every type with a block kernel (the
/// one table, `with_kernel`), and the plain float types.
pub fn supports(t: GgmlType) -> bool {
    use GgmlType::*;
    matches!(t, F32 | F16 | BF16 | F64) || with_kernel(t, Probe).is_some()
}

fn unsupported(t: GgmlType, to: &str) -> LoadError {
    LoadError::Conversion {
        file: String::new(),
        name: String::new(),
        from: t.name().to_owned(),
        to: to.to_owned(),
    }
}

/// Checks that `data` holds whole blocks and returns the element count.
fn element_count(t: GgmlType, data: &[u8]) -> Result<usize> {
    let (block, bytes) = t.block();
    if !(data.len() as u64).is_multiple_of(bytes) {
        return Err(LoadError::SizeMismatch {
            what: "quantized data (a whole number of blocks)",
            expected: (data.len() as u64 / bytes + 1) * bytes,
            found: data.len() as u64,
        });
    }
    Ok((data.len() as u64 / bytes * block) as usize)
}

/// What to do with the block kernel of a type: [`with_kernel`] hands the
/// kernel over with its block sizes (`B` bytes in, `N` values out), once
/// per type, so the type → kernel table exists in one place.
trait KernelUse {
    type Out;
    fn with<const B: usize, const N: usize>(self, k: impl Fn(&[u8; B], &mut [f32; N])) -> Self::Out;
}

/// The block kernel of every quantized type, given to `u`; `None` for
/// types without one (the plain types and the unsupported ones).
fn with_kernel<U: KernelUse>(t: GgmlType, u: U) -> Option<U::Out> {
    use GgmlType::*;
    Some(match t {
        Q4_0 => u.with(blocks::q4_0),
        Q4_1 => u.with(blocks::q4_1),
        Q5_0 => u.with(blocks::q5_0),
        Q5_1 => u.with(blocks::q5_1),
        Q8_0 => u.with(blocks::q8_0),
        Q2_K => u.with(blocks::q2_k),
        Q3_K => u.with(blocks::q3_k),
        Q4_K => u.with(blocks::q4_k),
        Q5_K => u.with(blocks::q5_k),
        Q6_K => u.with(blocks::q6_k),
        TQ1_0 => u.with(ternary::tq1_0),
        TQ2_0 => u.with(ternary::tq2_0),
        IQ4_NL => u.with(nonlinear::iq4_nl),
        IQ4_XS => u.with(nonlinear::iq4_xs),
        MXFP4 => u.with(nonlinear::mxfp4),
        IQ2_XXS => u.with(iquants::iq2_xxs),
        IQ2_XS => u.with(iquants::iq2_xs),
        IQ2_S => u.with(iquants::iq2_s),
        IQ3_XXS => u.with(iquants::iq3_xxs),
        IQ3_S => u.with(iquants::iq3_s),
        IQ1_S => u.with(iquants::iq1_s),
        IQ1_M => u.with(iquants::iq1_m),
        NVFP4 => u.with(nonlinear::nvfp4),
        _ => return None,
    })
}

/// Asks only whether a kernel exists.
struct Probe;

impl KernelUse for Probe {
    type Out = ();
    fn with<const B: usize, const N: usize>(self, _: impl Fn(&[u8; B], &mut [f32; N])) {}
}

/// Decodes each block into a stack buffer and hands it to a sink.
struct EachBlock<'d, S> {
    data: &'d [u8],
    sink: S,
}

impl<S: FnMut(&[f32])> KernelUse for EachBlock<'_, S> {
    type Out = ();
    #[inline]
    fn with<const B: usize, const N: usize>(mut self, k: impl Fn(&[u8; B], &mut [f32; N])) {
        let mut y = [0f32; N];
        for b in self.data.chunks_exact(B) {
            k(b.try_into().expect("chunks_exact yields B bytes"), &mut y);
            (self.sink)(&y);
        }
    }
}

/// Decodes block after block straight into the output.
struct Direct<'d, 'o> {
    data: &'d [u8],
    out: &'o mut [f32],
}

impl KernelUse for Direct<'_, '_> {
    type Out = ();
    #[inline]
    fn with<const B: usize, const N: usize>(self, k: impl Fn(&[u8; B], &mut [f32; N])) {
        for (b, y) in self.data.chunks_exact(B).zip(self.out.chunks_exact_mut(N)) {
            k(
                b.try_into().expect("chunks_exact yields B bytes"),
                y.try_into().expect("chunks_exact_mut yields N values"),
            );
        }
    }
}

/// Runs the kernel of `t` over `data`, handing each decoded block to `sink`.
/// Plain types are handed over in blocks of 256.
fn dispatch(t: GgmlType, data: &[u8], mut sink: impl FnMut(&[f32])) -> Result<()> {
    use GgmlType::*;
    if with_kernel(t, EachBlock { data, sink: &mut sink }).is_some() {
        return Ok(());
    }
    match t {
        F32 | F16 | BF16 | F64 => {
            let dt = t.plain().expect("plain type");
            let size = dt.size().expect("plain") as usize;
            let mut y = [0f32; 256];
            for c in data.chunks(256 * size) {
                let n = c.len() / size;
                convert::bytes_to_f32(c, dt, &mut y[..n])?;
                sink(&y[..n]);
            }
            Ok(())
        }
        _ => Err(unsupported(t, "F32")),
    }
}

/// The output path, public to the lab only (a private module whose enum is
/// re-exported with the `lab` feature).
mod path_choice {
    /// How `dequantize_into_with` writes the kernels' output (H25). Only
    /// the lab chooses (`lab` feature); everything else takes the default.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    #[cfg_attr(not(feature = "lab"), allow(dead_code))]
    pub enum Path {
        /// Each block decoded into a stack buffer, then copied to the output
        /// (the path BF16 output still takes).
        BlockCopy,
        /// Each block decoded straight into its slot of the output. The
        /// default: the ledger's H25 (`reports/H25.md` in the loadlab
        /// repository) measured it faster than `BlockCopy` on nine block types. An AVX2 instance of
        /// the same loop, chosen at run time, measured no faster than this one
        /// and was removed with its `unsafe` call.
        #[default]
        Direct,
    }
}
#[cfg(not(feature = "lab"))]
use path_choice::Path;
#[cfg(feature = "lab")]
pub use path_choice::Path;

fn block_copy(t: GgmlType, data: &[u8], out: &mut [f32]) -> Result<()> {
    let mut at = 0;
    dispatch(t, data, |y| {
        out[at..at + y.len()].copy_from_slice(y);
        at += y.len();
    })
}

/// Checks that `data` holds whole blocks and `out` exactly their elements.
fn check_output(t: GgmlType, data: &[u8], out: &[f32]) -> Result<()> {
    let n = element_count(t, data)?;
    if out.len() != n {
        return Err(LoadError::SizeMismatch {
            what: "dequantize output length",
            expected: n as u64,
            found: out.len() as u64,
        });
    }
    Ok(())
}

/// Dequantizes into `out`, which must hold exactly the tensor's elements.
pub fn dequantize_into(t: GgmlType, data: &[u8], out: &mut [f32]) -> Result<()> {
    dequantize_into_on(t, data, out, Path::default())
}

/// [`dequantize_into`] on a chosen path (the `lab` feature's H25 baseline).
#[cfg(feature = "lab")]
pub fn dequantize_into_with(t: GgmlType, data: &[u8], out: &mut [f32], path: Path) -> Result<()> {
    dequantize_into_on(t, data, out, path)
}

fn dequantize_into_on(t: GgmlType, data: &[u8], out: &mut [f32], path: Path) -> Result<()> {
    check_output(t, data, out)?;
    let done = match path {
        Path::BlockCopy => None,
        Path::Direct => with_kernel(t, Direct { data, out: &mut *out }),
    };
    match done {
        Some(()) => Ok(()),
        None => block_copy(t, data, out),
    }
}

/// Dequantizes into `out` on rayon's pool, in runs of whole blocks of at
/// least 64 Ki elements each. Not what [`dequantize_into`] does: the
/// ledger's H26 (`reports/H26.md` in the loadlab repository) measured two
/// threads no faster, because the decoding is bound by memory bandwidth
/// on the machine it ran on.
#[cfg(all(feature = "parallel", feature = "lab"))]
pub fn dequantize_into_parallel(t: GgmlType, data: &[u8], out: &mut [f32]) -> Result<()> {
    use rayon::prelude::*;
    check_output(t, data, out)?;
    let (block, bytes) = t.block();
    let blocks_per_run = (65536 / block).max(1) as usize;
    let path = Path::default();
    data.par_chunks(blocks_per_run * bytes as usize)
        .zip(out.par_chunks_mut(blocks_per_run * block as usize))
        .try_for_each(|(d, o)| dequantize_into_on(t, d, o, path))
}

/// Dequantizes to a new F32 vector, bit-exact with ggml (and gguf-py).
///
/// ```
/// use loadlab_loader::{dequant::dequantize_f32, GgmlType};
/// // One Q8_0 block: an F16 scale (0.5) and 32 signed bytes.
/// let mut block = half::f16::from_f32(0.5).to_le_bytes().to_vec();
/// block.extend((0..32).map(|i| (i as i8 - 16) as u8));
/// let x = dequantize_f32(GgmlType::Q8_0, &block)?;
/// assert_eq!((x[0], x[31]), (-8.0, 7.5));
/// # Ok::<(), loadlab_loader::LoadError>(())
/// ```
pub fn dequantize_f32(t: GgmlType, data: &[u8]) -> Result<Vec<f32>> {
    let n = element_count(t, data)?;
    if !supports(t) {
        return Err(unsupported(t, "F32"));
    }
    let mut out = crate::alloc::zeroed::<f32>(n);
    dequantize_into(t, data, &mut out)?;
    Ok(out)
}

/// Dequantizes to little-endian BF16 bytes (round to nearest even, as ggml).
pub fn dequantize_bf16(t: GgmlType, data: &[u8]) -> Result<Vec<u8>> {
    bf16_with(t, data, OutputPattern::default())
}

/// [`dequantize_bf16`] written with `pattern` (H03's baseline; `lab` feature).
#[cfg(feature = "lab")]
pub fn dequantize_bf16_with(t: GgmlType, data: &[u8], pattern: OutputPattern) -> Result<Vec<u8>> {
    bf16_with(t, data, pattern)
}

fn bf16_with(t: GgmlType, data: &[u8], pattern: OutputPattern) -> Result<Vec<u8>> {
    let n = element_count(t, data)?;
    if !supports(t) {
        return Err(unsupported(t, "BF16"));
    }
    let mut h = [bf16::ZERO; 256];
    let mut bytes = [0u8; 512];
    match pattern {
        OutputPattern::Preallocated => {
            let mut out = crate::alloc::zeroed::<u8>(n * 2);
            let mut at = 0;
            dispatch(t, data, |y| {
                let k = encode_bf16(y, &mut h, &mut bytes);
                out[at..at + k].copy_from_slice(&bytes[..k]);
                at += k;
            })?;
            Ok(out)
        }
        OutputPattern::Extend => {
            let mut out = crate::alloc::with_capacity(n * 2);
            dispatch(t, data, |y| {
                let k = encode_bf16(y, &mut h, &mut bytes);
                out.extend_from_slice(&bytes[..k]);
            })?;
            Ok(out)
        }
    }
}

/// One block of F32 → little-endian BF16 bytes in `bytes`; returns the byte count.
#[inline]
fn encode_bf16(y: &[f32], h: &mut [bf16; 256], bytes: &mut [u8; 512]) -> usize {
    let h = &mut h[..y.len()];
    h.convert_from_f32_slice(y);
    for (o, v) in bytes.chunks_exact_mut(2).zip(h.iter()) {
        o.copy_from_slice(&v.to_le_bytes());
    }
    y.len() * 2
}

/// Dequantizes (or converts) a tensor's canonical bytes of any float or
/// GGUF type to `to`, as little-endian bytes.
pub fn to_target(dtype: DType, data: &[u8], to: convert::Target) -> Result<Vec<u8>> {
    match dtype {
        DType::Ggml(t) => match to {
            convert::Target::BF16 => dequantize_bf16(t, data),
            _ => Ok(convert::f32_to_target_bytes(&dequantize_f32(t, data)?, to)),
        },
        other => convert::convert_bytes(data, other, to),
    }
}

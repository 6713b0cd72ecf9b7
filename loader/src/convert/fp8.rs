//! FP8 → F32 and → BF16 through 256-entry tables built at compile time.
//! Every FP8 value is exactly representable in BF16, so the BF16 table is
//! the top half of the F32 bits (NaN stays the quiet NaN ml-dtypes gives).
//!
//! Two output patterns exist for H02: `Fp8Pattern::ZeroedZip` (one zip
//! loop into a zeroed buffer; the production default) and
//! `Fp8Pattern::ChunkedExtend` (chunks through a 2048-element stack
//! scratch, then `extend_from_slice`); the `lab` feature chooses.

use crate::error::{LoadError, Result};

const fn e4m3fn(c: u8) -> f32 {
    let sign = if c & 0x80 != 0 { -1.0 } else { 1.0 };
    let e = ((c >> 3) & 0xF) as i32;
    let m = (c & 7) as f32;
    if e == 0xF && c & 7 == 7 {
        return nan(c); // E4M3FN has no infinities: S.1111.111 is NaN
    }
    if e == 0 {
        sign * m / 8.0 / 64.0 // subnormal: m/8 · 2^-6
    } else {
        sign * (1.0 + m / 8.0) * pow2(e - 7)
    }
}

const fn e5m2(c: u8) -> f32 {
    let sign = if c & 0x80 != 0 { -1.0 } else { 1.0 };
    let e = ((c >> 2) & 0x1F) as i32;
    let m = (c & 3) as f32;
    if e == 0x1F {
        return if c & 3 == 0 { sign * f32::INFINITY } else { nan(c) };
    }
    if e == 0 {
        sign * m / 4.0 / 16384.0 // subnormal: m/4 · 2^-14
    } else {
        sign * (1.0 + m / 4.0) * pow2(e - 15)
    }
}

/// E4M3FNUZ (AMD/Graphcore): bias 8, no infinities, no negative zero; the
/// one NaN is 0x80.
const fn e4m3fnuz(c: u8) -> f32 {
    if c == 0x80 {
        return nan(c);
    }
    let sign = if c & 0x80 != 0 { -1.0 } else { 1.0 };
    let e = ((c >> 3) & 0xF) as i32;
    let m = (c & 7) as f32;
    if e == 0 {
        sign * m / 8.0 / 128.0 // subnormal: m/8 · 2^-7
    } else {
        sign * (1.0 + m / 8.0) * pow2(e - 8)
    }
}

/// E5M2FNUZ: bias 16, no infinities, no negative zero; the one NaN is 0x80.
const fn e5m2fnuz(c: u8) -> f32 {
    if c == 0x80 {
        return nan(c);
    }
    let sign = if c & 0x80 != 0 { -1.0 } else { 1.0 };
    let e = ((c >> 2) & 0x1F) as i32;
    let m = (c & 3) as f32;
    if e == 0 {
        sign * m / 4.0 / 32768.0 // subnormal: m/4 · 2^-15
    } else {
        sign * (1.0 + m / 4.0) * pow2(e - 16)
    }
}

/// E8M0 (OCP MX scale): an unsigned exponent, 2^(c - 127); 0xFF is NaN.
const fn e8m0(c: u8) -> f32 {
    if c == 0xFF {
        return f32::from_bits(0x7FC0_0000);
    }
    pow2(c as i32 - 127)
}

/// The quiet NaN with the code's sign (what ml-dtypes widens FP8 NaN to).
const fn nan(c: u8) -> f32 {
    f32::from_bits(if c & 0x80 != 0 { 0xFFC0_0000 } else { 0x7FC0_0000 })
}

const fn pow2(e: i32) -> f32 {
    let mut v = 1.0f32;
    let mut i = 0;
    if e >= 0 {
        while i < e {
            v *= 2.0;
            i += 1;
        }
    } else {
        while i < -e {
            v /= 2.0;
            i += 1;
        }
    }
    v
}

macro_rules! table {
    ($f:ident) => {{
        let mut t = [0f32; 256];
        let mut i = 0;
        while i < 256 {
            t[i] = $f(i as u8);
            i += 1;
        }
        t
    }};
}

const fn bf16_table(t: &[f32; 256]) -> [u16; 256] {
    let mut o = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let b = t[i].to_bits();
        // Exact (FP8 fits in BF16); NaN → the canonical quiet NaN with its sign.
        o[i] = if t[i].is_nan() {
            ((b >> 16) as u16 & 0x8000) | 0x7FC0
        } else {
            (b >> 16) as u16
        };
        i += 1;
    }
    o
}

/// F32 value of every E4M3FN code.
pub static E4M3FN_F32: [f32; 256] = table!(e4m3fn);
/// F32 value of every E5M2 code.
pub static E5M2_F32: [f32; 256] = table!(e5m2);
/// F32 value of every E4M3FNUZ code.
pub static E4M3FNUZ_F32: [f32; 256] = table!(e4m3fnuz);
/// F32 value of every E5M2FNUZ code.
pub static E5M2FNUZ_F32: [f32; 256] = table!(e5m2fnuz);
/// F32 value of every E8M0 code.
pub static E8M0_F32: [f32; 256] = table!(e8m0);
/// BF16 bits of every E4M3FN code.
pub static E4M3FN_BF16: [u16; 256] = bf16_table(&E4M3FN_F32);
/// BF16 bits of every E5M2 code.
pub static E5M2_BF16: [u16; 256] = bf16_table(&E5M2_F32);

fn check(expected: usize, found: usize) -> Result<()> {
    if expected != found {
        return Err(LoadError::SizeMismatch {
            what: "fp8 output length",
            expected: expected as u64,
            found: found as u64,
        });
    }
    Ok(())
}

/// FP8 E4M3FN bytes to F32 (bit-exact with ml-dtypes).
pub fn e4m3_to_f32(src: &[u8], dst: &mut [f32]) -> Result<()> {
    table_to_f32(src, dst, &E4M3FN_F32)
}

/// Any one-byte float type to F32 through its table.
pub fn table_to_f32(src: &[u8], dst: &mut [f32], table: &[f32; 256]) -> Result<()> {
    check(src.len(), dst.len())?;
    for (d, &c) in dst.iter_mut().zip(src) {
        *d = table[usize::from(c)];
    }
    Ok(())
}

/// FP8 E5M2 bytes to F32 (bit-exact with ml-dtypes).
pub fn e5m2_to_f32(src: &[u8], dst: &mut [f32]) -> Result<()> {
    check(src.len(), dst.len())?;
    for (d, &c) in dst.iter_mut().zip(src) {
        *d = E5M2_F32[usize::from(c)];
    }
    Ok(())
}

/// FP8 codes → little-endian BF16 bytes in `dst` (2 bytes per code).
pub fn e4m3_to_bf16_bytes(src: &[u8], dst: &mut [u8]) -> Result<()> {
    table_to_bf16(src, dst, &E4M3FN_BF16)
}

/// FP8 E5M2 bytes to BF16 bytes (exact: every E5M2 value is a BF16 value).
pub fn e5m2_to_bf16_bytes(src: &[u8], dst: &mut [u8]) -> Result<()> {
    table_to_bf16(src, dst, &E5M2_BF16)
}

fn table_to_bf16(src: &[u8], dst: &mut [u8], t: &[u16; 256]) -> Result<()> {
    check(src.len() * 2, dst.len())?;
    for (d, &c) in dst.chunks_exact_mut(2).zip(src) {
        d.copy_from_slice(&t[usize::from(c)].to_le_bytes());
    }
    Ok(())
}

/// Which FP8 variant a tensor uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fp8Kind {
    /// `float8_e4m3fn`.
    E4M3FN,
    /// `float8_e5m2`.
    E5M2,
}

/// The output patterns of H02, public to the lab only.
mod pattern {
    /// How the per-tensor FP8 → BF16 output buffer is written (H02).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    #[cfg_attr(not(feature = "lab"), allow(dead_code))]
    pub enum Fp8Pattern {
        /// `vec![0u8; 2n]`, then one zip loop over input codes and output pairs.
        /// Production default: the ledger's H02 measured the
        /// chunked alternative slower on every tensor it tried.
        #[default]
        ZeroedZip,
        /// `Vec::with_capacity(2n)`, convert 2048 codes at a time into a stack
        /// scratch buffer, `extend_from_slice` each chunk.
        ChunkedExtend,
    }

    /// Scratch size of `Fp8Pattern::ChunkedExtend`, in elements.
    pub const CHUNK_ELEMENTS: usize = 2048;
}
#[cfg(feature = "lab")]
pub use pattern::{Fp8Pattern, CHUNK_ELEMENTS};
#[cfg(not(feature = "lab"))]
use pattern::{Fp8Pattern, CHUNK_ELEMENTS};

/// Per-tensor FP8 → BF16 with a scale: `bf16(fp8 · scale)`; a scale of 1.0
/// is the plain conversion. Returns little-endian BF16 bytes.
pub fn fp8_to_bf16_scaled(src: &[u8], kind: Fp8Kind, scale: f32) -> Vec<u8> {
    scaled_with(src, kind, scale, Fp8Pattern::default())
}

/// [`fp8_to_bf16_scaled`] written with `pattern` (H02's baseline; `lab` feature).
#[cfg(feature = "lab")]
pub fn fp8_to_bf16_scaled_with(src: &[u8], kind: Fp8Kind, scale: f32, pattern: Fp8Pattern) -> Vec<u8> {
    scaled_with(src, kind, scale, pattern)
}

fn scaled_with(src: &[u8], kind: Fp8Kind, scale: f32, pattern: Fp8Pattern) -> Vec<u8> {
    let f32_table = match kind {
        Fp8Kind::E4M3FN => &E4M3FN_F32,
        Fp8Kind::E5M2 => &E5M2_F32,
    };
    // The scaled table: 256 conversions instead of one per element.
    let mut t = [0u16; 256];
    for (o, &v) in t.iter_mut().zip(f32_table.iter()) {
        *o = half::bf16::from_f32(v * scale).to_bits();
    }
    match pattern {
        Fp8Pattern::ZeroedZip => {
            let mut out = vec![0u8; src.len() * 2];
            for (d, &c) in out.chunks_exact_mut(2).zip(src) {
                d.copy_from_slice(&t[usize::from(c)].to_le_bytes());
            }
            out
        }
        Fp8Pattern::ChunkedExtend => {
            let mut out = Vec::with_capacity(src.len() * 2);
            let mut scratch = [0u8; CHUNK_ELEMENTS * 2];
            for chunk in src.chunks(CHUNK_ELEMENTS) {
                let s = &mut scratch[..chunk.len() * 2];
                for (d, &c) in s.chunks_exact_mut(2).zip(chunk) {
                    d.copy_from_slice(&t[usize::from(c)].to_le_bytes());
                }
                out.extend_from_slice(s);
            }
            out
        }
    }
}

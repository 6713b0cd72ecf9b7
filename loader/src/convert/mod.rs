//! Element-type conversions: F32 ↔ F16, F32 ↔ BF16, F16/BF16/F64 → F32,
//! FP8 (E4M3FN, E5M2) → F32 and → BF16.
//!
//! Production paths use `half`'s slice conversions, which use the F16C
//! instructions when the CPU has them (checked at run time). A software
//! per-element path (`scalar`, with the `lab` feature) is kept for H13, which compares the two:
//! the ledger's H13 measured the slice path several
//! times faster on the conversion alone.
//! Rounding is round-to-nearest-even; NaN, infinities and subnormals follow
//! `half`, numpy and ml-dtypes bit for bit (tests compare all 65 536 F16 and
//! BF16 codes and 200 000+ F32 values against their outputs).

pub mod fp8;
lab_modules! {
    /// Scalar conversion loops: the baselines of H02 and H13.
    mod scalar;
}

use crate::dtype::DType;
use crate::error::{LoadError, Result};
use half::slice::{HalfBitsSliceExt, HalfFloatSliceExt};
use half::{bf16, f16};

/// Output element types of conversions and exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Target {
    /// 32-bit float.
    F32,
    /// IEEE half.
    F16,
    /// bfloat16.
    BF16,
}

impl Target {
    /// The dtype of the target.
    pub fn dtype(self) -> DType {
        match self {
            Target::F32 => DType::F32,
            Target::F16 => DType::F16,
            Target::BF16 => DType::BF16,
        }
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Target::F32 => 4,
            Target::F16 | Target::BF16 => 2,
        }
    }

    /// `f32`, `f16` or `bf16`.
    pub fn parse(s: &str) -> Option<Target> {
        match s.to_ascii_lowercase().as_str() {
            "f32" => Some(Target::F32),
            "f16" => Some(Target::F16),
            "bf16" => Some(Target::BF16),
            _ => None,
        }
    }
}

fn check(what: &'static str, expected: usize, found: usize) -> Result<()> {
    if expected != found {
        return Err(LoadError::SizeMismatch {
            what,
            expected: expected as u64,
            found: found as u64,
        });
    }
    Ok(())
}

/// F32 → F16, round-to-nearest-even (F16C when available).
pub fn f32_to_f16(src: &[f32], dst: &mut [f16]) -> Result<()> {
    check("f32_to_f16 output length", src.len(), dst.len())?;
    dst.convert_from_f32_slice(src);
    Ok(())
}

/// F32 → BF16, round-to-nearest-even, NaN kept quiet.
pub fn f32_to_bf16(src: &[f32], dst: &mut [bf16]) -> Result<()> {
    check("f32_to_bf16 output length", src.len(), dst.len())?;
    dst.convert_from_f32_slice(src);
    Ok(())
}

/// F16 → F32 (exact).
pub fn f16_to_f32(src: &[f16], dst: &mut [f32]) -> Result<()> {
    check("f16_to_f32 output length", src.len(), dst.len())?;
    src.convert_to_f32_slice(dst);
    Ok(())
}

/// BF16 → F32 (exact).
pub fn bf16_to_f32(src: &[bf16], dst: &mut [f32]) -> Result<()> {
    check("bf16_to_f32 output length", src.len(), dst.len())?;
    src.convert_to_f32_slice(dst);
    Ok(())
}

/// Reads little-endian elements of a plain float type into F32.
/// `src` holds canonical (little-endian, row-major) bytes.
pub fn bytes_to_f32(src: &[u8], from: DType, dst: &mut [f32]) -> Result<()> {
    let size = from.size().unwrap_or(0) as usize;
    if size == 0 || !from.is_float() {
        return Err(unsupported(from, Target::F32));
    }
    check("bytes_to_f32 input length", dst.len() * size, src.len())?;
    match from {
        DType::F32 => {
            for (d, c) in dst.iter_mut().zip(src.chunks_exact(4)) {
                *d = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            }
        }
        DType::F64 => {
            for (d, c) in dst.iter_mut().zip(src.chunks_exact(8)) {
                *d = f64::from_le_bytes(c.try_into().expect("8 bytes")) as f32;
            }
        }
        DType::F16 | DType::BF16 => {
            // Convert through a stack buffer so the `half` slice path (F16C) runs.
            const CHUNK: usize = 1024;
            let mut tmp = [0u16; CHUNK];
            for (dc, sc) in dst.chunks_mut(CHUNK).zip(src.chunks(CHUNK * 2)) {
                let t = &mut tmp[..dc.len()];
                for (x, c) in t.iter_mut().zip(sc.chunks_exact(2)) {
                    *x = u16::from_le_bytes([c[0], c[1]]);
                }
                if from == DType::F16 {
                    t.reinterpret_cast::<f16>().convert_to_f32_slice(dc);
                } else {
                    t.reinterpret_cast::<bf16>().convert_to_f32_slice(dc);
                }
            }
        }
        DType::F8E4M3 => fp8::e4m3_to_f32(src, dst)?,
        DType::F8E5M2 => fp8::e5m2_to_f32(src, dst)?,
        DType::F8E4M3Fnuz => fp8::table_to_f32(src, dst, &fp8::E4M3FNUZ_F32)?,
        DType::F8E5M2Fnuz => fp8::table_to_f32(src, dst, &fp8::E5M2FNUZ_F32)?,
        DType::F8E8M0 => fp8::table_to_f32(src, dst, &fp8::E8M0_F32)?,
        _ => return Err(unsupported(from, Target::F32)),
    }
    Ok(())
}

fn unsupported(from: DType, to: Target) -> LoadError {
    LoadError::Conversion {
        file: String::new(),
        name: String::new(),
        from: from.name().to_owned(),
        to: to.dtype().name().to_owned(),
    }
}

/// Converts canonical bytes of a plain float type to `to`, as little-endian
/// bytes. Same-type requests copy. Allocates the output once.
pub fn convert_bytes(src: &[u8], from: DType, to: Target) -> Result<Vec<u8>> {
    if from == to.dtype() {
        return Ok(crate::alloc::copy_of(src));
    }
    let n = src.len()
        / from
            .size()
            .filter(|_| from.is_float())
            .ok_or_else(|| unsupported(from, to))? as usize;
    match (from, to) {
        (DType::F8E4M3, Target::BF16) => {
            let mut out = crate::alloc::zeroed::<u8>(n * 2);
            fp8::e4m3_to_bf16_bytes(src, &mut out)?;
            return Ok(out);
        }
        (DType::F8E5M2, Target::BF16) => {
            let mut out = crate::alloc::zeroed::<u8>(n * 2);
            fp8::e5m2_to_bf16_bytes(src, &mut out)?;
            return Ok(out);
        }
        _ => {}
    }
    let mut f = crate::alloc::zeroed::<f32>(n);
    bytes_to_f32(src, from, &mut f)?;
    Ok(f32_to_target_bytes(&f, to))
}

/// F32 values → little-endian bytes of `to`, allocated at the exact size.
pub fn f32_to_target_bytes(src: &[f32], to: Target) -> Vec<u8> {
    let mut out = crate::alloc::zeroed::<u8>(src.len() * to.size());
    f32_into_target(src, to, &mut out);
    out
}

/// Writes F32 values as little-endian bytes of `to` into `out` (which must
/// hold `src.len() * to.size()` bytes). F16/BF16 go through `half`'s slice
/// conversion (F16C when available) one stack block at a time, so no
/// full-size temporary is allocated.
pub fn f32_into_target(src: &[f32], to: Target, out: &mut [u8]) {
    match to {
        Target::F32 => {
            for (o, x) in out.chunks_exact_mut(4).zip(src) {
                o.copy_from_slice(&x.to_le_bytes());
            }
        }
        Target::F16 | Target::BF16 => {
            const BLOCK: usize = 1024;
            let mut bits = [0u16; BLOCK];
            for (oc, sc) in out.chunks_mut(BLOCK * 2).zip(src.chunks(BLOCK)) {
                let b = &mut bits[..sc.len()];
                if to == Target::F16 {
                    b.reinterpret_cast_mut::<f16>().convert_from_f32_slice(sc);
                } else {
                    b.reinterpret_cast_mut::<bf16>().convert_from_f32_slice(sc);
                }
                for (o, v) in oc.chunks_exact_mut(2).zip(b.iter()) {
                    o.copy_from_slice(&v.to_le_bytes());
                }
            }
        }
    }
}

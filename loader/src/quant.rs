//! Quantization (the inverse of `crate::dequant`) for the types loadlab
//! writes: Q8_0, as ggml's reference `quantize_row_q8_0_ref` and gguf-py do
//! it, bit for bit (a test compares with gguf-py's output on real weights).

use half::f16;

/// Quantizes F32 values (a multiple of 32 of them) to Q8_0 blocks:
/// d = max|x| / 127 stored as F16, q = round-half-away(x / d).
pub fn quantize_q8_0(x: &[f32]) -> crate::Result<Vec<u8>> {
    if !x.len().is_multiple_of(32) {
        return Err(crate::LoadError::SizeMismatch {
            what: "Q8_0 input (a multiple of 32 values)",
            expected: x.len().next_multiple_of(32) as u64,
            found: x.len() as u64,
        });
    }
    let mut out = Vec::with_capacity(x.len() / 32 * 34);
    for b in x.chunks_exact(32) {
        let amax = b.iter().fold(0f32, |m, v| m.max(v.abs()));
        let d = amax / 127.0;
        let id = if d == 0.0 { 0.0 } else { 1.0 / d };
        out.extend_from_slice(&f16::from_f32(d).to_le_bytes());
        for v in b {
            out.push((v * id).round() as i8 as u8);
        }
    }
    Ok(out)
}

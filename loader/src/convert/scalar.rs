//! Software, one-element-at-a-time F32 → F16: what a loader without SIMD
//! does. Kept as the baseline of H13; bit-identical to the production path.

/// F32 → F16 bits, round-to-nearest-even, in integer arithmetic only.
pub fn f32_to_f16_bits(x: f32) -> u16 {
    let b = x.to_bits();
    let sign = ((b >> 16) & 0x8000) as u16;
    let exp = ((b >> 23) & 0xFF) as i32;
    let man = b & 0x007F_FFFF;
    if exp == 0xFF {
        // Inf stays inf; NaN stays NaN (quiet, top mantissa bits kept).
        return if man == 0 {
            sign | 0x7C00
        } else {
            sign | 0x7E00 | (man >> 13) as u16
        };
    }
    let e = exp - 127 + 15;
    if e >= 0x1F {
        return sign | 0x7C00; // overflow to infinity
    }
    if e <= 0 {
        // Subnormal or zero in F16.
        if e < -10 {
            return sign;
        }
        let m = man | 0x0080_0000;
        let shift = (14 - e) as u32;
        let half_m = m >> shift;
        let rem = m & ((1 << shift) - 1);
        let halfway = 1 << (shift - 1);
        let round = rem > halfway || (rem == halfway && half_m & 1 == 1);
        return sign | (half_m + u32::from(round)) as u16;
    }
    let half_m = man >> 13;
    let rem = man & 0x1FFF;
    let mut h = ((e as u32) << 10) | half_m;
    if rem > 0x1000 || (rem == 0x1000 && half_m & 1 == 1) {
        h += 1; // may carry into the exponent, up to infinity: correct
    }
    sign | h as u16
}

/// Converts a slice one element at a time.
pub fn f32_to_f16(src: &[f32], dst: &mut [half::f16]) -> crate::Result<()> {
    if src.len() != dst.len() {
        return Err(crate::LoadError::SizeMismatch {
            what: "scalar f32_to_f16 output length",
            expected: src.len() as u64,
            found: dst.len() as u64,
        });
    }
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = half::f16::from_bits(f32_to_f16_bits(s));
    }
    Ok(())
}

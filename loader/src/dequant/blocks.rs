//! One function per ggml block type: decode one block into its F32 values.
//! Arithmetic order follows ggml-quants.c and gguf-py (`d * sc` first, then
//! `* q`, then `- m`), so results are bit-identical to the reference.

use half::f16;

/// The f16 at `b[at..at + 2]` as f32.
#[inline(always)]
pub(super) fn h(b: &[u8], at: usize) -> f32 {
    f16::from_bits(u16::from_le_bytes([b[at], b[at + 1]])).to_f32()
}

/// Elements per block of the legacy quants (`QK4_0` … `QK8_0`).
pub const QK: usize = 32;
/// Elements per K-quant super-block (`QK_K`).
pub const QK_K: usize = 256;

/// Q4_0: d (f16), 16 bytes of 4-bit values; y = (q - 8) · d.
#[inline]
pub fn q4_0(b: &[u8; 18], y: &mut [f32; QK]) {
    let d = h(b, 0);
    for j in 0..16 {
        let q = b[2 + j];
        y[j] = ((q & 0xF) as i8 - 8) as f32 * d;
        y[j + 16] = ((q >> 4) as i8 - 8) as f32 * d;
    }
}

/// Q4_1: d, m (f16), 16 bytes; y = q · d + m.
#[inline]
pub fn q4_1(b: &[u8; 20], y: &mut [f32; QK]) {
    let (d, m) = (h(b, 0), h(b, 2));
    for j in 0..16 {
        let q = b[4 + j];
        y[j] = d * (q & 0xF) as f32 + m;
        y[j + 16] = d * (q >> 4) as f32 + m;
    }
}

/// Q5_0: d (f16), 32 high bits, 16 bytes; y = (q - 16) · d.
#[inline]
pub fn q5_0(b: &[u8; 22], y: &mut [f32; QK]) {
    let d = h(b, 0);
    let qh = u32::from_le_bytes([b[2], b[3], b[4], b[5]]);
    for j in 0..16 {
        let q = b[6 + j];
        let h0 = ((qh >> j) & 1) as u8;
        let h1 = ((qh >> (j + 16)) & 1) as u8;
        y[j] = d * (((q & 0xF) | (h0 << 4)) as i8 - 16) as f32;
        y[j + 16] = d * (((q >> 4) | (h1 << 4)) as i8 - 16) as f32;
    }
}

/// Q5_1: d, m (f16), 32 high bits, 16 bytes; y = q · d + m.
#[inline]
pub fn q5_1(b: &[u8; 24], y: &mut [f32; QK]) {
    let (d, m) = (h(b, 0), h(b, 2));
    let qh = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
    for j in 0..16 {
        let q = b[8 + j];
        let h0 = ((qh >> j) & 1) as u8;
        let h1 = ((qh >> (j + 16)) & 1) as u8;
        y[j] = d * ((q & 0xF) | (h0 << 4)) as f32 + m;
        y[j + 16] = d * ((q >> 4) | (h1 << 4)) as f32 + m;
    }
}

/// Q8_0: d (f16), 32 signed bytes; y = q · d.
#[inline]
pub fn q8_0(b: &[u8; 34], y: &mut [f32; QK]) {
    let d = h(b, 0);
    for j in 0..32 {
        y[j] = (b[2 + j] as i8) as f32 * d;
    }
}

/// Q2_K: 16 scale bytes (4-bit scale, 4-bit min), 64 bytes of 2-bit values, d, dmin.
#[inline]
pub fn q2_k(b: &[u8; 84], y: &mut [f32; QK_K]) {
    let (scales, qs) = (&b[..16], &b[16..80]);
    let (d, dmin) = (h(b, 80), h(b, 82));
    let mut out = 0;
    let mut is = 0;
    for half in 0..2 {
        let q = &qs[half * 32..half * 32 + 32];
        for shift in [0u32, 2, 4, 6] {
            for part in 0..2 {
                let sc = scales[is];
                is += 1;
                let dl = d * (sc & 0xF) as f32;
                let ml = dmin * (sc >> 4) as f32;
                for l in 0..16 {
                    y[out] = dl * ((q[part * 16 + l] >> shift) & 3) as f32 - ml;
                    out += 1;
                }
            }
        }
    }
}

/// Q3_K: 32 bytes of high bits, 64 bytes of 2-bit values, 12 bytes of 6-bit scales, d.
#[inline]
pub fn q3_k(b: &[u8; 110], y: &mut [f32; QK_K]) {
    let (hmask, qs, sc) = (&b[..32], &b[32..96], &b[96..108]);
    let d = h(b, 108);
    let mut scales = [0f32; 16];
    for (i, s) in scales.iter_mut().enumerate() {
        let low = if i < 8 { sc[i] & 0xF } else { sc[i - 8] >> 4 };
        let high = (sc[8 + i % 4] >> (2 * (i / 4))) & 3;
        *s = d * ((low | (high << 4)) as i8 - 32) as f32;
    }
    for g in 0..8 {
        let q = &qs[(g / 4) * 32..(g / 4) * 32 + 32];
        let shift = 2 * (g % 4);
        for l in 0..32 {
            let ql = ((q[l] >> shift) & 3) as i8;
            let hbit = (hmask[l] >> g) & 1;
            let v = ql - if hbit == 0 { 4 } else { 0 };
            y[g * 32 + l] = scales[g * 2 + l / 16] * v as f32;
        }
    }
}

/// The 6-bit scale and min `j` of a Q4_K/Q5_K block.
#[inline(always)]
fn scale_min_k4(j: usize, q: &[u8]) -> (u8, u8) {
    if j < 4 {
        (q[j] & 63, q[j + 4] & 63)
    } else {
        (
            (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4),
            (q[j + 4] >> 4) | ((q[j] >> 6) << 4),
        )
    }
}

/// Q4_K: d, dmin, 12 bytes of 6-bit scales/mins, 128 bytes of 4-bit values.
#[inline]
pub fn q4_k(b: &[u8; 144], y: &mut [f32; QK_K]) {
    let (d, dmin) = (h(b, 0), h(b, 2));
    let (scales, qs) = (&b[4..16], &b[16..144]);
    for j in 0..4 {
        let (s1, m1) = scale_min_k4(2 * j, scales);
        let (s2, m2) = scale_min_k4(2 * j + 1, scales);
        let (d1, m1) = (d * s1 as f32, dmin * m1 as f32);
        let (d2, m2) = (d * s2 as f32, dmin * m2 as f32);
        let q = &qs[j * 32..j * 32 + 32];
        for l in 0..32 {
            y[j * 64 + l] = d1 * (q[l] & 0xF) as f32 - m1;
            y[j * 64 + 32 + l] = d2 * (q[l] >> 4) as f32 - m2;
        }
    }
}

/// Q5_K: d, dmin, 12 bytes of scales/mins, 32 bytes of high bits, 128 bytes of 4-bit values.
#[inline]
pub fn q5_k(b: &[u8; 176], y: &mut [f32; QK_K]) {
    let (d, dmin) = (h(b, 0), h(b, 2));
    let (scales, qh, qs) = (&b[4..16], &b[16..48], &b[48..176]);
    for j in 0..4 {
        let (s1, m1) = scale_min_k4(2 * j, scales);
        let (s2, m2) = scale_min_k4(2 * j + 1, scales);
        let (d1, m1) = (d * s1 as f32, dmin * m1 as f32);
        let (d2, m2) = (d * s2 as f32, dmin * m2 as f32);
        let q = &qs[j * 32..j * 32 + 32];
        for l in 0..32 {
            let h1 = (qh[l] >> (2 * j)) & 1;
            let h2 = (qh[l] >> (2 * j + 1)) & 1;
            y[j * 64 + l] = d1 * ((q[l] & 0xF) | (h1 << 4)) as f32 - m1;
            y[j * 64 + 32 + l] = d2 * ((q[l] >> 4) | (h2 << 4)) as f32 - m2;
        }
    }
}

/// Q6_K written as contiguous runs of 16 outputs that share one scale:
/// the candidate of the lab's H35 against [`q6_k`] (ggml's layout, the
/// production kernel until H35 is confirmed). The same products in the same
/// order, so the values are the same to the bit.
#[cfg_attr(not(feature = "lab"), allow(dead_code))]
#[inline]
pub fn q6_k_runs(b: &[u8; 210], y: &mut [f32; QK_K]) {
    let (ql, qh, sc) = (&b[..128], &b[128..192], &b[192..208]);
    let d = h(b, 208);
    for half in 0..2 {
        let ql = &ql[half * 64..half * 64 + 64];
        let qh = &qh[half * 32..half * 32 + 32];
        let sc = &sc[half * 8..half * 8 + 8];
        let y = &mut y[half * 128..half * 128 + 128];
        // Quarter k of the half takes its low 4 bits from the low (k < 2)
        // or high nibble of ql[32·(k mod 2) + l] and its high 2 bits from
        // bits 2k..2k+2 of qh[l]; its 32 outputs are y[32k..32k + 32].
        for quarter in 0..4 {
            let low = &ql[(quarter & 1) * 32..(quarter & 1) * 32 + 32];
            let (shift_low, shift_high) = (if quarter < 2 { 0 } else { 4 }, 2 * quarter);
            for group in 0..2 {
                let scale = d * sc[group + 2 * quarter] as i8 as f32;
                let at = quarter * 32 + group * 16;
                let (low, qh) = (&low[group * 16..group * 16 + 16], &qh[group * 16..group * 16 + 16]);
                for ((o, &l), &hi) in y[at..at + 16].iter_mut().zip(low).zip(qh) {
                    let q = (((l >> shift_low) & 0xF) | (((hi >> shift_high) & 3) << 4)) as i8 - 32;
                    *o = scale * q as f32;
                }
            }
        }
    }
}

/// Q6_K: 128 bytes of low 4 bits, 64 bytes of high 2 bits, 16 signed scales, d.
/// Four outputs 32 apart per step, each one's scale looked up, as ggml's
/// reference loop writes them (H35's A; [`q6_k_runs`] is its candidate).
#[inline]
pub fn q6_k(b: &[u8; 210], y: &mut [f32; QK_K]) {
    let (ql, qh, sc) = (&b[..128], &b[128..192], &b[192..208]);
    let d = h(b, 208);
    for half in 0..2 {
        let ql = &ql[half * 64..half * 64 + 64];
        let qh = &qh[half * 32..half * 32 + 32];
        let sc = &sc[half * 8..half * 8 + 8];
        let y = &mut y[half * 128..half * 128 + 128];
        for l in 0..32 {
            let is = l / 16;
            let q1 = ((ql[l] & 0xF) | ((qh[l] & 3) << 4)) as i8 - 32;
            let q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) as i8 - 32;
            let q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) as i8 - 32;
            let q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) as i8 - 32;
            y[l] = (d * sc[is] as i8 as f32) * q1 as f32;
            y[l + 32] = (d * sc[is + 2] as i8 as f32) * q2 as f32;
            y[l + 64] = (d * sc[is + 4] as i8 as f32) * q3 as f32;
            y[l + 96] = (d * sc[is + 6] as i8 as f32) * q4 as f32;
        }
    }
}

#[cfg(test)]
mod q6_k_tests {
    use super::*;

    #[test]
    fn both_q6_k_layouts_give_the_same_bits() {
        // Pseudo-random blocks with a finite f16 scale (0x3C00 = 1.0 scaled
        // by the block index's low bits).
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for i in 0..200u16 {
            let mut b = [0u8; 210];
            for v in b.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *v = x as u8;
            }
            b[208..210].copy_from_slice(&(0x3000u16 + (i & 0x3FF)).to_le_bytes());
            let (mut a, mut c) = ([0f32; QK_K], [0f32; QK_K]);
            q6_k_runs(&b, &mut a);
            q6_k(&b, &mut c);
            assert!(
                a.iter().zip(&c).all(|(p, q)| p.to_bits() == q.to_bits()),
                "block {i} differs"
            );
        }
    }
}

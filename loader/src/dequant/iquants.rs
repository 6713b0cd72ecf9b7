//! The grid i-quants: each group of 8 (IQ2) or 4 (IQ3) values is an index
//! into a fixed grid of magnitudes (`super::grids`), with one sign bit
//! per value and a 4-bit scale per sub-block. Layouts from ggml-common.h
//! (`block_iq2_xxs`, `block_iq2_xs`, `block_iq2_s`, `block_iq3_xxs`,
//! `block_iq3_s`, `block_iq1_s`, `block_iq1_m`); arithmetic follows gguf-py's dequantizers (`db · grid ·
//! sign`, with `db` computed first), which the tests compare against bit
//! for bit.

use super::blocks::{h, QK_K};
use super::grids::{IQ1S, IQ2S, IQ2XS, IQ2XXS, IQ3S, IQ3XXS, KSIGNS};

#[inline(always)]
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

#[inline(always)]
fn sign(bits: u8, k: usize) -> f32 {
    if (bits >> k) & 1 == 0 {
        1.0
    } else {
        -1.0
    }
}

/// Writes `grid` magnitudes times `db`, signed by `bits`, at `y[at..]`.
#[inline(always)]
fn put<const W: usize>(y: &mut [f32], at: usize, db: f32, grid: &[u8; W], bits: u8, first_bit: usize) {
    for k in 0..W {
        y[at + k] = db * f32::from(grid[k]) * sign(bits, first_bit + k);
    }
}

/// IQ2_XXS (66 bytes): d (f16), then per 32-element sub-block two u32: the
/// first holds four 8-bit grid indices, the second four 7-bit sign indices
/// (into [`KSIGNS`]) and a 4-bit scale; db = d · (½ + s) · ¼.
#[inline]
pub fn iq2_xxs(b: &[u8; 66], y: &mut [f32; QK_K]) {
    let d = h(b, 0);
    for i in 0..8 {
        let (q0, q1) = (u32_at(b, 2 + 8 * i), u32_at(b, 6 + 8 * i));
        let db = d * (0.5 + (q1 >> 28) as f32) * 0.25;
        for g in 0..4 {
            let grid = &IQ2XXS[((q0 >> (8 * g)) & 0xFF) as usize];
            let bits = KSIGNS[((q1 >> (7 * g)) & 0x7F) as usize];
            put(y, 32 * i + 8 * g, db, grid, bits, 0);
        }
    }
}

/// IQ2_XS (74 bytes): d (f16), 32 u16 (9-bit grid index, 7-bit sign
/// index), 8 bytes of 4-bit scales, one per 16 elements; db = d · (½ + s) · ¼.
#[inline]
pub fn iq2_xs(b: &[u8; 74], y: &mut [f32; QK_K]) {
    let d = h(b, 0);
    for j in 0..32 {
        let q = u16::from_le_bytes([b[2 + 2 * j], b[3 + 2 * j]]);
        let s = (b[66 + j / 4] >> (4 * ((j / 2) % 2))) & 0xF;
        let db = d * (0.5 + f32::from(s)) * 0.25;
        let grid = &IQ2XS[usize::from(q & 511)];
        put(y, 8 * j, db, grid, KSIGNS[usize::from(q >> 9)], 0);
    }
}

/// IQ2_S (82 bytes): d (f16), 32 low index bytes, 32 sign bytes, 8 bytes of
/// 2-bit high index parts, 8 bytes of 4-bit scales (one per 16 elements);
/// db = d · (½ + s) · ¼.
#[inline]
pub fn iq2_s(b: &[u8; 82], y: &mut [f32; QK_K]) {
    let d = h(b, 0);
    for j in 0..32 {
        let hi = (b[66 + j / 4] >> (2 * (j % 4))) & 3;
        let idx = usize::from(b[2 + j]) | (usize::from(hi) << 8);
        let s = (b[74 + j / 4] >> (4 * ((j / 2) % 2))) & 0xF;
        let db = d * (0.5 + f32::from(s)) * 0.25;
        put(y, 8 * j, db, &IQ2S[idx], b[34 + j], 0);
    }
}

/// IQ3_XXS (98 bytes): d (f16), 64 grid index bytes (4 values each), then
/// per 32-element sub-block a u32 of four 7-bit sign indices and a 4-bit
/// scale; db = d · (½ + s) · ½.
#[inline]
pub fn iq3_xxs(b: &[u8; 98], y: &mut [f32; QK_K]) {
    let d = h(b, 0);
    for i in 0..8 {
        let sc = u32_at(b, 66 + 4 * i);
        let db = d * (0.5 + (sc >> 28) as f32) * 0.5;
        for g in 0..4 {
            let bits = KSIGNS[((sc >> (7 * g)) & 0x7F) as usize];
            let at = 32 * i + 8 * g;
            put(y, at, db, &IQ3XXS[usize::from(b[2 + 8 * i + 2 * g])], bits, 0);
            put(y, at + 4, db, &IQ3XXS[usize::from(b[3 + 8 * i + 2 * g])], bits, 4);
        }
    }
}

/// IQ3_S (110 bytes): d (f16), 64 low index bytes, 8 bytes of high index
/// bits, 32 sign bytes, 4 bytes of 4-bit scales (one per 32 elements);
/// db = d · (1 + 2s).
#[inline]
pub fn iq3_s(b: &[u8; 110], y: &mut [f32; QK_K]) {
    let d = h(b, 0);
    for i in 0..8 {
        let s = (b[106 + i / 2] >> (4 * (i % 2))) & 0xF;
        let db = d * f32::from(1 + 2 * s);
        for g in 0..8 {
            let k = 8 * i + g;
            let idx = usize::from(b[2 + k]) | (usize::from((b[66 + k / 8] >> (k % 8)) & 1) << 8);
            let bits = b[74 + (32 * i + 4 * g) / 8];
            put(y, 32 * i + 4 * g, db, &IQ3S[idx], bits, (4 * g) % 8);
        }
    }
}

/// The offset IQ1_S and IQ1_M add to every grid value, signed per group.
const IQ1_DELTA: f32 = 0.125;

/// IQ1_S (50 bytes): d (f16), 32 low index bytes, then per 32-element
/// sub-block a u16: four 3-bit high index parts, a 3-bit scale s and the
/// delta's sign (bit 15); y = d · (2s + 1) · (grid ± ⅛).
#[inline]
pub fn iq1_s(b: &[u8; 50], y: &mut [f32; QK_K]) {
    let d = h(b, 0);
    for i in 0..8 {
        let qh = u16::from_le_bytes([b[34 + 2 * i], b[35 + 2 * i]]);
        let dl = d * f32::from(2 * ((qh >> 12) & 7) + 1);
        let delta = if qh & 0x8000 == 0 { IQ1_DELTA } else { -IQ1_DELTA };
        for g in 0..4 {
            let idx = usize::from(b[2 + 4 * i + g]) | (usize::from((qh >> (3 * g)) & 7) << 8);
            let grid = &IQ1S[idx];
            for e in 0..8 {
                y[32 * i + 8 * g + e] = dl * (f32::from(grid[e]) + delta);
            }
        }
    }
}

/// IQ1_M (56 bytes): 32 low index bytes, 16 bytes of (3-bit high index
/// part, delta sign) nibbles, and 4 u16 whose low 12 bits hold four 3-bit
/// scales (one per 16 elements) and whose top nibbles together form d
/// (f16); y = d · (2s + 1) · (grid ± ⅛).
#[inline]
pub fn iq1_m(b: &[u8; 56], y: &mut [f32; QK_K]) {
    let sc: [u16; 4] = std::array::from_fn(|w| u16::from_le_bytes([b[48 + 2 * w], b[49 + 2 * w]]));
    let d_bits = (sc[0] >> 12) | ((sc[1] >> 8) & 0x00F0) | ((sc[2] >> 4) & 0x0F00) | (sc[3] & 0xF000);
    let d = half::f16::from_bits(d_bits).to_f32();
    for k in 0..32 {
        let nib = (b[32 + k / 2] >> (4 * (k % 2))) & 0xF;
        let idx = usize::from(b[k]) | (usize::from(nib & 7) << 8);
        let delta = if nib & 8 == 0 { IQ1_DELTA } else { -IQ1_DELTA };
        // Scale of the 16 elements k belongs to: index k / 2 of the 16 3-bit scales.
        let t = k / 2;
        let s = (sc[t / 4] >> (3 * (t % 4))) & 7;
        let dl = d * f32::from(2 * s + 1);
        let grid = &IQ1S[idx];
        for e in 0..8 {
            y[8 * k + e] = dl * (f32::from(grid[e]) + delta);
        }
    }
}

//! Types whose 4-bit codes index a fixed non-linear table: IQ4_NL and
//! IQ4_XS (ggml's `kvalues_iq4nl`), MXFP4 (the E2M1 values of the OCP
//! Microscaling spec v1.0, doubled, with an E8M0 block exponent) and NVFP4
//! (the same values with an unsigned E4M3 scale per 16 elements). Tables
//! are the values published in ggml-common.h and the OCP spec; layouts from
//! ggml-common.h; arithmetic follows gguf-py's dequantizers, which the tests
//! compare against bit for bit.

use super::blocks::{h, QK, QK_K};

/// `kvalues_iq4nl` (ggml-common.h): the 16 levels of IQ4_NL and IQ4_XS.
const IQ4NL: [i8; 16] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

/// The 16 E2M1 (FP4) values, doubled so they are integers (OCP MX v1.0).
const E2M1_X2: [i8; 16] = [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12];

/// IQ4_NL (18 bytes): d (f16), 16 bytes; byte j holds elements j (low
/// nibble) and j + 16 (high); y = d · `kvalues[q]`.
#[inline]
pub fn iq4_nl(b: &[u8; 18], y: &mut [f32; QK]) {
    let d = h(b, 0);
    for j in 0..16 {
        y[j] = d * f32::from(IQ4NL[usize::from(b[2 + j] & 0xF)]);
        y[j + 16] = d * f32::from(IQ4NL[usize::from(b[2 + j] >> 4)])
    }
}

/// IQ4_XS (136 bytes): d (f16), `scales_h` (u16: 2 high bits per sub-block),
/// `scales_l` (4 bytes: 4 low bits per sub-block), 128 bytes of nibbles.
/// Sub-block i (32 elements) has scale s = (l | h << 4) − 32 and
/// dl = d · s; its 16 bytes hold elements 32i + j (low) and 32i + 16 + j
/// (high); y = dl · `kvalues[q]`.
#[inline]
pub fn iq4_xs(b: &[u8; 136], y: &mut [f32; QK_K]) {
    let d = h(b, 0);
    let scales_h = u16::from_le_bytes([b[2], b[3]]);
    for i in 0..8 {
        let lo = (b[4 + i / 2] >> (4 * (i % 2))) & 0xF;
        let hi = ((scales_h >> (2 * i)) & 3) as u8;
        let dl = d * f32::from((lo | (hi << 4)) as i8 - 32);
        let qs = &b[8 + 16 * i..8 + 16 * (i + 1)];
        for j in 0..16 {
            y[32 * i + j] = dl * f32::from(IQ4NL[usize::from(qs[j] & 0xF)]);
            y[32 * i + 16 + j] = dl * f32::from(IQ4NL[usize::from(qs[j] >> 4)]);
        }
    }
}

/// Half of 2^(e − 127) (ggml's `ggml_e8m0_to_fp32_half`): halving undoes
/// the doubled E2M1 table.
#[inline(always)]
fn e8m0_half(e: u8) -> f32 {
    let bits = if e < 2 {
        0x0020_0000u32 << e
    } else {
        u32::from(e - 1) << 23
    };
    f32::from_bits(bits)
}

/// MXFP4 (17 bytes): an E8M0 exponent, 16 bytes of E2M1 codes; byte j
/// holds elements j (low nibble) and j + 16 (high); y = ½·2^(e−127) · 2v.
#[inline]
pub fn mxfp4(b: &[u8; 17], y: &mut [f32; QK]) {
    let d = e8m0_half(b[0]);
    for j in 0..16 {
        y[j] = d * f32::from(E2M1_X2[usize::from(b[1 + j] & 0xF)]);
        y[j + 16] = d * f32::from(E2M1_X2[usize::from(b[1 + j] >> 4)]);
    }
}

/// An unsigned E4M3 scale (bias 7; 0 and 0x7F decode to 0), halved to undo
/// the doubled E2M1 table — gguf-py's `ue4m3_to_fp32`. Bit 7 is not part
/// of the format and is ignored, as there.
#[inline(always)]
fn ue4m3_half(x: u8) -> f32 {
    if x == 0 || x == 0x7F {
        return 0.0;
    }
    let exp = i32::from((x >> 3) & 0xF);
    let man = f32::from(x & 7);
    let raw = if exp == 0 {
        man * (2f32).powi(-9)
    } else {
        (1.0 + man / 8.0) * (2f32).powi(exp - 7)
    };
    raw * 0.5
}

/// NVFP4 (36 bytes, 64 elements): four UE4M3 scales, one per 16 elements,
/// then 32 bytes of E2M1 codes; sub-block s's 8 bytes hold elements 16s + j
/// (low nibble) and 16s + 8 + j (high); y = scale · 2v.
#[inline]
pub fn nvfp4(b: &[u8; 36], y: &mut [f32; 64]) {
    for s in 0..4 {
        let d = ue4m3_half(b[s]);
        for j in 0..8 {
            let q = b[4 + 8 * s + j];
            y[16 * s + j] = d * f32::from(E2M1_X2[usize::from(q & 0xF)]);
            y[16 * s + 8 + j] = d * f32::from(E2M1_X2[usize::from(q >> 4)]);
        }
    }
}

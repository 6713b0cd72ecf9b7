//! The ternary types of BitNet-style models: every weight is −1, 0 or +1
//! times one f16 scale per 256-element block. Layouts from ggml-common.h
//! (`block_tq1_0`, `block_tq2_0`); decoding order and arithmetic follow
//! gguf-py's `TQ1_0` / `TQ2_0` dequantizers, which the tests compare
//! against bit for bit.

use super::blocks::{h, QK_K};

/// Powers of three packed by TQ1_0: a byte holds five trits (or four, in
/// `qh`) as a base-3 fraction of 256; multiplying by 3^k (mod 256) brings
/// trit k to the top, and `(x · 3) >> 8` reads it.
const POW3: [u8; 5] = [1, 3, 9, 27, 81];

#[inline(always)]
fn trit(byte: u8, k: usize) -> f32 {
    let x = byte.wrapping_mul(POW3[k]);
    ((u16::from(x) * 3) >> 8) as f32 - 1.0
}

/// TQ1_0 (54 bytes): 48 bytes of five trits each, 4 bytes of four trits
/// each, d (f16). Elements: the first 32 bytes give 5 × 32 values (trit k of
/// byte m at 32k + m), the next 16 give 5 × 16 (at 160 + 16k + m), `qh`
/// gives 4 × 4 (at 240 + 4k + m); y = d · (t − 1).
#[inline]
pub fn tq1_0(b: &[u8; 54], y: &mut [f32; QK_K]) {
    let d = h(b, 52);
    for k in 0..5 {
        for m in 0..32 {
            y[32 * k + m] = d * trit(b[m], k);
        }
        for m in 0..16 {
            y[160 + 16 * k + m] = d * trit(b[32 + m], k);
        }
    }
    for k in 0..4 {
        for m in 0..4 {
            y[240 + 4 * k + m] = d * trit(b[48 + m], k);
        }
    }
}

/// TQ2_0 (66 bytes): 64 bytes of four 2-bit values each, d (f16). Value l
/// of byte 32c + m sits at 128c + 32l + m; y = d · (q − 1).
#[inline]
pub fn tq2_0(b: &[u8; 66], y: &mut [f32; QK_K]) {
    let d = h(b, 64);
    for c in 0..2 {
        for l in 0..4 {
            for m in 0..32 {
                let q = (b[32 * c + m] >> (2 * l)) & 3;
                y[128 * c + 32 * l + m] = d * (f32::from(q) - 1.0);
            }
        }
    }
}

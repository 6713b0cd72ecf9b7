//! Content digests for the equal-work check: every byte of an output,
//! fast enough to run after every trial (four independent 64-bit lanes of
//! multiply–rotate, about 8 GB/s here). Not cryptographic: it guards
//! against a variant that silently does less work, not against an
//! adversary.

const K: [u64; 4] = [
    0x9E37_79B9_7F4A_7C15,
    0xC2B2_AE3D_27D4_EB4F,
    0x1656_67B1_9E37_79F9,
    0x85EB_CA77_C2B2_AE63,
];

#[inline]
fn lane(h: u64, w: u64, k: u64) -> u64 {
    (h ^ w.wrapping_mul(k))
        .rotate_left(29)
        .wrapping_mul(0xFF51_AFD7_ED55_8CCD)
}

/// A digest of every byte of `bytes` and its length.
pub fn bytes(bytes: &[u8]) -> u64 {
    let mut h = [K[0] ^ bytes.len() as u64, K[1], K[2], K[3]];
    let mut blocks = bytes.chunks_exact(32);
    for b in &mut blocks {
        for (i, h) in h.iter_mut().enumerate() {
            let w = u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap_or_default());
            *h = lane(*h, w, K[i]);
        }
    }
    let mut tail = [0u8; 32];
    let rest = blocks.remainder();
    tail[..rest.len()].copy_from_slice(rest);
    for (i, h) in h.iter_mut().enumerate() {
        let w = u64::from_le_bytes(tail[i * 8..i * 8 + 8].try_into().unwrap_or_default());
        *h = lane(*h, w ^ rest.len() as u64, K[i]);
    }
    h.iter().fold(0, |a, &b| mix(a, b))
}

/// Combines digests order-sensitively.
pub fn mix(a: u64, b: u64) -> u64 {
    (a ^ b
        .wrapping_add(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(a << 6)
        .wrapping_add(a >> 2))
    .wrapping_mul(0x100_0000_01b3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_counts() {
        let a: Vec<u8> = (0..100_003u32).map(|i| (i * 7 % 251) as u8).collect();
        let d = bytes(&a);
        for at in [0, 1, 31, 32, 4096, 50_000, 100_000, 100_002] {
            let mut b = a.clone();
            b[at] ^= 1;
            assert_ne!(bytes(&b), d, "byte {at}");
        }
        assert_ne!(bytes(&a[..100_002]), d);
        assert_ne!(bytes(&[0]), bytes(&[0, 0]));
        assert_ne!(mix(1, 2), mix(2, 1));
    }
}

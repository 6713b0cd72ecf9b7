//! Equal work, for every experiment: each quick case's variants run once
//! through the harness's warm-up (`runner::warm_up`, what every measured
//! process does first), and their whole outputs, digested after the
//! clock, must agree. A variant that returns a different output — one
//! byte of it — must be caught.
//!
//! Needs the fixtures (`lab fixtures`; the README's test command fetches
//! them). The peers group is left out: it spawns other programs, and its
//! outputs are checked against theirs when it runs.

use experiments::registry::{ALL, PEERS};
use experiments::Ctx;
use harness::protocol::Tier;
use harness::runner::warm_up;
use harness::{HarnessError, Outcome};

fn ctx() -> Ctx {
    let store = fixtures::Store::open_default().expect("fixtures/manifest.toml");
    let mut ctx = Ctx::new(store, Tier::Quick);
    ctx.evidence = false;
    ctx
}

#[test]
fn every_variant_of_every_quick_case_returns_the_same_output() {
    let ctx = ctx();
    let mut checked = Vec::new();
    let mut failed = Vec::new();
    for exp in ALL.iter().filter(|e| e.group != PEERS) {
        let built = (exp.build)(&ctx);
        let mut cases = 0;
        for mut case in built.cases {
            if case.variants.len() < 2 {
                continue;
            }
            match warm_up(exp.id, &mut case) {
                Ok(_) => cases += 1,
                Err(e) => failed.push(format!("{}: {e}", exp.id)),
            }
        }
        checked.push((exp.id, cases, built.skipped));
    }
    assert!(failed.is_empty(), "variants that disagree: {failed:#?}");
    // Not vacuous: every experiment contributed a case (a missing fixture
    // would skip them all and say why).
    let none: Vec<_> = checked.iter().filter(|(_, n, _)| *n == 0).collect();
    assert!(none.is_empty(), "experiments with no case checked: {none:#?}");
}

/// Wraps variant B so its output differs from A's in one byte: the
/// variant's own output, digested, with one more byte appended — the
/// same as a one-byte change to a digest that covers every byte.
fn corrupt_one_byte(mut case: harness::Case<'_>) -> harness::Case<'_> {
    let mut inner = std::mem::replace(&mut case.variants[1].run, Box::new(|| Ok(Outcome::checksum(0))));
    case.variants[1].run = Box::new(move || {
        let mut out = inner()?;
        Ok(Outcome::output(move || {
            out.settle();
            let mut bytes = out.checksum.to_le_bytes().to_vec();
            bytes[3] ^= 0x01;
            harness::digest::bytes(&bytes)
        }))
    });
    case
}

#[test]
fn an_output_that_differs_in_one_byte_is_caught() {
    let ctx = ctx();
    let mut caught = 0;
    for exp in ALL.iter().filter(|e| e.group != PEERS) {
        let Some(case) = (exp.build)(&ctx).cases.into_iter().find(|c| c.variants.len() >= 2) else {
            continue;
        };
        let mut bad = corrupt_one_byte(case);
        match warm_up(exp.id, &mut bad) {
            Err(HarnessError::Disagree { b, .. }) => {
                assert_eq!(b, bad.variants[1].name);
                caught += 1;
            }
            other => panic!("{}: a corrupted output was not caught: {other:?}", exp.id),
        }
    }
    assert!(caught >= 20, "only {caught} experiments checked");
}

#[test]
fn the_digests_cover_every_byte() {
    use experiments::context::{digest, f16_digest, f32_digest};
    let bytes: Vec<u8> = (0..1_000_003u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let floats: Vec<f32> = bytes.iter().map(|&b| f32::from(b) * 0.5).collect();
    let halves: Vec<half::f16> = floats.iter().map(|&x| half::f16::from_f32(x)).collect();
    for at in [0, 1, 997, 500_001, bytes.len() - 1] {
        let mut b = bytes.clone();
        b[at] ^= 0x10;
        assert_ne!(digest(&b), digest(&bytes), "byte {at}");
        let i = at.min(floats.len() - 1);
        let mut f = floats.clone();
        f[i] = f32::from_bits(f[i].to_bits() ^ 1);
        assert_ne!(f32_digest(&f), f32_digest(&floats), "f32 {i}");
        let mut h = halves.clone();
        h[i] = half::f16::from_bits(h[i].to_bits() ^ 1);
        assert_ne!(f16_digest(&h), f16_digest(&halves), "f16 {i}");
    }
}

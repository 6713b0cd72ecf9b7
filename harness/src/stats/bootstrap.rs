//! The effect of B over A and its bootstrap confidence interval.
//!
//! Rounds are paired: each round ran every variant once, in random order,
//! so slow drift and noisy neighbours hit A and B of a round alike. The
//! effect is the median of per-round ratios B/A; its 95 % interval is the
//! percentile bootstrap over rounds (resampling whole rounds).
//!
//! A campaign runs each case in several fresh worker processes, because
//! what differs between processes (address layout, allocator state, page
//! placement) moves every round of a process alike and no amount of rounds
//! in one process averages it out. [`replicated_ratio`] therefore resamples
//! in two stages — processes with replacement, then rounds within each drawn
//! process — so the interval carries the between-process variance too.

use super::summary::{median, quantile};
use super::Rng;
use serde::{Deserialize, Serialize};

/// Resamples drawn for an interval.
pub const RESAMPLES: usize = 2000;

/// The effect of B over A: a ratio with its 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Effect {
    /// Median of per-round B/A ratios.
    pub ratio: f64,
    /// 95 % bootstrap interval of that median.
    pub lo: f64,
    /// Upper end of the interval.
    pub hi: f64,
    /// Rounds it was computed from.
    pub rounds: usize,
}

impl Effect {
    /// The effect of too few samples: every field NaN, zero rounds.
    pub fn undefined() -> Effect {
        Effect {
            ratio: f64::NAN,
            lo: f64::NAN,
            hi: f64::NAN,
            rounds: 0,
        }
    }

    /// Half the interval's width relative to the estimate.
    pub fn relative_half_width(&self) -> f64 {
        (self.hi - self.lo) / 2.0 / self.ratio.abs().max(f64::MIN_POSITIVE)
    }
}

/// Effect of `b` over `a`, paired by index (round).
pub fn paired_ratio(a: &[f64], b: &[f64], seed: u64) -> Effect {
    let ratios: Vec<f64> = a.iter().zip(b).filter(|(x, _)| **x > 0.0).map(|(x, y)| y / x).collect();
    median_ci(&ratios, seed)
}

/// Effect of `b` over `a` from several processes, each a pair of
/// round-paired sample vectors: the median of all per-round ratios, with a
/// two-stage bootstrap interval (processes, then rounds within each). One
/// process gives exactly [`paired_ratio`]'s interval.
pub fn replicated_ratio(processes: &[(&[f64], &[f64])], seed: u64) -> Effect {
    let per: Vec<Vec<f64>> = processes
        .iter()
        .map(|(a, b)| {
            a.iter()
                .zip(*b)
                .filter(|(x, _)| **x > 0.0)
                .map(|(x, y)| y / x)
                .collect::<Vec<f64>>()
        })
        .filter(|r| !r.is_empty())
        .collect();
    match per.len() {
        0 => return Effect::undefined(),
        1 => return median_ci(&per[0], seed),
        _ => {}
    }
    let pooled: Vec<f64> = per.iter().flatten().copied().collect();
    let mut rng = Rng::new(seed);
    let mut meds = Vec::with_capacity(RESAMPLES);
    let mut buf = Vec::with_capacity(pooled.len() * 2);
    for _ in 0..RESAMPLES {
        buf.clear();
        for _ in 0..per.len() {
            let p = &per[rng.below(per.len())];
            for _ in 0..p.len() {
                buf.push(p[rng.below(p.len())]);
            }
        }
        meds.push(median(&buf));
    }
    meds.sort_by(f64::total_cmp);
    Effect {
        ratio: median(&pooled),
        lo: quantile(&meds, 0.025),
        hi: quantile(&meds, 0.975),
        rounds: pooled.len(),
    }
}

/// Fills `into` with draws (with replacement) from `src`, which is not empty.
fn resample(src: &[f64], into: &mut [f64], rng: &mut Rng) {
    for x in into.iter_mut() {
        *x = src[rng.below(src.len())];
    }
}

/// The median of `v` with a percentile-bootstrap 95 % interval.
pub fn median_ci(v: &[f64], seed: u64) -> Effect {
    let n = v.len();
    if n == 0 {
        return Effect::undefined();
    }
    let mut rng = Rng::new(seed);
    let mut meds = Vec::with_capacity(RESAMPLES);
    let mut buf = vec![0f64; n];
    for _ in 0..RESAMPLES {
        resample(v, &mut buf, &mut rng);
        meds.push(median(&buf));
    }
    meds.sort_by(f64::total_cmp);
    Effect {
        ratio: median(v),
        lo: quantile(&meds, 0.025),
        hi: quantile(&meds, 0.975),
        rounds: n,
    }
}

/// Unpaired comparison (a gate's baseline against a fresh run): the ratio
/// of medians with a bootstrap interval resampling each side separately.
pub fn ratio_of_medians(a: &[f64], b: &[f64], seed: u64) -> Effect {
    if a.is_empty() || b.is_empty() {
        return Effect::undefined();
    }
    let mut rng = Rng::new(seed);
    let mut rs = Vec::with_capacity(RESAMPLES);
    let (mut ba, mut bb) = (vec![0f64; a.len()], vec![0f64; b.len()]);
    for _ in 0..RESAMPLES {
        resample(a, &mut ba, &mut rng);
        resample(b, &mut bb, &mut rng);
        rs.push(median(&bb) / median(&ba));
    }
    rs.sort_by(f64::total_cmp);
    Effect {
        ratio: median(b) / median(a),
        lo: quantile(&rs, 0.025),
        hi: quantile(&rs, 0.975),
        rounds: a.len().min(b.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clear_effect_has_an_interval_around_it() {
        let a: Vec<f64> = (0..200).map(|i| 10.0 + (i % 7) as f64 * 0.01).collect();
        let b: Vec<f64> = a.iter().map(|x| x * 0.8).collect();
        let e = paired_ratio(&a, &b, 1);
        assert!((e.ratio - 0.8).abs() < 1e-9 && e.lo <= 0.8 && e.hi >= 0.8);
        assert!(e.relative_half_width() < 0.01);
    }

    #[test]
    fn a_process_offset_widens_the_replicated_interval() {
        // Three processes agree round by round but sit 3 % apart: one
        // process's interval is tight, the replicated one must span them.
        let a: Vec<f64> = (0..100).map(|i| 1.0 + (i % 5) as f64 * 1e-4).collect();
        let bs: Vec<Vec<f64>> = [0.97, 1.0, 1.03]
            .iter()
            .map(|k| a.iter().map(|x| x * k).collect())
            .collect();
        let one = paired_ratio(&a, &bs[0], 3);
        assert!(one.relative_half_width() < 0.001);
        let procs: Vec<(&[f64], &[f64])> = bs.iter().map(|b| (a.as_slice(), b.as_slice())).collect();
        let e = replicated_ratio(&procs, 3);
        assert!(e.lo <= 0.975 && e.hi >= 1.025, "{e:?}");
        assert_eq!(replicated_ratio(&procs[..1], 3), one);
    }

    #[test]
    fn deterministic_for_a_seed() {
        let v: Vec<f64> = (0..50).map(|i| 1.0 + ((i * 37) % 11) as f64 / 100.0).collect();
        assert_eq!(median_ci(&v, 7), median_ci(&v, 7));
    }
}

//! The effect of B over A and its bootstrap confidence interval.
//!
//! Rounds are paired: each round ran every variant once, in random order,
//! so slow drift and noisy neighbours hit A and B of a round alike. The
//! effect is the median of per-round ratios B/A; its 95 % interval is the
//! percentile bootstrap over rounds (resampling whole rounds).
//!
//! A campaign runs each case in several fresh worker processes, because
//! what differs between processes (address layout, allocator state, page
//! placement, the machine's drift over the campaign) moves every round of
//! a process alike and no amount of rounds in one process averages it out.
//! [`replicated_ratio`] is a random-effects estimate over processes:
//!
//! - the point estimate is the median of all rounds pooled, so process *i*
//!   weighs `p_i = n_i / N` (its share of the rounds);
//! - the within-process part of the interval is a stratified bootstrap
//!   (rounds resampled within each process, processes kept);
//! - the between-process part is τ², the DerSimonian–Laird estimate from
//!   the processes' log medians and their bootstrapped variances, carried
//!   into the pooled estimate with the same weights as the point estimate
//!   (`Var = τ² · Σ p_i²`) and scaled by Student's t with k − 1 degrees of
//!   freedom; the two halves add in quadrature in log space.
//!
//! Processes that agree add nothing; processes that disagree widen the
//! interval as far as a t interval over their weighted values would.
//!
//! When a case's rounds form two modes ([`super::mixture`]), the pooled median
//! describes one of them; [`process_means`] is the summary such cases use
//! instead: the geometric mean over processes of each process's ratio of
//! mean times, with a t interval over processes.

use super::summary::{median, quantile, Summary};
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
/// random-effects interval (see the module's documentation). One process
/// gives exactly [`paired_ratio`]'s interval.
pub fn replicated_ratio(processes: &[(&[f64], &[f64])], seed: u64) -> Effect {
    replicated(processes, seed, true)
}

/// [`replicated_ratio`] without the between-process term: for a
/// comparison that cannot differ between processes by construction — the
/// A/A control, variant A against itself in the same process.
pub fn replicated_ratio_within(processes: &[(&[f64], &[f64])], seed: u64) -> Effect {
    replicated(processes, seed, false)
}

/// Per-round ratios B/A of each process (rounds with A ≤ 0 dropped;
/// processes left without rounds dropped).
pub fn per_process_ratios(processes: &[(&[f64], &[f64])]) -> Vec<Vec<f64>> {
    processes
        .iter()
        .map(|(a, b)| {
            a.iter()
                .zip(*b)
                .filter(|(x, _)| **x > 0.0)
                .map(|(x, y)| y / x)
                .collect::<Vec<f64>>()
        })
        .filter(|r| !r.is_empty())
        .collect()
}

fn replicated(processes: &[(&[f64], &[f64])], seed: u64, between: bool) -> Effect {
    let per = per_process_ratios(processes);
    match per.len() {
        0 => return Effect::undefined(),
        1 => return median_ci(&per[0], seed),
        _ => {}
    }
    let pooled: Vec<f64> = per.iter().flatten().copied().collect();
    let mut rng = Rng::new(seed);
    let mut meds = Vec::with_capacity(RESAMPLES);
    let mut buf = Vec::with_capacity(pooled.len());
    for _ in 0..RESAMPLES {
        buf.clear();
        for p in &per {
            for _ in 0..p.len() {
                buf.push(p[rng.below(p.len())]);
            }
        }
        meds.push(median(&buf));
    }
    meds.sort_by(f64::total_cmp);
    let ratio = median(&pooled);
    let (lo, hi) = (quantile(&meds, 0.025), quantile(&meds, 0.975));
    let h = if between {
        between_half_width(&per, &mut rng)
    } else {
        0.0
    };
    let widen = |edge: f64| (edge.ln() - ratio.ln()).hypot(h);
    Effect {
        ratio,
        lo: ratio * (-widen(lo)).exp(),
        hi: ratio * widen(hi).exp(),
        rounds: pooled.len(),
    }
}

/// Resamples per process for the within-process variance of its median.
const WITHIN_RESAMPLES: usize = 200;

/// The DerSimonian–Laird between-study variance of `(estimate, variance)`
/// pairs: weights 1/vᵢ, Cochran's Q about the weighted mean, and
/// τ² = max(0, (Q − (k − 1)) / (Σw − Σw²/Σw)).
pub fn tau2_dl(points: &[(f64, f64)]) -> f64 {
    let k = points.len();
    if k < 2 {
        return 0.0;
    }
    // A variance of 0 (identical rounds) would give an infinite weight.
    let floor = 1e-18;
    let w: Vec<f64> = points.iter().map(|(_, v)| 1.0 / v.max(floor)).collect();
    let sw: f64 = w.iter().sum();
    let mean = points.iter().zip(&w).map(|((y, _), w)| w * y).sum::<f64>() / sw;
    let q: f64 = points.iter().zip(&w).map(|((y, _), w)| w * (y - mean).powi(2)).sum();
    let c = sw - w.iter().map(|w| w * w).sum::<f64>() / sw;
    if c <= 0.0 {
        return 0.0;
    }
    ((q - (k as f64 - 1.0)) / c).max(0.0)
}

/// The half-width (in log ratio) the between-process variance adds to the
/// pooled estimate of `per.len()` processes: t(k−1) · √(τ² · Σ pᵢ²), with
/// τ² the DerSimonian–Laird estimate from each process's log median and
/// its bootstrapped variance, and pᵢ the process's share of the rounds
/// (its weight in the pooled median).
pub fn between_half_width(per: &[Vec<f64>], rng: &mut Rng) -> f64 {
    let k = per.len();
    if k < 2 {
        return 0.0;
    }
    let variance = |v: &[f64]| Summary::of(v).sd.powi(2);
    let mut buf = Vec::new();
    let points: Vec<(f64, f64)> = per
        .iter()
        .map(|p| {
            buf.resize(p.len(), 0.0);
            let meds: Vec<f64> = (0..WITHIN_RESAMPLES)
                .map(|_| {
                    resample(p, &mut buf, rng);
                    median(&buf).ln()
                })
                .collect();
            (median(p).ln(), variance(&meds))
        })
        .collect();
    let n: usize = per.iter().map(Vec::len).sum();
    let sum_p2: f64 = per.iter().map(|p| (p.len() as f64 / n as f64).powi(2)).sum();
    student_t975(k - 1) * (tau2_dl(&points) * sum_p2).sqrt()
}

/// The mixture-stable summary: each process's ratio of mean times
/// (Σ B / Σ A over its rounds — what a user waits on average, whichever
/// mode a round fell in), their geometric mean over processes, and a
/// t(k−1) interval over the processes' log ratios. With one process, a
/// bootstrap of its ratio of means.
pub fn process_means(processes: &[(&[f64], &[f64])], seed: u64) -> Effect {
    let ratio_of_means = |a: &[f64], b: &[f64]| {
        let (sa, sb): (f64, f64) = a
            .iter()
            .zip(b)
            .filter(|(x, _)| **x > 0.0)
            .fold((0.0, 0.0), |(sa, sb), (x, y)| (sa + x, sb + y));
        (sa > 0.0).then(|| sb / sa)
    };
    let logs: Vec<f64> = processes
        .iter()
        .filter_map(|(a, b)| ratio_of_means(a, b))
        .filter(|r| *r > 0.0)
        .map(f64::ln)
        .collect();
    let rounds = processes.iter().map(|(a, _)| a.len()).sum();
    match logs.len() {
        0 => Effect::undefined(),
        1 => {
            let (a, b) = processes[0];
            let mut rng = Rng::new(seed);
            let n = a.len().min(b.len());
            let (mut ba, mut bb) = (vec![0f64; n], vec![0f64; n]);
            let mut rs: Vec<f64> = (0..RESAMPLES)
                .filter_map(|_| {
                    for i in 0..n {
                        let j = rng.below(n);
                        ba[i] = a[j];
                        bb[i] = b[j];
                    }
                    ratio_of_means(&ba, &bb)
                })
                .collect();
            rs.sort_by(f64::total_cmp);
            Effect {
                ratio: logs[0].exp(),
                lo: quantile(&rs, 0.025),
                hi: quantile(&rs, 0.975),
                rounds,
            }
        }
        k => {
            let s = Summary::of(&logs);
            let h = student_t975(k - 1) * s.sd / (k as f64).sqrt();
            Effect {
                ratio: s.mean.exp(),
                lo: (s.mean - h).exp(),
                hi: (s.mean + h).exp(),
                rounds,
            }
        }
    }
}

/// The 97.5 % quantile of Student's t with `df` degrees of freedom.
pub fn student_t975(df: usize) -> f64 {
    const T: [f64; 10] = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228];
    match df {
        0 => f64::INFINITY,
        1..=10 => T[df - 1],
        // Within 0.5 % of the exact quantile beyond 10 degrees of freedom.
        _ => 1.96 + 2.4 / df as f64,
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
        // A t interval over three values 3 % apart: ± 4.30 · 0.03 / √3.
        assert!(e.lo <= 0.93 && e.hi >= 1.07, "{e:?}");
        assert_eq!(replicated_ratio(&procs[..1], 3), one);
        // The control's interval has no between-process term.
        let w = replicated_ratio_within(&procs, 3);
        assert!(w.lo > e.lo && w.hi < e.hi, "{w:?} {e:?}");
    }

    #[test]
    fn processes_that_agree_add_nothing() {
        // Three processes drawn from one distribution: the between-process
        // term is (almost) zero, so the interval is the bootstrap's.
        let mut rng = Rng::new(9);
        let draw = |rng: &mut Rng| -> Vec<f64> {
            (0..200)
                .map(|_| 1.0 + (rng.below(1000) as f64 - 500.0) * 4e-5)
                .collect()
        };
        let per: Vec<Vec<f64>> = (0..3).map(|_| draw(&mut rng)).collect();
        let h = between_half_width(&per, &mut rng);
        assert!(h < 0.003, "{h}");
        let ones = vec![1.0; 200];
        let procs: Vec<(&[f64], &[f64])> = per.iter().map(|b| (ones.as_slice(), b.as_slice())).collect();
        let e = replicated_ratio(&procs, 4);
        assert!(e.relative_half_width() < 0.006, "{e:?}");
    }

    #[test]
    fn t_quantiles() {
        assert_eq!(student_t975(2), 4.303);
        assert!((student_t975(30) - 2.042).abs() < 0.01);
        assert!((student_t975(120) - 1.980).abs() < 0.01);
    }

    #[test]
    fn deterministic_for_a_seed() {
        let v: Vec<f64> = (0..50).map(|i| 1.0 + ((i * 37) % 11) as f64 / 100.0).collect();
        assert_eq!(median_ci(&v, 7), median_ci(&v, 7));
    }
}

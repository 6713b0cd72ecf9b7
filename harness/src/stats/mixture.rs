//! Bimodal cases. Some cases' rounds fall in two modes (a fast one and a
//! slow one, often by process: a worker thread placed on the busy core,
//! a page cache in one state or another). The pooled median then reports
//! one mode and a reader is told a ratio that a third of the rounds never
//! see. [`detect`] fits a two-component normal mixture to the log ratios
//! (EM from the best two-means split) and calls the rounds bimodal when
//! the components are well separated (Ashman's D > 2), each holds at
//! least [`MIN_SHARE`] of the rounds, and the modes differ by more than
//! the rule's margin could care about. It also says whether the slow
//! rounds cluster by process (a χ² test of mode by process).

use super::summary::Summary;
use serde::{Deserialize, Serialize};

/// The smallest share of rounds a mode must hold.
pub const MIN_SHARE: f64 = 0.10;
/// Ashman's D above which two normal components are separated.
pub const MIN_SEPARATION: f64 = 2.0;
/// The fewest rounds a mixture is looked for in.
pub const MIN_ROUNDS: usize = 30;

/// One mode of a bimodal case.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Mode {
    /// The mode's ratio (geometric mean of its component).
    pub ratio: f64,
    /// Its share of the rounds.
    pub share: f64,
}

/// A comparison whose rounds are bimodal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mixture {
    /// The two modes, lower ratio first.
    pub modes: [Mode; 2],
    /// Ashman's D between them.
    pub separation: f64,
    /// p-value of the χ² test that mode membership is independent of the
    /// process (small: the modes cluster by process).
    pub process_p: f64,
}

/// Looks for two modes in the per-round ratios of each process.
/// `min_gap` is the smallest relative difference between the modes that
/// counts (e.g. twice the margin).
pub fn detect(per: &[Vec<f64>], min_gap: f64) -> Option<Mixture> {
    let x: Vec<f64> = per.iter().flatten().filter(|r| **r > 0.0).map(|r| r.ln()).collect();
    if x.len() < MIN_ROUNDS {
        return None;
    }
    let (pi, m1, v1, m2, v2) = fit(&x)?;
    let d = std::f64::consts::SQRT_2 * (m2 - m1).abs() / (v1 + v2).sqrt();
    let gap = (m2 - m1).abs().exp() - 1.0;
    if !(d > MIN_SEPARATION && gap >= min_gap && pi.min(1.0 - pi) >= MIN_SHARE) {
        return None;
    }
    // Mode of each round: the nearer component in likelihood.
    let second = |v: f64| density(v, m2, v2) * (1.0 - pi) > density(v, m1, v1) * pi;
    let table: Vec<[f64; 2]> = per
        .iter()
        .map(|p| {
            let s = p.iter().filter(|r| **r > 0.0).filter(|r| second(r.ln())).count() as f64;
            [p.len() as f64 - s, s]
        })
        .collect();
    let (lo, hi) = if m1 <= m2 {
        ((m1, pi), (m2, 1.0 - pi))
    } else {
        ((m2, 1.0 - pi), (m1, pi))
    };
    Some(Mixture {
        modes: [
            Mode {
                ratio: lo.0.exp(),
                share: lo.1,
            },
            Mode {
                ratio: hi.0.exp(),
                share: hi.1,
            },
        ],
        separation: d,
        process_p: independence_p(&table),
    })
}

fn density(x: f64, m: f64, v: f64) -> f64 {
    (-(x - m).powi(2) / (2.0 * v)).exp() / (2.0 * std::f64::consts::PI * v).sqrt()
}

/// EM for two normal components, started from the two-means split of the
/// sorted values that minimises the within sum of squares. Returns
/// (weight of the first, mean₁, var₁, mean₂, var₂).
fn fit(x: &[f64]) -> Option<(f64, f64, f64, f64, f64)> {
    let mut s = x.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    let (mut best, mut cut) = (f64::INFINITY, 0);
    let (mut sum_l, mut sq_l) = (0.0, 0.0);
    let (total, total_sq) = (s.iter().sum::<f64>(), s.iter().map(|v| v * v).sum::<f64>());
    for (i, v) in s.iter().enumerate().take(n - 1) {
        sum_l += v;
        sq_l += v * v;
        let (nl, nr) = ((i + 1) as f64, (n - i - 1) as f64);
        let ss = (sq_l - sum_l * sum_l / nl) + ((total_sq - sq_l) - (total - sum_l).powi(2) / nr);
        if ss < best {
            best = ss;
            cut = i + 1;
        }
    }
    let (a, b) = s.split_at(cut);
    if a.is_empty() || b.is_empty() {
        return None;
    }
    // A floor on the variances: rounds timed to the nanosecond can repeat
    // a value exactly, and a component of one repeated value has none.
    let floor = (Summary::of(&s).sd.powi(2) * 1e-4).max(1e-10);
    let (sa, sb) = (Summary::of(a), Summary::of(b));
    let (mut pi, mut m1, mut v1, mut m2, mut v2) = (
        a.len() as f64 / n as f64,
        sa.mean,
        sa.sd.powi(2).max(floor),
        sb.mean,
        sb.sd.powi(2).max(floor),
    );
    let mut r = vec![0.0; n];
    for _ in 0..200 {
        for (ri, v) in r.iter_mut().zip(&s) {
            let (p1, p2) = (pi * density(*v, m1, v1), (1.0 - pi) * density(*v, m2, v2));
            *ri = if p1 + p2 > 0.0 { p1 / (p1 + p2) } else { 0.5 };
        }
        let w1: f64 = r.iter().sum();
        let w2 = n as f64 - w1;
        if w1 < 1.0 || w2 < 1.0 {
            return None;
        }
        let nm1 = r.iter().zip(&s).map(|(r, v)| r * v).sum::<f64>() / w1;
        let nm2 = r.iter().zip(&s).map(|(r, v)| (1.0 - r) * v).sum::<f64>() / w2;
        v1 = (r.iter().zip(&s).map(|(r, v)| r * (v - nm1).powi(2)).sum::<f64>() / w1).max(floor);
        v2 = (r
            .iter()
            .zip(&s)
            .map(|(r, v)| (1.0 - r) * (v - nm2).powi(2))
            .sum::<f64>()
            / w2)
            .max(floor);
        let done = (nm1 - m1).abs() + (nm2 - m2).abs() < 1e-9;
        (m1, m2, pi) = (nm1, nm2, w1 / n as f64);
        if done {
            break;
        }
    }
    Some((pi, m1, v1, m2, v2))
}

/// p-value of Pearson's χ² test of independence of a k × 2 table (rows:
/// processes; columns: rounds in each mode), by the Wilson–Hilferty
/// approximation of the χ² tail. 1.0 when the test is undefined.
pub fn independence_p(table: &[[f64; 2]]) -> f64 {
    let rows: Vec<&[f64; 2]> = table.iter().filter(|r| r[0] + r[1] > 0.0).collect();
    let n: f64 = rows.iter().map(|r| r[0] + r[1]).sum();
    let cols = [
        rows.iter().map(|r| r[0]).sum::<f64>(),
        rows.iter().map(|r| r[1]).sum::<f64>(),
    ];
    if rows.len() < 2 || cols[0] == 0.0 || cols[1] == 0.0 {
        return 1.0;
    }
    let chi2: f64 = rows
        .iter()
        .flat_map(|r| {
            let t = r[0] + r[1];
            (0..2).map(move |j| {
                let e = t * cols[j] / n;
                (r[j] - e).powi(2) / e
            })
        })
        .sum();
    let df = (rows.len() - 1) as f64;
    let z = ((chi2 / df).cbrt() - (1.0 - 2.0 / (9.0 * df))) / (2.0 / (9.0 * df)).sqrt();
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// The complementary error function (Numerical Recipes' erfcc, relative
/// error below 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Rng;

    fn noisy(rng: &mut Rng, at: f64, n: usize) -> Vec<f64> {
        (0..n)
            .map(|_| at * (1.0 + (rng.below(1000) as f64 - 500.0) * 4e-5))
            .collect()
    }

    #[test]
    fn two_modes_clustered_by_process_are_found() {
        // H11's shape: most rounds near 0.64, a quarter near 1.5, the slow
        // ones in two of five processes.
        let mut rng = Rng::new(5);
        let mut per: Vec<Vec<f64>> = (0..3).map(|_| noisy(&mut rng, 0.64, 40)).collect();
        per.push(noisy(&mut rng, 1.5, 30));
        let mut mixed = noisy(&mut rng, 1.5, 10);
        mixed.extend(noisy(&mut rng, 0.64, 30));
        per.push(mixed);
        let m = detect(&per, 0.04).expect("bimodal");
        assert!(
            (m.modes[0].ratio - 0.64).abs() < 0.01 && (m.modes[1].ratio - 1.5).abs() < 0.02,
            "{m:?}"
        );
        assert!((m.modes[1].share - 40.0 / 190.0).abs() < 0.02, "{m:?}");
        assert!(m.process_p < 1e-6, "{m:?}");
    }

    #[test]
    fn one_mode_or_a_small_gap_is_not_a_mixture() {
        let mut rng = Rng::new(6);
        let per: Vec<Vec<f64>> = (0..4).map(|_| noisy(&mut rng, 0.9, 50)).collect();
        assert_eq!(detect(&per, 0.04), None);
        // Two modes 1 % apart: real, but below what the verdict can use.
        let mut two = noisy(&mut rng, 1.0, 60);
        two.extend(noisy(&mut rng, 1.01, 60));
        assert_eq!(detect(&[two], 0.04), None);
        // A few outliers are not a mode.
        let mut tail = noisy(&mut rng, 1.0, 100);
        tail.extend(noisy(&mut rng, 2.0, 5));
        assert_eq!(detect(&[tail], 0.04), None);
        // Too few rounds to tell.
        assert_eq!(detect(&[vec![1.0, 2.0, 1.0, 2.0]], 0.04), None);
    }

    #[test]
    fn independence_test() {
        // Modes spread evenly over processes: no clustering.
        let even = [[30.0, 10.0], [30.0, 10.0], [30.0, 10.0]];
        assert!(independence_p(&even) > 0.5);
        let clustered = [[40.0, 0.0], [40.0, 0.0], [0.0, 40.0]];
        assert!(independence_p(&clustered) < 1e-9);
        assert!((erfc(0.0) - 1.0).abs() < 1e-6 && (erfc(1.0) - 0.157_299_2).abs() < 1e-6);
    }
}

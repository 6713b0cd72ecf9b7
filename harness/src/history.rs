//! The lab's memory over commits: a case's headline effect in every full
//! campaign of the ledger, oldest first, and the change points in it.
//!
//! A change point is found by binary segmentation with the E-divisive
//! statistic (Matteson & James 2014, as Otava/Hunter use it): for a
//! series of log ratios, the split that maximises the energy distance
//! between the two sides, kept when a permutation test (199 shuffles of
//! that segment, seeded) says a split that large arises by chance in under
//! 5 % of them and the medians either side differ by more than the
//! smallest effect the rule calls (2 %), then searched again on each side.

use crate::ledger::{self, Campaign, Mode};
use crate::stats::bootstrap::Effect;
use crate::stats::verdict::Verdict;
use crate::stats::Rng;
use serde::Serialize;

/// One campaign's measurement of a case's headline comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    /// Campaign id.
    pub campaign: String,
    /// The commit it measured.
    pub commit: String,
    /// The machine (fingerprint id).
    pub machine: String,
    /// The case label.
    pub case: String,
    /// "B vs A".
    pub comparison: String,
    /// B/A with its interval.
    pub effect: Effect,
    /// The verdict.
    pub verdict: Verdict,
}

/// A step in a history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangePoint {
    /// Index of the first point after the step.
    pub index: usize,
    /// The commit of that point: where the change happened.
    pub commit: String,
    /// Median B/A before the step (within its segment).
    pub before: f64,
    /// Median B/A after it.
    pub after: f64,
    /// The permutation test's p-value.
    pub p: f64,
}

/// Experiment `id`'s headline (or, with `case`, that case's first
/// comparison) in every full campaign that recorded it, oldest first.
pub fn series(campaigns: &[Campaign], id: &str, case: Option<&str>) -> Vec<Point> {
    let mut cs: Vec<&Campaign> = campaigns.iter().filter(|c| c.mode == Mode::Full).collect();
    cs.sort_by(|a, b| a.started.cmp(&b.started));
    cs.iter()
        .filter_map(|c| {
            let e = c.entries.iter().find(|e| e.spec.id.eq_ignore_ascii_case(id))?;
            let (k, comparison) = match case {
                Some(label) => {
                    let k = e.cases.iter().find(|k| k.label == label)?;
                    (k, k.comparisons.first()?)
                }
                None => e.headline()?,
            };
            Some(Point {
                campaign: c.id.clone(),
                commit: c.environment.git_commit.clone(),
                machine: ledger::machine_of(c),
                case: k.label.clone(),
                comparison: format!("{} vs {}", comparison.b, comparison.a),
                effect: comparison.effect,
                verdict: comparison.verdict,
            })
        })
        .collect()
}

/// The change points of `points` (see the module documentation).
pub fn change_points(points: &[Point]) -> Vec<ChangePoint> {
    let x: Vec<f64> = points.iter().map(|p| p.effect.ratio.max(1e-12).ln()).collect();
    let mut found = Vec::new();
    segment(&x, 0, x.len(), &mut Rng::new(0xC4A9_6E00), &mut found);
    found.sort_by_key(|f| f.0);
    let bounds: Vec<usize> = std::iter::once(0)
        .chain(found.iter().map(|f| f.0))
        .chain(std::iter::once(x.len()))
        .collect();
    found
        .into_iter()
        .enumerate()
        .map(|(k, (i, p))| {
            // The medians of the segments either side of this step.
            let before = median_ratio(&x[bounds[k]..i]);
            let after = median_ratio(&x[i..bounds[k + 2]]);
            ChangePoint {
                index: i,
                commit: points[i].commit.clone(),
                before,
                after,
                p,
            }
        })
        .collect()
}

/// Points either side of a split, at least.
const MIN_SIDE: usize = 2;
/// The smallest step reported (a fraction), the rule's margin.
const MIN_STEP: f64 = 0.02;
const ALPHA: f64 = 0.05;
const PERMUTATIONS: usize = 199;

fn median_ratio(x: &[f64]) -> f64 {
    let mut v = x.to_vec();
    v.sort_by(f64::total_cmp);
    let m = if v.is_empty() {
        0.0
    } else if v.len() % 2 == 1 {
        v[v.len() / 2]
    } else {
        (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0
    };
    m.exp()
}

fn segment(x: &[f64], from: usize, to: usize, rng: &mut Rng, found: &mut Vec<(usize, f64)>) {
    let s = &x[from..to];
    let Some((tau, q)) = best_split(s) else { return };
    let step = (median_ratio(&s[tau..]) / median_ratio(&s[..tau]) - 1.0).abs();
    if step < MIN_STEP {
        return;
    }
    let mut shuffled = s.to_vec();
    let mut as_large = 0;
    for _ in 0..PERMUTATIONS {
        rng.shuffle(&mut shuffled);
        if best_split(&shuffled).is_some_and(|(_, qq)| qq >= q) {
            as_large += 1;
        }
    }
    let p = (as_large + 1) as f64 / (PERMUTATIONS + 1) as f64;
    if p >= ALPHA {
        return;
    }
    found.push((from + tau, p));
    segment(x, from, from + tau, rng, found);
    segment(x, from + tau, to, rng, found);
}

/// The split of `s` with the largest E-divisive statistic
/// `n1·n2/(n1+n2) · (2·mean|x−y| − mean|x−x'| − mean|y−y'|)`, where x is
/// `s[..τ]` and y is `s[τ..κ]` for the best end κ — so a segment that
/// differs from what comes before it and then ends (a step that was
/// undone) is found as well as a lasting step.
fn best_split(s: &[f64]) -> Option<(usize, f64)> {
    let n = s.len();
    if n < 2 * MIN_SIDE {
        return None;
    }
    // Prefix sums of pairwise distances make each (τ, κ) O(n).
    let d = |i: usize, j: usize| (s[i] - s[j]).abs();
    let mut best: Option<(usize, f64)> = None;
    for tau in MIN_SIDE..=n - MIN_SIDE {
        let mut within_l = 0.0;
        for i in 0..tau {
            for j in 0..tau {
                within_l += d(i, j);
            }
        }
        let n1 = tau as f64;
        // Grow y = s[tau..kappa] one point at a time.
        let (mut between, mut within_r) = (0.0, 0.0);
        for kappa in tau + 1..=n {
            let k = kappa - 1;
            for i in 0..tau {
                between += d(i, k);
            }
            for j in tau..k {
                within_r += 2.0 * d(j, k);
            }
            let n2 = (kappa - tau) as f64;
            if kappa - tau < MIN_SIDE {
                continue;
            }
            let e = 2.0 * between / (n1 * n2) - within_l / (n1 * n1) - within_r / (n2 * n2);
            let q = n1 * n2 / (n1 + n2) * e;
            if best.is_none_or(|(_, b)| q > b) {
                best = Some((tau, q));
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(ratios: &[f64]) -> Vec<Point> {
        ratios
            .iter()
            .enumerate()
            .map(|(i, r)| Point {
                campaign: format!("c{i}"),
                commit: format!("commit{i}"),
                machine: "m".into(),
                case: "k".into(),
                comparison: "B vs A".into(),
                effect: Effect {
                    ratio: *r,
                    lo: r * 0.99,
                    hi: r * 1.01,
                    rounds: 100,
                },
                verdict: Verdict::Confirmed,
            })
            .collect()
    }

    /// ±1 % of deterministic noise around `level`.
    fn noisy(level: f64, n: usize, phase: usize) -> Vec<f64> {
        (0..n)
            .map(|i| level * (1.0 + 0.01 * (((i + phase) * 7 % 5) as f64 - 2.0) / 2.0))
            .collect()
    }

    #[test]
    fn a_step_is_found_at_the_commit_where_it_happened() {
        let mut r = noisy(0.80, 7, 0);
        r.extend(noisy(0.60, 6, 3));
        let cps = change_points(&points(&r));
        assert_eq!(cps.len(), 1, "{cps:?}");
        assert_eq!(cps[0].index, 7);
        assert_eq!(cps[0].commit, "commit7");
        assert!(
            (cps[0].before - 0.80).abs() < 0.01 && (cps[0].after - 0.60).abs() < 0.01,
            "{cps:?}"
        );
        assert!(cps[0].p < 0.05);
    }

    #[test]
    fn no_step_no_change_point() {
        assert!(change_points(&points(&noisy(0.80, 14, 0))).is_empty());
        // A 1 % step is below what the rule calls an effect.
        let mut r = noisy(1.00, 6, 0);
        r.extend(noisy(1.01, 6, 1));
        assert!(change_points(&points(&r)).is_empty());
        // Too short to say anything.
        assert!(change_points(&points(&[0.5, 1.0, 2.0])).is_empty());
    }

    #[test]
    fn two_steps_are_both_found() {
        let mut r = noisy(1.0, 6, 0);
        r.extend(noisy(0.7, 6, 2));
        r.extend(noisy(1.3, 6, 4));
        let at: Vec<usize> = change_points(&points(&r)).iter().map(|c| c.index).collect();
        assert_eq!(at, vec![6, 12]);
    }
}

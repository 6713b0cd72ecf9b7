//! The verdict rule. Inputs: the claimed B/A ratio (or a claim of no
//! effect, or a target), the measured effect with its 95 % interval, and
//! the margin: the fixed band of ratios around 1.0 that counts as "no
//! effect" (±2 % for times, the same in every campaign — see
//! `calibration::CalibrationInForce::noise_floor`).
//!
//! The ratios split into **regions**, each with the verdict a point there
//! gets (for a claim of 0.7: "larger than claimed" below the claim's band,
//! "confirmed" inside it, "smaller than claimed" between it and the margin,
//! "no effect" inside ± the margin, "opposite" beyond it). An interval
//! gets the verdict of the region it lies in when it lies wholly in one;
//! "at the edge: X | Y" when it contains exactly one edge between regions
//! X (the lower ratios) and Y; "inconclusive" when it contains two or more.
//! So a definite verdict of one campaign can only be contradicted by a
//! definite verdict of another whose interval does not overlap it, and
//! every disagreement of honest intervals sits next to an "at the edge".
//!
//! The case's A/A control is a gate, not a margin: a case whose control's
//! point estimate strays beyond the margin is not judged
//! ([`Verdict::ControlStrayed`]); the page shows the stray.

use super::bootstrap::Effect;
use serde::{Deserialize, Serialize};

/// The verdict of a point: the region of the ratio line it lies in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Region {
    /// On the claimed side, within the claim's band.
    Confirmed,
    /// On the claimed side, between the margin and the claim's band.
    SmallerThanClaimed,
    /// On the claimed side, beyond the claim's band.
    LargerThanClaimed,
    /// Inside ± the margin.
    NoEffect,
    /// Beyond the margin on the other side of the claim (or any effect
    /// where none was claimed).
    Opposite,
    /// Beyond the margin, where no claim was made.
    Significant,
    /// At or under a target's bound.
    TargetMet,
    /// Over a target's bound.
    TargetMissed,
}

impl Region {
    /// The region in words.
    pub fn label(self) -> &'static str {
        match self {
            Region::Confirmed => "confirmed",
            Region::SmallerThanClaimed => "smaller than claimed",
            Region::LargerThanClaimed => "larger than claimed",
            Region::NoEffect => "no effect",
            Region::Opposite => "opposite to the claim",
            Region::Significant => "significant (no claim)",
            Region::TargetMet => "target met",
            Region::TargetMissed => "target missed",
        }
    }
}

/// What a comparison concluded about the claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The whole interval is on the claimed side and inside the claim's
    /// band; for a claim of no effect, inside ± the margin.
    Confirmed,
    /// On the claimed side, but the whole interval is short of the claim.
    SmallerThanClaimed,
    /// On the claimed side, and the whole interval is beyond the claim.
    LargerThanClaimed,
    /// The interval lies inside ± the margin.
    NoEffect,
    /// Significant, on the other side of the claim (or any real effect
    /// where none was claimed).
    Opposite,
    /// The interval contains two or more of the rule's edges.
    Inconclusive,
    /// A significant difference in a comparison that carried no claim.
    Significant,
    /// A target (B/A at most a bound) met: the whole interval is at or under it.
    TargetMet,
    /// A target missed: the whole interval is over the bound.
    TargetMissed,
    /// The interval contains exactly one edge: the region below it (lower
    /// ratios) and the region above. Another campaign may land on either
    /// side; neither is contradicted.
    AtEdge(Region, Region),
    /// The case's A/A control strayed beyond the margin: its comparisons
    /// are not judged.
    ControlStrayed,
}

impl From<Region> for Verdict {
    fn from(r: Region) -> Verdict {
        match r {
            Region::Confirmed => Verdict::Confirmed,
            Region::SmallerThanClaimed => Verdict::SmallerThanClaimed,
            Region::LargerThanClaimed => Verdict::LargerThanClaimed,
            Region::NoEffect => Verdict::NoEffect,
            Region::Opposite => Verdict::Opposite,
            Region::Significant => Verdict::Significant,
            Region::TargetMet => Verdict::TargetMet,
            Region::TargetMissed => Verdict::TargetMissed,
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verdict::AtEdge(a, b) => write!(f, "at the edge: {} | {}", a.label(), b.label()),
            v => match v.region() {
                Some(r) => f.write_str(r.label()),
                None => f.write_str(match v {
                    Verdict::ControlStrayed => "control strayed: not judged",
                    _ => "inconclusive",
                }),
            },
        }
    }
}

impl Verdict {
    /// The verdict in words, as reports print it.
    pub fn label(self) -> String {
        self.to_string()
    }

    /// The region of a definite verdict (one whose interval lies in one
    /// region); `None` for "at the edge", "inconclusive", "not judged".
    pub fn region(self) -> Option<Region> {
        Some(match self {
            Verdict::Confirmed => Region::Confirmed,
            Verdict::SmallerThanClaimed => Region::SmallerThanClaimed,
            Verdict::LargerThanClaimed => Region::LargerThanClaimed,
            Verdict::NoEffect => Region::NoEffect,
            Verdict::Opposite => Region::Opposite,
            Verdict::Significant => Region::Significant,
            Verdict::TargetMet => Region::TargetMet,
            Verdict::TargetMissed => Region::TargetMissed,
            Verdict::AtEdge(..) | Verdict::Inconclusive | Verdict::ControlStrayed => return None,
        })
    }

    /// The regions this verdict allows the true ratio to be in: one for a
    /// definite verdict, two at an edge, none known otherwise.
    pub fn regions(self) -> Vec<Region> {
        match self {
            Verdict::AtEdge(a, b) => vec![a, b],
            v => v.region().into_iter().collect(),
        }
    }

    /// Two verdicts contradict each other when both are definite and
    /// different, or one is definite and outside the other's edge (an
    /// "at the edge" names the only two regions it allows).
    pub fn contradicts(self, other: Verdict) -> bool {
        let (a, b) = (self.regions(), other.regions());
        if a.is_empty() || b.is_empty() {
            return false;
        }
        // Consistent when some region is allowed by both.
        !a.iter().any(|r| b.contains(r))
    }

    /// True for verdicts that assert a real difference between A and B.
    pub fn is_significant(self) -> bool {
        matches!(
            self,
            Verdict::Confirmed
                | Verdict::SmallerThanClaimed
                | Verdict::LargerThanClaimed
                | Verdict::Opposite
                | Verdict::Significant
                | Verdict::TargetMet
                | Verdict::TargetMissed
        )
    }
}

/// What a comparison expects.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// B/A should be this ratio.
    Ratio(f64),
    /// B should make no difference.
    NoEffect,
    /// No claim: the comparison is reported, not judged against anything.
    Unclaimed,
    /// A target rather than a prediction: B/A must be at most this bound
    /// (the peers group: loadlab's time over a peer's or a limit's).
    AtMost(f64),
}

impl Expect {
    /// The claimed ratio, if any.
    pub fn ratio(self) -> Option<f64> {
        match self {
            Expect::Ratio(r) | Expect::AtMost(r) => Some(r),
            _ => None,
        }
    }
}

/// How far the case's A/A control strayed from 1.0 (|ratio − 1| of its
/// point estimate) when it strayed: the estimate is beyond `margin` and
/// its interval excludes 1.0 — identical variants measurably differing by
/// an effect's size, so the case's schedule favours one slot. Its
/// comparisons are then not judged at all, rather than judged against a
/// margin widened for this campaign alone. A control that is merely
/// imprecise (its interval includes 1.0) is no evidence of bias; the
/// comparisons' own intervals carry that imprecision.
pub fn control_stray(margin: f64, control: Option<&Effect>) -> Option<f64> {
    let c = control?;
    let stray = (c.ratio - 1.0).abs();
    let excludes_one = c.lo > 1.0 || c.hi < 1.0;
    (c.ratio.is_finite() && stray > margin && excludes_one).then_some(stray)
}

/// How close to the claimed ratio counts as matching it: ± a quarter of the
/// claimed change, and never less than the margin (claims are round numbers).
fn claim_band(c: f64, margin: f64) -> (f64, f64) {
    let w = margin.max(0.25 * (1.0 - c).abs());
    (c * (1.0 - w), c * (1.0 + w))
}

/// The region a ratio `x` lies in, for `expect` and ± `margin`.
pub fn region(expect: Expect, x: f64, margin: f64) -> Region {
    let inside = (1.0 - margin..=1.0 + margin).contains(&x);
    match expect {
        Expect::AtMost(bound) => {
            if x <= bound {
                Region::TargetMet
            } else {
                Region::TargetMissed
            }
        }
        Expect::NoEffect if inside => Region::Confirmed,
        Expect::NoEffect => Region::Opposite,
        Expect::Unclaimed if inside => Region::NoEffect,
        Expect::Unclaimed => Region::Significant,
        Expect::Ratio(_) if inside => Region::NoEffect,
        Expect::Ratio(c) => {
            if (x < 1.0) != (c < 1.0) {
                return Region::Opposite;
            }
            let (lo, hi) = claim_band(c, margin);
            // "Beyond" the claim is further from 1.0 than its band.
            let (beyond, short) = if c < 1.0 { (x < lo, x > hi) } else { (x > hi, x < lo) };
            if beyond {
                Region::LargerThanClaimed
            } else if short {
                Region::SmallerThanClaimed
            } else {
                Region::Confirmed
            }
        }
    }
}

/// The rule's edges for `expect` and ± `margin`, ascending: the ratios
/// where the region changes (found from [`region`] itself, so a candidate
/// edge that changes nothing — a claim band overlapping the margin — is
/// not one).
pub fn edges(expect: Expect, margin: f64) -> Vec<f64> {
    let mut at = vec![1.0 - margin, 1.0 + margin];
    match expect {
        Expect::Ratio(c) => {
            let (lo, hi) = claim_band(c, margin);
            at.extend([lo, hi]);
        }
        Expect::AtMost(bound) => at = vec![bound],
        Expect::NoEffect | Expect::Unclaimed => {}
    }
    const EPS: f64 = 1e-9;
    let mut at: Vec<f64> = at
        .into_iter()
        .filter(|&t| t > 0.0 && region(expect, t * (1.0 - EPS), margin) != region(expect, t * (1.0 + EPS), margin))
        .collect();
    at.sort_by(f64::total_cmp);
    at.dedup();
    at
}

/// Applies the rule: the region the interval lies in, "at the edge" when
/// it contains one edge, "inconclusive" when it contains more (or is
/// undefined).
pub fn judge(expect: Expect, e: &Effect, margin: f64) -> Verdict {
    if !(e.lo.is_finite() && e.hi.is_finite() && e.lo > 0.0) {
        return Verdict::Inconclusive;
    }
    let inside: Vec<f64> = edges(expect, margin)
        .into_iter()
        .filter(|&t| e.lo <= t && t <= e.hi)
        .collect();
    match inside.as_slice() {
        [] => region(expect, (e.lo * e.hi).sqrt(), margin).into(),
        [t] => {
            const EPS: f64 = 1e-9;
            Verdict::AtEdge(
                region(expect, t * (1.0 - EPS), margin),
                region(expect, t * (1.0 + EPS), margin),
            )
        }
        _ => Verdict::Inconclusive,
    }
}

/// True when the interval contains a ratio at which the rule's verdict
/// changes, so that another campaign, whose interval falls a little to one
/// side, could decide differently. Campaigns extend such cases (see
/// `runner::needs_more`).
pub fn on_edge(expect: Expect, e: &Effect, margin: f64) -> bool {
    e.lo.is_finite() && e.hi.is_finite() && edges(expect, margin).into_iter().any(|t| e.lo <= t && t <= e.hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(lo: f64, hi: f64) -> Effect {
        Effect {
            ratio: (lo + hi) / 2.0,
            lo,
            hi,
            rounds: 100,
        }
    }

    #[test]
    fn the_rule() {
        let m = 0.02;
        let d = |c: f64, lo, hi| judge(Expect::Ratio(c), &e(lo, hi), m);
        // Claimed 30 % faster (0.7); matching band 0.6475..0.7525.
        assert_eq!(d(0.7, 0.66, 0.72), Verdict::Confirmed);
        assert_eq!(d(0.7, 0.50, 0.55), Verdict::LargerThanClaimed);
        assert_eq!(d(0.7, 0.85, 0.90), Verdict::SmallerThanClaimed);
        assert_eq!(d(0.7, 1.30, 1.36), Verdict::Opposite);
        assert_eq!(d(0.7, 0.99, 1.01), Verdict::NoEffect);
        assert_eq!(d(0.7, 0.90, 1.05), Verdict::Inconclusive);
        // Across one edge: at the edge, lower ratios first.
        assert_eq!(
            d(0.7, 0.60, 0.72),
            Verdict::AtEdge(Region::LargerThanClaimed, Region::Confirmed)
        );
        assert_eq!(
            d(0.7, 0.975, 0.985),
            Verdict::AtEdge(Region::SmallerThanClaimed, Region::NoEffect)
        );
        assert_eq!(
            d(0.7, 0.60, 0.72).to_string(),
            "at the edge: larger than claimed | confirmed"
        );
        // Claimed 2.6 % slower (a cost): its band overlaps the margin, and
        // only the part beyond the margin confirms.
        assert_eq!(d(1.026, 1.03, 1.045), Verdict::Confirmed);
        assert_eq!(d(1.5, 1.03, 1.05), Verdict::SmallerThanClaimed);
        assert_eq!(d(1.1, 1.5, 1.6), Verdict::LargerThanClaimed);
        // Claimed no effect.
        let n = |lo, hi| judge(Expect::NoEffect, &e(lo, hi), m);
        assert_eq!(n(0.99, 1.01), Verdict::Confirmed);
        assert_eq!(n(1.10, 1.20), Verdict::Opposite);
        assert_eq!(n(0.95, 1.01), Verdict::AtEdge(Region::Opposite, Region::Confirmed));
        assert_eq!(n(0.95, 1.05), Verdict::Inconclusive);
        // Targets: the interval against the bound.
        let t = |b, lo, hi| judge(Expect::AtMost(b), &e(lo, hi), m);
        assert_eq!(t(0.5, 0.30, 0.49), Verdict::TargetMet);
        assert_eq!(t(0.5, 0.51, 0.60), Verdict::TargetMissed);
        assert_eq!(
            t(0.5, 0.45, 0.55),
            Verdict::AtEdge(Region::TargetMet, Region::TargetMissed)
        );
        assert_eq!(t(1.0, 1.001, 1.01), Verdict::TargetMissed);
        // Unclaimed: never "opposite", never "confirmed".
        assert_eq!(judge(Expect::Unclaimed, &e(0.5, 0.6), m), Verdict::Significant);
        assert_eq!(judge(Expect::Unclaimed, &e(0.995, 1.01), m), Verdict::NoEffect);
        // No interval, no verdict.
        assert_eq!(judge(Expect::NoEffect, &e(f64::NAN, 1.0), m), Verdict::Inconclusive);
    }

    #[test]
    fn only_definite_verdicts_of_disjoint_regions_contradict() {
        use Region::*;
        let edge = Verdict::AtEdge(SmallerThanClaimed, NoEffect);
        assert!(Verdict::NoEffect.contradicts(Verdict::Opposite));
        assert!(!Verdict::NoEffect.contradicts(edge));
        assert!(!edge.contradicts(Verdict::SmallerThanClaimed));
        assert!(edge.contradicts(Verdict::Confirmed));
        assert!(edge.contradicts(Verdict::AtEdge(Confirmed, LargerThanClaimed)));
        assert!(!edge.contradicts(Verdict::AtEdge(Confirmed, SmallerThanClaimed)));
        assert!(!Verdict::Inconclusive.contradicts(Verdict::Opposite));
        assert!(!Verdict::ControlStrayed.contradicts(Verdict::Opposite));
    }

    #[test]
    fn the_regions_tile_the_ratio_line() {
        // Every pair of points in one region between consecutive edges
        // gets one verdict, and each edge separates two different ones.
        for expect in [
            Expect::Ratio(0.7),
            Expect::Ratio(1.026),
            Expect::Ratio(3.0),
            Expect::NoEffect,
            Expect::Unclaimed,
            Expect::AtMost(0.5),
        ] {
            let es = edges(expect, 0.02);
            let mut cuts = vec![0.01];
            cuts.extend(&es);
            cuts.push(100.0);
            for w in cuts.windows(2) {
                let (a, b) = (w[0] * 1.000_001, w[1] * 0.999_999);
                assert_eq!(region(expect, a, 0.02), region(expect, b, 0.02), "{expect:?} {w:?}");
                assert_eq!(judge(expect, &e(a, b), 0.02).region(), Some(region(expect, a, 0.02)));
            }
        }
        // An interval on a verdict's edge.
        assert!(on_edge(Expect::Ratio(0.6), &e(0.43, 0.547), 0.02));
        assert!(!on_edge(Expect::Ratio(0.6), &e(0.43, 0.53), 0.02));
        assert!(!on_edge(Expect::Ratio(1.026), &e(0.991, 1.011), 0.02));
        assert!(!on_edge(Expect::AtMost(0.5), &e(0.97, 1.03), 0.02));
    }

    #[test]
    fn a_straying_control_is_a_gate() {
        assert_eq!(control_stray(0.02, None), None);
        assert_eq!(control_stray(0.02, Some(&e(0.995, 1.01))), None);
        // A wide control around 1.0 is imprecise, not biased — even with
        // its estimate beyond the margin.
        assert_eq!(control_stray(0.02, Some(&e(0.97, 1.03))), None);
        assert_eq!(control_stray(0.02, Some(&e(0.99, 1.07))), None);
        let s = control_stray(0.02, Some(&e(1.02, 1.04))).unwrap();
        assert!((s - 0.03).abs() < 1e-12);
    }
}

//! The verdict rule. Inputs: the claimed B/A ratio (or a claim of no
//! effect), the measured effect with its 95 % interval, and the case's
//! margin: the band of ratios around 1.0 that counts as "no effect" — the
//! larger of the smallest effect the lab claims at all and what the case's
//! own A/A control showed (see [`margin`]). The claimed and the measured
//! effect always travel together.
//!
//! The rule is an equivalence test beside a significance test: an interval
//! wholly outside ± margin is an effect; wholly inside is "no effect"
//! (which a run can reach, because campaigns stop at a precision of half
//! the margin); anything straddling the band's edge is inconclusive.

use super::bootstrap::Effect;
use serde::{Deserialize, Serialize};

/// What a comparison concluded about the claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The interval is on the claimed side and compatible with the claimed
    /// size (or larger); for a claim of no effect, inside the noise band.
    Confirmed,
    /// On the claimed side, but the whole interval is short of the claim.
    SmallerThanClaimed,
    /// On the claimed side, and the whole interval is beyond the claim.
    LargerThanClaimed,
    /// The interval lies inside ± the noise floor.
    NoEffect,
    /// Significant, on the other side of the claim (or any real effect
    /// where none was claimed).
    Opposite,
    /// Too wide to tell.
    Inconclusive,
    /// A significant difference in a comparison that carried no claim.
    Significant,
    /// A target (B/A at most a bound) met: the whole interval is at or under it.
    TargetMet,
    /// A target missed: the whole interval is over the bound.
    TargetMissed,
}

impl Verdict {
    /// The verdict in words, as reports print it.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Confirmed => "confirmed",
            Verdict::SmallerThanClaimed => "smaller than claimed",
            Verdict::LargerThanClaimed => "larger than claimed",
            Verdict::NoEffect => "no effect",
            Verdict::Opposite => "opposite to the claim",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Significant => "significant (no claim)",
            Verdict::TargetMet => "target met",
            Verdict::TargetMissed => "target missed",
        }
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

/// The case's margin: the larger of `min_margin` (the smallest effect the
/// lab reports as one) and how far the case's A/A control interval strayed
/// from 1.0, so a case whose identical variants already differ by 3 % cannot
/// call a 3 % difference an effect.
pub fn margin(min_margin: f64, control: Option<&Effect>) -> f64 {
    let strayed = control
        .filter(|c| c.lo.is_finite() && c.hi.is_finite())
        .map_or(0.0, |c| (1.0 - c.lo).max(c.hi - 1.0));
    min_margin.max(strayed)
}

/// How close to the claimed ratio counts as matching it: ± a quarter of the
/// claimed change, and never less than the margin (claims are round numbers).
fn claim_band(c: f64, floor: f64) -> (f64, f64) {
    let w = floor.max(0.25 * (1.0 - c).abs());
    (c * (1.0 - w), c * (1.0 + w))
}

/// The two bands a verdict is judged against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bands {
    /// An effect must lie wholly outside ± this (the case's margin).
    pub effect: f64,
    /// "No effect" needs the interval wholly inside ± this: the smallest
    /// effect of interest, or 0 when the case's own A/A control strayed
    /// beyond it (then a tight interval near 1.0 proves nothing).
    pub equivalence: f64,
}

impl Bands {
    /// One band for both (instruction counts; tests).
    pub fn both(f: f64) -> Bands {
        Bands {
            effect: f,
            equivalence: f,
        }
    }

    /// The bands of a case: `min_margin` widened by its control for effects;
    /// equivalence only while the control stayed inside `min_margin`.
    pub fn of(min_margin: f64, control: Option<&Effect>) -> Bands {
        let effect = margin(min_margin, control);
        Bands {
            effect,
            equivalence: if effect > min_margin { 0.0 } else { min_margin },
        }
    }
}

/// Applies the rule for any expectation.
pub fn judge(expect: Expect, e: &Effect, bands: Bands) -> Verdict {
    match expect {
        Expect::Ratio(r) => decide(Some(r), e, bands),
        Expect::NoEffect => decide(None, e, bands),
        Expect::Unclaimed => match decide(None, e, bands) {
            Verdict::Confirmed => Verdict::NoEffect,
            Verdict::Opposite => Verdict::Significant,
            v => v,
        },
        Expect::AtMost(bound) => target(bound, e),
    }
}

/// A target is judged on the interval alone: met when all of it is at or
/// under the bound, missed when all of it is over, inconclusive otherwise.
/// (The noise margin plays no part: a bound is not a claim of an effect.)
pub fn target(bound: f64, e: &Effect) -> Verdict {
    if !(e.lo.is_finite() && e.hi.is_finite()) {
        Verdict::Inconclusive
    } else if e.hi <= bound {
        Verdict::TargetMet
    } else if e.lo > bound {
        Verdict::TargetMissed
    } else {
        Verdict::Inconclusive
    }
}

/// True when the interval contains a ratio at which the rule's verdict
/// changes — the margin's or the equivalence band's edge, an edge of the
/// claim's band, a target's bound — so that another campaign, whose
/// interval falls a little to one side, could decide differently.
/// Campaigns extend such cases instead of letting the verdict flip
/// (see `runner::needs_more`). A verdict edge is found from the rule
/// itself: a candidate ratio counts only where points just below and just
/// above it get different verdicts.
pub fn on_edge(expect: Expect, e: &Effect, bands: Bands) -> bool {
    if !(e.lo.is_finite() && e.hi.is_finite()) {
        return false;
    }
    let (f, q) = (bands.effect, bands.equivalence);
    let mut at = vec![1.0 - f, 1.0 + f, 1.0 - q, 1.0 + q];
    match expect {
        Expect::Ratio(c) => {
            let (lo, hi) = claim_band(c, f);
            at.extend([lo, hi]);
        }
        Expect::AtMost(bound) => at.push(bound),
        Expect::NoEffect | Expect::Unclaimed => {}
    }
    let point = |x: f64| {
        judge(
            expect,
            &Effect {
                ratio: x,
                lo: x,
                hi: x,
                rounds: e.rounds,
            },
            bands,
        )
    };
    const EPS: f64 = 1e-9;
    at.into_iter()
        .filter(|&t| t > 0.0 && e.lo <= t && t <= e.hi)
        .any(|t| point(t * (1.0 - EPS)) != point(t * (1.0 + EPS)))
}

/// Applies the rule with the case's bands (fractions: 0.02 = ±2 %).
pub fn decide(claimed: Option<f64>, e: &Effect, bands: Bands) -> Verdict {
    if !(e.lo.is_finite() && e.hi.is_finite()) {
        return Verdict::Inconclusive;
    }
    let floor = bands.effect;
    let below = e.hi < 1.0 - floor;
    let above = e.lo > 1.0 + floor;
    let eq = bands.equivalence;
    let inside = e.lo >= 1.0 - eq && e.hi <= 1.0 + eq;
    match claimed {
        None => {
            if inside {
                Verdict::Confirmed
            } else if below || above {
                Verdict::Opposite
            } else {
                Verdict::Inconclusive
            }
        }
        Some(c) => {
            let (toward, away) = if c < 1.0 { (below, above) } else { (above, below) };
            if toward {
                let (lo, hi) = claim_band(c, floor);
                // "Beyond" the claim is further from 1.0 than it.
                let (beyond, short) = if c < 1.0 {
                    (e.hi < lo, e.lo > hi)
                } else {
                    (e.lo > hi, e.hi < lo)
                };
                if beyond {
                    Verdict::LargerThanClaimed
                } else if short {
                    Verdict::SmallerThanClaimed
                } else {
                    Verdict::Confirmed
                }
            } else if away {
                Verdict::Opposite
            } else if inside {
                Verdict::NoEffect
            } else {
                Verdict::Inconclusive
            }
        }
    }
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
        let f = Bands::both(0.02);
        // Claimed 30 % faster (0.7); matching band 0.6475..0.7525.
        assert_eq!(decide(Some(0.7), &e(0.60, 0.72), f), Verdict::Confirmed);
        assert_eq!(decide(Some(0.7), &e(0.50, 0.55), f), Verdict::LargerThanClaimed);
        assert_eq!(decide(Some(0.7), &e(0.85, 0.90), f), Verdict::SmallerThanClaimed);
        assert_eq!(decide(Some(0.7), &e(1.30, 1.36), f), Verdict::Opposite);
        assert_eq!(decide(Some(0.7), &e(0.99, 1.01), f), Verdict::NoEffect);
        assert_eq!(decide(Some(0.7), &e(0.90, 1.05), f), Verdict::Inconclusive);
        // Claimed 2.6 % slower (a cost): the band is ± the margin.
        assert_eq!(decide(Some(1.026), &e(1.03, 1.05), f), Verdict::Confirmed);
        assert_eq!(decide(Some(1.5), &e(1.03, 1.05), f), Verdict::SmallerThanClaimed);
        assert_eq!(decide(Some(1.1), &e(1.5, 1.6), f), Verdict::LargerThanClaimed);
        // Claimed no effect.
        assert_eq!(decide(None, &e(0.99, 1.01), f), Verdict::Confirmed);
        assert_eq!(decide(None, &e(1.10, 1.20), f), Verdict::Opposite);
        assert_eq!(decide(None, &e(0.95, 1.01), f), Verdict::Inconclusive);
        // Targets: the interval against the bound.
        assert_eq!(judge(Expect::AtMost(0.5), &e(0.30, 0.49), f), Verdict::TargetMet);
        assert_eq!(judge(Expect::AtMost(0.5), &e(0.51, 0.60), f), Verdict::TargetMissed);
        assert_eq!(judge(Expect::AtMost(0.5), &e(0.45, 0.55), f), Verdict::Inconclusive);
        assert_eq!(judge(Expect::AtMost(1.0), &e(1.001, 1.01), f), Verdict::TargetMissed);
        // Unclaimed: never "opposite", never "confirmed".
        assert_eq!(judge(Expect::Unclaimed, &e(0.5, 0.6), f), Verdict::Significant);
        assert_eq!(judge(Expect::Unclaimed, &e(0.995, 1.01), f), Verdict::NoEffect);
    }

    #[test]
    fn an_interval_on_a_verdicts_edge() {
        let f = Bands::both(0.02);
        // Claimed 0.6: band 0.54..0.66. Wholly beyond it: settled.
        assert!(!on_edge(Expect::Ratio(0.6), &e(0.43, 0.53), f));
        // Across the band's lower edge: confirmed now, "larger" a little lower.
        assert!(on_edge(Expect::Ratio(0.6), &e(0.43, 0.547), f));
        // Across the margin: inconclusive now, "opposite" a little higher.
        assert!(on_edge(Expect::Ratio(0.8), &e(1.005, 1.099), f));
        assert!(!on_edge(Expect::Ratio(0.8), &e(1.025, 1.099), f));
        // Inside the equivalence band, and across an edge that changes nothing:
        // a claimed cost of 2.6 % has its band (1.005..1.047) overlap "no
        // effect", but a point at 1.005 is "no effect" on both sides.
        assert!(!on_edge(Expect::NoEffect, &e(0.99, 1.01), f));
        assert!(!on_edge(Expect::Ratio(1.026), &e(0.991, 1.011), f));
        assert!(on_edge(Expect::Ratio(1.026), &e(1.015, 1.03), f));
        // Targets: only the bound.
        assert!(on_edge(Expect::AtMost(0.5), &e(0.45, 0.55), f));
        assert!(!on_edge(Expect::AtMost(0.5), &e(0.97, 1.03), f));
        // Unclaimed: the margin.
        assert!(on_edge(Expect::Unclaimed, &e(1.01, 1.03), f));
        // No interval, no edge.
        assert!(!on_edge(Expect::NoEffect, &e(f64::NAN, 1.0), f));
    }

    #[test]
    fn a_straying_control_widens_the_margin() {
        assert_eq!(margin(0.02, None), 0.02);
        assert_eq!(margin(0.02, Some(&e(0.995, 1.01))), 0.02);
        assert!((margin(0.02, Some(&e(0.99, 1.05))) - 0.05).abs() < 1e-12);
        // With that margin a 4 % effect is no longer significant.
        let b = Bands::of(0.02, Some(&e(0.99, 1.05)));
        assert_eq!(decide(None, &e(1.035, 1.045), b), Verdict::Inconclusive);
        // ...and a tight interval near 1.0 is no longer "no effect" either.
        assert_eq!(decide(None, &e(0.995, 1.005), b), Verdict::Inconclusive);
        assert_eq!(
            decide(None, &e(0.995, 1.005), Bands::of(0.02, Some(&e(0.99, 1.01)))),
            Verdict::Confirmed
        );
    }
}

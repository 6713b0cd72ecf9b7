//! The verdict rule. Inputs: the claimed B/A ratio (or a claim of no
//! effect), the measured effect with its 95 % interval, and the noise floor
//! calibration measured on this machine (the band of ratios an A/A run
//! produces). The claimed and the measured effect always travel together.

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
    /// The interval lies inside ± the noise floor.
    NoEffect,
    /// Significant, on the other side of the claim (or any real effect
    /// where none was claimed).
    Opposite,
    /// Too wide to tell.
    Inconclusive,
    /// A significant difference in a comparison that carried no claim.
    Significant,
}

impl Verdict {
    /// The verdict in words, as reports print it.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Confirmed => "confirmed",
            Verdict::SmallerThanClaimed => "smaller than claimed",
            Verdict::NoEffect => "no effect",
            Verdict::Opposite => "opposite to the claim",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Significant => "significant (no claim)",
        }
    }

    /// True for verdicts that assert a real difference between A and B.
    pub fn is_significant(self) -> bool {
        matches!(
            self,
            Verdict::Confirmed | Verdict::SmallerThanClaimed | Verdict::Opposite | Verdict::Significant
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
}

impl Expect {
    /// The claimed ratio, if any.
    pub fn ratio(self) -> Option<f64> {
        match self {
            Expect::Ratio(r) => Some(r),
            _ => None,
        }
    }
}

/// Applies the rule for any expectation.
pub fn judge(expect: Expect, e: &Effect, floor: f64) -> Verdict {
    match expect {
        Expect::Ratio(r) => decide(Some(r), e, floor),
        Expect::NoEffect => decide(None, e, floor),
        Expect::Unclaimed => match decide(None, e, floor) {
            Verdict::Confirmed => Verdict::NoEffect,
            Verdict::Opposite => Verdict::Significant,
            v => v,
        },
    }
}

/// Applies the rule. `floor` is a fraction (0.02 = ±2 %).
pub fn decide(claimed: Option<f64>, e: &Effect, floor: f64) -> Verdict {
    if !(e.lo.is_finite() && e.hi.is_finite()) {
        return Verdict::Inconclusive;
    }
    let below = e.hi < 1.0 - floor;
    let above = e.lo > 1.0 + floor;
    let inside = e.lo >= 1.0 - floor && e.hi <= 1.0 + floor;
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
                let reaches = if c < 1.0 { e.lo <= c } else { e.hi >= c };
                if reaches {
                    Verdict::Confirmed
                } else {
                    Verdict::SmallerThanClaimed
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
        let f = 0.02;
        // Claimed 30 % faster (0.7).
        assert_eq!(decide(Some(0.7), &e(0.60, 0.72), f), Verdict::Confirmed);
        assert_eq!(decide(Some(0.7), &e(0.50, 0.55), f), Verdict::Confirmed);
        assert_eq!(decide(Some(0.7), &e(0.85, 0.90), f), Verdict::SmallerThanClaimed);
        assert_eq!(decide(Some(0.7), &e(1.30, 1.36), f), Verdict::Opposite);
        assert_eq!(decide(Some(0.7), &e(0.99, 1.01), f), Verdict::NoEffect);
        assert_eq!(decide(Some(0.7), &e(0.90, 1.05), f), Verdict::Inconclusive);
        // Claimed 2.6 % slower (a cost).
        assert_eq!(decide(Some(1.026), &e(1.03, 1.05), f), Verdict::Confirmed);
        assert_eq!(decide(Some(1.5), &e(1.03, 1.05), f), Verdict::SmallerThanClaimed);
        // Claimed no effect.
        assert_eq!(decide(None, &e(0.99, 1.01), f), Verdict::Confirmed);
        assert_eq!(decide(None, &e(1.10, 1.20), f), Verdict::Opposite);
        assert_eq!(decide(None, &e(0.95, 1.01), f), Verdict::Inconclusive);
    }
}

//! The command line a binary under test speaks to the harness. The `lab`
//! binary implements it; so can any test binary:
//!
//! * `BIN trial --experiment E --case C --variant V --reps N [--quick]
//!   [--timed]` runs that variant N times after building only what it needs,
//!   and with `--timed` prints [`TRIAL_SECONDS`] followed by the seconds per
//!   repetition of the timed region (start-up and setup excluded);
//! * `BIN gate-cases --metric M` prints one `experiment<TAB>case<TAB>variant`
//!   line per gated case;
//! * `BIN worker --plan JSON [--quick]` measures the rounds of some cases of
//!   one experiment in this fresh process ([`WorkerPlan`]) and prints
//!   [`WORKER_REPORT`] followed by one JSON line: `[(label, samples)]`.
//!
//! callgrind and strace run `trial`; the gate runs both; campaigns and
//! calibration run `worker`. A leaf module.

use serde::{Deserialize, Serialize};

/// The line prefix of a timed trial's result.
pub const TRIAL_SECONDS: &str = "trial-seconds: ";

/// The line prefix of a worker's report.
pub const WORKER_REPORT: &str = "worker-report: ";

/// What a worker process measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkerPlan {
    /// Which of the experiment's cases the worker builds.
    pub tier: Tier,
    /// Experiment id.
    pub experiment: String,
    /// Labels of the cases to measure, in order.
    pub cases: Vec<String>,
    /// Which replicate this is (0-based); seeds the round order.
    pub process: usize,
    /// The campaign's seed.
    pub seed: u64,
    /// Measurement budget of each case in this process, seconds.
    pub budget_s: f64,
    /// Stop a case when its intervals in this process are within ± this.
    pub target_half_width: f64,
    /// Rounds before the stopping rule is consulted.
    pub min_rounds: usize,
    /// Most rounds per case.
    pub max_rounds: usize,
    /// Run variant A twice per round (the A/A control).
    pub control: bool,
    /// What to measure instead of the case's own B (calibration).
    #[serde(default)]
    pub transform: Transform,
}

/// Calibration's substitutes for a case's variant B: a second, independent
/// instance of A (built separately), optionally with injected extra work.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transform {
    /// The case as declared.
    #[default]
    AsDeclared,
    /// B is another instance of A: a true null.
    AaNull,
    /// B is another instance of A plus busy work worth this fraction of A's
    /// own time in the same trial: a known, proportional slow-down.
    Inject(f64),
}

/// Which cases and budgets a run uses: CI-sized or full. Chosen once (on
/// the command line: `--quick`) and carried as this value through the
/// rule, the worker plan, the trial arguments and the case builders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// CI's quick run: fewer and smaller cases, short budgets, no extension.
    Quick,
    /// Every case with the full budgets.
    #[default]
    Full,
}

impl Tier {
    /// `Quick` when `quick`, else `Full` (from a `--quick` flag).
    pub fn from_quick_flag(quick: bool) -> Tier {
        if quick {
            Tier::Quick
        } else {
            Tier::Full
        }
    }

    /// True for the CI-sized tier.
    pub fn is_quick(self) -> bool {
        self == Tier::Quick
    }

    /// Its name (`quick`, `full`).
    pub fn name(self) -> &'static str {
        match self {
            Tier::Quick => "quick",
            Tier::Full => "full",
        }
    }
}

/// One variant of one case, `reps` times, in a fresh process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrialArgs {
    /// Experiment id.
    pub experiment: String,
    /// Case label.
    pub case: String,
    /// Variant name.
    pub variant: String,
    /// Repetitions.
    pub reps: u32,
    /// Which of the experiment's cases to build.
    pub tier: Tier,
    /// Print the seconds per repetition.
    pub timed: bool,
}

impl TrialArgs {
    /// The arguments after the binary's name.
    pub fn to_args(&self) -> Vec<String> {
        let mut a = vec![
            "trial".to_owned(),
            "--experiment".into(),
            self.experiment.clone(),
            "--case".into(),
            self.case.clone(),
            "--variant".into(),
            self.variant.clone(),
            "--reps".into(),
            self.reps.to_string(),
        ];
        if self.tier.is_quick() {
            a.push("--quick".into());
        }
        if self.timed {
            a.push("--timed".into());
        }
        a
    }
}

/// The seconds a timed trial printed.
pub fn parse_trial_seconds(stdout: &str) -> Option<f64> {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(TRIAL_SECONDS))
        .and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_and_results_round_trip() {
        let t = TrialArgs {
            experiment: "GATE".into(),
            case: "a b".into(),
            variant: "current".into(),
            reps: 3,
            tier: Tier::Full,
            timed: true,
        };
        assert_eq!(
            t.to_args().join(" "),
            "trial --experiment GATE --case a b --variant current --reps 3 --timed"
        );
        assert_eq!(parse_trial_seconds("x\ntrial-seconds: 1.5e-3\n"), Some(1.5e-3));
        assert_eq!(parse_trial_seconds("nothing"), None);
    }
}

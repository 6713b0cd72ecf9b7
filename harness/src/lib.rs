//! The harness turns a hypothesis into a verdict a skeptical engineer can
//! accept: variants run in randomized interleaved rounds (warm or cold page
//! cache), the effect is the median of per-round B/A ratios with a
//! bootstrap 95 % confidence interval, the verdict rule knows this machine's
//! calibrated noise floor, and everything lands in a JSON ledger from which
//! reports and the regression gate are generated.
//!
//! It knows nothing about model files: an experiment hands it closures.
//! Layout follows criterion: `measure/` (how a value is taken), `stats/`
//! (bootstrap, summaries, verdicts, calibration), `runner` (scheduling),
//! `ledger` (schema and atomic writes), `report/` (markdown and SVG),
//! `gate` (baseline comparison), `platform` (syscalls).

pub mod calibration;
pub mod campaign;
pub mod digest;
pub mod env;
/// The harness's error type.
pub mod error;
pub mod experiment;
pub mod fingerprint;
pub mod gate;
pub mod history;
pub mod human;
pub mod ledger;
pub mod load;
pub mod measure;
pub mod platform;
pub mod protocol;
pub mod report;
pub mod runner;
pub mod stability;
pub mod stats;
pub mod storage;
pub mod time;

pub use error::HarnessError;
pub use experiment::{CacheMode, Case, Claim, Explanation, Metric, Outcome, Spec, Variant};
pub use stats::verdict::Verdict;

//! What an experiment declares: the claim and its source, the cases
//! (fixture × size × cache mode), the variants (A = baseline), the metric,
//! and the human parts of its ledger entry.

use crate::stats::verdict::{Expect, Verdict};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// What a trial measures. The verdict of a case uses exactly this metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Wall-clock seconds per trial (lower is better).
    WallTime,
    /// Peak resident memory added by the trial, in bytes (lower is better).
    PeakMemory,
    /// Instructions executed (callgrind; deterministic, blind to the kernel).
    Instructions,
}

impl Metric {
    /// The unit of the metric's values (`s`, `B`, `Ir`).
    pub fn unit(self) -> &'static str {
        match self {
            Metric::WallTime => "s",
            Metric::PeakMemory => "B",
            Metric::Instructions => "Ir",
        }
    }

    /// The metric's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Metric::WallTime => "wall time",
            Metric::PeakMemory => "peak resident memory",
            Metric::Instructions => "instructions",
        }
    }
}

/// Page-cache state before each trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CacheMode {
    /// Files stay in the page cache (after a warm-up).
    Warm,
    /// Each file of the case is evicted (`posix_fadvise(DONTNEED)`) before every trial.
    Cold,
}

/// The claim under test, as its author made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// The claim in words, with its number ("B is 30 % faster").
    pub text: String,
    /// The claimed B/A ratio of the metric (0.7 = 30 % less); `None` for a
    /// claim of *no* effect ("negligible", "no gain").
    pub ratio: Option<f64>,
}

impl Claim {
    /// A claim that B changes the metric by `ratio` (B/A).
    pub fn ratio(text: impl Into<String>, ratio: f64) -> Claim {
        Claim {
            text: text.into(),
            ratio: Some(ratio),
        }
    }

    /// A claim that B makes no difference.
    pub fn no_effect(text: impl Into<String>) -> Claim {
        Claim {
            text: text.into(),
            ratio: None,
        }
    }
}

/// The human parts of a ledger entry, written after reading a result, for
/// the verdict they explain. When a later run's verdict differs, reports
/// flag the explanation as stale instead of presenting it as current.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// The verdict this explanation was written for.
    pub written_for: Verdict,
    /// Why the result came out as it did: the mechanism and the lab's evidence.
    pub why: String,
    /// What was done about it (default changed, kept, documented).
    pub disposition: String,
    /// What new evidence would justify trying again.
    pub reattempt: String,
}

/// The declaration of one experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spec {
    /// `H05`.
    pub id: String,
    /// Short title.
    pub title: String,
    /// A = baseline, B = candidate, in words.
    pub hypothesis: String,
    /// Where the claim comes from.
    pub source: String,
    /// The claim under test.
    pub claim: Claim,
    /// Manifest names of the fixtures it runs on.
    pub fixtures: Vec<String>,
    /// What the verdict of each case is judged on.
    pub metric: Metric,
    /// A declared exception to equal work: what the variants do not share
    /// and why (shown on the page). `None`: every variant's whole output is
    /// digested after the clock and must be equal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equal_work: Option<String>,
    /// Why the result came out as it did (written after reading it).
    pub explanation: Option<Explanation>,
}

/// A digest of a variant's output, computed after the timed region.
pub type Deferred = Box<dyn FnOnce() -> u64>;

/// What one run of a variant returns.
///
/// Equal work is enforced through it: every variant of a case must end
/// with the same `checksum`, which covers the *whole* output. Outputs too
/// big to digest inside the timed region are handed over with
/// [`Outcome::output`]; the harness digests them after the clock stopped.
#[derive(Default)]
pub struct Outcome {
    /// A digest of the result computed in the variant (a SHA-256 it
    /// produced, an inventory), or 0 when the output is deferred.
    pub checksum: u64,
    /// The output, digested by the harness after the timed region and
    /// mixed into `checksum`.
    pub deferred: Option<Deferred>,
    /// Mechanism counters the variant observed (read calls, bytes, …).
    pub counters: Vec<(&'static str, u64)>,
    /// A value the variant measured itself (seconds), used instead of the
    /// harness's clock: for a reference implementation in another process,
    /// whose start-up is not part of what is compared.
    pub measured_s: Option<f64>,
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outcome")
            .field("checksum", &self.checksum)
            .field("deferred", &self.deferred.is_some())
            .field("counters", &self.counters)
            .field("measured_s", &self.measured_s)
            .finish()
    }
}

impl Outcome {
    /// An outcome with only a checksum.
    pub fn checksum(checksum: u64) -> Outcome {
        Outcome {
            checksum,
            ..Outcome::default()
        }
    }

    /// An outcome whose output is digested after the timed region by
    /// `digest`, which owns the output (and drops it, untimed).
    pub fn output(digest: impl FnOnce() -> u64 + 'static) -> Outcome {
        Outcome {
            deferred: Some(Box::new(digest)),
            ..Outcome::default()
        }
    }

    /// Adds a mechanism counter.
    pub fn with(mut self, name: &'static str, value: u64) -> Outcome {
        self.counters.push((name, value));
        self
    }

    /// Runs the deferred digest, if any, into `checksum`.
    pub fn settle(&mut self) {
        if let Some(d) = self.deferred.take() {
            self.checksum = crate::digest::mix(self.checksum, d());
        }
    }
}

/// The error a variant may return: any error type (the harness only prints it).
pub type VariantError = Box<dyn std::error::Error + Send + Sync>;

/// What a variant returns.
pub type VariantResult = Result<Outcome, VariantError>;

type RunFn<'a> = Box<dyn FnMut() -> VariantResult + 'a>;

/// One alternative of a case. The closure is the timed region.
pub struct Variant<'a> {
    /// Variant name (`A`, `mmap`, …).
    pub name: String,
    /// The timed region.
    pub run: RunFn<'a>,
}

impl<'a> Variant<'a> {
    /// A variant named `name` that runs `run`.
    pub fn new(name: impl Into<String>, run: impl FnMut() -> VariantResult + 'a) -> Variant<'a> {
        Variant {
            name: name.into(),
            run: Box::new(run),
        }
    }
}

/// One measured comparison: variants run on one fixture/size/cache mode.
pub struct Case<'a> {
    /// Human label, unique within the experiment ("gemma-3-270m, cold").
    pub label: String,
    /// Page-cache state before each trial.
    pub cache: CacheMode,
    /// Files to evict before every trial in [`CacheMode::Cold`].
    pub files: Vec<PathBuf>,
    /// Bytes processed per trial (reported as throughput).
    pub bytes: Option<u64>,
    /// Position on a sweep axis (e.g. file size), for effect-vs-size plots.
    pub x: Option<f64>,
    /// What the case's verdict is judged on.
    pub metric: Metric,
    /// Variants; the first is the baseline A.
    pub variants: Vec<Variant<'a>>,
    /// Untimed work before every trial (e.g. clearing a cache directory).
    pub before_each: Option<Box<dyn FnMut() + 'a>>,
    /// Comparisons (a, b, expectation) by variant name; empty means every
    /// variant against the first, the spec's claim for the second.
    pub comparisons: Vec<(String, String, Expect)>,
}

impl<'a> Case<'a> {
    /// An empty case; add variants with [`Case::variant`].
    pub fn new(label: impl Into<String>, metric: Metric, cache: CacheMode) -> Case<'a> {
        Case {
            label: label.into(),
            cache,
            files: Vec::new(),
            bytes: None,
            x: None,
            metric,
            variants: Vec::new(),
            before_each: None,
            comparisons: Vec::new(),
        }
    }

    /// Files to evict before every cold trial.
    pub fn files(mut self, files: impl IntoIterator<Item = PathBuf>) -> Self {
        self.files.extend(files);
        self
    }

    /// Bytes processed per trial (for throughput).
    pub fn bytes(mut self, bytes: u64) -> Self {
        self.bytes = Some(bytes);
        self
    }

    /// Position on a sweep axis.
    pub fn x(mut self, x: f64) -> Self {
        self.x = Some(x);
        self
    }

    /// Adds a variant (the first is the baseline A).
    pub fn variant(mut self, name: impl Into<String>, run: impl FnMut() -> VariantResult + 'a) -> Self {
        self.variants.push(Variant::new(name, run));
        self
    }

    /// Declares a comparison of `b` against `a` with its expectation.
    pub fn compare(mut self, a: &str, b: &str, expect: Expect) -> Self {
        self.comparisons.push((a.to_owned(), b.to_owned(), expect));
        self
    }

    /// Untimed work before every trial.
    pub fn before_each(mut self, f: impl FnMut() + 'a) -> Self {
        self.before_each = Some(Box::new(f));
        self
    }
}

//! The ledger: one JSON file per campaign under `reports/ledger/`, plus an
//! index. Every write goes to a temporary file that is synced and renamed
//! over the old one, so a run killed at any instant leaves the previous
//! complete file in place: all finished entries survive, and `--resume`
//! continues where it stopped.

use crate::env::Environment;
use crate::error::{HarnessError, Result};
use crate::experiment::{CacheMode, Metric, Spec};
use crate::platform::Usage;
use crate::stats::bootstrap::Effect;
use crate::stats::summary::Summary;
use crate::stats::verdict::Verdict;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Bumped on any change of the types below. Schema 2 added replication
/// (processes, the A/A control, the margin, load) to case records and the
/// rule's false-positive figures to the calibration in force; schema-1
/// files still load (those fields are then absent). Schema 3 changed what
/// the same fields mean, not their types: a campaign runs each case's
/// processes in passes spread over its span, and every replicated interval
/// carries the between-process term (see `stats::bootstrap`).
pub const SCHEMA: u32 = 3;

/// The oldest schema this version reads.
pub const OLDEST_READABLE: u32 = 1;

/// One run of `lab run`: the environment, the calibration in force, and one entry per experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    /// Ledger schema ([`SCHEMA`]).
    pub schema: u32,
    /// Campaign id (its start time, plus the shard when sharded).
    pub id: String,
    /// How it was run.
    pub mode: Mode,
    /// Start time (UTC).
    pub started: String,
    /// End time (UTC); `None` while running or after a kill.
    pub finished: Option<String>,
    /// Where it ran.
    pub environment: Environment,
    /// Noise floor and MDE its verdicts used.
    pub calibration: CalibrationInForce,
    /// The rule its verdicts were reached under (`None` in campaigns
    /// recorded before 2026-12-06, which did not store it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<Rule>,
    /// The storage profile the fixtures were read from, when not `local`
    /// (`lab run --storage`); such campaigns live in `storage/` beside the
    /// ledger's own and are reported in `reports/storage.md`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_profile: Option<crate::storage::Profile>,
    /// One entry per experiment, in completion order.
    pub entries: Vec<Entry>,
}

impl From<crate::protocol::Tier> for Mode {
    fn from(t: crate::protocol::Tier) -> Mode {
        match t {
            crate::protocol::Tier::Quick => Mode::Quick,
            crate::protocol::Tier::Full => Mode::Full,
        }
    }
}

/// How a campaign was run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Every case, full budgets.
    Full,
    /// CI-sized cases and budgets (`lab run --quick`).
    Quick,
    /// A regression-gate run.
    Gate,
}

impl Mode {
    /// The word in reports and the index.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Full => "full",
            Mode::Quick => "quick",
            Mode::Gate => "gate",
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The noise floor and minimum detectable effect the verdicts used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationInForce {
    /// ± fraction of the ratio an A/A run stays within (wall time).
    pub noise_floor: f64,
    /// The same for instruction counts.
    pub instruction_floor: f64,
    /// Smallest injected slow-down detected reliably, as a fraction.
    pub mde: Option<f64>,
    /// Where the numbers come from (a calibration run, or the default).
    pub source: String,
    /// The rule's false-positive rate on real A/A cases (calibrated), and
    /// its 95 % upper bound; used for the expected false positives of an
    /// entry with many comparisons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub false_positive_rate: Option<(f64, f64)>,
    /// [`Rule::hash`] of the rule the calibration measured (absent for the
    /// default and for campaigns recorded before 2026-12-06).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_hash: Option<String>,
}

/// A fixture an entry ran on, by name and digest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FixtureRef {
    /// Manifest name.
    pub name: String,
    /// SHA-256 of the file.
    pub sha256: String,
}

/// One experiment's result in a campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The experiment's declaration at the time.
    pub spec: Spec,
    /// The fixtures it ran on.
    pub fixtures: Vec<FixtureRef>,
    /// One record per case.
    pub cases: Vec<CaseRecord>,
    /// The headline: the first case's first comparison.
    pub verdict: Verdict,
    /// When it was recorded (UTC).
    pub recorded: String,
    /// Evidence gathered beside the trials (e.g. `openssl speed`, `strace -c`).
    #[serde(default)]
    pub evidence: Vec<Evidence>,
}

/// Evidence gathered beside the trials, and what kind it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// What produced it.
    pub what: EvidenceKind,
    /// The evidence as text.
    pub text: String,
}

/// The kinds of evidence. Stored in the ledger as their names
/// (`"strace -c"`, or the free text of [`EvidenceKind::Other`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum EvidenceKind {
    /// Syscall counts from `strace -c`, re-recorded by `lab evidence`.
    Syscalls,
    /// Anything an experiment records itself (`openssl speed`, a replay).
    Other(String),
}

impl EvidenceKind {
    const SYSCALLS: &'static str = "strace -c";
}

impl From<String> for EvidenceKind {
    fn from(s: String) -> Self {
        if s == Self::SYSCALLS {
            EvidenceKind::Syscalls
        } else {
            EvidenceKind::Other(s)
        }
    }
}

impl From<&str> for EvidenceKind {
    fn from(s: &str) -> Self {
        EvidenceKind::from(s.to_owned())
    }
}

impl From<EvidenceKind> for String {
    fn from(k: EvidenceKind) -> String {
        k.to_string()
    }
}

impl std::fmt::Display for EvidenceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EvidenceKind::Syscalls => f.write_str(Self::SYSCALLS),
            EvidenceKind::Other(s) => f.write_str(s),
        }
    }
}

/// One case's measurements and comparisons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseRecord {
    /// Case label.
    pub label: String,
    /// Page-cache state.
    pub cache: CacheMode,
    /// The metric measured.
    pub metric: Metric,
    /// Bytes processed per trial.
    pub bytes: Option<u64>,
    /// Position on a sweep axis.
    pub x: Option<f64>,
    /// One record per variant.
    pub variants: Vec<VariantRecord>,
    /// The declared comparisons and their verdicts.
    pub comparisons: Vec<Comparison>,
    /// Rounds measured.
    pub rounds: usize,
    /// Seconds spent on the case.
    pub elapsed_s: f64,
    /// Why measuring stopped: precision reached, time budget, round cap
    /// (the sentence, for every process).
    pub stop: String,
    /// Why each process stopped, as data (empty in entries recorded
    /// before 2026-12-06).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stops: Vec<StopReason>,
    /// Processes, A/A control, margin and load (schema ≥ 2, timed cases).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replication: Option<Replication>,
    /// The files' page-cache residency around the trials (cases that name
    /// their files; absent in older records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residency: Option<Residency>,
}

/// How a case was replicated, its A/A control and margin, and the load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Replication {
    /// Rounds each process measured, in the order their samples are pooled
    /// in [`VariantRecord::samples`].
    pub process_rounds: Vec<usize>,
    /// Variant A against itself in the same rounds, when run.
    pub control: Option<ControlRecord>,
    /// The case's margin: ± this fraction is "no effect".
    pub margin: f64,
    /// The worst load any process saw.
    pub load: Option<crate::load::Load>,
    /// Processes that ran while the machine was busy and are kept in the
    /// estimate (only when too few quiet ones were measured).
    pub busy: usize,
    /// Processes that ran while the machine was busy and were replaced:
    /// measured, then left out of the samples and the estimate.
    #[serde(default)]
    pub replaced: usize,
}

/// Page-cache residency of a case's files around its trials (`mincore`),
/// so a "cold" figure is cold because it was measured so.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Residency {
    /// Trials looked at.
    pub trials: usize,
    /// Smallest resident share (0–1) before a trial.
    pub before_min: f64,
    /// Largest resident share before a trial.
    pub before_max: f64,
    /// Smallest resident share after a trial.
    pub after_min: f64,
    /// Trials that did not start as the case's cache mode says: above
    /// [`COLD_AT_MOST`] resident for a cold case, below [`WARM_AT_LEAST`]
    /// for a warm one.
    pub off: usize,
}

/// A cold trial starts with at most this share of its files resident.
pub const COLD_AT_MOST: f64 = 0.01;
/// A warm trial starts with at least this share resident.
pub const WARM_AT_LEAST: f64 = 0.99;

impl Residency {
    /// One trial's residency before and after, judged for `cold`.
    pub fn of(before: f64, after: f64, cold: bool) -> Residency {
        let off = if cold {
            before > COLD_AT_MOST
        } else {
            before < WARM_AT_LEAST
        };
        Residency {
            trials: 1,
            before_min: before,
            before_max: before,
            after_min: after,
            off: usize::from(off),
        }
    }

    /// Both together.
    pub fn merge(a: Option<Residency>, b: Option<Residency>) -> Option<Residency> {
        match (a, b) {
            (Some(a), Some(b)) => Some(Residency {
                trials: a.trials + b.trials,
                before_min: a.before_min.min(b.before_min),
                before_max: a.before_max.max(b.before_max),
                after_min: a.after_min.min(b.after_min),
                off: a.off + b.off,
            }),
            (x, None) | (None, x) => x,
        }
    }
}

/// The A/A control's samples (pooled like the variants') and effect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ControlRecord {
    /// The control's samples, paired by round with variant A's.
    pub samples: Vec<f64>,
    /// A-again over A, with its interval.
    pub effect: Effect,
}

impl CaseRecord {
    /// Processes that measured the case (1 for in-process and instruction cases).
    pub fn processes(&self) -> usize {
        self.replication.as_ref().map_or(1, |r| r.process_rounds.len())
    }

    /// True when any of its processes ran on a busy machine.
    pub fn busy(&self) -> bool {
        self.replication.as_ref().is_some_and(|r| r.busy > 0)
    }
}

/// One variant's samples and summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantRecord {
    /// Variant name.
    pub name: String,
    /// One value of the metric per round, in round order.
    pub samples: Vec<f64>,
    /// Summary of the samples.
    pub summary: Summary,
    /// Median wall time, also for memory and instruction cases.
    pub wall_median_s: f64,
    /// Median `getrusage` deltas per trial.
    pub usage: Usage,
    /// Counters the variant reported (last trial).
    pub counters: Vec<(String, u64)>,
    /// Bytes per second at the median, when the case declares its bytes.
    pub throughput_bps: Option<f64>,
}

/// One comparison of two variants of a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Baseline variant.
    pub a: String,
    /// Candidate variant.
    pub b: String,
    /// What the comparison expects.
    pub expect: crate::stats::verdict::Expect,
    /// B/A with its interval.
    pub effect: Effect,
    /// The verdict.
    pub verdict: Verdict,
    /// The rounds' ratios fell in two modes: their ratios and shares. The
    /// effect is then the mixture-stable summary (the geometric mean over
    /// processes of each one's ratio of mean times), not the pooled median.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mixture: Option<crate::stats::mixture::Mixture>,
}

impl Entry {
    /// The experiment's id.
    pub fn id(&self) -> &str {
        &self.spec.id
    }

    /// The headline: the first comparison of the first case.
    pub fn headline(&self) -> Option<(&CaseRecord, &Comparison)> {
        let c = self.cases.first()?;
        Some((c, c.comparisons.first()?))
    }
}

/// The folder beside the ledger's own where campaigns on storage profiles
/// other than `local` are kept (`reports/ledger/storage/`). Every report,
/// the gate and the stability counts read the ledger's own folder only, so
/// figures from different storages are never pooled; `reports/storage.md`
/// puts them side by side.
pub const STORAGE_DIR: &str = "storage";

/// Where a campaign lives.
pub fn campaign_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}.json"))
}

/// Writes bytes atomically: temp file in the same folder, fsync, rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| HarnessError::io(dir, e))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("ledger"),
        std::process::id()
    ));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp).map_err(|e| HarnessError::io(&tmp, e))?;
        f.write_all(bytes).map_err(|e| HarnessError::io(&tmp, e))?;
        f.sync_all().map_err(|e| HarnessError::io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| HarnessError::io(path, e))
    })();
    if written.is_err() {
        // A full disk fails the write, not the ledger: the previous file
        // is untouched, and the partial copy is not left taking the space.
        let _ = std::fs::remove_file(&tmp);
        return written;
    }
    // The rename itself is durable once the folder is synced.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Writes a campaign atomically and refreshes the index.
pub fn save(dir: &Path, c: &Campaign) -> Result<()> {
    let path = campaign_path(dir, &c.id);
    let text = serde_json::to_string_pretty(c).map_err(|e| HarnessError::Json {
        path: path.clone(),
        source: e,
    })?;
    write_atomic(&path, text.as_bytes())?;
    write_index(dir, c)
}

/// Reads a campaign, checking its schema first.
pub fn load(path: &Path) -> Result<Campaign> {
    let text = std::fs::read_to_string(path).map_err(|e| HarnessError::io(path, e))?;
    let json = |e| HarnessError::Json {
        path: path.to_owned(),
        source: e,
    };
    // Check the version before the shape: a newer ledger fails with its
    // schema named, not with a missing field.
    #[derive(Deserialize)]
    struct Version {
        schema: u32,
    }
    let v: Version = serde_json::from_str(&text).map_err(json)?;
    if !(OLDEST_READABLE..=SCHEMA).contains(&v.schema) {
        return Err(HarnessError::Schema {
            path: path.to_owned(),
            found: v.schema,
            expected: SCHEMA,
        });
    }
    serde_json::from_str(&text).map_err(json)
}

/// Every campaign in the folder, oldest first (ids sort by time).
pub fn load_all(dir: &Path) -> Result<Vec<Campaign>> {
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.extension().is_some_and(|x| x == "json")
                    && p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n != "index.json" && !n.starts_with('.'))
            })
            .collect(),
        Err(_) => return Ok(Vec::new()),
    };
    paths.sort();
    paths.iter().map(|p| load(p)).collect()
}

#[derive(Serialize, Deserialize, Clone)]
struct IndexRow {
    // Alphabetical, as the index has always been written.
    entries: usize,
    finished: Option<String>,
    git_commit: String,
    id: String,
    mode: Mode,
    started: String,
}

impl IndexRow {
    fn of(c: &Campaign) -> IndexRow {
        IndexRow {
            id: c.id.clone(),
            mode: c.mode,
            started: c.started.clone(),
            finished: c.finished.clone(),
            entries: c.entries.len(),
            git_commit: c.environment.git_commit.clone(),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Index {
    campaigns: Vec<IndexRow>,
    schema: u32,
}

/// Rewrites `index.json` after `saved` was written: the saved campaign's
/// row is replaced, rows of campaign files that are gone are dropped, and
/// only campaign files the index does not know yet are parsed — one
/// campaign per save, not the whole ledger. An unreadable index (or one of
/// another schema) is rebuilt from every campaign.
fn write_index(dir: &Path, saved: &Campaign) -> Result<()> {
    let path = dir.join("index.json");
    let known: Option<Vec<IndexRow>> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str::<Index>(&t).ok())
        .filter(|i| i.schema == SCHEMA)
        .map(|i| i.campaigns);
    let rows = match known {
        None => load_all(dir)?.iter().map(IndexRow::of).collect(),
        Some(mut rows) => {
            let files = campaign_ids(dir)?;
            rows.retain(|r| files.contains(&r.id) && r.id != saved.id);
            rows.push(IndexRow::of(saved));
            let unknown: Vec<&String> = files.iter().filter(|id| !rows.iter().any(|r| &r.id == *id)).collect();
            for id in unknown {
                rows.push(IndexRow::of(&load(&campaign_path(dir, id))?));
            }
            rows.sort_by(|a, b| a.id.cmp(&b.id));
            rows
        }
    };
    let text = serde_json::to_string_pretty(&Index {
        campaigns: rows,
        schema: SCHEMA,
    })
    .map_err(|e| HarnessError::Json {
        path: path.clone(),
        source: e,
    })?;
    write_atomic(&path, text.as_bytes())
}

/// The ids of the campaign files in `dir`, sorted.
fn campaign_ids(dir: &Path) -> Result<Vec<String>> {
    let mut ids: Vec<String> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.strip_suffix(".json")
                    .filter(|id| *id != "index" && !id.starts_with('.'))
                    .map(str::to_owned)
            })
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(HarnessError::io(dir, e)),
    };
    ids.sort();
    Ok(ids)
}

/// The machine a campaign ran on, as a short id (`unrecorded` for
/// campaigns from before fingerprints were kept).
pub fn machine_of(c: &Campaign) -> String {
    c.environment
        .fingerprint
        .as_ref()
        .map_or_else(|| "unrecorded".to_owned(), crate::fingerprint::Fingerprint::id)
}

/// The machine instance a campaign ran on (`KIND/INSTANCE`, see
/// [`crate::fingerprint::Fingerprint::instance_id`]): what portability is
/// judged over.
pub fn instance_of(c: &Campaign) -> String {
    c.environment
        .fingerprint
        .as_ref()
        .map_or_else(|| "unrecorded".to_owned(), crate::fingerprint::Fingerprint::instance_id)
}

/// The newest entry of each experiment across campaigns of `mode` (or any
/// mode when `None`), by experiment id. Campaigns merged from several
/// machines keep one entry per experiment *and machine*: numbers from two
/// machines are never treated as the same measurement.
pub fn latest_entries(campaigns: &[Campaign], mode: Option<Mode>) -> Vec<(Entry, Campaign)> {
    let mut out: Vec<(Entry, Campaign)> = Vec::new();
    for c in campaigns.iter().filter(|c| mode.is_none_or(|m| c.mode == m)) {
        let machine = machine_of(c);
        for e in &c.entries {
            let shell = Campaign {
                entries: Vec::new(),
                ..c.clone()
            };
            let same = |(x, xc): &&mut (Entry, Campaign)| {
                x.spec.id == e.spec.id
                    && (machine_of(xc) == machine || machine == "unrecorded" || machine_of(xc) == "unrecorded")
            };
            match out.iter_mut().find(same) {
                Some(slot) => *slot = (e.clone(), shell),
                None => out.push((e.clone(), shell)),
            }
        }
    }
    out.sort_by(|a, b| {
        a.0.spec
            .id
            .cmp(&b.0.spec.id)
            .then_with(|| machine_of(&a.1).cmp(&machine_of(&b.1)))
    });
    out
}

pub use crate::time::utc_now;

/// The settings of the rule a campaign (or a calibration) ran under: what
/// its verdicts and figures hold for. Recorded in every campaign and in
/// `reports/calibration.json`; [`Rule::hash`] lets a reader see at a
/// glance whether two of them ran under the same rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Smallest margin (± fraction).
    pub min_margin: f64,
    /// Precision target (± fraction).
    pub target_half_width: f64,
    /// Processes per case, and the most after extension for width or load.
    pub processes: (usize, usize),
    /// The most processes after extension for an interval on a verdict's
    /// edge (0 in calibrations made before the rule had it).
    #[serde(default)]
    pub edge_processes: usize,
    /// The most processes for an experiment's headline on a verdict's edge
    /// (0 in calibrations made before the rule had it).
    #[serde(default)]
    pub headline_processes: usize,
    /// Budget per case, seconds.
    pub budget_s: f64,
    /// Rounds before stopping is considered (per process).
    pub min_rounds: usize,
    /// The A/A control is run.
    pub control: bool,
    /// The smallest effect (a fraction) for which a headline is extended
    /// (0 in records made before the rule had it).
    #[serde(default)]
    pub headline_effect: f64,
    /// How intervals and verdicts are computed: 1 (absent in older
    /// records) — two-stage bootstrap plus an unweighted τ², a margin
    /// widened by the control, "inconclusive" across any edge; 2 — see
    /// [`RULE_VERSION`].
    #[serde(default = "first_rule", skip_serializing_if = "is_first_rule")]
    pub version: u32,
}

/// The rule's version as built: a stratified within-process bootstrap
/// plus the DerSimonian–Laird τ² with the point estimate's weights; the
/// mixture-stable summary for bimodal rounds; fixed ± margin with the A/A
/// control as a gate; "at the edge" across one edge; busy processes
/// replaced.
pub const RULE_VERSION: u32 = 2;

fn first_rule() -> u32 {
    1
}

// Version 1 is written as it always was (no field), so its hash is unchanged.
fn is_first_rule(v: &u32) -> bool {
    *v == 1
}

impl Rule {
    /// A short digest of the settings (16 hex digits of the JSON form):
    /// equal hashes, equal rules.
    pub fn hash(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        format!("{:016x}", crate::digest::bytes(&json))
    }
}

/// Why measuring a case (in one process) stopped: data in the ledger
/// ([`CaseRecord::stops`]), with its sentence ([`CaseRecord::stop`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Every interval reached the target half-width (a fraction).
    Precision {
        /// The widest interval's half-width, a fraction.
        half_width: f64,
        /// Rounds measured.
        rounds: usize,
    },
    /// The case's time budget was spent.
    Budget {
        /// The budget.
        seconds: f64,
        /// Rounds measured.
        rounds: usize,
    },
    /// The round cap was reached.
    RoundCap {
        /// Rounds measured.
        rounds: usize,
    },
    /// Instruction counts: one deterministic count per variant.
    Deterministic {
        /// Repetitions counted (minus a count of none).
        reps: u32,
    },
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            StopReason::Precision { half_width, rounds } => {
                write!(
                    f,
                    "precision reached (±{:.1} %) after {rounds} rounds",
                    half_width * 100.0
                )
            }
            StopReason::Budget { seconds, rounds } => write!(f, "time budget ({seconds:.0} s) after {rounds} rounds"),
            StopReason::RoundCap { rounds } => write!(f, "round cap ({rounds})"),
            StopReason::Deterministic { reps } => write!(f, "deterministic: callgrind, {reps} repetitions minus 0"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Saving a campaign that was loaded gives back its bytes: floats
    /// parse to the value they were printed from (serde_json's
    /// `float_roundtrip`), so rewriting one entry cannot move the last
    /// digit of every other number in the file.
    #[test]
    fn a_loaded_campaign_saves_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = campaign("2026-01-01T00-00-00Z", 1);
        c.calibration.noise_floor = 0.954_894_734_905_559_9;
        c.calibration.instruction_floor = 0.1 + 0.2;
        c.calibration.mde = Some(957_223_476.020_346_5);
        save(dir.path(), &c).unwrap();
        let path = campaign_path(dir.path(), &c.id);
        let first = std::fs::read(&path).unwrap();
        let again = load_all(dir.path()).unwrap();
        save(dir.path(), &again[0]).unwrap();
        assert!(std::fs::read(&path).unwrap() == first);
    }

    fn campaign(id: &str, entries: usize) -> Campaign {
        Campaign {
            schema: SCHEMA,
            id: id.into(),
            mode: Mode::Quick,
            started: id.into(),
            finished: None,
            environment: crate::env::capture(),
            calibration: crate::calibration::default_in_force(),
            rule: None,
            storage_profile: None,
            entries: (0..entries)
                .map(|i| Entry {
                    spec: Spec {
                        id: format!("H{i:02}"),
                        title: String::new(),
                        hypothesis: String::new(),
                        source: String::new(),
                        claim: crate::Claim::no_effect(""),
                        fixtures: Vec::new(),
                        metric: Metric::WallTime,
                        equal_work: None,
                        explanation: None,
                    },
                    fixtures: Vec::new(),
                    cases: Vec::new(),
                    verdict: Verdict::NoEffect,
                    recorded: String::new(),
                    evidence: Vec::new(),
                })
                .collect(),
        }
    }

    fn index(dir: &Path) -> Vec<(String, usize)> {
        let i: Index = serde_json::from_str(&std::fs::read_to_string(dir.join("index.json")).unwrap()).unwrap();
        i.campaigns.into_iter().map(|r| (r.id, r.entries)).collect()
    }

    #[test]
    fn saving_updates_the_index_without_parsing_other_campaigns() {
        let d = tempfile::tempdir().unwrap();
        save(d.path(), &campaign("b", 1)).unwrap();
        save(d.path(), &campaign("a", 2)).unwrap();
        assert_eq!(index(d.path()), vec![("a".into(), 2), ("b".into(), 1)]);
        // A campaign the index already knows is not parsed again: a broken
        // file of it does not stop the next save (a full rebuild would).
        std::fs::write(campaign_path(d.path(), "a"), "not json").unwrap();
        save(d.path(), &campaign("b", 3)).unwrap();
        assert_eq!(index(d.path()), vec![("a".into(), 2), ("b".into(), 3)]);
        // A file the index does not know is read; one that is gone is dropped.
        std::fs::write(
            campaign_path(d.path(), "c"),
            serde_json::to_string(&campaign("c", 4)).unwrap(),
        )
        .unwrap();
        std::fs::remove_file(campaign_path(d.path(), "a")).unwrap();
        save(d.path(), &campaign("b", 5)).unwrap();
        assert_eq!(index(d.path()), vec![("b".into(), 5), ("c".into(), 4)]);
        // An unreadable index is rebuilt from every campaign.
        std::fs::write(d.path().join("index.json"), "{").unwrap();
        save(d.path(), &campaign("b", 6)).unwrap();
        assert_eq!(index(d.path()), vec![("b".into(), 6), ("c".into(), 4)]);
    }
}

//! `lab gate`, `lab baseline` and `lab gate-cases`: the CI regression gate.
//!
//! `lab gate --base REV` builds REV in its own worktree and target
//! directory, builds the working tree, and measures both on this machine in
//! this run (`harness::gate::run`). `lab gate --baseline FILE` compares the
//! working tree with a stored baseline of the same machine instead.

use super::Outcome;
use crate::gate;
use crate::workspace::Workspace;
use harness::fingerprint::Fingerprint;
use harness::gate::revision::{self, Built};
use harness::gate::run::{self, GateCase, Plan, Subject};
use harness::gate::{Baseline, BaselineEntry, Report, Row, Side, EXIT_COULD_NOT_RUN};
use harness::Metric;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// What `lab gate` was asked.
pub struct GateArgs {
    /// Base revision (`None`: the merge-base with main).
    pub base: Option<String>,
    /// A stored baseline instead of a base revision.
    pub baseline: Option<PathBuf>,
    /// The metric.
    pub metric: Metric,
    /// Slow-down tolerated, in percent.
    pub threshold_pct: f64,
    /// Only cases whose label contains one of these.
    pub only: Vec<String>,
    /// Wall-time budget per case, seconds.
    pub budget_s: f64,
    /// Where to write the JSON verdict.
    pub json: Option<PathBuf>,
    /// Where to write the markdown summary (`$GITHUB_STEP_SUMMARY` wins).
    pub markdown: Option<PathBuf>,
}

#[derive(clap::Args)]
/// The options `lab gate` and `lab baseline` share.
pub struct GateOpts {
    /// instructions (callgrind, deterministic) or time (interleaved fresh processes).
    #[arg(long, default_value = "instructions", value_parser = parse_metric)]
    pub metric: harness::Metric,
    /// Slow-down tolerated, in percent.
    #[arg(long, default_value_t = 5.0)]
    pub threshold: f64,
    /// Only gated cases whose label contains one of these (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Wall-time budget per case, in seconds (time metric).
    #[arg(long, default_value_t = 30.0)]
    pub budget: f64,
}

impl GateOpts {
    /// The gate's arguments with these options.
    pub fn into_args(
        self,
        base: Option<String>,
        baseline: Option<PathBuf>,
        json: Option<PathBuf>,
        markdown: Option<PathBuf>,
    ) -> GateArgs {
        GateArgs {
            base,
            baseline,
            metric: self.metric,
            threshold_pct: self.threshold,
            only: self.only,
            budget_s: self.budget,
            json,
            markdown,
        }
    }
}

/// `lab gate-cases --metric M`: every gated case, one
/// `experiment<TAB>case<TAB>variant` line each (the gate's protocol) —
/// including those whose fixture is missing here, so that a missing
/// fixture makes its case "could not run" instead of silently ungated.
/// The list does not depend on the metric: every case is gated by both.
pub fn list_cases() -> Outcome {
    for label in gate::labels() {
        println!("{}\t{}\t{}", gate::ID, label, gate::VARIANT);
    }
    Ok(ExitCode::SUCCESS)
}

/// The environment both sides' processes get: the fixture search path this
/// workspace uses, so a base worktree elsewhere finds the same files.
fn child_env(ws: &Workspace) -> Vec<(String, String)> {
    let search = ws.store().map(|s| s.search).unwrap_or_default();
    match std::env::join_paths(search) {
        Ok(p) => vec![("LOADLAB_FIXTURE_PATH".into(), p.to_string_lossy().into_owned())],
        Err(_) => Vec::new(),
    }
}

fn plan(ws: &Workspace, a: &GateArgs) -> Plan {
    let mut p = Plan::new(a.metric, a.threshold_pct);
    p.budget = Duration::from_secs_f64(a.budget_s);
    p.env = child_env(ws);
    p
}

/// The head side: the working tree at its HEAD commit, dirty or not.
fn head_side(ws: &Workspace) -> Side {
    Side {
        rev: "working tree".into(),
        commit: revision::git(&ws.root, &["rev-parse", "HEAD"]).unwrap_or_default(),
        dirty: revision::is_dirty(&ws.root),
    }
}

fn could_not_run(ws: &Workspace, a: &GateArgs, base: Side, why: String) -> Report {
    Report::new(
        base,
        head_side(ws),
        Fingerprint::capture(),
        a.metric,
        a.threshold_pct,
        vec![Row::could_not_run("-", "(gate)", "-", a.metric, why)],
        Vec::new(),
    )
}

/// `lab gate`. Exit codes: 0 pass, 1 regressed, 2 could not run, 3 inconclusive.
pub fn run(ws: &Workspace, a: &GateArgs) -> Outcome {
    if a.metric == Metric::Instructions && !harness::measure::callgrind::available() {
        let r = could_not_run(
            ws,
            a,
            Side {
                rev: a.base.clone().unwrap_or_default(),
                commit: String::new(),
                dirty: false,
            },
            "valgrind is not installed (apt-get install valgrind)".into(),
        );
        return finish(&r, a);
    }
    let report = match &a.baseline {
        Some(file) => against_baseline(ws, a, file),
        None => against_revision(ws, a),
    };
    finish(&report, a)
}

fn against_revision(ws: &Workspace, a: &GateArgs) -> Report {
    let rev = a.base.clone().unwrap_or_else(|| "merge-base with main".into());
    let base_commit = match &a.base {
        Some(r) => revision::commit_of(&ws.root, r),
        None => revision::default_base(&ws.root),
    };
    let side = |commit: &str| Side {
        rev: rev.clone(),
        commit: commit.into(),
        dirty: false,
    };
    let base_commit = match base_commit {
        Ok(c) => c,
        Err(e) => return could_not_run(ws, a, side(""), e),
    };
    eprintln!(
        "gate: building head (working tree) and base {rev} ({})",
        &base_commit[..12.min(base_commit.len())]
    );
    let head_built: Built = match revision::build_head(&ws.root, "lab") {
        Ok(b) => b,
        Err(e) => return could_not_run(ws, a, side(&base_commit), format!("head: {e}")),
    };
    let base_built: Built = match revision::build_revision(&ws.root, &base_commit, "lab") {
        Ok(b) => b,
        Err(e) => return could_not_run(ws, a, side(&base_commit), format!("base: {e}")),
    };
    let base = Subject {
        side: side(&base_commit),
        exe: base_built.exe.clone(),
        dir: base_built.dir.clone(),
    };
    let head = Subject {
        side: head_side(ws),
        exe: head_built.exe.clone(),
        dir: head_built.dir.clone(),
    };
    let mut report = run::compare_revisions(&base, &head, &a.only, &plan(ws, a), &mut |m| eprintln!("gate: {m}"));
    if let Some(note) = baseline_changes(ws, &base_commit) {
        report.notes.push(note);
    }
    report
}

/// When a committed baseline file changed between the base and the head,
/// the deltas it absorbed, so they are seen in review.
fn baseline_changes(ws: &Workspace, base_commit: &str) -> Option<String> {
    let rel = "reports/baseline-instructions.json";
    let changed = revision::git(&ws.root, &["diff", "--name-only", base_commit, "--", rel]).ok()?;
    if changed.is_empty() {
        return None;
    }
    let b = Baseline::load(&ws.root.join(rel)).ok()?;
    let moved: Vec<String> = b
        .moved
        .iter()
        .map(|m| format!("{} {}", m.case, harness::human::pct(m.ratio)))
        .collect();
    Some(format!(
        "this change rewrites {rel}; the new baseline moved: {}",
        if moved.is_empty() {
            "nothing recorded".into()
        } else {
            moved.join(", ")
        }
    ))
}

fn head_subject(ws: &Workspace) -> Subject {
    Subject {
        side: head_side(ws),
        exe: super::this_exe(),
        dir: ws.root.clone(),
    }
}

fn measure_head(ws: &Workspace, a: &GateArgs) -> Result<Vec<BaselineEntry>, String> {
    let head = head_subject(ws);
    let p = plan(ws, a);
    let cases: Vec<GateCase> = run::list_cases(&head, &p)?
        .into_iter()
        .filter(|c| a.only.is_empty() || a.only.iter().any(|o| c.case.contains(o.as_str())))
        .collect();
    if cases.is_empty() {
        return Err("no gated case could be built (fixtures missing? run `lab fixtures`)".into());
    }
    run::measure_one(&head, &cases, &p)
        .into_iter()
        .map(|(c, r)| {
            r.map(|samples| BaselineEntry {
                experiment: c.experiment,
                case: c.case,
                variant: c.variant,
                metric: a.metric,
                samples,
            })
        })
        .collect()
}

fn against_baseline(ws: &Workspace, a: &GateArgs, file: &Path) -> Report {
    let side = Side {
        rev: file.display().to_string(),
        commit: String::new(),
        dirty: false,
    };
    let base = match Baseline::load(file) {
        Ok(b) => b,
        Err(e) => return could_not_run(ws, a, side, e.to_string()),
    };
    if let Err(e) = base.check_machine(&Fingerprint::capture()) {
        return could_not_run(ws, a, side, e);
    }
    if !base.entries.iter().any(|e| e.metric == a.metric) {
        return could_not_run(ws, a, side, format!("the baseline has no {} samples", a.metric.name()));
    }
    let now = match measure_head(ws, a) {
        Ok(entries) => Baseline::new(head_side(ws).commit, entries),
        Err(e) => return could_not_run(ws, a, side, e),
    };
    let mut r = harness::gate::compare(&base, &now, a.threshold_pct, Some(a.metric), Vec::new());
    r.base.rev = file.display().to_string();
    r
}

/// `lab baseline`: measures the working tree and saves a baseline for this
/// machine, recording which cases moved against the file it replaces.
pub fn baseline(ws: &Workspace, a: &GateArgs, out: &Path) -> Outcome {
    let entries = match measure_head(ws, a) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(EXIT_COULD_NOT_RUN));
        }
    };
    let mut b = Baseline::new(head_side(ws).commit, entries);
    if let Ok(old) = Baseline::load(out) {
        b.record_moves_from(&old, 1.0);
        for m in &b.moved {
            println!("moved: {} {}", m.case, harness::human::pct(m.ratio));
        }
    }
    b.save(out)?;
    println!(
        "baseline of {} cases ({}) for machine {} saved to {}",
        b.entries.len(),
        a.metric.name(),
        b.fingerprint.as_ref().map_or("?".into(), Fingerprint::id),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn finish(r: &Report, a: &GateArgs) -> Outcome {
    // Every flagged case names the history that covers its code path.
    let mut with_history = r.clone();
    for row in r.rows.iter().filter(|x| {
        matches!(
            x.status,
            harness::gate::Status::Regressed | harness::gate::Status::Inconclusive | harness::gate::Status::CouldNotRun
        )
    }) {
        if let Some(id) = crate::gate::history_of(&row.case) {
            with_history.notes.push(format!(
                "{}: its code path's history over the ledger's campaigns is `lab history {id}` (chart: reports/svg/{id}-history.svg)",
                row.case
            ));
        }
    }
    let r = &with_history;
    print!("{}", r.table());
    for n in &r.notes {
        println!("note: {n}");
    }
    for l in r.regression_lines() {
        println!("{l}");
    }
    let md = r.markdown();
    let summary = std::env::var_os("GITHUB_STEP_SUMMARY")
        .map(PathBuf::from)
        .or_else(|| a.markdown.clone());
    if let Some(p) = summary {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&p)
            .map_err(|e| format!("{}: {e}", p.display()))?;
        f.write_all(md.as_bytes())
            .map_err(|e| format!("{}: {e}", p.display()))?;
    }
    if let Some(j) = &a.json {
        harness::ledger::write_atomic(j, serde_json::to_string_pretty(r)?.as_bytes())?;
    }
    println!("{}", r.verdict_line());
    Ok(ExitCode::from(r.exit_code()))
}

/// Parses `--metric`.
pub fn parse_metric(s: &str) -> Result<Metric, String> {
    match s {
        "instructions" => Ok(Metric::Instructions),
        "time" => Ok(Metric::WallTime),
        _ => Err(format!("--metric {s:?}: expected instructions or time")),
    }
}

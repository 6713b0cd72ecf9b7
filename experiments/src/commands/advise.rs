//! `lab advise FILE`: the question a user brings — how should this file be
//! loaded here, and how close is that to what the storage allows? — answered
//! on their machine, for their model file (any supported format), where it
//! lies or served through a storage profile. Two cases, cold: every way to
//! read the file (H33's grid and a mapping: the storage's limit), and
//! loading every tensor with each backend and with a verified one-pass
//! open. Measured in this process, replicated as a campaign's processes
//! are, judged by the same rule; nothing is written to the ledger.

use super::{Outcome, EXIT_USAGE};
use crate::context::{tensors_digest, Skip};
use crate::workspace::Workspace;
use harness::ledger::CaseRecord;
use harness::report::markdown::effect_text;
use harness::runner::{self, Config};
use harness::stats::verdict::Expect;
use harness::storage::{Profile, View};
use harness::{CacheMode, Case, Claim, Metric, Spec};
use loader::{Backend, Limits, Model};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The spec advice is judged under: no claim, every comparison reported.
fn spec(file: &str) -> Spec {
    Spec {
        id: "ADVISE".into(),
        title: format!("lab advise {file}"),
        hypothesis: "every way to read and load one file, cold".into(),
        source: "lab advise".into(),
        claim: Claim::no_effect("measured, no claim"),
        fixtures: Vec::new(),
        metric: Metric::WallTime,
        equal_work: None,
        explanation: None,
    }
}

/// Loading every tensor of the file with each backend and `Auto` (H36's
/// case), and with the verified one-pass open (against the digest computed
/// before the trials).
fn loads(path: &Path, name: &str, sha256: &str) -> Case<'static> {
    let (p, want) = (path.to_path_buf(), sha256.to_owned());
    crate::h36_backend_by_storage::case(path, name, CacheMode::Cold)
        .variant("E verified in one pass", move || {
            let m = Model::open_verified(&p, &want, &Limits::default())?;
            let ts = loader::load::load_all(&m, &loader::load::LoadOptions::default())?;
            Ok(harness::Outcome::output(move || tensors_digest(&ts)))
        })
        .compare(
            crate::h36_backend_by_storage::MMAP,
            "E verified in one pass",
            Expect::Unclaimed,
        )
}

/// Measures `case` in this process, `cfg.processes` times over with the
/// seeds a campaign's processes would get, and judges it.
fn measure(spec: &Spec, case: &mut Case<'_>, cfg: &Config) -> harness::error::Result<CaseRecord> {
    let start = std::time::Instant::now();
    let mut procs = Vec::with_capacity(cfg.processes);
    for p in 0..cfg.processes {
        let seed = runner::case_seed(cfg.seed, &spec.id, &case.label, p);
        procs.push(runner::measure_case(
            &spec.id,
            case,
            cfg,
            cfg.budget,
            cfg.target_half_width,
            seed,
        )?);
    }
    runner::assemble(spec, case, procs, cfg, start)
}

/// The fastest variant of a measured case: its name and median seconds.
fn fastest(rec: &CaseRecord) -> Option<(&str, f64)> {
    rec.variants
        .iter()
        .filter(|v| v.wall_median_s > 0.0)
        .min_by(|a, b| a.wall_median_s.total_cmp(&b.wall_median_s))
        .map(|v| (v.name.as_str(), v.wall_median_s))
}

/// The median seconds of the variant whose name starts with `prefix`.
fn median_of(rec: &CaseRecord, prefix: &str) -> Option<f64> {
    rec.variants
        .iter()
        .find(|v| v.name.starts_with(prefix))
        .map(|v| v.wall_median_s)
}

fn print(rec: &CaseRecord, bytes: u64) {
    println!("\n{}", rec.label);
    for v in &rec.variants {
        let speed = if v.wall_median_s > 0.0 {
            format!("{}/s", harness::human::bytes(bytes as f64 / v.wall_median_s))
        } else {
            "n/a".to_owned()
        };
        println!(
            "  {:<40} {:>12}  {speed}",
            v.name,
            harness::human::seconds(v.wall_median_s)
        );
    }
    for k in &rec.comparisons {
        println!("  {} vs {}: {} — {}", k.b, k.a, effect_text(k), k.verdict.label());
    }
    if let Some(r) = rec.residency.as_ref().filter(|r| r.off > 0) {
        println!("  {} of {} trials did not start cold", r.off, r.trials);
    }
}

/// `lab advise FILE [--storage PROFILE] [--quick]`.
pub fn run(ws: &Workspace, file: &Path, storage: Option<&Profile>, quick: bool) -> Outcome {
    let limits = Limits::default();
    let inventory = match loader::inspect_path(file, Backend::Mmap, &limits) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {}: {e}", file.display());
            return Ok(ExitCode::from(EXIT_USAGE));
        }
    };
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or("the file has no name")?
        .to_owned();
    // Served through a profile when asked: the same bytes by the same name.
    let (mounted, path): (Option<harness::storage::Mounted>, PathBuf) = match storage {
        None | Some(Profile::Local) => (None, file.to_path_buf()),
        Some(p) => {
            let mut view = View::new();
            view.add(&name, file)?;
            let m = harness::storage::up(p, &view)?;
            let root = m.root().ok_or("the profile serves no folder")?.join(&name);
            // The servers' CPU time is the storage's work, not other load
            // (the meter in this process reads the variable at each case).
            let servers: Vec<String> = m.servers().iter().map(u32::to_string).collect();
            std::env::set_var(harness::load::STORAGE_PIDS_VAR, servers.join(","));
            (Some(m), root)
        }
    };
    let size = std::fs::metadata(&path)?.len();
    let on = harness::storage::of(&path).map_or_else(|| "unknown storage".to_owned(), |s| s.describe());
    println!(
        "{name}: {} tensors, {}, on {on}",
        inventory.tensors.len(),
        harness::human::bytes(size as f64)
    );
    println!("computing its SHA-256 once, for the verified load …");
    let sha256 = loader::verify::sha256_file(&path)?;
    let tier = harness::protocol::Tier::from_quick_flag(quick);
    let cfg = Config::of(tier, super::campaign::calibration_in_force(ws));
    let spec = spec(&name);
    let mut reads = match crate::h33_read_limit::limit_case(&path, &name, quick) {
        Ok(c) => c,
        Err(Skip::Missing(m)) => return Err(format!("{m} is missing").into()),
        Err(e) => return Err(e.to_string().into()),
    };
    let mut loading = loads(&path, &name, &sha256);
    println!(
        "measuring cold, {} processes' worth in this process ({} mode); a few minutes",
        cfg.processes,
        if quick { "quick" } else { "full" }
    );
    let read = measure(&spec, &mut reads, &cfg)?;
    print(&read, size);
    let load = measure(&spec, &mut loading, &cfg)?;
    print(&load, size);
    // What `Auto` chose, asked while the file is still where it was measured.
    let auto_chose = std::fs::File::open(&path).map_or("?", |f| loader::Backend::Auto.resolve(&f, size).name());
    drop(mounted);

    println!("\nAdvice for {name} here:");
    if let Some((way, limit_s)) = fastest(&read) {
        println!(
            "  the storage's limit: {way}, {} ({}/s)",
            harness::human::seconds(limit_s),
            harness::human::bytes(size as f64 / limit_s)
        );
        if let Some((backend, s)) = fastest(&load) {
            println!(
                "  fastest load of every tensor: {backend}, {} — {:.2}× of the limit",
                harness::human::seconds(s),
                limit_s / s
            );
        }
    }
    use crate::h36_backend_by_storage::{AUTO, MMAP, READER, WHOLE};
    let unverified = [MMAP, READER, WHOLE, AUTO]
        .iter()
        .filter_map(|p| median_of(&load, p))
        .fold(f64::INFINITY, f64::min);
    if let (Some(auto), true) = (median_of(&load, AUTO), unverified.is_finite()) {
        println!(
            "  Backend::Auto chooses {auto_chose} here and takes {:.2}× the fastest backend's time",
            auto / unverified
        );
    }
    if let Some(v) = median_of(&load, "E verified") {
        if unverified.is_finite() && unverified > 0.0 {
            println!(
                "  verifying its SHA-256 while loading costs {:.2}× the fastest unverified load",
                v / unverified
            );
        }
    }
    println!(
        "  (one process, {} replicates, judged by the lab's rule; a campaign's verdicts come from separate processes)",
        cfg.processes
    );
    Ok(ExitCode::SUCCESS)
}

//! `lab`: fetch fixtures, run the campaign, render reports, calibrate,
//! gate regressions. Thin glue over `fixtures`, `experiments` and `harness`.

use clap::{Parser, Subcommand, ValueEnum};
use experiments::{registry, Ctx};
use fixtures::{Status, Store};
use harness::gate::{Baseline, EXIT_COULD_NOT_RUN, EXIT_REGRESSED};
use harness::ledger::{self, Campaign, Evidence, FixtureRef};
use harness::runner::{self, Config};
use harness::stats::calibration::{self, Calibration};
use harness::Metric;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "lab",
    version,
    about = "loadlab: A/B experiments on the loading of ML model files"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Clone, Copy, ValueEnum)]
enum GateMetric {
    Time,
    Instructions,
}

impl From<GateMetric> for Metric {
    fn from(m: GateMetric) -> Metric {
        match m {
            GateMetric::Time => Metric::WallTime,
            GateMetric::Instructions => Metric::Instructions,
        }
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Fetch, derive and verify every fixture of the manifest, and write goldens.
    Fixtures {
        /// Only fixtures with this tag (e.g. `default`, `h05`).
        #[arg(long)]
        tag: Option<String>,
        /// Print only the summary.
        #[arg(long)]
        quiet: bool,
    },
    /// Run the experiment campaign, write the ledger, then render the reports.
    Run {
        /// CI mode: small cases, short budgets (about 3 minutes).
        #[arg(long)]
        quick: bool,
        /// Only these experiments (comma-separated ids, e.g. H01,H05).
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// Continue the newest unfinished campaign of the same mode.
        #[arg(long)]
        resume: bool,
        /// Do not fetch missing fixtures; run on what is present.
        #[arg(long)]
        offline: bool,
    },
    /// Render reports/*.md, reports/svg/*.svg and EXPERIMENTS.md from the ledger alone.
    Report,
    /// Copy the experiments' current explanations into their newest ledger entries.
    Explain,
    /// Re-record the `strace -c` evidence of the newest ledger entries (experiments that use it).
    Evidence,
    /// Measure this machine's noise floor, A/A false-positive rate and minimum detectable effect.
    Calibrate {
        #[arg(long)]
        quick: bool,
    },
    /// Save a gate baseline from a run of the gate subset.
    Baseline {
        #[arg(long, default_value = "reports/baseline-instructions.json")]
        out: PathBuf,
        #[arg(long, value_enum, default_value = "instructions")]
        metric: GateMetric,
    },
    /// Compare the current code against a baseline; exit 1 on a significant slow-down, 2 if it could not run.
    Gate {
        #[arg(long, default_value = "reports/baseline-instructions.json")]
        baseline: PathBuf,
        /// Slow-down tolerated, in percent.
        #[arg(long, default_value_t = 5.0)]
        threshold: f64,
        #[arg(long, value_enum, default_value = "instructions")]
        metric: GateMetric,
        /// Also write the verdicts as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Run one variant of one case `reps` times (used under callgrind and strace).
    Trial {
        #[arg(long)]
        experiment: String,
        #[arg(long)]
        case: String,
        #[arg(long)]
        variant: String,
        #[arg(long, default_value_t = 1)]
        reps: u32,
        #[arg(long)]
        quick: bool,
    },
    /// List experiments and their cases.
    List {
        #[arg(long)]
        quick: bool,
    },
}

fn root() -> PathBuf {
    Store::repo_dir()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn reports() -> PathBuf {
    root().join("reports")
}

fn ledger_dir() -> PathBuf {
    reports().join("ledger")
}

fn calibration_path() -> PathBuf {
    reports().join("calibration.json")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let r = match cli.cmd {
        Cmd::Fixtures { tag, quiet } => fixtures_cmd(tag.as_deref(), quiet).map(|_| ExitCode::SUCCESS),
        Cmd::Run {
            quick,
            only,
            resume,
            offline,
        } => run_cmd(quick, &only, resume, offline),
        Cmd::Report => report_cmd(),
        Cmd::Explain => explain_cmd(),
        Cmd::Evidence => evidence_cmd(),
        Cmd::Calibrate { quick } => calibrate_cmd(quick),
        Cmd::Baseline { out, metric } => baseline_cmd(&out, metric.into()),
        Cmd::Gate {
            baseline,
            threshold,
            metric,
            json,
        } => gate_cmd(&baseline, threshold / 100.0, metric.into(), json.as_deref()),
        Cmd::Trial {
            experiment,
            case,
            variant,
            reps,
            quick,
        } => trial_cmd(&experiment, &case, &variant, reps, quick),
        Cmd::List { quick } => list_cmd(quick),
    };
    match r {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_COULD_NOT_RUN)
        }
    }
}

type Res<T = ExitCode> = Result<T, Box<dyn std::error::Error>>;

/// Prints above the progress bar, or plainly when there is no terminal.
fn say(bar: &ProgressBar, line: String) {
    if bar.is_hidden() {
        println!("{line}");
    } else {
        bar.println(line);
    }
}

fn fixtures_cmd(tag: Option<&str>, quiet: bool) -> Res<Vec<(String, String)>> {
    let store = Store::open_default()?;
    let chosen: Vec<_> = store
        .manifest
        .fixtures
        .iter()
        .filter(|f| tag.is_none_or(|t| f.has_tag(t)))
        .collect();
    let total: u64 = chosen.iter().map(|f| f.bytes).sum();
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{spinner} fixtures [{bar:30}] {bytes}/{total_bytes} ({eta}) {msg}")?
            .progress_chars("=> "),
    );
    if quiet {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let mut missing = Vec::new();
    let mut ready = 0u64;
    for f in &chosen {
        bar.set_message(f.name.clone());
        match store.ensure(&f.name) {
            Status::Ready(p) => {
                ready += 1;
                if !quiet {
                    say(&bar, format!("ok      {:>12}  {}  ({})", f.bytes, f.name, p.display()));
                }
            }
            Status::Missing(why) => {
                say(&bar, format!("MISSING {:>12}  {}: {why}", f.bytes, f.name));
                missing.push((f.name.clone(), why));
            }
        }
        bar.inc(f.bytes);
    }
    bar.finish_and_clear();
    println!(
        "fixtures: {ready} ready, {} missing, {} in the manifest; cache {}",
        missing.len(),
        chosen.len(),
        store.cache.display()
    );
    for (name, why) in &missing {
        println!("  skipped {name}: {why}");
    }
    Ok(missing)
}

fn calibration_in_force() -> ledger::CalibrationInForce {
    let p = calibration_path();
    match std::fs::read_to_string(&p)
        .ok()
        .and_then(|t| serde_json::from_str::<Calibration>(&t).ok())
    {
        Some(c) => c.in_force("reports/calibration.json"),
        None => calibration::default_in_force(),
    }
}

fn config(quick: bool) -> Config {
    let mut cfg = if quick {
        Config::quick(calibration_in_force())
    } else {
        Config::full(calibration_in_force())
    };
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("lab"));
    cfg.child = Some((
        exe,
        Box::new(move |exp: &str, case: &str, variant: &str, reps: u32| {
            let mut a = vec![
                "trial".into(),
                "--experiment".into(),
                exp.into(),
                "--case".into(),
                case.into(),
                "--variant".into(),
                variant.into(),
                "--reps".into(),
                reps.to_string(),
            ];
            if quick {
                a.push("--quick".into());
            }
            a
        }),
    ));
    cfg
}

fn run_cmd(quick: bool, only: &[String], resume: bool, offline: bool) -> Res {
    let started = std::time::Instant::now();
    if !offline {
        fixtures_cmd(if quick { Some("default") } else { None }, true)?;
    }
    let store = Store::open_default()?;
    let ctx = Ctx::new(store, quick);
    let mode = if quick { "quick" } else { "full" };
    let dir = ledger_dir();
    let mut campaign = match resume
        .then(|| ledger::load_all(&dir))
        .transpose()?
        .and_then(|all| all.into_iter().rev().find(|c| c.mode == mode && c.finished.is_none()))
    {
        Some(c) => {
            println!("resuming campaign {} ({} entries done)", c.id, c.entries.len());
            c
        }
        None => Campaign {
            schema: ledger::SCHEMA,
            id: ledger::utc_now().replace(':', "-"),
            mode: mode.into(),
            started: ledger::utc_now(),
            finished: None,
            environment: harness::env::capture(),
            calibration: calibration_in_force(),
            entries: Vec::new(),
        },
    };
    let cfg = config(quick);
    let chosen: Vec<&registry::Experiment> = registry::ALL
        .iter()
        .filter(|e| only.is_empty() || only.iter().any(|o| o.eq_ignore_ascii_case(e.id)))
        .filter(|e| !campaign.entries.iter().any(|x| x.spec.id == e.id))
        .collect();
    let bar = ProgressBar::new(chosen.len() as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] [{bar:25}] {pos}/{len} experiments (ETA {eta}) {msg}",
        )?
        .progress_chars("=> "),
    );
    let mut skipped_all = Vec::new();
    for exp in chosen {
        let spec = (exp.spec)();
        bar.set_message(format!("{} — building cases", exp.id));
        let mut built = (exp.build)(&ctx);
        for s in &built.skipped {
            skipped_all.push(format!("{}: {s}", exp.id));
        }
        if built.cases.is_empty() {
            say(
                &bar,
                format!(
                    "{}  SKIPPED: no case could be built ({})",
                    exp.id,
                    built.skipped.join("; ")
                ),
            );
            bar.inc(1);
            continue;
        }
        let fixtures = spec
            .fixtures
            .iter()
            .filter_map(|n| {
                ctx.store
                    .manifest
                    .get(n)
                    .filter(|_| ctx.fixture(n).is_some())
                    .map(|f| FixtureRef {
                        name: n.clone(),
                        sha256: f.sha256.clone(),
                    })
            })
            .collect();
        match runner::run_experiment(&spec, &mut built.cases, fixtures, &cfg, Some(&bar)) {
            Ok(mut entry) => {
                entry.evidence.append(&mut built.evidence);
                if exp.strace {
                    entry.evidence.extend(strace_evidence(&entry, quick));
                }
                let (case, k) = entry
                    .headline()
                    .map(|(c, k)| (c.label.clone(), harness::report::markdown::effect_text(k)))
                    .unwrap_or_default();
                say(
                    &bar,
                    format!("{}  {:<24} {} — {}", exp.id, entry.verdict.label(), case, k),
                );
                campaign.entries.push(entry);
                ledger::save(&dir, &campaign)?;
            }
            Err(e) => say(&bar, format!("{}  FAILED: {e}", exp.id)),
        }
        drop(built);
        bar.inc(1);
    }
    bar.finish_and_clear();
    campaign.finished = Some(ledger::utc_now());
    campaign.environment.load_average_end = Some(harness::env::load_average());
    ledger::save(&dir, &campaign)?;
    report_cmd()?;
    println!(
        "campaign {} ({mode}): {} experiments recorded in {:.0} s; ledger {}",
        campaign.id,
        campaign.entries.len(),
        started.elapsed().as_secs_f64(),
        ledger::campaign_path(&dir, &campaign.id).display()
    );
    for s in &skipped_all {
        println!("  skipped {s}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Syscall counts of each variant of the headline case: `strace -c` of one
/// repetition minus zero repetitions (so opening fixtures is not counted).
fn strace_evidence(entry: &ledger::Entry, quick: bool) -> Vec<Evidence> {
    let Some((case, _)) = entry.headline() else {
        return Vec::new();
    };
    if std::process::Command::new("strace").arg("-V").output().is_err() {
        return vec![Evidence {
            what: "strace -c".into(),
            text: "strace is not installed; no syscall counts recorded".into(),
        }];
    }
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("lab"));
    let count = |variant: &str, reps: u32| -> Option<std::collections::BTreeMap<String, u64>> {
        let out = std::env::temp_dir().join(format!("loadlab-strace-{}.txt", std::process::id()));
        let mut args = vec![
            "-c".to_string(),
            "-f".into(),
            "-o".into(),
            out.display().to_string(),
            exe.display().to_string(),
        ];
        args.extend(
            [
                "trial",
                "--experiment",
                &entry.spec.id,
                "--case",
                &case.label,
                "--variant",
                variant,
                "--reps",
                &reps.to_string(),
            ]
            .map(String::from),
        );
        if quick {
            args.push("--quick".into());
        }
        let st = std::process::Command::new("strace").args(&args).output().ok()?;
        if !st.status.success() {
            return None;
        }
        let text = std::fs::read_to_string(&out).ok()?;
        let _ = std::fs::remove_file(&out);
        let mut m = std::collections::BTreeMap::new();
        for l in text.lines() {
            let f: Vec<&str> = l.split_whitespace().collect();
            // % time, seconds, usecs/call, calls, [errors], syscall
            // The last row ("total") is strace's sum, not a syscall.
            if f.len() >= 5 && f[0].parse::<f64>().is_ok() && f[f.len() - 1] != "total" {
                if let Ok(calls) = f[3].parse::<u64>() {
                    m.insert(f[f.len() - 1].to_string(), calls);
                }
            }
        }
        Some(m)
    };
    let mut text = format!(
        "syscalls of one trial (strace -c of 1 repetition minus 0) in case “{}”:\n",
        case.label
    );
    for v in &case.variants {
        match (count(&v.name, 0), count(&v.name, 1)) {
            (Some(a), Some(b)) => {
                let mut d: Vec<(String, i64)> = b
                    .iter()
                    .map(|(k, n)| (k.clone(), *n as i64 - *a.get(k).unwrap_or(&0) as i64))
                    .filter(|(_, n)| *n > 0)
                    .collect();
                d.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
                let total: i64 = d.iter().map(|x| x.1).sum();
                let top: Vec<String> = d.iter().take(6).map(|(k, n)| format!("{k} {n}")).collect();
                text.push_str(&format!("  {:<34} total {:>8}: {}\n", v.name, total, top.join(", ")));
            }
            _ => text.push_str(&format!("  {:<34} (strace failed)\n", v.name)),
        }
    }
    vec![Evidence {
        what: "strace -c".into(),
        text,
    }]
}

fn report_cmd() -> Res {
    let files = harness::report::render(&ledger_dir(), &reports(), &root().join("EXPERIMENTS.md"))?;
    println!("rendered {} files (reports/, EXPERIMENTS.md)", files.len());
    Ok(ExitCode::SUCCESS)
}

fn explain_cmd() -> Res {
    let dir = ledger_dir();
    let mut all = ledger::load_all(&dir)?;
    let mut n = 0;
    for exp in registry::ALL {
        let spec = (exp.spec)();
        // The newest entry of this experiment, in any campaign.
        if let Some(e) = all
            .iter_mut()
            .rev()
            .flat_map(|c| c.entries.iter_mut())
            .find(|e| e.spec.id == exp.id)
        {
            if e.spec.explanation != spec.explanation {
                e.spec.explanation = spec.explanation.clone();
                n += 1;
            }
        }
    }
    for c in &all {
        ledger::save(&dir, c)?;
    }
    println!("updated the explanation of {n} ledger entries");
    report_cmd()
}

fn evidence_cmd() -> Res {
    let dir = ledger_dir();
    let mut all = ledger::load_all(&dir)?;
    let mut n = 0;
    for exp in registry::ALL.iter().filter(|e| e.strace) {
        if let Some(c) = all
            .iter_mut()
            .rev()
            .find(|c| c.entries.iter().any(|e| e.spec.id == exp.id))
        {
            let quick = c.mode == "quick";
            if let Some(e) = c.entries.iter_mut().find(|e| e.spec.id == exp.id) {
                let fresh = strace_evidence(e, quick);
                e.evidence.retain(|x| x.what != "strace -c");
                e.evidence.extend(fresh);
                n += 1;
            }
        }
    }
    for c in &all {
        ledger::save(&dir, c)?;
    }
    println!("re-recorded strace evidence of {n} entries");
    report_cmd()
}

fn calibrate_cmd(quick: bool) -> Res {
    let plan = if quick {
        calibration::Plan::quick()
    } else {
        calibration::Plan::full()
    };
    let bar = ProgressBar::new((plan.aa_runs + plan.aa_test_runs + plan.slowdowns.len() * plan.slowdown_runs) as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} calibrate [{bar:25}] {pos}/{len} (ETA {eta}) {msg}")?
            .progress_chars("=> "),
    );
    let c = calibration::calibrate(&plan, |i, _, label| {
        bar.set_position(i as u64);
        bar.set_message(label.to_owned());
    })?;
    bar.finish_and_clear();
    let text = serde_json::to_string_pretty(&c)?;
    if !quick {
        ledger::write_atomic(&calibration_path(), text.as_bytes())?;
    }
    println!(
        "workload {:.1} ms; noise floor ±{:.2} % (from {} A/A runs)",
        c.workload_ms,
        c.noise_floor * 100.0,
        c.aa_floor_runs
    );
    println!(
        "A/A false positives: {} of {} held-out runs (95 % upper bound {:.1} %; target ≤ 1 %)",
        c.aa_false_positives,
        c.aa_test_runs,
        c.aa_fp_upper95 * 100.0
    );
    for s in &c.slowdowns {
        println!(
            "injected +{:.0} %: detected in {}/{} runs, median {:.1} s, max {:.1} s (target: +2 % within 60 s)",
            s.slowdown * 100.0,
            s.detected,
            s.runs,
            s.median_seconds,
            s.max_seconds
        );
    }
    println!(
        "minimum detectable effect: {}",
        c.mde.map_or("none of the injected slow-downs".into(), |m| format!(
            "{:.0} %",
            m * 100.0
        ))
    );
    if !quick {
        println!("wrote {}", calibration_path().display());
    }
    Ok(ExitCode::SUCCESS)
}

fn gate_run(metric: Metric) -> Res<Campaign> {
    let store = Store::open_default()?;
    let ctx = Ctx::new(store, true);
    let mut cfg = config(true);
    cfg.budget = std::time::Duration::from_secs(2);
    let mut cases = experiments::gate::cases(&ctx, metric);
    if cases.is_empty() {
        return Err("no gate case could be built (fixtures missing: run `lab fixtures`)".into());
    }
    let spec = experiments::gate::spec();
    let entry = runner::run_experiment(&spec, &mut cases, Vec::new(), &cfg, None)?;
    Ok(Campaign {
        schema: ledger::SCHEMA,
        id: "gate".into(),
        mode: "gate".into(),
        started: ledger::utc_now(),
        finished: Some(ledger::utc_now()),
        environment: harness::env::capture(),
        calibration: cfg.calibration.clone(),
        entries: vec![entry],
    })
}

fn baseline_cmd(out: &Path, metric: Metric) -> Res {
    let c = gate_run(metric)?;
    let b = Baseline::from_campaign(&c);
    let out = if out.is_relative() {
        root().join(out)
    } else {
        out.to_owned()
    };
    b.save(&out)?;
    println!(
        "baseline of {} cases ({}) saved to {}",
        b.entries.len(),
        metric.name(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn gate_cmd(baseline: &Path, threshold: f64, metric: Metric, json: Option<&Path>) -> Res {
    let path = if baseline.is_relative() {
        root().join(baseline)
    } else {
        baseline.to_owned()
    };
    let base = Baseline::load(&path)?;
    let now = Baseline::from_campaign(&gate_run(metric)?);
    let cal = calibration_in_force();
    let note = match metric {
        Metric::Instructions => "instruction counts are deterministic: the gate fires only on a real change of the code's work (it cannot see I/O or page faults)".to_owned(),
        _ => format!(
            "wall-time mode; calibration ({}) measured the noise floor at ±{:.2} %{}",
            cal.source,
            cal.noise_floor * 100.0,
            cal.mde.map_or(String::new(), |m| format!(" and a minimum detectable effect of {:.0} %", m * 100.0))
        ),
    };
    let report = harness::gate::compare(&base, &now, threshold, Some(metric), note);
    print!("{}", report.table());
    println!("threshold +{:.1} %; {}", threshold * 100.0, report.false_alarm_note);
    if let Some(j) = json {
        ledger::write_atomic(j, serde_json::to_string_pretty(&report)?.as_bytes())?;
    }
    if report.regressed {
        println!("gate: REGRESSED");
        Ok(ExitCode::from(EXIT_REGRESSED))
    } else {
        println!("gate: pass");
        Ok(ExitCode::SUCCESS)
    }
}

fn trial_cmd(experiment: &str, case: &str, variant: &str, reps: u32, quick: bool) -> Res {
    let store = Store::open_default()?;
    let ctx = Ctx::new(store, quick);
    let mut cases = if experiment == experiments::gate::ID {
        experiments::gate::cases(&ctx, Metric::Instructions)
    } else {
        let exp = registry::find(experiment).ok_or_else(|| format!("no experiment {experiment}"))?;
        (exp.build)(&ctx).cases
    };
    let c = cases
        .iter_mut()
        .find(|c| c.label == case)
        .ok_or_else(|| format!("{experiment}: no case {case:?}"))?;
    let v = c
        .variants
        .iter_mut()
        .find(|v| v.name == variant)
        .ok_or_else(|| format!("{experiment}: no variant {variant:?}"))?;
    for _ in 0..reps {
        (v.run)().map_err(|e| format!("{variant}: {e}"))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn list_cmd(quick: bool) -> Res {
    let store = Store::open_default()?;
    let ctx = Ctx::new(store, quick);
    for exp in registry::ALL {
        let spec = (exp.spec)();
        let built = (exp.build)(&ctx);
        println!(
            "{} — {} [{}]: {}",
            exp.id,
            spec.title,
            spec.metric.name(),
            spec.claim.text
        );
        for c in &built.cases {
            let names: Vec<&str> = c.variants.iter().map(|v| v.name.as_str()).collect();
            println!("    {}  ({})", c.label, names.join(" | "));
        }
        for s in &built.skipped {
            println!("    skipped: {s}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

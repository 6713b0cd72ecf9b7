//! The campaign lifecycle: `lab run` (choose experiments, build their
//! cases, run them through the harness, record each entry in the ledger as
//! it completes, render the reports), `lab report`, `lab record-explanations`, `lab
//! evidence` and `lab merge`.

use super::{bar, say, this_exe, Outcome, TrialArgs, EXIT_FAILED, EXIT_USAGE};
use crate::registry::{self, Experiment};
use crate::workspace::Workspace;
use crate::Ctx;
use harness::calibration::{self, Calibration};
use harness::campaign::{Event, Job, Lab, Unit};
use harness::ledger::{self, Campaign, Evidence, EvidenceKind, FixtureRef, Mode};
use harness::measure::strace;
use harness::platform::Allocator;
use harness::protocol::{Tier, WorkerPlan};
use harness::runner::{self, Config, ProcessSamples};
use harness::storage::Profile;
use std::process::ExitCode;

/// The profile a campaign ran on (`local` when it recorded none).
pub fn profile_of(c: &Campaign) -> Profile {
    c.storage_profile.clone().unwrap_or(Profile::Local)
}

/// Which experiments a run covers.
pub struct Selection {
    /// Ids given with `--only` (empty: all).
    pub only: Vec<String>,
    /// `(k, n)`: the k-th (1-based) of n deterministic slices of the catalog.
    pub shard: Option<(usize, usize)>,
    /// Only this group (case-insensitive, e.g. `peers`). Without `--only`
    /// or `--group`, every experiment except the peers group.
    pub group: Option<String>,
}

impl Selection {
    /// The chosen experiments in catalog order; an unknown id is an error.
    pub fn choose(&self) -> Result<Vec<&'static Experiment>, String> {
        for o in &self.only {
            if registry::find(o).is_none() {
                let ids: Vec<&str> = registry::ALL.iter().map(|e| e.id).collect();
                return Err(format!("no experiment {o:?} (known: {})", ids.join(", ")));
            }
        }
        if let Some(g) = &self.group {
            if !registry::ALL.iter().any(|e| e.group.eq_ignore_ascii_case(g)) {
                let mut groups: Vec<&str> = registry::ALL.iter().map(|e| e.group).collect();
                groups.dedup();
                return Err(format!("no group {g:?} (known: {})", groups.join(", ")));
            }
        }
        let wanted = |e: &Experiment| match (&self.group, self.only.is_empty()) {
            (Some(g), _) if !e.group.eq_ignore_ascii_case(g) => false,
            (_, false) => self.only.iter().any(|o| o.eq_ignore_ascii_case(e.id)),
            (Some(_), true) => true,
            (None, true) => e.group != registry::PEERS,
        };
        let indexed: Vec<(usize, &'static Experiment)> = registry::ALL.iter().enumerate().collect();
        let sliced = match self.shard {
            Some((k, n)) => harness::campaign::shard(indexed, k, n),
            None => indexed,
        };
        Ok(sliced.into_iter().filter(|(_, e)| wanted(e)).map(|(_, e)| e).collect())
    }
}

/// Parses `K/N` (1 ≤ K ≤ N).
pub fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let bad = || format!("--shard {s:?}: expected K/N with 1 ≤ K ≤ N");
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let (k, n): (usize, usize) = (k.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
    if k == 0 || n == 0 || k > n {
        return Err(bad());
    }
    Ok((k, n))
}

/// The calibration verdicts use: `reports/calibration.json`, or the defaults.
pub fn calibration_in_force(ws: &Workspace) -> ledger::CalibrationInForce {
    match std::fs::read_to_string(ws.calibration_path())
        .ok()
        .and_then(|t| serde_json::from_str::<Calibration>(&t).ok())
    {
        Some(c) => c.in_force("reports/calibration.json"),
        None => calibration::default_in_force(),
    }
}

/// The harness configuration of a mode, with this binary as the child for
/// instruction counts.
pub fn config(ws: &Workspace, tier: Tier) -> Config {
    let cal = calibration_in_force(ws);
    let mut cfg = Config::of(tier, cal);
    cfg.child = Some((
        this_exe(),
        std::sync::Arc::new(move |exp: &str, case: &str, variant: &str, reps: u32| {
            TrialArgs {
                experiment: exp.into(),
                case: case.into(),
                variant: variant.into(),
                reps,
                tier,
                timed: false,
            }
            .to_args()
        }),
    ));
    cfg
}

/// How `lab run` was asked to run.
pub struct RunOpts {
    /// CI-sized cases and budgets, or the full ones.
    pub tier: Tier,
    /// Continue the newest unfinished campaign of the mode.
    pub resume: bool,
    /// Do not fetch missing fixtures.
    pub offline: bool,
    /// Record a full campaign even though tracked source files differ from
    /// the commit (its entries are marked dirty everywhere).
    pub allow_dirty: bool,
    /// Storage profiles to run on, one campaign each; empty: `local` only.
    pub storage: Vec<Profile>,
}

/// `lab run`. Exit 0 when every chosen experiment was recorded, 1 when any
/// failed or could build no case, 2 for an unknown id or a dirty tree.
/// With several storage profiles, one campaign each, in the order given;
/// the exit code is the worst of them.
pub fn run(ws: &Workspace, sel: &Selection, opts: &RunOpts) -> Outcome {
    let local = [Profile::Local];
    let profiles: &[Profile] = if opts.storage.is_empty() { &local } else { &opts.storage };
    // Workers start from a private copy of this binary, one for every
    // storage's campaign: a rebuild in the checkout meanwhile changes
    // nothing they measure.
    let _pinned = super::pin_exe()?;
    let mut worst = 0u8;
    for (i, profile) in profiles.iter().enumerate() {
        if profiles.len() > 1 {
            println!("storage {} of {}: {}", i + 1, profiles.len(), profile.describe());
        }
        let code = run_on(ws, sel, opts, profile)?;
        worst = worst.max(code);
        if code == EXIT_USAGE {
            break;
        }
    }
    Ok(ExitCode::from(worst))
}

/// One campaign of `lab run` on one storage profile; its exit code.
fn run_on(ws: &Workspace, sel: &Selection, opts: &RunOpts, profile: &Profile) -> Result<u8, super::Error> {
    let RunOpts {
        tier,
        resume,
        offline,
        allow_dirty,
        ..
    } = *opts;
    let chosen = match sel.choose() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(EXIT_USAGE);
        }
    };
    let quick = tier.is_quick();
    if !quick && !allow_dirty && harness::env::dirty_in(&ws.root) {
        eprintln!(
            "error: tracked files have uncommitted changes; a full campaign records what a commit measures. \
             Commit first, or pass --allow-dirty (its entries are then marked dirty in every report)."
        );
        return Ok(EXIT_USAGE);
    }
    let started = std::time::Instant::now();
    let commit = harness::env::head_commit(&ws.root);
    if !offline {
        super::fixtures::ensure_all(ws, quick.then_some("default"), true)?;
    }
    let mut store = ws.store()?;
    // Off the local disk, the fixtures are served by the profile under
    // their names; this process and every worker read them there.
    let mounted = match profile {
        Profile::Local => {
            store.served = None;
            None
        }
        p => {
            // Every fixture present; a copy (tmpfs) only of those the chosen
            // experiments declare — any other is then read where it lies.
            let declared: std::collections::HashSet<String> = chosen.iter().flat_map(|e| e.spec().fixtures).collect();
            let mut view = harness::storage::View::new();
            for f in &store.manifest.fixtures {
                if *p == Profile::Tmpfs && !declared.contains(&f.name) {
                    continue;
                }
                if let Some(path) = store.path(&f.name) {
                    view.add(&f.name, &path)?;
                }
            }
            println!("storage: setting up {} for {} files", p.describe(), view.len());
            let m = harness::storage::up(p, &view)?;
            store.served = m.root().map(std::path::Path::to_path_buf);
            Some(m)
        }
    };
    let served = store.served.clone();
    let servers = mounted
        .as_ref()
        .map(harness::storage::Mounted::servers)
        .unwrap_or_default();
    let mut ctx = Ctx::new(store, tier);
    let mode = Mode::from(tier);
    let dir = match profile {
        Profile::Local => ws.ledger_dir(),
        _ => ws.ledger_dir().join(ledger::STORAGE_DIR),
    };
    let resumed = if resume {
        ledger::load_all(&dir)?
            .into_iter()
            .rev()
            .find(|c| c.mode == mode && c.finished.is_none() && profile_of(c) == *profile)
    } else {
        None
    };
    let mut campaign = match resumed {
        Some(c) => {
            println!("resuming campaign {} ({} entries done)", c.id, c.entries.len());
            c
        }
        None => Campaign {
            schema: ledger::SCHEMA,
            // Shards of one campaign start at the same second on several
            // runners: the shard keeps their ids apart for `lab merge`.
            id: match sel.shard {
                Some((k, n)) => format!("{}-shard{k}of{n}", ledger::utc_now().replace(':', "-")),
                None => ledger::utc_now().replace(':', "-"),
            },
            mode,
            started: ledger::utc_now(),
            finished: None,
            environment: harness::env::Environment {
                storage: match &mounted {
                    Some(m) => m.storage(),
                    None => harness::storage::of(&ctx.store.cache),
                },
                ..harness::env::capture_in(&ws.root)
            },
            calibration: calibration_in_force(ws),
            rule: Some(config(ws, tier).rule()),
            storage_profile: (*profile != Profile::Local).then(|| profile.clone()),
            entries: Vec::new(),
        },
    };
    let cfg = config(ws, tier);
    if let Some(recorded) = &campaign.rule {
        if *recorded != cfg.rule() {
            eprintln!(
                "error: campaign {} ran under rule {}, this binary's is {}: a campaign is judged under one rule. \
                 Start a new campaign (without --resume).",
                campaign.id,
                recorded.hash(),
                cfg.rule().hash()
            );
            return Ok(EXIT_USAGE);
        }
    }
    let ids: Vec<&str> = chosen.iter().map(|e| e.id).collect();
    let todo: Vec<&Experiment> = harness::campaign::remaining(&campaign, &ids)
        .into_iter()
        .filter_map(registry::find)
        .collect();
    let bar = bar(
        (todo.len() * (cfg.processes + 1)) as u64,
        "{spinner} [{elapsed_precise}] [{bar:25}] {pos}/{len} worker runs and entries (ETA {eta}) {msg}",
    )?;
    // Measured in passes by the harness's scheduler (see
    // `harness::campaign`); evidence is gathered once, when the entry is
    // recorded.
    ctx.evidence = false;
    let jobs: Vec<Job> = todo.iter().map(|e| Job::experiment(e.id, cfg.seed)).collect();
    let lab = Workers {
        ws,
        ctx: &ctx,
        served: served.clone(),
        servers: servers.clone(),
    };
    let previous = ledger::load_all(&dir)?
        .into_iter()
        .rev()
        .find(|c| c.mode == mode && c.finished.is_some() && profile_of(c) == *profile);
    let mut progress = harness::campaign::Progress::new(&jobs, &cfg, previous.as_ref());
    let mut current = (0, false);
    let mut measured = harness::campaign::measure(&lab, &jobs, &cfg, &mut |ev| match ev {
        Event::Pass { pass, active } => say(
            &bar,
            format!(
                "pass {}: a fresh worker process for each of {active} experiments",
                pass + 1
            ),
        ),
        Event::Spawning { pass, job, extension } => {
            current = (pass, extension);
            bar.set_message(format!("pass {} · {}", pass + 1, job.experiment));
            if extension {
                bar.inc_length(1);
            }
        }
        Event::Spawned { job } => {
            bar.inc(1);
            say(&bar, progress.finished(job, current.0, current.1));
        }
    });
    ctx.evidence = true;
    let mut skipped_all = Vec::new();
    let mut failed = Vec::new();
    for (&exp, m) in todo.iter().zip(measured.iter_mut()) {
        let spec = exp.spec();
        bar.set_message(format!("{} — recording", exp.id));
        let mut built = (exp.build)(&ctx);
        skipped_all.extend(built.skipped.iter().map(|s| format!("{}: {s}", exp.id)));
        if let Some(why) = &m.failed {
            say(&bar, format!("{}  FAILED: {why}", exp.id));
            failed.push(exp.id);
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
        let procs = m.take(&built.cases);
        match runner::record_experiment(
            &spec,
            &mut built.cases,
            fixtures,
            &cfg,
            procs,
            Some(&bar),
            std::time::Instant::now(),
        ) {
            Ok(mut entry) => {
                entry.evidence.append(&mut built.evidence);
                if exp.allocator != Allocator::Adaptive {
                    entry.evidence.push(Evidence {
                        what: "allocator".into(),
                        text: exp.allocator.describe().to_owned(),
                    });
                }
                if exp.strace {
                    entry.evidence.extend(strace_evidence(&entry, tier));
                }
                let (case, k) = entry
                    .headline()
                    .map(|(c, k)| (c.label.clone(), harness::report::markdown::effect_text(k)))
                    .unwrap_or_default();
                say(
                    &bar,
                    format!("{}  {:<24} {} — {}", exp.id, entry.verdict.label(), case, k),
                );
                // What was measured is this binary, built from `commit`:
                // if the checkout moved meanwhile, its reports and ledger
                // would pair these numbers with another commit's sources.
                let now = harness::env::head_commit(&ws.root);
                if now != commit {
                    bar.finish_and_clear();
                    eprintln!(
                        "error: the checkout moved from commit {commit} to {now} during the campaign; \
                         {} is not recorded (entries recorded before stay). Check out {commit} and run \
                         `lab run --resume` to finish it.",
                        exp.id
                    );
                    return Ok(EXIT_FAILED);
                }
                campaign.entries.push(entry);
                ledger::save(&dir, &campaign)?;
            }
            Err(e) => {
                say(&bar, format!("{}  FAILED: {e}", exp.id));
                failed.push(exp.id);
            }
        }
        drop(built);
        bar.inc(1);
    }
    bar.finish_and_clear();
    if let Some((requests, bytes, largest)) = mounted.as_ref().and_then(|m| m.served()) {
        println!(
            "storage: the slow filesystem served {requests} requests, {}, the largest {}",
            harness::human::bytes(bytes as f64),
            harness::human::bytes(largest as f64)
        );
    }
    drop(mounted);
    campaign.finished = Some(ledger::utc_now());
    campaign.environment.load_average_end = Some(harness::env::load_average());
    ledger::save(&dir, &campaign)?;
    report(ws)?;
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
    if !failed.is_empty() {
        eprintln!("error: {} experiments failed: {}", failed.len(), failed.join(", "));
        return Ok(EXIT_FAILED);
    }
    Ok(0)
}

/// The experiments crate as the scheduler's [`Lab`]: cases from the
/// registry, workers as `lab worker` processes of this binary.
pub struct Workers<'w> {
    /// The checkout.
    pub ws: &'w Workspace,
    /// Fixtures and tier the cases are built with (the workers take the
    /// tier from their plan).
    pub ctx: &'w Ctx,
    /// Where a storage profile serves the fixtures (`None`: where they lie).
    pub served: Option<std::path::PathBuf>,
    /// The processes serving them, whose CPU time the workers count as the
    /// storage's rather than as other load.
    pub servers: Vec<u32>,
}

impl Lab for Workers<'_> {
    fn unit(&self, job: &Job) -> Result<Unit<'_>, String> {
        let exp = registry::find(&job.experiment).ok_or_else(|| format!("no experiment {:?}", job.experiment))?;
        let built = (exp.build)(self.ctx);
        if built.cases.is_empty() {
            return Err(format!("no case could be built ({})", built.skipped.join("; ")));
        }
        Ok(Unit {
            spec: exp.spec(),
            cases: built.cases,
        })
    }

    fn spawn(&self, plan: &WorkerPlan) -> harness::error::Result<Vec<(String, ProcessSamples)>> {
        super::worker::spawn(self.ws, plan, self.served.as_deref(), &self.servers)
    }
}

/// Syscall counts of each variant of the headline case: `strace -c` of one
/// repetition minus zero repetitions (so opening fixtures is not counted).
fn strace_evidence(entry: &ledger::Entry, tier: Tier) -> Vec<Evidence> {
    let Some((case, _)) = entry.headline() else {
        return Vec::new();
    };
    if !strace::available() {
        return vec![Evidence {
            what: EvidenceKind::Syscalls,
            text: "strace is not installed; no syscall counts recorded".into(),
        }];
    }
    let exe = this_exe();
    let count = |variant: &str, reps: u32| {
        let args = TrialArgs {
            experiment: entry.spec.id.clone(),
            case: case.label.clone(),
            variant: variant.into(),
            reps,
            tier,
            timed: false,
        };
        strace::count(&exe, &args.to_args()).ok()
    };
    let mut text = format!(
        "syscalls of one trial (strace -c of 1 repetition minus 0) in case “{}”:\n",
        case.label
    );
    for v in &case.variants {
        match (count(&v.name, 0), count(&v.name, 1)) {
            (Some(a), Some(b)) => {
                let d = strace::delta(&a, &b);
                let total: i64 = d.iter().map(|x| x.1).sum();
                let top: Vec<String> = d.iter().take(6).map(|(k, n)| format!("{k} {n}")).collect();
                text.push_str(&format!("  {:<34} total {:>8}: {}\n", v.name, total, top.join(", ")));
            }
            _ => text.push_str(&format!("  {:<34} (strace failed)\n", v.name)),
        }
    }
    vec![Evidence {
        what: EvidenceKind::Syscalls,
        text,
    }]
}

/// `lab report`: renders pages, charts and the index from the ledger alone.
pub fn report(ws: &Workspace) -> Outcome {
    // A scratch workspace (tests, a copied ledger) may have no README.
    let readme = Some(ws.root.join("README.md")).filter(|p| p.is_file());
    let files = harness::report::render(
        &ws.ledger_dir(),
        &ws.reports(),
        &ws.index_path(),
        readme.as_deref(),
        &registry::group_of,
        Some(registry::BACKEND_CHOICE),
    )?;
    let catalog = ws.root.join("HYPOTHESES.md");
    harness::ledger::write_atomic(&catalog, crate::catalog::render()?.as_bytes())?;
    if let Some(c) = std::fs::read_to_string(ws.calibration_path())
        .ok()
        .and_then(|t| serde_json::from_str::<Calibration>(&t).ok())
    {
        let page = harness::report::calibration::page(&c);
        harness::ledger::write_atomic(&ws.reports().join("calibration.md"), page.as_bytes())?;
    }
    println!(
        "rendered {} files (reports/, EXPERIMENTS.md, HYPOTHESES.md)",
        files.len() + 1
    );
    Ok(ExitCode::SUCCESS)
}

/// `lab record-explanations`: copies the experiments' current explanations into their
/// newest ledger entries.
pub fn explain(ws: &Workspace) -> Outcome {
    let dir = ws.ledger_dir();
    let mut all = ledger::load_all(&dir)?;
    let mut n = 0;
    // Only the campaigns whose entries change are written again: the others
    // stay byte for byte as recorded (a newer schema would add fields).
    let mut changed = std::collections::BTreeSet::new();
    for exp in registry::ALL {
        let spec = exp.spec();
        if let Some((id, e)) = all
            .iter_mut()
            .rev()
            .flat_map(|c| {
                let id = c.id.clone();
                c.entries.iter_mut().map(move |e| (id.clone(), e))
            })
            .find(|(_, e)| e.spec.id == exp.id)
        {
            if e.spec.explanation != spec.explanation {
                e.spec.explanation = spec.explanation.clone();
                changed.insert(id);
                n += 1;
            }
        }
    }
    for c in all.iter().filter(|c| changed.contains(&c.id)) {
        ledger::save(&dir, c)?;
    }
    println!("updated the explanation of {n} ledger entries");
    report(ws)
}

/// `lab evidence`: re-records the strace evidence of the newest entries.
pub fn evidence(ws: &Workspace) -> Outcome {
    let dir = ws.ledger_dir();
    let mut all = ledger::load_all(&dir)?;
    let mut n = 0;
    for exp in registry::ALL.iter().filter(|e| e.strace) {
        if let Some(c) = all
            .iter_mut()
            .rev()
            .find(|c| c.entries.iter().any(|e| e.spec.id == exp.id))
        {
            let tier = if c.mode == Mode::Quick { Tier::Quick } else { Tier::Full };
            if let Some(e) = c.entries.iter_mut().find(|e| e.spec.id == exp.id) {
                let fresh = strace_evidence(e, tier);
                e.evidence.retain(|x| x.what != EvidenceKind::Syscalls);
                e.evidence.extend(fresh);
                n += 1;
            }
        }
    }
    for c in &all {
        ledger::save(&dir, c)?;
    }
    println!("re-recorded strace evidence of {n} entries");
    report(ws)
}

/// `lab merge LEDGER…`: copies campaigns from other runners' ledgers
/// (campaign files or ledger folders) into this workspace's ledger, then
/// renders. A campaign id already present is kept, not overwritten.
pub fn merge(ws: &Workspace, sources: &[std::path::PathBuf]) -> Outcome {
    let dir = ws.ledger_dir();
    let have: Vec<String> = ledger::load_all(&dir)?.into_iter().map(|c| c.id).collect();
    let mut added = 0;
    let mut kept = 0;
    for src in sources {
        let campaigns = if src.is_dir() {
            ledger::load_all(src)?
        } else {
            vec![ledger::load(src)?]
        };
        for c in campaigns {
            if have.contains(&c.id) {
                kept += 1;
                continue;
            }
            ledger::save(&dir, &c)?;
            added += 1;
        }
    }
    if added + kept == 0 {
        eprintln!("error: no campaign found in {} sources", sources.len());
        return Ok(ExitCode::from(EXIT_FAILED));
    }
    println!("merged {added} campaigns ({kept} already present)");
    report(ws)
}

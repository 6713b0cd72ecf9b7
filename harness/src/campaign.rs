//! The one scheduler: campaigns and calibration measure through it.
//!
//! A set of [`Job`]s (an experiment, or one case of it under a
//! [`Transform`]) is measured in *passes*: every active job's first worker
//! process, then every job's second, … so the processes of one case are
//! spread over the whole span of the run and its interval carries the
//! machine's drift over that span, not only the differences between
//! adjacent processes. After a case has [`Config::processes`] processes it
//! is extended one pass at a time while [`runner::needs_more`] says so (an
//! interval wider than the target, a busy machine, an interval on a
//! verdict's edge, a headline there), up to [`Config::most_processes`].
//!
//! What a job's cases are and how a worker process runs is the caller's
//! ([`Lab`]); the experiments crate builds cases from its registry and
//! spawns `lab worker`. Resuming and sharding are here too, so every
//! caller slices and resumes the same way.

use crate::error::{HarnessError, Result};
use crate::experiment::{Case, Spec};
use crate::ledger::Campaign;
use crate::protocol::{Transform, WorkerPlan};
use crate::runner::{self, Config, ProcessSamples};
use std::collections::HashMap;

/// One unit a run measures: an experiment's timed cases (or one of them)
/// under a transform, with its own seed.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// The experiment id.
    pub experiment: String,
    /// Only this case label (calibration); `None`: every timed case.
    pub only: Option<String>,
    /// How the worker turns the case's variants (as declared, A/A, an injected slow-down).
    pub transform: Transform,
    /// Seeds the round order of its processes.
    pub seed: u64,
}

impl Job {
    /// An experiment's timed cases as declared, under `seed`.
    pub fn experiment(id: impl Into<String>, seed: u64) -> Job {
        Job {
            experiment: id.into(),
            only: None,
            transform: Transform::AsDeclared,
            seed,
        }
    }
}

/// What a job is, for the scheduler: its declaration and its cases. The
/// first case is the headline.
pub struct Unit<'a> {
    /// The declaration its records are judged under.
    pub spec: Spec,
    /// The cases, built as a worker would build them.
    pub cases: Vec<Case<'a>>,
}

/// What the scheduler needs from its caller.
pub trait Lab {
    /// Builds the job's declaration and cases (cheaply: no evidence). An
    /// `Err` says why none could be built; the job then fails.
    fn unit(&self, job: &Job) -> std::result::Result<Unit<'_>, String>;
    /// Runs one worker process on `plan` and returns what it measured,
    /// per case label.
    fn spawn(&self, plan: &WorkerPlan) -> Result<Vec<(String, ProcessSamples)>>;
}

/// What happened, for progress display.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Event<'j> {
    /// A pass starts with this many active jobs.
    Pass {
        /// 0-based.
        pass: usize,
        /// Jobs still measuring.
        active: usize,
    },
    /// A job is about to get its process of this pass.
    Spawning {
        /// 0-based.
        pass: usize,
        /// The job.
        job: &'j Job,
        /// True from the pass after `processes`: an extension.
        extension: bool,
    },
    /// A job's process of this pass is done.
    Spawned {
        /// The job.
        job: &'j Job,
    },
}

/// One job's processes after the run, per case label in pass order, or why
/// it failed.
#[derive(Debug, Default)]
pub struct Measured {
    /// Processes per case label.
    pub processes: HashMap<String, Vec<ProcessSamples>>,
    /// Why the job could not be measured (no case built, a worker failed).
    pub failed: Option<String>,
}

impl Measured {
    /// Moves the processes out, indexed like `cases`.
    pub fn take(&mut self, cases: &[Case<'_>]) -> Vec<Vec<ProcessSamples>> {
        cases
            .iter()
            .map(|c| self.processes.remove(&c.label).unwrap_or_default())
            .collect()
    }
}

struct Running {
    measured: Measured,
    /// Case labels for the next pass; `None` before the first.
    todo: Option<Vec<String>>,
}

impl Running {
    fn active(&self) -> bool {
        self.measured.failed.is_none() && self.todo.as_ref().is_none_or(|t| !t.is_empty())
    }
}

/// Measures `jobs` in passes (see the module documentation) and returns
/// each job's processes, in job order.
pub fn measure(lab: &dyn Lab, jobs: &[Job], cfg: &Config, on: &mut dyn FnMut(Event<'_>)) -> Vec<Measured> {
    let mut runs: Vec<Running> = jobs
        .iter()
        .map(|_| Running {
            measured: Measured::default(),
            todo: None,
        })
        .collect();
    let mut pass = 0;
    while pass < cfg.most_processes() && runs.iter().any(Running::active) {
        on(Event::Pass {
            pass,
            active: runs.iter().filter(|r| r.active()).count(),
        });
        for (job, run) in jobs.iter().zip(&mut runs).filter(|(_, r)| r.active()) {
            on(Event::Spawning {
                pass,
                job,
                extension: pass >= cfg.processes,
            });
            if let Err(e) = one_pass(lab, job, run, cfg, pass) {
                run.measured.failed = Some(e);
            }
            on(Event::Spawned { job });
        }
        pass += 1;
    }
    runs.into_iter().map(|r| r.measured).collect()
}

/// One worker process for `job` over its cases still to measure; once each
/// has `cfg.processes`, keeps only those that need another.
fn one_pass(lab: &dyn Lab, job: &Job, run: &mut Running, cfg: &Config, pass: usize) -> std::result::Result<(), String> {
    let unit = lab.unit(job)?;
    let cases = &unit.cases;
    let cfg = &Config {
        seed: job.seed,
        ..cfg.clone()
    };
    let which: Vec<usize> = match (&run.todo, &job.only) {
        (Some(t), _) => t
            .iter()
            .filter_map(|l| cases.iter().position(|c| &c.label == l))
            .collect(),
        (None, Some(only)) => match cases.iter().position(|c| &c.label == only) {
            Some(i) => vec![i],
            None => return Err(format!("case {only:?} was not built (fixture missing?)")),
        },
        (None, None) => runner::timed_cases(cases),
    };
    let plan = runner::worker_plan(&unit.spec, cases, &which, cfg, pass, job.transform);
    let mut procs = run.measured.take(cases);
    let next = lab.spawn(&plan).and_then(|r| {
        runner::file_reports(cases, r, &mut procs);
        if pass + 1 >= cfg.processes {
            runner::still_needing(&unit.spec, cases, &which, &procs, cfg)
        } else {
            Ok(which.clone())
        }
    });
    for (c, p) in cases.iter().zip(procs) {
        if !p.is_empty() {
            run.measured.processes.insert(c.label.clone(), p);
        }
    }
    let next = next.map_err(|e: HarnessError| e.to_string())?;
    run.todo = Some(next.iter().map(|&i| cases[i].label.clone()).collect());
    Ok(())
}

/// The `k`-th (1-based) of `n` deterministic slices of `items`: every
/// `n`-th item from the `k`-th, so each slice samples the whole catalog.
pub fn shard<T>(items: impl IntoIterator<Item = T>, k: usize, n: usize) -> Vec<T> {
    items
        .into_iter()
        .enumerate()
        .filter(|(i, _)| n > 0 && i % n == k.wrapping_sub(1))
        .map(|(_, t)| t)
        .collect()
}

/// The ids of `wanted` a resumed `campaign` has not recorded yet, in order.
pub fn remaining<'w>(campaign: &Campaign, wanted: &[&'w str]) -> Vec<&'w str> {
    wanted
        .iter()
        .filter(|id| !campaign.entries.iter().any(|e| e.spec.id == **id))
        .copied()
        .collect()
}

/// A run's progress as lines a log can keep: one per job per pass, with the
/// time so far and an estimate of what is left that counts extension
/// passes — each job is expected to take as many processes as its newest
/// recorded entry did (at least [`Config::processes`]), and more as soon as
/// it is seen taking more.
pub struct Progress {
    started: std::time::Instant,
    expected: HashMap<String, usize>,
    done: HashMap<String, usize>,
    runs: usize,
}

impl Progress {
    /// Expectations for `jobs` under `cfg`, from `previous` (the newest
    /// campaign of the same tier, if any).
    pub fn new(jobs: &[Job], cfg: &Config, previous: Option<&Campaign>) -> Progress {
        let expected = jobs
            .iter()
            .map(|j| {
                let before = previous
                    .and_then(|c| c.entries.iter().find(|e| e.spec.id == j.experiment))
                    .and_then(|e| {
                        e.cases
                            .iter()
                            .filter_map(|k| k.replication.as_ref().map(|r| r.process_rounds.len()))
                            .max()
                    })
                    .unwrap_or(0);
                (j.experiment.clone(), before.clamp(cfg.processes, cfg.most_processes()))
            })
            .collect();
        Progress {
            started: std::time::Instant::now(),
            expected,
            done: HashMap::new(),
            runs: 0,
        }
    }

    /// Worker runs still expected.
    pub fn remaining(&self) -> usize {
        self.expected
            .iter()
            .map(|(j, e)| e.saturating_sub(self.done.get(j).copied().unwrap_or(0)))
            .sum()
    }

    /// Notes that `job` finished its process of `pass` (0-based) and returns
    /// the line to print.
    pub fn finished(&mut self, job: &Job, pass: usize, extension: bool) -> String {
        let d = self.done.entry(job.experiment.clone()).or_insert(0);
        *d += 1;
        let e = self.expected.entry(job.experiment.clone()).or_insert(0);
        *e = (*e).max(*d);
        self.runs += 1;
        let elapsed = self.started.elapsed().as_secs_f64();
        let left = elapsed / self.runs as f64 * self.remaining() as f64;
        format!(
            "pass {} · {}{} · {} elapsed · about {} left ({} worker runs done, about {} to go)",
            pass + 1,
            job.experiment,
            if extension { " (extension)" } else { "" },
            clock(elapsed),
            clock(left),
            self.runs,
            self.remaining()
        )
    }
}

fn clock(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

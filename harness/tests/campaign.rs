//! The scheduler campaigns and calibration share (`harness::campaign`):
//! passes, replication with an A/A control, extension up to each cap,
//! failed jobs, resume and shard slices. Workers are stood in for by
//! in-process spawners: one that really measures synthetic cases, and one
//! that returns made-up samples so the extension rule is exercised
//! exactly.

use harness::calibration::{default_in_force, iterations_for, synthetic_case};
use harness::campaign::{self, Event, Job, Lab, Unit};
use harness::ledger::{Campaign, Mode};
use harness::load::Load;
use harness::protocol::WorkerPlan;
use harness::runner::{case_seed, measure_case, record_experiment, Config, ProcessSamples, StopReason};
use harness::{Case, Claim, Metric, Spec};
use std::cell::RefCell;
use std::time::{Duration, Instant};

fn spec(id: &str, claim: Claim) -> Spec {
    Spec {
        id: id.into(),
        title: "scheduler".into(),
        hypothesis: "B does half as much work again".into(),
        source: "test".into(),
        claim,
        fixtures: Vec::new(),
        metric: Metric::WallTime,
        equal_work: None,
        explanation: None,
    }
}

/// Measures synthetic cases for real, in this process.
struct Measuring {
    iters: u64,
    plans: RefCell<Vec<WorkerPlan>>,
}

impl Lab for Measuring {
    fn unit(&self, job: &Job) -> Result<Unit<'_>, String> {
        Ok(Unit {
            spec: spec(&job.experiment, Claim::ratio("B 50 % slower", 1.5)),
            cases: vec![
                synthetic_case("one".into(), self.iters, 0.5),
                synthetic_case("two".into(), self.iters, 0.5),
            ],
        })
    }

    fn spawn(&self, plan: &WorkerPlan) -> harness::error::Result<Vec<(String, ProcessSamples)>> {
        self.plans.borrow_mut().push(plan.clone());
        plan.cases
            .iter()
            .map(|label| {
                // A fresh "process": the case is built again, as a worker would.
                let mut c = synthetic_case(label.clone(), self.iters, 0.5);
                let cfg = Config {
                    min_rounds: plan.min_rounds,
                    max_rounds: plan.max_rounds,
                    control: plan.control,
                    ..Config::quick(default_in_force())
                };
                let seed = case_seed(plan.seed, &plan.experiment, label, plan.process);
                let budget = Duration::from_secs_f64(plan.budget_s);
                let p = measure_case(&plan.experiment, &mut c, &cfg, budget, plan.target_half_width, seed)?;
                Ok((label.clone(), p))
            })
            .collect()
    }
}

/// The entry a job's processes make, as a campaign records it.
fn record(lab: &dyn Lab, job: &Job, m: &mut campaign::Measured, cfg: &Config) -> harness::ledger::Entry {
    let mut unit = lab.unit(job).unwrap();
    let procs = m.take(&unit.cases);
    record_experiment(
        &unit.spec,
        &mut unit.cases,
        Vec::new(),
        cfg,
        procs,
        None,
        Instant::now(),
    )
    .unwrap()
}

#[test]
fn jobs_are_measured_in_passes_with_a_control_and_recorded() {
    let lab = Measuring {
        iters: iterations_for(Duration::from_micros(300)),
        plans: RefCell::new(Vec::new()),
    };
    let mut cfg = Config::quick(default_in_force());
    cfg.budget = Duration::from_millis(300);
    let jobs = [Job::experiment("R1", cfg.seed), Job::experiment("R2", cfg.seed)];
    let mut passes = 0;
    let mut measured = campaign::measure(&lab, &jobs, &cfg, &mut |ev| {
        if let Event::Pass { .. } = ev {
            passes += 1
        }
    });
    assert_eq!(passes, cfg.processes, "quick mode has no extension");
    let plans = lab.plans.borrow();
    // Passes: R1's first process, R2's first, R1's second, …
    let order: Vec<(String, usize)> = plans.iter().map(|p| (p.experiment.clone(), p.process)).collect();
    let expected: Vec<(String, usize)> = (0..cfg.processes)
        .flat_map(|p| [("R1".to_string(), p), ("R2".to_string(), p)])
        .collect();
    assert_eq!(order, expected);
    assert_eq!(plans[0].cases, vec!["one".to_string(), "two".to_string()]);
    for (job, m) in jobs.iter().zip(measured.iter_mut()) {
        assert!(m.failed.is_none(), "{:?}", m.failed);
        let entry = record(&lab, job, m, &cfg);
        for case in &entry.cases {
            let r = case.replication.as_ref().expect("replicated");
            // Quick mode does not extend: a busy process is left out, not replaced.
            assert_eq!(
                r.process_rounds.len() + r.replaced,
                cfg.processes,
                "{:?}",
                r.process_rounds
            );
            let pooled: usize = r.process_rounds.iter().sum();
            assert_eq!(case.variants[0].samples.len(), pooled);
            let control = r.control.as_ref().expect("an A/A control");
            assert_eq!(control.samples.len(), pooled);
            // B does 1.5× A's work in the same rounds: the ratio shows it, busy or not.
            assert!(
                case.comparisons[0].effect.ratio > 1.2,
                "{:?}",
                case.comparisons[0].effect
            );
        }
    }
}

/// Returns made-up samples: per process, A near 1 and B at the ratio the
/// case's label names for that process ("0.9/1.1" alternates), so how far
/// a case is extended follows from the rule alone.
struct Scripted {
    cases: Vec<&'static str>,
    claim: Claim,
    busy: bool,
    fail: Option<&'static str>,
    processes: RefCell<Vec<(String, String, usize)>>,
}

impl Lab for Scripted {
    fn unit(&self, job: &Job) -> Result<Unit<'_>, String> {
        Ok(Unit {
            spec: spec(&job.experiment, self.claim.clone()),
            cases: self
                .cases
                .iter()
                .map(|l| {
                    Case::new(*l, Metric::WallTime, harness::CacheMode::Warm)
                        .variant("A", || Ok(Default::default()))
                        .variant("B", || Ok(Default::default()))
                })
                .collect(),
        })
    }

    fn spawn(&self, plan: &WorkerPlan) -> harness::error::Result<Vec<(String, ProcessSamples)>> {
        if self.fail == Some(plan.experiment.as_str()) {
            return Err(harness::HarnessError::Variant {
                experiment: plan.experiment.clone(),
                case: "-".into(),
                variant: "-".into(),
                reason: "worker died".into(),
            });
        }
        Ok(plan
            .cases
            .iter()
            .map(|label| {
                self.processes
                    .borrow_mut()
                    .push((plan.experiment.clone(), label.clone(), plan.process));
                let ratios: Vec<f64> = label.split('/').map(|r| r.parse().unwrap()).collect();
                let b = ratios[plan.process % ratios.len()];
                let n = 40;
                // Tiny deterministic jitter so intervals have a width.
                let a: Vec<f64> = (0..n).map(|i| 1.0 + 1e-4 * ((i * 7) % 5) as f64).collect();
                let bs: Vec<f64> = a.iter().map(|x| x * b).collect();
                let ctl: Vec<f64> = (0..n).map(|i| 1.0 + 1e-4 * ((i * 3) % 5) as f64).collect();
                let p = ProcessSamples {
                    samples: vec![a.clone(), bs.clone(), ctl],
                    walls: vec![a, bs.clone(), bs],
                    usage: vec![Default::default(); 3],
                    counters: vec![Vec::new(); 3],
                    checksum: 7,
                    rounds: n,
                    stop: StopReason::RoundCap { rounds: n },
                    load: Some(Load {
                        others: if self.busy && plan.process == 0 { 0.9 } else { 0.0 },
                        steal: 0.0,
                        load_average: 0.0,
                        storage: 0.0,
                    }),
                    elapsed_s: 0.01,
                    residency: None,
                };
                (label.clone(), p)
            })
            .collect())
    }
}

fn processes_of(lab: &Scripted, experiment: &str, case: &str) -> usize {
    lab.processes
        .borrow()
        .iter()
        .filter(|(e, c, _)| e == experiment && c == case)
        .count()
}

fn scripted(cases: Vec<&'static str>, claim: Claim) -> Scripted {
    Scripted {
        cases,
        claim,
        busy: false,
        fail: None,
        processes: RefCell::new(Vec::new()),
    }
}

#[test]
fn cases_are_extended_to_the_cap_their_reason_allows() {
    let cfg = Config::full(default_in_force());
    // "1.5": every process agrees with the claim, so three suffice. "0.9/1.1":
    // the processes disagree; the interval stays wide and across the ±2 %
    // margin, so the case goes to the edge cap (8). As the headline (first
    // case) with an effect under 5 % it gets no headline extension.
    let lab = scripted(vec!["0.9/1.1", "1.5"], Claim::ratio("B 50 % slower", 1.5));
    let m = campaign::measure(&lab, &[Job::experiment("X", cfg.seed)], &cfg, &mut |_| {});
    assert!(m[0].failed.is_none(), "{:?}", m[0].failed);
    assert_eq!(processes_of(&lab, "X", "1.5"), cfg.processes);
    assert_eq!(processes_of(&lab, "X", "0.9/1.1"), cfg.edge_processes);
    // A headline-sized effect on the claim band's edge goes to the headline cap.
    let lab = scripted(vec!["0.6/0.8", "1.5"], Claim::ratio("B 30 % faster", 0.7));
    campaign::measure(&lab, &[Job::experiment("Y", cfg.seed)], &cfg, &mut |_| {});
    assert_eq!(processes_of(&lab, "Y", "0.6/0.8"), cfg.headline_processes);
    // A busy first process is replaced: one more, so that `processes`
    // quiet ones make the estimate — not more, even though it stays busy.
    let mut lab = scripted(vec!["1.5"], Claim::ratio("B 50 % slower", 1.5));
    lab.busy = true;
    let job = Job::experiment("Z", cfg.seed);
    let mut m = campaign::measure(&lab, std::slice::from_ref(&job), &cfg, &mut |_| {});
    assert_eq!(processes_of(&lab, "Z", "1.5"), cfg.processes + 1);
    let e = record(&lab, &job, &mut m[0], &cfg);
    let r = e.cases[0].replication.as_ref().expect("replicated");
    assert_eq!((r.replaced, r.busy, r.process_rounds.len()), (1, 0, cfg.processes));
}

#[test]
fn a_failed_job_stops_alone() {
    let cfg = Config::full(default_in_force());
    let mut lab = scripted(vec!["1.5"], Claim::ratio("B 50 % slower", 1.5));
    lab.fail = Some("BAD");
    let jobs = [Job::experiment("BAD", cfg.seed), Job::experiment("OK", cfg.seed)];
    let m = campaign::measure(&lab, &jobs, &cfg, &mut |_| {});
    assert!(
        m[0].failed.as_deref().is_some_and(|w| w.contains("worker died")),
        "{:?}",
        m[0].failed
    );
    assert!(m[1].failed.is_none());
    assert_eq!(processes_of(&lab, "OK", "1.5"), cfg.processes);
}

#[test]
fn shards_partition_the_catalog_and_resume_skips_recorded_entries() {
    let ids: Vec<usize> = (0..11).collect();
    let mut all: Vec<usize> = (1..=3).flat_map(|k| campaign::shard(ids.clone(), k, 3)).collect();
    assert_eq!(campaign::shard(ids.clone(), 2, 3), vec![1, 4, 7, 10]);
    all.sort();
    assert_eq!(all, ids, "three shards cover every item once");
    assert!(campaign::shard(ids.clone(), 4, 3).is_empty());
    let mut c = Campaign {
        schema: harness::ledger::SCHEMA,
        id: "c".into(),
        mode: Mode::Quick,
        started: String::new(),
        finished: None,
        environment: harness::env::capture(),
        calibration: default_in_force(),
        rule: Some(Config::full(default_in_force()).rule()),
        storage_profile: None,
        entries: Vec::new(),
    };
    assert_eq!(campaign::remaining(&c, &["H01", "H02"]), vec!["H01", "H02"]);
    let lab = scripted(vec!["1.5"], Claim::ratio("B 50 % slower", 1.5));
    let cfg = Config::full(default_in_force());
    let mut m = campaign::measure(&lab, &[Job::experiment("H01", cfg.seed)], &cfg, &mut |_| {});
    c.entries
        .push(record(&lab, &Job::experiment("H01", cfg.seed), &mut m[0], &cfg));
    assert_eq!(campaign::remaining(&c, &["H01", "H02"]), vec!["H02"]);
}

#[test]
fn progress_counts_extension_passes_in_what_is_left() {
    let cfg = Config::full(default_in_force());
    let jobs = [Job::experiment("A", cfg.seed), Job::experiment("B", cfg.seed)];
    let mut p = campaign::Progress::new(&jobs, &cfg, None);
    assert_eq!(p.remaining(), 2 * cfg.processes);
    for pass in 0..cfg.processes {
        let line = p.finished(&jobs[0], pass, false);
        assert!(line.starts_with(&format!("pass {} · A · ", pass + 1)), "{line}");
    }
    assert_eq!(p.remaining(), cfg.processes, "A is done, B's three are left");
    // A takes an extension pass: it is counted, and nothing goes negative.
    let line = p.finished(&jobs[0], cfg.processes, true);
    assert!(line.contains("(extension)") && line.contains("left"), "{line}");
    assert_eq!(p.remaining(), cfg.processes);
    // A previous campaign where B took eight processes: eight are expected.
    let lab = scripted(vec!["0.9/1.1"], Claim::ratio("B 50 % slower", 1.5));
    let mut m = campaign::measure(&lab, &[Job::experiment("B", cfg.seed)], &cfg, &mut |_| {});
    let mut c = Campaign {
        schema: harness::ledger::SCHEMA,
        id: "prev".into(),
        mode: Mode::Full,
        started: String::new(),
        finished: None,
        environment: harness::env::capture(),
        calibration: default_in_force(),
        rule: None,
        storage_profile: None,
        entries: Vec::new(),
    };
    c.entries
        .push(record(&lab, &Job::experiment("B", cfg.seed), &mut m[0], &cfg));
    let p = campaign::Progress::new(&jobs, &cfg, Some(&c));
    assert_eq!(p.remaining(), cfg.processes + cfg.edge_processes);
}

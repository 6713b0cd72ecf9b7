//! Replication across processes, as campaigns run it: `run_experiment`
//! hands each process's plan to a spawner (here in-process, standing in for
//! `lab worker`), pools the processes, adds the A/A control and the margin.

use harness::calibration::{iterations_for, synthetic_case};
use harness::protocol::WorkerPlan;
use harness::runner::{case_seed, measure_case, run_experiment, Config, ProcessSamples};
use harness::{Claim, Metric, Spec};
use std::time::Duration;

fn spec() -> Spec {
    Spec {
        id: "R".into(),
        title: "replication".into(),
        hypothesis: "B does half as much work again".into(),
        source: "test".into(),
        claim: Claim::ratio("B 50 % slower", 1.5),
        fixtures: Vec::new(),
        metric: Metric::WallTime,
        explanation: None,
    }
}

#[test]
fn cases_are_measured_in_several_processes_with_a_control() {
    let iters = iterations_for(Duration::from_micros(300));
    let build = |label: &str| synthetic_case(label.to_owned(), iters, 0.5);
    let mut cfg = Config::quick(harness::calibration::default_in_force());
    cfg.budget = Duration::from_millis(300);
    let mut cases = vec![build("one"), build("two")];
    let mut plans: Vec<WorkerPlan> = Vec::new();
    let mut spawn = |plan: &WorkerPlan| -> harness::error::Result<Vec<(String, ProcessSamples)>> {
        plans.push(plan.clone());
        // A fresh "process": the cases are built again, as a worker would.
        plan.cases
            .iter()
            .map(|label| {
                let mut c = build(label);
                let seed = case_seed(plan.seed, &plan.experiment, label, plan.process);
                let cfg = Config {
                    min_rounds: plan.min_rounds,
                    max_rounds: plan.max_rounds,
                    control: plan.control,
                    ..Config::quick(harness::calibration::default_in_force())
                };
                let p = measure_case(
                    &plan.experiment,
                    &mut c,
                    &cfg,
                    Duration::from_secs_f64(plan.budget_s),
                    plan.target_half_width,
                    seed,
                )?;
                Ok((label.clone(), p))
            })
            .collect()
    };
    let entry = run_experiment(&spec(), &mut cases, Vec::new(), &cfg, Some(&mut spawn), None).unwrap();
    assert!(plans.len() >= cfg.processes && plans.len() <= cfg.most_processes());
    assert_eq!(plans[0].cases, vec!["one".to_string(), "two".to_string()]);
    let seeds: Vec<usize> = plans.iter().map(|p| p.process).collect();
    assert_eq!(
        seeds,
        (0..plans.len()).collect::<Vec<_>>(),
        "each process is a new replicate"
    );
    for case in &entry.cases {
        let r = case.replication.as_ref().expect("replicated");
        assert!(r.process_rounds.len() >= 3, "{:?}", r.process_rounds);
        let pooled: usize = r.process_rounds.iter().sum();
        assert_eq!(case.variants[0].samples.len(), pooled);
        let control = r.control.as_ref().expect("an A/A control");
        assert_eq!(control.samples.len(), pooled);
        assert!(r.margin >= 0.02);
        // B does 1.5× A's work in the same rounds: the ratio shows it, busy or not.
        assert!(
            case.comparisons[0].effect.ratio > 1.2,
            "{:?}",
            case.comparisons[0].effect
        );
    }
}

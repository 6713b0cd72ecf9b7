//! `lab calibrate`: the false-positive rate and power of the experiments'
//! own rule on real cases of each workload family, written to
//! `reports/calibration.json` (see [`harness::calibration`]).

use super::{bar, Outcome};
use crate::workspace::Workspace;
use crate::{registry, Ctx};
use harness::calibration::{self, substitute, Family};
use harness::campaign::{Event, Job, Lab, Unit};
use harness::ledger;
use harness::protocol::Transform;
use harness::protocol::{Tier, WorkerPlan};
use harness::runner::ProcessSamples;
use harness::{Claim, Metric, Spec};
use std::process::ExitCode;
use std::time::Instant;

/// The real cases that stand for each workload family (full-mode labels).
pub fn families() -> Vec<Family> {
    let f = |name: &str, experiment: &str, case: &str| Family {
        name: name.into(),
        experiment: experiment.into(),
        case: case.into(),
    };
    vec![
        f("warm I/O", "H04", "16 MiB parse, warm"),
        f("cold I/O", "H04", "1 MiB parse, cold"),
        f(
            "CPU conversion",
            "H02",
            "embeddings.word_embeddings.weight (11.7 M elements)",
        ),
        f("allocation-heavy", "H09", "model.safetensors (104 tensors)"),
    ]
}

fn spec_for(fam: &Family, t: Transform) -> Spec {
    let claim = match t {
        Transform::Inject(p) => Claim::ratio(format!("{:.0} % slower (injected)", p * 100.0), 1.0 + p),
        _ => Claim::no_effect("A/A: no effect"),
    };
    Spec {
        id: fam.experiment.clone(),
        title: format!("calibration: {}", fam.name),
        hypothesis: format!("{} · {}", fam.experiment, fam.case),
        source: "lab calibrate".into(),
        claim,
        fixtures: Vec::new(),
        metric: Metric::WallTime,
        equal_work: None,
        explanation: None,
    }
}

/// A calibration's jobs as the scheduler's lab: each family's real case,
/// turned into an A/A pair or given its injected slow-down, judged under a
/// declaration of its own ([`spec_for`]).
struct Calibrating<'w> {
    workers: super::campaign::Workers<'w>,
    families: &'w [Family],
}

impl Lab for Calibrating<'_> {
    fn unit(&self, job: &Job) -> Result<Unit<'_>, String> {
        let fam = self
            .families
            .iter()
            .find(|f| Some(&f.case) == job.only.as_ref() && f.experiment == job.experiment)
            .ok_or_else(|| format!("{}: no family for case {:?}", job.experiment, job.only))?;
        let exp = registry::find(&fam.experiment).ok_or_else(|| format!("no experiment {:?}", fam.experiment))?;
        let pick = || {
            (exp.build)(self.workers.ctx)
                .cases
                .into_iter()
                .find(|c| c.label == fam.case)
        };
        let missing = || format!("{} · {}: case not built (fixture missing?)", fam.experiment, fam.case);
        let case =
            substitute(pick().ok_or_else(missing)?, pick().ok_or_else(missing)?, job.transform).ok_or_else(missing)?;
        Ok(Unit {
            spec: spec_for(fam, job.transform),
            cases: vec![case],
        })
    }

    fn spawn(&self, plan: &WorkerPlan) -> harness::error::Result<Vec<(String, ProcessSamples)>> {
        self.workers.spawn(plan)
    }
}

/// Runs the plan (`quick`: a smoke test, not saved) with the full
/// campaign's rule.
pub fn run(ws: &Workspace, quick: bool) -> Outcome {
    let plan = if quick {
        calibration::Plan::quick()
    } else {
        calibration::Plan::full()
    };
    // As in a campaign: children start from a private copy of this binary.
    let _pinned = super::pin_exe()?;
    let mut ctx = Ctx::new(ws.store()?, Tier::Full);
    ctx.evidence = false;
    let cfg = super::campaign::config(ws, Tier::Full);
    let fams = families();
    let total = fams.len() * (plan.aa_per_family + plan.slowdowns.len() * plan.runs_per_slowdown);
    let bar = bar(
        (total * cfg.processes) as u64,
        "{spinner} calibrate [{bar:25}] {pos}/{len} worker runs, extensions not counted (ETA {eta}) {msg}",
    )?;
    let started = Instant::now();
    let lab = Calibrating {
        workers: super::campaign::Workers {
            ws,
            ctx: &ctx,
            served: None,
            servers: Vec::new(),
        },
        families: &fams,
    };
    let c = calibration::calibrate(&plan, &cfg, &fams, &lab, &mut |ev| match ev {
        Event::Spawning { pass, job, .. } => {
            let what = match job.transform {
                Transform::Inject(p) => format!("+{:.0} %", p * 100.0),
                _ => "A/A".into(),
            };
            bar.set_message(format!("pass {} · {} {what}", pass + 1, job.experiment));
        }
        Event::Spawned { .. } => bar.inc(1),
        Event::Pass { .. } => {}
    })?;
    bar.finish_and_clear();
    if !quick {
        ledger::write_atomic(&ws.calibration_path(), serde_json::to_string_pretty(&c)?.as_bytes())?;
    }
    println!(
        "rule: margin ±{:.1} %, target ±{:.1} %, {}–{} processes ({} on a verdict's edge, {} for a headline there), {:.1} s per case, A/A control {}",
        c.rule.min_margin * 100.0,
        c.rule.target_half_width * 100.0,
        c.rule.processes.0,
        c.rule.processes.1,
        c.rule.edge_processes,
        c.rule.headline_processes,
        c.rule.budget_s,
        if c.rule.control { "on" } else { "off" }
    );
    println!(
        "A/A: {} decisions, {} false positives (95 % upper bound {:.2} %), {} ended \"no effect\" ({:.1} %); {} decisions on a busy machine",
        c.aa_runs,
        c.aa_false_positives,
        c.aa_fp_upper95 * 100.0,
        c.aa_no_effect,
        c.aa_no_effect as f64 / c.aa_runs.max(1) as f64 * 100.0,
        c.busy_decisions
    );
    for f in &c.families {
        let power: Vec<String> = f
            .power
            .iter()
            .map(|p| format!("+{:.0} %: {}/{}", p.slowdown * 100.0, p.detected, p.runs))
            .collect();
        println!(
            "  {:<17} {} · {}: A/A {} FP of {}, no effect {}; detected {}; MDE {}; {:.1} s per decision",
            f.family.name,
            f.family.experiment,
            f.family.case,
            f.aa_false_positives,
            f.aa_runs,
            f.aa_no_effect,
            power.join(", "),
            f.mde.map_or("none".into(), |m| format!("{:.0} %", m * 100.0)),
            f.aa_median_seconds
        );
    }
    println!("took {:.0} s", started.elapsed().as_secs_f64());
    if !quick {
        println!("wrote {}", ws.calibration_path().display());
    }
    Ok(ExitCode::SUCCESS)
}

//! `lab worker`: one replicate of some cases of one experiment, in this
//! fresh process — what campaigns and calibration spawn (see
//! [`harness::protocol::WorkerPlan`]) — and the parent side that spawns it.

use super::{this_exe, Outcome};
use crate::workspace::Workspace;
use crate::{registry, Ctx};
use harness::calibration::substitute;
use harness::protocol::{Transform, WorkerPlan, WORKER_REPORT};
use harness::runner::{case_seed, measure_case, Config, ProcessSamples};
use harness::HarnessError;
use std::process::{Command, ExitCode};
use std::time::Duration;

/// Measures the plan's cases and prints the report line.
pub fn run(ws: &Workspace, plan: &str) -> Outcome {
    let plan: WorkerPlan = serde_json::from_str(plan)?;
    let exp = registry::find(&plan.experiment).ok_or_else(|| format!("no experiment {}", plan.experiment))?;
    exp.set_allocator()?;
    let mut ctx = Ctx::new(ws.store()?, plan.tier);
    // Evidence is the campaign's business, recorded once in its own process.
    ctx.evidence = false;
    let mut cases = (exp.build)(&ctx).cases;
    if plan.transform != Transform::AsDeclared {
        // B becomes a second, separately built instance of A.
        let mut second = (exp.build)(&ctx).cases;
        cases = cases
            .into_iter()
            .filter_map(|c| {
                let i = second.iter().position(|s| s.label == c.label)?;
                substitute(c, second.swap_remove(i), plan.transform)
            })
            .collect();
    }
    let mut cfg = Config::full(harness::calibration::default_in_force());
    cfg.min_rounds = plan.min_rounds;
    cfg.max_rounds = plan.max_rounds;
    cfg.control = plan.control;
    let mut out: Vec<(String, ProcessSamples)> = Vec::new();
    for label in &plan.cases {
        let case = cases
            .iter_mut()
            .find(|c| &c.label == label)
            .ok_or_else(|| format!("{}: no case {label:?}", plan.experiment))?;
        let seed = case_seed(plan.seed, &plan.experiment, label, plan.process);
        let p = measure_case(
            &plan.experiment,
            case,
            &cfg,
            Duration::from_secs_f64(plan.budget_s),
            plan.target_half_width,
            seed,
        )?;
        out.push((label.clone(), p));
    }
    println!("{WORKER_REPORT}{}", serde_json::to_string(&out)?);
    Ok(ExitCode::SUCCESS)
}

/// Runs `plan` in a fresh `lab worker` process and reads its report.
pub fn spawn(
    ws: &Workspace,
    plan: &WorkerPlan,
    served: Option<&std::path::Path>,
    servers: &[u32],
) -> harness::error::Result<Vec<(String, ProcessSamples)>> {
    let fail = |reason: String| HarnessError::Variant {
        experiment: plan.experiment.clone(),
        case: plan.cases.join(", "),
        variant: format!("worker process {}", plan.process + 1),
        reason,
    };
    let json = serde_json::to_string(plan).map_err(|e| fail(e.to_string()))?;
    let mut cmd = Command::new(this_exe());
    cmd.arg("--root").arg(&ws.root).args(["worker", "--plan", &json]);
    // The worker reads the fixtures where the storage profile serves them.
    match served {
        Some(root) => cmd.env(fixtures::STORAGE_ROOT_VAR, root),
        None => cmd.env_remove(fixtures::STORAGE_ROOT_VAR),
    };
    // Its load meter counts the storage's servers as the storage's work.
    let pids: Vec<String> = servers.iter().map(u32::to_string).collect();
    cmd.env(harness::load::STORAGE_PIDS_VAR, pids.join(","));
    let o = cmd
        .output()
        .map_err(|e| fail(format!("cannot start {}: {e}", this_exe().display())))?;
    let stdout = String::from_utf8_lossy(&o.stdout);
    let report = stdout.lines().find_map(|l| l.strip_prefix(WORKER_REPORT));
    match (o.status.success(), report) {
        (true, Some(r)) => serde_json::from_str(r).map_err(|e| fail(format!("unreadable report: {e}"))),
        _ => Err(fail(format!(
            "exited with {}: {}",
            o.status,
            String::from_utf8_lossy(&o.stderr).trim()
        ))),
    }
}

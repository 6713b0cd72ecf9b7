//! `lab calibrate`: the false-positive rate and power of the experiments'
//! own rule on real cases of each workload family, written to
//! `reports/calibration.json` (see [`harness::calibration`]).

use super::{bar, worker, Outcome};
use crate::workspace::Workspace;
use crate::{registry, Ctx};
use harness::calibration::{self, substitute, Family};
use harness::ledger;
use harness::protocol::Transform;
use harness::runner::{assemble, replicate};
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
        explanation: None,
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
    let mut ctx = Ctx::new(ws.store()?, false);
    ctx.evidence = false;
    let cfg = super::campaign::config(ws, false);
    let fams = families();
    let total = fams.len() * (plan.aa_per_family + plan.slowdowns.len() * plan.runs_per_slowdown);
    let bar = bar(
        total as u64,
        "{spinner} calibrate [{bar:25}] {pos}/{len} (ETA {eta}) {msg}",
    )?;
    let started = Instant::now();
    let c = calibration::calibrate(
        &plan,
        &cfg,
        &fams,
        |fam, t, i| {
            let exp = registry::find(&fam.experiment).ok_or_else(|| harness::HarnessError::Variant {
                experiment: fam.experiment.clone(),
                case: fam.case.clone(),
                variant: "-".into(),
                reason: "no such experiment".into(),
            })?;
            let pick = || (exp.build)(&ctx).cases.into_iter().find(|c| c.label == fam.case);
            let missing = || harness::HarnessError::Variant {
                experiment: fam.experiment.clone(),
                case: fam.case.clone(),
                variant: "-".into(),
                reason: "case not built (fixture missing?)".into(),
            };
            let case = substitute(pick().ok_or_else(missing)?, pick().ok_or_else(missing)?, t).ok_or_else(missing)?;
            let spec = spec_for(fam, t);
            let mut dcfg = super::campaign::config(ws, false);
            dcfg.seed = cfg.seed ^ (i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let cases = [case];
            let mut spawn = |p: &harness::protocol::WorkerPlan| worker::spawn(ws, p, false);
            let start = Instant::now();
            let procs = replicate(&spec, &cases, &[0], &dcfg, &mut spawn, t, None)?;
            let [case] = cases;
            let [p] = <[_; 1]>::try_from(procs).map_err(|_| missing())?;
            assemble(&spec, &case, p, &dcfg, start)
        },
        |i, _, label| {
            bar.set_position(i as u64);
            bar.set_message(label.to_owned());
        },
    )?;
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

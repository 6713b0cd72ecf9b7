//! `lab calibrate`: this machine's noise floor, A/A false-positive rate and
//! minimum detectable effect, written to `reports/calibration.json`.

use super::{bar, Outcome};
use crate::workspace::Workspace;
use harness::calibration;
use harness::ledger;
use std::process::ExitCode;

/// Runs the calibration plan (`quick`: a short one, not saved).
pub fn run(ws: &Workspace, quick: bool) -> Outcome {
    let plan = if quick {
        calibration::Plan::quick()
    } else {
        calibration::Plan::full()
    };
    let bar = bar(
        (plan.aa_runs + plan.aa_test_runs + plan.slowdowns.len() * plan.slowdown_runs) as u64,
        "{spinner} calibrate [{bar:25}] {pos}/{len} (ETA {eta}) {msg}",
    )?;
    let c = calibration::calibrate(&plan, |i, _, label| {
        bar.set_position(i as u64);
        bar.set_message(label.to_owned());
    })?;
    bar.finish_and_clear();
    let text = serde_json::to_string_pretty(&c)?;
    if !quick {
        ledger::write_atomic(&ws.calibration_path(), text.as_bytes())?;
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
        println!("wrote {}", ws.calibration_path().display());
    }
    Ok(ExitCode::SUCCESS)
}

//! `lab trial`: one variant of one case, `reps` times, in this process —
//! what callgrind, strace and the gate run in fresh processes.

use super::{Outcome, TrialArgs};
use crate::workspace::Workspace;
use crate::{gate, registry, Ctx};
use harness::{Case, Metric};
use std::process::ExitCode;

/// Runs the trial. With `timed`, prints `trial-seconds: S`: seconds per
/// repetition of the variant alone (building the case is not timed).
pub fn run(ws: &Workspace, t: &TrialArgs) -> Outcome {
    let mut ctx = Ctx::new(ws.store()?, t.tier);
    ctx.evidence = false;
    if t.experiment == gate::ID {
        // Only the requested case is built, so nothing else shares the process.
        let mut case = gate::build_one(&ctx, Metric::WallTime, &t.case)?;
        return run_variant(&mut case, t);
    }
    let exp = registry::find(&t.experiment).ok_or_else(|| format!("no experiment {}", t.experiment))?;
    exp.set_allocator()?;
    let mut cases = (exp.build)(&ctx).cases;
    let case = cases
        .iter_mut()
        .find(|c| c.label == t.case)
        .ok_or_else(|| format!("{}: no case {:?}", t.experiment, t.case))?;
    run_variant(case, t)
}

fn run_variant(case: &mut Case<'_>, t: &TrialArgs) -> Outcome {
    let v = case
        .variants
        .iter_mut()
        .find(|v| v.name == t.variant)
        .ok_or_else(|| format!("{}: no variant {:?}", t.experiment, t.variant))?;
    let start = std::time::Instant::now();
    for _ in 0..t.reps {
        (v.run)().map_err(|e| format!("{}: {e}", t.variant))?;
    }
    if t.timed {
        println!(
            "{}{:.9e}",
            harness::protocol::TRIAL_SECONDS,
            start.elapsed().as_secs_f64() / f64::from(t.reps.max(1))
        );
    }
    Ok(ExitCode::SUCCESS)
}

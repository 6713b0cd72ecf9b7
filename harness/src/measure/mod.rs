//! How a value is taken: wall clock, resource usage and peak memory around
//! one run of a variant (in process), or instructions under callgrind (in a
//! child process).

pub mod callgrind;
pub mod strace;

/// A fresh path in the temporary folder for a tool's output file
/// (`loadlab-TOOL-PID-N.out`), unique within this process.
pub(crate) fn scratch_file(tool: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("loadlab-{tool}-{}-{n}.out", std::process::id()))
}

use crate::experiment::{Metric, Outcome};
use crate::platform::{self, Usage};
use std::time::Instant;

/// One timed run of one variant.
#[derive(Debug)]
pub struct Trial {
    /// The metric's value for this trial.
    pub value: f64,
    /// Wall-clock seconds of the trial.
    pub wall_s: f64,
    /// Resource usage during the trial.
    pub usage: Usage,
    /// Peak RSS above the RSS at the start of the trial, when measured.
    pub peak_extra_bytes: Option<u64>,
    /// What the variant returned.
    pub outcome: Outcome,
}

/// Runs `run` once and measures it. For [`Metric::PeakMemory`], free heap
/// memory is first returned to the kernel and the high-water mark reset
/// (`/proc/self/clear_refs`), so the value is what this trial added on top
/// of the process's resident memory (see [`platform::release_free_memory`]).
/// The allocator keeps its default tuning: pinning glibc's mmap threshold
/// would make every mid-sized buffer a fresh mapping, which changes the
/// wall time of allocation-heavy variants (H10 flipped under it).
pub fn trial(run: &mut dyn FnMut() -> crate::experiment::VariantResult, metric: Metric) -> Result<Trial, String> {
    let memory = metric == Metric::PeakMemory;
    let rss0 = if memory {
        platform::release_free_memory();
        if !platform::reset_peak_rss() {
            return Err("cannot reset the peak-RSS mark (/proc/self/clear_refs)".into());
        }
        platform::rss_bytes()
    } else {
        None
    };
    let u0 = Usage::now();
    let t0 = Instant::now();
    let mut outcome = run().map_err(|e| e.to_string())?;
    let wall_s = t0.elapsed().as_secs_f64();
    let usage = Usage::now().since(&u0);
    // The peak is read before the digest, so what the digest allocates
    // (a JSON string, a copy) is not counted as the trial's memory.
    let peak_extra_bytes = match (rss0, memory.then(platform::peak_rss_bytes).flatten()) {
        (Some(r0), Some(p)) => Some(p.saturating_sub(r0)),
        _ => None,
    };
    // After the clock: the whole output is digested, so equal work is
    // checked on every byte without the digest diluting the ratio.
    outcome.settle();
    let value = match metric {
        Metric::WallTime | Metric::Instructions => outcome.measured_s.unwrap_or(wall_s),
        Metric::PeakMemory => peak_extra_bytes.unwrap_or(0) as f64,
    };
    Ok(Trial {
        value,
        wall_s,
        usage,
        peak_extra_bytes,
        outcome,
    })
}

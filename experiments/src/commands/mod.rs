//! What each `lab` subcommand does. `src/bin/lab.rs` parses arguments and
//! calls one function here; everything these share (the workspace, trial
//! arguments, progress lines) lives in this module.

pub mod advise;
pub mod calibrate;
pub mod campaign;
pub mod compare;
pub mod fixtures;
pub mod gate;
pub mod list;
pub mod show;
pub mod stability;
pub mod trial;
pub mod worker;

use indicatif::ProgressBar;
use std::path::{Path, PathBuf};

/// The error of a command: a sentence for the user.
pub type Error = Box<dyn std::error::Error>;

/// What a command ends with: an exit code.
pub type Outcome = Result<std::process::ExitCode, Error>;

/// Exit code for a run that finished but found failures (a fixture that
/// could not be made, an experiment that failed).
pub const EXIT_FAILED: u8 = 1;
/// Exit code for a command that could not run at all (bad arguments,
/// unknown ids, no workspace).
pub const EXIT_USAGE: u8 = 2;

pub use harness::protocol::TrialArgs;

/// The private copy of this binary that child processes start from, once
/// [`pin_exe`] made it.
static PINNED: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// This binary, for child processes: the private copy [`pin_exe`] made, if
/// any, else the file this process was started from.
pub fn this_exe() -> PathBuf {
    if let Some(p) = PINNED.get() {
        return p.clone();
    }
    std::env::current_exe().unwrap_or_else(|_| PathBuf::from("lab"))
}

/// Where private copies of the binary live: one folder per process,
/// `loadlab-lab-<pid>`, under the system's temporary folder.
const PIN_PREFIX: &str = "loadlab-lab-";

/// The private copy's folder; removed when dropped (at the end of the command).
pub struct Pinned(Option<tempfile::TempDir>);

/// Copies the running binary into a private folder and makes every child
/// process (workers, trials, callgrind and strace runs) start from that
/// copy. A campaign runs for half an hour: a `cargo build` in the checkout
/// meanwhile replaces `target/release/lab`, and workers started from that
/// path would fail (the file is gone) or, worse, measure other code than
/// the campaign records. The copy is read from `/proc/self/exe`, which
/// names the running program even after its file was replaced. Folders
/// left by processes that no longer exist (a campaign killed with SIGKILL)
/// are removed first.
pub fn pin_exe() -> Result<Pinned, Error> {
    if let Some(copy) = PINNED.get() {
        // Pinned once per process: a second copy would be of the same
        // binary, and the first one's guard decides when it goes.
        return if copy.exists() {
            Ok(Pinned(None))
        } else {
            Err(format!("the pinned copy {} of this binary is gone", copy.display()).into())
        };
    }
    let tmp = std::env::temp_dir();
    if let Ok(rd) = std::fs::read_dir(&tmp) {
        for e in rd.flatten() {
            let name = e.file_name();
            let Some(pid) = name
                .to_str()
                .and_then(|n| n.strip_prefix(PIN_PREFIX))
                .and_then(|p| p.parse::<u32>().ok())
            else {
                continue;
            };
            if !Path::new(&format!("/proc/{pid}")).exists() {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    let src = if Path::new("/proc/self/exe").exists() {
        PathBuf::from("/proc/self/exe")
    } else {
        std::env::current_exe()?
    };
    let dir = tempfile::Builder::new()
        .prefix(&format!("{PIN_PREFIX}{}", std::process::id()))
        .rand_bytes(0)
        .tempdir_in(&tmp)
        .or_else(|_| tempfile::Builder::new().prefix(PIN_PREFIX).tempdir_in(&tmp))?;
    let copy = dir.path().join("lab");
    std::fs::copy(&src, &copy).map_err(|e| format!("cannot copy {} to {}: {e}", src.display(), copy.display()))?;
    if PINNED.set(copy).is_err() {
        // Already pinned by an earlier call: keep that copy, drop this one.
        return Ok(Pinned(None));
    }
    Ok(Pinned(Some(dir)))
}

impl Drop for Pinned {
    fn drop(&mut self) {
        if let Some(d) = self.0.take() {
            let _ = d.close();
        }
    }
}

/// Prints above the progress bar, or plainly when there is no terminal
/// (a CI log gets one line per event).
pub fn say(bar: &ProgressBar, line: String) {
    if bar.is_hidden() {
        println!("{line}");
    } else {
        bar.println(line);
    }
}

/// A progress bar that draws on a terminal and stays silent in a log.
pub fn bar(len: u64, template: &str) -> Result<ProgressBar, Error> {
    let bar = ProgressBar::new(len);
    bar.set_style(indicatif::ProgressStyle::with_template(template)?.progress_chars("=> "));
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    Ok(bar)
}

//! What each `lab` subcommand does. `src/bin/lab.rs` parses arguments and
//! calls one function here; everything these share (the workspace, trial
//! arguments, progress lines) lives in this module.

pub mod calibrate;
pub mod campaign;
pub mod compare;
pub mod fixtures;
pub mod gate;
pub mod list;
pub mod stability;
pub mod trial;
pub mod worker;

use indicatif::ProgressBar;
use std::path::PathBuf;

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

/// This binary, for child processes.
pub fn this_exe() -> PathBuf {
    std::env::current_exe().unwrap_or_else(|_| PathBuf::from("lab"))
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

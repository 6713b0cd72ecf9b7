//! `lab`: fetch fixtures, run the campaign, render reports, gate regressions.

use clap::{Parser, Subcommand};
use fixtures::{Status, Store};
use indicatif::{ProgressBar, ProgressStyle};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "lab",
    version,
    about = "loadlab: A/B experiments on the loading of ML model files"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Fetch, derive and verify every fixture of the manifest, and write goldens.
    Fixtures {
        /// Only fixtures with this tag (e.g. `default`, `h05`).
        #[arg(long)]
        tag: Option<String>,
        /// Print only the summary.
        #[arg(long)]
        quiet: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Fixtures { tag, quiet } => fixtures_cmd(tag.as_deref(), quiet),
    }
}

fn fixtures_cmd(tag: Option<&str>, quiet: bool) -> ExitCode {
    let store = match Store::open_default() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let chosen: Vec<_> = store
        .manifest
        .fixtures
        .iter()
        .filter(|f| tag.is_none_or(|t| f.has_tag(t)))
        .collect();
    let total: u64 = chosen.iter().map(|f| f.bytes).sum();
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{spinner} fixtures [{bar:30}] {bytes}/{total_bytes} ({eta}) {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    if quiet {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let mut missing = Vec::new();
    let mut ready = 0u64;
    for f in &chosen {
        bar.set_message(f.name.clone());
        match store.ensure(&f.name) {
            Status::Ready(p) => {
                ready += 1;
                if !quiet {
                    say(&bar, format!("ok      {:>12}  {}  ({})", f.bytes, f.name, p.display()));
                }
            }
            Status::Missing(why) => {
                say(&bar, format!("MISSING {:>12}  {}: {why}", f.bytes, f.name));
                missing.push((f.name.clone(), why));
            }
        }
        bar.inc(f.bytes);
    }
    bar.finish_and_clear();
    println!(
        "fixtures: {ready} ready, {} missing, {} in the manifest; cache {}",
        missing.len(),
        chosen.len(),
        store.cache.display()
    );
    for (name, why) in &missing {
        println!("  skipped {name}: {why}");
    }
    ExitCode::SUCCESS
}

/// Prints above the progress bar, or plainly when there is no terminal.
fn say(bar: &ProgressBar, line: String) {
    if bar.is_hidden() {
        println!("{line}");
    } else {
        bar.println(line);
    }
}

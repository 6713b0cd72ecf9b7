//! The `lab` command line's arguments (clap): every command and option with
//! its help text and an example. `src/bin/lab.rs` dispatches them.
#![allow(missing_docs)] // the doc comments are the help text; variant fields are documented there

use crate::commands::{campaign, gate};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "lab",
    version,
    about = "loadlab: A/B experiments on the loading of ML model files"
)]
pub struct Cli {
    /// The loadlab workspace (default: found from the current directory).
    #[arg(long, global = true)]
    pub root: Option<PathBuf>,
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Fetch, derive and verify the manifest's fixtures, and write goldens.
    #[command(after_help = concat!(
        "Examples:\n",
        "  lab fixtures --quiet          # all 67, a few minutes the first time (3 GB of wheels)\n",
        "  lab fixtures --tag default    # only what the quick campaign needs",
    ))]
    Fixtures {
        /// Only fixtures with this tag (e.g. `default`, `h05`).
        #[arg(long)]
        tag: Option<String>,
        /// Print only missing fixtures and the summary.
        #[arg(long)]
        quiet: bool,
    },
    /// Run the experiment campaign, write the ledger, then render the reports.
    ///
    /// A full campaign of H01–H28 took 45–54 minutes on a 2-core machine
    /// (the README's results block has the recorded times), H29–H35 add to
    /// it; `--quick` 2–4 minutes.
    #[command(after_help = concat!(
        "Examples:\n",
        "  lab run --quick               # CI-sized, 2–4 min\n",
        "  lab run                       # the full campaign, about an hour\n",
        "  lab run --only H14,H19        # some experiments\n",
        "  lab run --shard 2/4           # one of four slices (CI runners), merge with `lab merge`\n",
        "  lab run --only H29,H30 --storage local --storage slow:latency=2ms   # the same experiments on two storages\n",
        "  lab run --resume              # finish a campaign that was cut off",
    ))]
    Run {
        /// CI-sized cases and budgets: fewer cases, short budgets, no extension.
        #[arg(long)]
        quick: bool,
        /// Only these experiments (comma-separated ids, e.g. H01,H05).
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// Only the K-th of N deterministic slices of the catalog (e.g. 2/4).
        #[arg(long, value_parser = campaign::parse_shard)]
        shard: Option<(usize, usize)>,
        /// Only this group of EXPERIMENTS.md (e.g. `peers`: loadlab against candle-core,
        /// the safetensors crate, the Python references, openssl, and the machine's
        /// limits; left out unless asked for; its Rust peers need `--features peers`).
        #[arg(long)]
        group: Option<String>,
        /// Continue the newest unfinished campaign of the same mode.
        #[arg(long)]
        resume: bool,
        /// Do not fetch missing fixtures; run on what is present.
        #[arg(long)]
        offline: bool,
        /// Record a full campaign from a tree with uncommitted changes (marked dirty).
        #[arg(long)]
        allow_dirty: bool,
        /// Run on these storage profiles, one campaign each (repeat the flag, or
        /// separate them with `;`):
        /// local (the fixtures where they lie), tmpfs (a copy in memory: the upper
        /// limit), sshfs (SFTP over loopback to a private sshd), slow (a FUSE view
        /// with a remote store's costs: slow:latency=1ms,bandwidth=250MB/s,
        /// request=128KiB,in-flight=4). Campaigns on profiles other than local go
        /// to reports/ledger/storage/ and reports/storage.md.
        #[arg(long, value_delimiter = ';', value_parser = parse_profile)]
        storage: Vec<harness::storage::Profile>,
    },
    /// How to load one model file here: every way to read it cold (the storage's
    /// limit) and every backend's load of all its tensors, verified or not, on
    /// your machine, where the file lies or served through a storage profile.
    /// Prints the intervals and the advice; writes nothing.
    #[command(after_help = concat!(
        "Examples:\n",
        "  lab advise /models/llama-3.2-1b.Q4_K_M.gguf\n",
        "  lab advise model.safetensors --storage slow:latency=5ms --quick",
    ))]
    Advise {
        /// The model file (safetensors, GGUF, NPZ or .pth).
        file: PathBuf,
        /// Serve it through this storage profile (see `lab run --storage`).
        #[arg(long, value_parser = parse_profile)]
        storage: Option<harness::storage::Profile>,
        /// Short budgets: about a minute, wider intervals.
        #[arg(long)]
        quick: bool,
    },
    /// Render reports/*.md, reports/svg/*.svg, EXPERIMENTS.md, HYPOTHESES.md and the
    /// README's results block from the ledger and the spec pages (writes files).
    #[command(after_help = concat!(
        "Example:\n",
        "  lab report                    # about a second; the same ledger renders the same files",
    ))]
    Report,
    /// Print what the ledger says of one experiment: verdict, agreement, every
    /// comparison with its interval, and the explanation. Reads only.
    #[command(after_help = "Examples:\n  lab show H08\n  lab show p05")]
    Show {
        /// The experiment id (case-insensitive), e.g. H08.
        id: String,
    },
    /// A case's headline over every full campaign in the ledger, oldest first,
    /// with the change points found in it (the commit where a step happened).
    /// Reads only.
    #[command(after_help = concat!(
        "Examples:\n",
        "  lab history H11\n",
        "  lab history \"H14/model.safetensors (86.7 MiB), warm, wall time\""
    ))]
    History {
        /// ID, or ID/CASE LABEL for a case other than the headline.
        which: String,
    },
    /// Write the spec pages' current explanations into the experiments' newest
    /// ledger entries, then re-render (writes the ledger and the reports).
    #[command(after_help = concat!(
        "Example:\n",
        "  lab record-explanations       # after editing `## Why` in experiments/specs/H08.md",
    ))]
    RecordExplanations,
    /// Re-record the `strace -c` evidence of the newest ledger entries (writes the ledger).
    #[command(after_help = "Example:\n  lab evidence")]
    Evidence,
    /// Copy campaigns from other runners' ledgers (files or folders) into this one.
    #[command(after_help = "Example:\n  lab merge shard-1/reports/ledger shard-2/reports/ledger")]
    Merge {
        /// Campaign files or ledger folders to copy from.
        ledgers: Vec<PathBuf>,
    },
    /// Measure this machine's noise floor, A/A false-positive rate and minimum detectable effect.
    #[command(after_help = concat!(
        "Examples:\n",
        "  lab calibrate                 # about half an hour; writes reports/calibration.json\n",
        "  lab calibrate --quick         # a one-minute smoke test, writes nothing",
    ))]
    Calibrate {
        /// A smoke test: a handful of decisions, nothing written.
        #[arg(long)]
        quick: bool,
    },
    /// Compare the working tree with a base revision on this machine; exit 0 pass,
    /// 1 regressed, 2 could not run, 3 inconclusive.
    #[command(after_help = concat!(
        "Examples:\n",
        "  lab gate --base HEAD~1        # instructions, 1.5–2 min with a warm base build\n",
        "  lab gate --metric time --only dequant",
    ))]
    Gate {
        /// Base revision (default: the merge-base of HEAD with main).
        #[arg(long, conflicts_with = "baseline")]
        base: Option<String>,
        /// Compare with a stored baseline of this machine instead of a revision.
        #[arg(long)]
        baseline: Option<PathBuf>,
        #[command(flatten)]
        opts: gate::GateOpts,
        /// Write the verdicts as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Write a markdown summary here ($GITHUB_STEP_SUMMARY wins when set).
        #[arg(long)]
        markdown: Option<PathBuf>,
    },
    /// Save a gate baseline of the working tree on this machine.
    #[command(after_help = "Example:\n  lab baseline --out reports/baseline-instructions.json")]
    Baseline {
        /// Default: reports/baseline-instructions.json in the workspace.
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        opts: gate::GateOpts,
    },
    /// The gate's cases, one `experiment<TAB>case<TAB>variant` line each.
    #[command(hide = true)]
    GateCases {
        /// instructions or time: the cases gated under that metric.
        #[arg(long, default_value = "instructions", value_parser = gate::parse_metric)]
        metric: harness::Metric,
    },
    /// Run one variant of one case `reps` times (used under callgrind, strace and the gate).
    #[command(after_help = concat!(
        "Example:\n",
        "  lab trial --experiment H18 --case 'model.safetensors → F16' --variant 'A no callback' --reps 3 --timed",
    ))]
    Trial {
        /// Experiment id.
        #[arg(long)]
        experiment: String,
        /// Case label, exactly as `lab list --cases` prints it.
        #[arg(long)]
        case: String,
        /// Variant name.
        #[arg(long)]
        variant: String,
        /// Repetitions of the variant.
        #[arg(long, default_value_t = 1)]
        reps: u32,
        /// Build the quick tier's cases.
        #[arg(long)]
        quick: bool,
        /// Print `trial-seconds: S`, the seconds per repetition.
        #[arg(long)]
        timed: bool,
    },
    /// Measure some cases of one experiment in this process (what campaigns spawn).
    #[command(hide = true)]
    Worker {
        /// The [`harness::protocol::WorkerPlan`] as JSON.
        #[arg(long)]
        plan: String,
    },
    /// Change lines between two campaigns (ids or ledger files), like criterion's:
    /// the summary first, then the verdicts that changed, then every variant.
    #[command(after_help = concat!(
        "Example:\n",
        "  lab compare 2026-11-26T15-24-12Z 2026-11-26T15-59-50Z --markdown /tmp/compare.md",
    ))]
    Compare {
        /// The earlier campaign: an id in reports/ledger/ or a ledger file.
        old: String,
        /// The later campaign.
        new: String,
        /// Also write them as markdown here.
        #[arg(long)]
        markdown: Option<PathBuf>,
    },
    /// A campaign (id or ledger file) as CSV: one row per variant and per comparison.
    #[command(after_help = "Example:\n  lab csv 2026-11-26T15-24-12Z --out /tmp/campaign.csv")]
    Csv {
        /// An id in reports/ledger/ or a ledger file.
        campaign: String,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Verdict agreement and interval overlap between campaigns of one commit.
    /// Prints a summary; writes the page only with --out.
    #[command(after_help = concat!(
        "Examples:\n",
        "  lab stability                 # the newest commit with two or more full campaigns\n",
        "  lab stability --out reports/stability.md",
    ))]
    Stability {
        /// Campaign ids to compare (default: the newest full campaigns of the newest commit with ≥ 2).
        campaigns: Vec<String>,
        /// Write the page here, and its JSON beside it (nothing is written without it).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Judge every case again under the current rule from the samples the
        /// ledger kept (how campaigns of an older rule read under this one).
        #[arg(long)]
        rejudge: bool,
    },
    /// List the experiments (and, with --cases, build and list their cases).
    #[command(after_help = "Examples:\n  lab list\n  lab list --cases --quick")]
    List {
        /// With --cases: the quick tier's cases.
        #[arg(long)]
        quick: bool,
        /// Build each experiment's cases and list them (needs the fixtures).
        #[arg(long)]
        cases: bool,
    },
}

/// A `--storage` profile (see `harness::storage::Profile::parse`); several
/// are separated by `;` or given as several flags, since a profile's
/// settings use commas.
fn parse_profile(s: &str) -> Result<harness::storage::Profile, String> {
    harness::storage::Profile::parse(s).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn every_visible_command_has_an_example_and_every_option_a_help_text() {
        let cli = Cli::command();
        let mut missing = Vec::new();
        for cmd in cli.get_subcommands().filter(|c| !c.is_hide_set()) {
            if !cmd.get_after_help().is_some_and(|h| h.to_string().contains("Example")) {
                missing.push(format!("{}: no example", cmd.get_name()));
            }
            for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{} {id}: no help text", cmd.get_name()));
                }
            }
        }
        assert!(missing.is_empty(), "{missing:#?}");
        cli.debug_assert();
    }

    #[test]
    fn run_help_says_what_a_full_campaign_costs() {
        let mut cli = Cli::command();
        let run = cli.find_subcommand_mut("run").unwrap();
        let help = run.render_long_help().to_string();
        assert!(help.contains("45–54 minutes"), "{help}");
    }
}

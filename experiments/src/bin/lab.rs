//! `lab`: fetch fixtures, run campaigns, render reports, calibrate, and
//! gate regressions. This file parses arguments and dispatches; what each
//! command does is in `experiments::commands`.

use clap::{Parser, Subcommand};
use experiments::commands::{self, campaign, gate, TrialArgs, EXIT_USAGE};
use experiments::workspace::Workspace;
use harness::protocol::Tier;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "lab",
    version,
    about = "loadlab: A/B experiments on the loading of ML model files"
)]
struct Cli {
    /// The loadlab workspace (default: found from the current directory).
    #[arg(long, global = true)]
    root: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Fetch, derive and verify the manifest's fixtures, and write goldens.
    Fixtures {
        /// Only fixtures with this tag (e.g. `default`, `h05`).
        #[arg(long)]
        tag: Option<String>,
        /// Print only missing fixtures and the summary.
        #[arg(long)]
        quiet: bool,
    },
    /// Run the experiment campaign, write the ledger, then render the reports.
    Run {
        /// CI-sized cases and budgets (see the README for how long it takes).
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
    },
    /// Render reports/*.md, reports/svg/*.svg and EXPERIMENTS.md from the ledger alone.
    Report,
    /// Copy the experiments' current explanations into their newest ledger entries.
    Explain,
    /// Re-record the `strace -c` evidence of the newest ledger entries.
    Evidence,
    /// Copy campaigns from other runners' ledgers (files or folders) into this one.
    Merge { ledgers: Vec<PathBuf> },
    /// Measure this machine's noise floor, A/A false-positive rate and minimum detectable effect.
    Calibrate {
        #[arg(long)]
        quick: bool,
    },
    /// Compare the working tree with a base revision on this machine; exit 0 pass,
    /// 1 regressed, 2 could not run, 3 inconclusive.
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
        #[arg(long, default_value = "instructions", value_parser = gate::parse_metric)]
        metric: harness::Metric,
    },
    /// Run one variant of one case `reps` times (used under callgrind, strace and the gate).
    Trial {
        #[arg(long)]
        experiment: String,
        #[arg(long)]
        case: String,
        #[arg(long)]
        variant: String,
        #[arg(long, default_value_t = 1)]
        reps: u32,
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
    /// Change lines between two campaigns (ids or ledger files), like criterion's.
    Compare {
        old: String,
        new: String,
        /// Also write them as markdown here.
        #[arg(long)]
        markdown: Option<PathBuf>,
    },
    /// A campaign (id or ledger file) as CSV: one row per variant and per comparison.
    Csv {
        campaign: String,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Verdict agreement and interval overlap between campaigns of one commit.
    Stability {
        /// Campaign ids to compare (default: the newest full campaigns of the newest commit with ≥ 2).
        campaigns: Vec<String>,
        /// Write the report here (default: reports/stability.md).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// List the experiments (and, with --cases, build and list their cases).
    List {
        #[arg(long)]
        quick: bool,
        #[arg(long)]
        cases: bool,
    },
}

fn main() -> ExitCode {
    harness::platform::exit_quietly_on_closed_pipe();
    let cli = Cli::parse();
    let ws = match Workspace::find(cli.root.as_deref()) {
        Ok(ws) => ws,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let r = match cli.cmd {
        Cmd::Fixtures { tag, quiet } => commands::fixtures::run(&ws, tag.as_deref(), quiet),
        Cmd::Run {
            quick,
            only,
            shard,
            group,
            resume,
            offline,
            allow_dirty,
        } => campaign::run(
            &ws,
            &campaign::Selection { only, shard, group },
            &campaign::RunOpts {
                tier: Tier::from_quick_flag(quick),
                resume,
                offline,
                allow_dirty,
            },
        ),
        Cmd::Report => campaign::report(&ws),
        Cmd::Explain => campaign::explain(&ws),
        Cmd::Evidence => campaign::evidence(&ws),
        Cmd::Merge { ledgers } => campaign::merge(&ws, &ledgers),
        Cmd::Calibrate { quick } => commands::calibrate::run(&ws, quick),
        Cmd::Gate {
            base,
            baseline,
            opts,
            json,
            markdown,
        } => gate::run(&ws, &opts.into_args(base, baseline, json, markdown)),
        Cmd::Baseline { out, opts } => {
            let out = ws.path_or(out.as_deref(), "reports/baseline-instructions.json");
            gate::baseline(&ws, &opts.into_args(None, None, None, None), &out)
        }
        Cmd::GateCases { .. } => gate::list_cases(),
        Cmd::Trial {
            experiment,
            case,
            variant,
            reps,
            quick,
            timed,
        } => commands::trial::run(
            &ws,
            &TrialArgs {
                experiment,
                case,
                variant,
                reps,
                tier: Tier::from_quick_flag(quick),
                timed,
            },
        ),
        Cmd::List { quick, cases } => commands::list::run(&ws, Tier::from_quick_flag(quick), cases),
        Cmd::Compare { old, new, markdown } => commands::compare::run(&ws, &old, &new, markdown.as_deref()),
        Cmd::Csv { campaign, out } => commands::compare::csv(&ws, &campaign, out.as_deref()),
        Cmd::Worker { plan } => commands::worker::run(&ws, &plan),
        Cmd::Stability { campaigns, out } => {
            let out = ws.path_or(out.as_deref(), "reports/stability.md");
            commands::stability::run(&ws, &campaigns, &out)
        }
    };
    r.unwrap_or_else(|e| {
        eprintln!("error: {e}");
        ExitCode::from(harness::gate::EXIT_COULD_NOT_RUN)
    })
}

//! `lab`: fetch fixtures, run campaigns, render reports, calibrate, and
//! gate regressions. This file parses arguments and dispatches; what each
//! command does is in `experiments::commands`.

use clap::Parser;
use experiments::cli::{Cli, Cmd};
use experiments::commands::{self, campaign, gate, TrialArgs, EXIT_USAGE};
use experiments::workspace::Workspace;
use harness::protocol::Tier;
use std::process::ExitCode;

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
            storage,
        } => campaign::run(
            &ws,
            &campaign::Selection { only, shard, group },
            &campaign::RunOpts {
                tier: Tier::from_quick_flag(quick),
                resume,
                offline,
                allow_dirty,
                storage,
            },
        ),
        Cmd::Advise { file, storage, quick } => commands::advise::run(&ws, &file, storage.as_ref(), quick),
        Cmd::Report => campaign::report(&ws),
        Cmd::RecordExplanations => campaign::explain(&ws),
        Cmd::Show { id } => commands::show::run(&ws, &id),
        Cmd::History { which } => commands::show::history(&ws, &which),
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
        Cmd::Stability {
            campaigns,
            out,
            rejudge,
        } => commands::stability::run(&ws, &campaigns, out.as_deref(), rejudge),
    };
    r.unwrap_or_else(|e| {
        eprintln!("error: {e}");
        ExitCode::from(harness::gate::EXIT_COULD_NOT_RUN)
    })
}

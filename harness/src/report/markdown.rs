//! Markdown pages and the `EXPERIMENTS.md` index. Numbers are formatted
//! with fixed precision so re-rendering the same ledger is byte-identical.

use super::svg::Chart;
use crate::human::bytes as human;
use crate::ledger::{Campaign, CaseRecord, Comparison, Entry};
use crate::stats::verdict::Expect;
use std::fmt::Write;

use crate::human::{pct, ratio as ratio_text, value};

/// "0.670× (−33.0 %) [0.650, 0.690]"; large speed-ups also as "(12.3× faster)".
pub fn effect_text(k: &Comparison) -> String {
    interval_text(&k.effect)
}

/// An effect in words: "0.85× (−15 %) [0.83, 0.87]".
pub fn interval_text(e: &crate::stats::bootstrap::Effect) -> String {
    let rel = if e.ratio > 0.0 && e.ratio < 0.5 {
        format!("{:.1}× less", 1.0 / e.ratio)
    } else {
        pct(e.ratio)
    };
    if e.lo == e.hi {
        format!("{}× ({rel})", ratio_text(e.ratio))
    } else {
        format!(
            "{}× ({rel}) [{}, {}]",
            ratio_text(e.ratio),
            ratio_text(e.lo),
            ratio_text(e.hi)
        )
    }
}

fn claimed_text(k: &Comparison) -> String {
    match k.expect {
        Expect::Ratio(r) => format!(
            "{}× ({})",
            ratio_text(r),
            if r < 0.5 {
                format!("{:.1}× less", 1.0 / r)
            } else {
                pct(r)
            }
        ),
        Expect::NoEffect => "no effect".into(),
        Expect::Unclaimed => "—".into(),
    }
}

fn case_table(s: &mut String, c: &CaseRecord) {
    let _ = writeln!(
        s,
        "\n**{}** — {} cache, {}; {} rounds, {:.1} s; stopped: {}.\n",
        c.label,
        match c.cache {
            crate::CacheMode::Warm => "warm",
            crate::CacheMode::Cold => "cold",
        },
        c.metric.name(),
        c.rounds,
        c.elapsed_s,
        c.stop
    );
    let _ = writeln!(s, "| variant | median | min | max | σ | n | throughput | minor faults | major faults | ctx switches (vol/invol) | counters |");
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for v in &c.variants {
        let tp = v.throughput_bps.map_or("—".into(), |b| format!("{}/s", human(b)));
        let counters = if v.counters.is_empty() {
            "—".to_owned()
        } else {
            v.counters
                .iter()
                .map(|(k, n)| format!("{k} = {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {}/{} | {} |",
            v.name,
            value(c.metric, v.summary.median),
            value(c.metric, v.summary.min),
            value(c.metric, v.summary.max),
            value(c.metric, v.summary.sd),
            v.summary.n,
            tp,
            v.usage.minor_faults,
            v.usage.major_faults,
            v.usage.voluntary_switches,
            v.usage.involuntary_switches,
            counters
        );
    }
}

/// One experiment's page.
pub fn page(e: &Entry, c: &Campaign, charts: &[Chart]) -> String {
    let mut s = String::new();
    let spec = &e.spec;
    let _ = writeln!(s, "# {} — {}\n", spec.id, spec.title);
    let _ = writeln!(
        s,
        "*Generated from the ledger (`reports/ledger/{}.json`) by `lab report`; do not edit.*\n",
        c.id
    );
    if let Some((case, k)) = e.headline() {
        let _ = writeln!(
            s,
            "**Verdict: {}.** Claimed: {}. Measured ({}): {}.\n",
            e.verdict.label(),
            spec.claim.text,
            case.label,
            effect_text(k)
        );
    }
    let _ = writeln!(
        s,
        "## Finding\n\n{}\n\nSource: {}. Claimed effect: {}.\n",
        spec.hypothesis, spec.source, spec.claim.text
    );
    let _ = writeln!(s, "## Method\n");
    let _ = writeln!(
        s,
        "Metric: {}. Variants run in randomized interleaved rounds (every round runs every variant once, in a fresh random order) after one warm-up run each; every trial's result checksum must equal the warm-up's, so no variant wins by doing less. The effect is the median of per-round B/A ratios with a 95 % percentile-bootstrap interval (2 000 resamples of rounds). Cold-cache cases evict every file of the case with `posix_fadvise(DONTNEED)` before each trial.\n",
        spec.metric.name()
    );
    let _ = writeln!(
        s,
        "Noise floor in force: ±{:.2} % (wall time), ±{:.2} % (instructions); minimum detectable effect: {}; from {}.\n",
        c.calibration.noise_floor * 100.0,
        c.calibration.instruction_floor * 100.0,
        c.calibration.mde.map_or("not calibrated".into(), |m| format!("{:.0} %", m * 100.0)),
        c.calibration.source
    );
    let _ = writeln!(s, "Fixtures:\n");
    for f in &e.fixtures {
        let _ = writeln!(s, "- `{}` (sha256 `{}…`)", f.name, &f.sha256[..16.min(f.sha256.len())]);
    }
    let _ = writeln!(s, "\n## Result\n");
    let _ = writeln!(s, "| case | comparison | claimed | measured B/A [95 % CI] | verdict |");
    let _ = writeln!(s, "|---|---|---|---|---|");
    for case in &e.cases {
        for k in &case.comparisons {
            let _ = writeln!(
                s,
                "| {} | {} vs {} | {} | {} | {} |",
                case.label,
                k.b,
                k.a,
                claimed_text(k),
                effect_text(k),
                k.verdict.label()
            );
        }
    }
    for chart in charts {
        let _ = writeln!(s, "\n![{}](svg/{})\n\n*{}*", chart.file, chart.file, chart.caption);
    }
    let _ = writeln!(s, "\n### Per-variant detail");
    for case in &e.cases {
        case_table(&mut s, case);
    }
    for ev in &e.evidence {
        let _ = writeln!(s, "\n### Evidence: {}\n\n```\n{}\n```", ev.what, ev.text.trim_end());
    }
    match &spec.explanation {
        Some(x) if x.written_for == e.verdict => {
            let _ = writeln!(
                s,
                "\n## Why\n\n{}\n\n## Disposition\n\n{}\n\n## Re-attempting this requires\n\n{}\n",
                x.why, x.disposition, x.reattempt
            );
        }
        Some(x) => {
            let _ = writeln!(
                s,
                "\n## Why — STALE\n\n> **This explanation was written for the verdict “{}”; this run's verdict is “{}”. It is kept for the record and may no longer hold.**\n\n{}\n\n## Disposition (stale)\n\n{}\n\n## Re-attempting this requires\n\n{}\n",
                x.written_for.label(),
                e.verdict.label(),
                x.why,
                x.disposition,
                x.reattempt
            );
        }
        None => {
            let _ = writeln!(s, "\n## Why\n\n*No explanation recorded yet for this result.*\n");
        }
    }
    let env = &c.environment;
    let _ = writeln!(s, "## Environment\n");
    let _ = writeln!(
        s,
        "- CPU: {} ({} cores; flags: {})",
        env.cpu,
        env.cores,
        env.cpu_flags.join(", ")
    );
    let _ = writeln!(
        s,
        "- Memory: {}; OS: {}; kernel {}",
        human(env.memory_bytes as f64),
        env.os,
        env.kernel
    );
    let _ = writeln!(
        s,
        "- {}; profile {}; compiled target features: {}",
        env.rustc,
        env.profile,
        env.target_features.join(", ")
    );
    let _ = writeln!(
        s,
        "- Commit {}{}; campaign `{}` ({} mode), started {}",
        env.git_commit,
        if env.git_dirty { " (dirty)" } else { "" },
        c.id,
        c.mode,
        c.started
    );
    let la = env
        .load_average_end
        .map_or("n/a".into(), |l| format!("{:.2} {:.2} {:.2}", l[0], l[1], l[2]));
    let _ = writeln!(
        s,
        "- Load average at start {:.2} {:.2} {:.2}, at end {}",
        env.load_average_start[0], env.load_average_start[1], env.load_average_start[2], la
    );
    s
}

/// `EXPERIMENTS.md`: the index table, then a short section per experiment.
pub fn index(entries: &[(Entry, Campaign)]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Experiments\n");
    let _ = writeln!(
        s,
        "*Generated by `lab report` from the ledger in `reports/ledger/`; do not edit. Each row is the newest ledger entry of a recorded hypothesis (catalog: [HYPOTHESES.md](HYPOTHESES.md)). Ratios are B/A of the experiment's metric (below 1 = B uses less); intervals are 95 % bootstrap intervals.*\n"
    );
    let _ = writeln!(
        s,
        "| id | experiment | claim | measured (headline case) | verdict | cases | campaign | report |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|");
    // Campaigns merged from several machines: every row names its machine,
    // and an experiment measured on two machines has a row for each.
    let mut machines: Vec<String> = entries.iter().map(|(_, c)| crate::ledger::machine_of(c)).collect();
    machines.sort();
    machines.dedup();
    let several = machines.len() > 1;
    for (e, c) in entries {
        let (case, measured) = e.headline().map_or(("—".to_owned(), "—".to_owned()), |(cs, k)| {
            (cs.label.clone(), effect_text(k))
        });
        let mut counts: Vec<(String, usize)> = Vec::new();
        for k in e.cases.iter().flat_map(|c| c.comparisons.iter()) {
            let l = k.verdict.label().to_owned();
            match counts.iter_mut().find(|(x, _)| *x == l) {
                Some(slot) => slot.1 += 1,
                None => counts.push((l, 1)),
            }
        }
        let tally = counts
            .iter()
            .map(|(l, n)| format!("{n} {l}"))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} — {} | **{}** | {} | {} ({}) | [{}](reports/{}.md) |",
            e.spec.id,
            e.spec.title,
            e.spec.claim.text,
            case,
            measured,
            e.verdict.label(),
            tally,
            if several {
                format!("{} · machine {}", c.id, crate::ledger::machine_of(c))
            } else {
                c.id.clone()
            },
            c.environment.git_commit,
            e.spec.id,
            e.spec.id
        );
    }
    for (e, c) in entries {
        let _ = writeln!(s, "\n## {} — {}\n", e.spec.id, e.spec.title);
        let _ = writeln!(s, "{}\n", e.spec.hypothesis);
        if let Some((case, k)) = e.headline() {
            let _ = writeln!(
                s,
                "Claimed: {}. Measured on {}: {} → **{}**.\n",
                e.spec.claim.text,
                case.label,
                effect_text(k),
                e.verdict.label()
            );
        }
        if let Some(x) = &e.spec.explanation {
            let first = x.why.split(". ").next().unwrap_or("").trim_end_matches('.');
            if x.written_for == e.verdict {
                let _ = writeln!(s, "{first}. Disposition: {}\n", x.disposition);
            } else {
                let _ = writeln!(s, "*Explanation stale: written for “{}”.*\n", x.written_for.label());
            }
        }
        let _ = writeln!(
            s,
            "Environment: {} ({} cores), {}, commit {}, {}. [Full report](reports/{}.md).",
            c.environment.cpu, c.environment.cores, c.environment.rustc, c.environment.git_commit, c.started, e.spec.id
        );
    }
    s
}

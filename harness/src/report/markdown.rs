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
        format!("{}× less", crate::human::factor(1.0 / e.ratio))
    } else if e.ratio > 2.0 {
        format!("{}× more", crate::human::factor(e.ratio))
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
                format!("{}× less", crate::human::factor(1.0 / r))
            } else {
                pct(r)
            }
        ),
        Expect::NoEffect => "no effect".into(),
        Expect::Unclaimed => "—".into(),
        Expect::AtMost(r) => format!("at most {}×", ratio_text(r)),
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
            crate::human::grouped(v.summary.n as u64),
            tp,
            crate::human::grouped(v.usage.minor_faults.max(0) as u64),
            crate::human::grouped(v.usage.major_faults.max(0) as u64),
            v.usage.voluntary_switches,
            v.usage.involuntary_switches,
            counters
        );
    }
}

/// What a page says beyond its own entry: how many replicated campaigns
/// of the same commit gave the headline the same verdict.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context {
    /// (agreeing, recorded) among the newest replicated full campaigns of
    /// the entry's commit (at most 3), when the entry is one of them.
    pub agreement: Option<(usize, usize)>,
}

/// "3 of 3 campaigns agree" or "1 campaign".
pub fn agreement_text(a: Option<(usize, usize)>) -> String {
    match a {
        Some((k, n)) if n > 1 => format!("{k} of {n} campaigns agree"),
        _ => "1 campaign".into(),
    }
}

fn metric_noun(m: crate::Metric) -> &'static str {
    match m {
        crate::Metric::WallTime => "time",
        crate::Metric::PeakMemory => "peak memory",
        crate::Metric::Instructions => "instructions",
    }
}

/// The verdict of a comparison in words that say what was measured: a
/// claim of no effect that measured one reads "claimed none; measured
/// +6.8 %" rather than "opposite to the claim".
pub fn verdict_words(k: &Comparison) -> String {
    match (k.expect, k.verdict) {
        (Expect::NoEffect, crate::Verdict::Opposite) => format!("claimed none; measured {}", pct(k.effect.ratio)),
        _ => k.verdict.label().to_owned(),
    }
}

/// When an entry's cases disagree about its headline comparison (the same
/// B vs A, or the same kind of claim, in other cases): how many of them
/// have the headline's verdict, of how many.
pub fn cases_agreement(e: &Entry) -> Option<(usize, usize)> {
    let (_, h) = e.headline()?;
    let same_pair: Vec<&Comparison> = e
        .cases
        .iter()
        .flat_map(|c| &c.comparisons)
        .filter(|k| k.a == h.a && k.b == h.b)
        .collect();
    let peers: Vec<&Comparison> = if same_pair.len() > 1 {
        same_pair
    } else {
        e.cases
            .iter()
            .flat_map(|c| &c.comparisons)
            .filter(|k| std::mem::discriminant(&k.expect) == std::mem::discriminant(&h.expect))
            .filter(|k| k.expect != Expect::Unclaimed)
            .collect()
    };
    let agree = peers.iter().filter(|k| k.verdict == h.verdict).count();
    (peers.len() > 1 && agree < peers.len()).then_some((agree, peers.len()))
}

/// The entry's verdict in words, with "n of m cases" when its cases disagree.
pub fn entry_verdict(e: &Entry) -> String {
    let words = e
        .headline()
        .map_or_else(|| e.verdict.label().to_owned(), |(_, k)| verdict_words(k));
    match cases_agreement(e) {
        Some((n, m)) => format!("{words} ({n} of {m} cases)"),
        None => words,
    }
}

/// The headline as a sentence: "B mmap vs A read on model.safetensors:
/// time B/A 0.306× (3.3× less) [0.303, 0.312]".
pub fn headline_sentence(case: &CaseRecord, k: &Comparison) -> String {
    format!(
        "{} vs {} on {}: {} B/A {}",
        k.b,
        k.a,
        case.label,
        metric_noun(case.metric),
        effect_text(k)
    )
}

/// Warnings a reader must see before trusting a page: a dirty tree, busy
/// machine, a campaign recorded before replication.
pub fn warnings(e: &Entry, c: &Campaign) -> Vec<String> {
    let mut w = Vec::new();
    if c.environment.git_dirty {
        w.push(format!(
            "recorded on a dirty tree (uncommitted changes to commit {})",
            c.environment.git_commit
        ));
    }
    let busy: Vec<&CaseRecord> = e.cases.iter().filter(|k| k.busy()).collect();
    if !busy.is_empty() {
        w.push(format!(
            "{} of {} cases measured while other work used the machine (see “load” in the tables)",
            busy.len(),
            e.cases.len()
        ));
    }
    for k in &e.cases {
        if let Some(r) = k.residency.filter(|r| r.off > 0) {
            let (want, seen) = match k.cache {
                crate::CacheMode::Cold => (
                    format!(
                        "cold (at most {:.0} % of its files cached)",
                        crate::ledger::COLD_AT_MOST * 100.0
                    ),
                    format!("up to {:.1} %", r.before_max * 100.0),
                ),
                crate::CacheMode::Warm => (
                    format!("warm (at least {:.0} % cached)", crate::ledger::WARM_AT_LEAST * 100.0),
                    format!("as little as {:.1} %", r.before_min * 100.0),
                ),
            };
            w.push(format!(
                "case “{}”: {} of {} trials did not start {want}: {seen} was resident (`mincore`)",
                k.label, r.off, r.trials
            ));
        }
    }
    if e.cases.iter().all(|k| k.replication.is_none())
        && e.cases.iter().any(|k| k.metric != crate::Metric::Instructions)
    {
        w.push(
            "recorded before cases were replicated across processes (single-process intervals, no A/A control)".into(),
        );
    }
    w
}

/// One experiment's page: the finding in its first three lines, then the
/// charts, the method, the tables and the environment.
pub fn page(e: &Entry, c: &Campaign, charts: &[Chart], ctx: &Context) -> String {
    let mut s = String::new();
    let spec = &e.spec;
    let _ = writeln!(s, "# {} — {}", spec.id, spec.title);
    match e.headline() {
        Some((case, k)) => {
            let _ = writeln!(
                s,
                "**Verdict: {}** ({}). {}; claimed: {}.",
                entry_verdict(e),
                agreement_text(ctx.agreement),
                headline_sentence(case, k),
                spec.claim.text
            );
        }
        None => {
            let _ = writeln!(s, "**Verdict: {}.** No comparison was recorded.", e.verdict.label());
        }
    }
    // Figures in an explanation come from this entry: `{{headline}}` is
    // its headline effect, `{{verdict}}` its verdict in words.
    let fill = |t: &str| -> String {
        let head = e.headline().map_or("—".into(), |(_, k)| effect_text(k));
        t.replace("{{headline}}", &head)
            .replace("{{verdict}}", &entry_verdict(e))
    };
    let explanation = spec.explanation.as_ref().map(|x| crate::Explanation {
        written_for: x.written_for,
        why: fill(&x.why),
        disposition: fill(&x.disposition),
        reattempt: fill(&x.reattempt),
    });
    let finding = match &explanation {
        Some(x) if x.written_for == e.verdict => first_sentence(&x.why),
        _ => "No explanation has been written for this result yet.".into(),
    };
    let _ = writeln!(s, "{finding}\n");
    for w in warnings(e, c) {
        let _ = writeln!(s, "> **Warning:** {w}.\n");
    }
    for chart in charts {
        let _ = writeln!(s, "![{}](svg/{})\n\n*{}*\n", chart.file, chart.file, chart.caption);
    }
    let _ = writeln!(
        s,
        "*Generated from the ledger (`reports/ledger/{}.json`) by `lab report`; do not edit.*\n",
        c.id
    );
    let _ = writeln!(
        s,
        "## Hypothesis\n\n{}\n\nSource: {}. Claimed effect: {}.\n",
        spec.hypothesis, spec.source, spec.claim.text
    );
    let _ = writeln!(s, "## Method\n");
    let processes = match &c.rule {
        Some(r) => format!(
            "{}; extended to at most {} while its interval is wider than the target or a process saw a busy machine, to {} while an interval contains a ratio where its verdict changes, and — for the experiment's headline with an effect of at least {:.0} % — to {} while that is still so",
            r.processes.0,
            r.processes.1,
            r.edge_processes,
            r.headline_effect * 100.0,
            r.headline_processes
        ),
        None => {
            let counts: Vec<usize> = e
                .cases
                .iter()
                .filter_map(|k| k.replication.as_ref().map(|r| r.process_rounds.len()))
                .collect();
            let (lo, hi) = (counts.iter().min(), counts.iter().max());
            let used = match (lo, hi) {
                (Some(lo), Some(hi)) if lo == hi => format!("{lo} per case in this entry"),
                (Some(lo), Some(hi)) => format!("{lo}–{hi} per case in this entry"),
                _ => "none in this entry".to_owned(),
            };
            format!("{used}; the campaign predates the ledger's record of its rule, so its extension limits are not restated here")
        }
    };
    let version = c.rule.as_ref().map_or(1, |r| r.version);
    let common = format!(
        "Metric: {}. Each case runs in several fresh worker processes ({processes}). In each process the variants run in randomized interleaved rounds after a warm-up, with variant A run a second time in every round as an A/A control. Every trial's output is digested in full after the clock stops and must equal every other variant's, so no variant wins by doing less.",
        spec.metric.name()
    );
    if version >= 2 {
        let _ = writeln!(
            s,
            "{common} The effect is the median of per-round B/A ratios pooled over processes; its 95 % interval adds, in log space, a bootstrap of rounds within each process and the between-process variance (DerSimonian–Laird τ², weighted like the median: by each process's share of the rounds, times Student's t over the processes). A comparison whose rounds fall in two modes is summarized instead by the geometric mean over processes of each one's ratio of mean times, with a t interval, and its modes are listed below. A process that saw a busy machine is replaced by another. The verdict is judged against a fixed ±{:.1} % margin and the claim's band: an interval inside one region gets that region's verdict, an interval across exactly one edge between regions is “at the edge: X | Y”, across two or more “inconclusive”; a case whose A/A control measurably differs by more than the margin is not judged. Cold-cache cases evict every file of the case with `posix_fadvise(DONTNEED)` before each trial.\n",
            c.calibration.noise_floor * 100.0
        );
    } else {
        let _ = writeln!(
            s,
            "{common} The effect is the median of per-round B/A ratios; its 95 % interval is a two-stage bootstrap (processes, then rounds within each), so differences between processes widen it. A case's margin is the larger of ±{:.1} % and how far its A/A control strayed from 1.0: an interval wholly outside the margin is an effect, wholly inside ±{:.1} % (with a control that stayed inside it) is “no effect”, anything else inconclusive. Cold-cache cases evict every file of the case with `posix_fadvise(DONTNEED)` before each trial. (This campaign ran under version 1 of the rule; the lab's current rule is described in docs/method.md.)\n",
            c.calibration.noise_floor * 100.0,
            c.calibration.noise_floor * 100.0
        );
    }
    if let Some(x) = &spec.equal_work {
        let _ = writeln!(s, "**Declared exception to equal work:** {x}\n");
    }
    if let Some(r) = &c.rule {
        let calibrated = match &c.calibration.rule_hash {
            Some(h) if *h == r.hash() => "the calibration in force measured this same rule".to_owned(),
            Some(h) => format!("the calibration in force measured another rule (`{h}`)"),
            None => "the calibration in force did not record its rule".to_owned(),
        };
        let _ = writeln!(s, "Rule `{}`: {calibrated}.\n", r.hash());
    }
    let judged = e.cases.iter().flat_map(|k| &k.comparisons).count();
    match c.calibration.false_positive_rate {
        Some((rate, upper)) => {
            let _ = writeln!(
                s,
                "False positives: the rule called an effect in {:.2} % of A/A decisions on real cases (95 % upper bound {:.2} %; {}); over this entry's {judged} comparisons that is an expected {:.2} chance effects (at most {:.2}).\n",
                rate * 100.0,
                upper * 100.0,
                c.calibration.source,
                rate * judged as f64,
                upper * judged as f64
            );
        }
        None => {
            let _ = writeln!(
                s,
                "False positives: not calibrated when this campaign ran ({}); {judged} comparisons.\n",
                c.calibration.source
            );
        }
    }
    let _ = writeln!(s, "Fixtures:\n");
    for f in &e.fixtures {
        let _ = writeln!(s, "- `{}` (sha256 `{}…`)", f.name, &f.sha256[..16.min(f.sha256.len())]);
    }
    let _ = writeln!(s, "\n## Result\n");
    let _ = writeln!(
        s,
        "| case | comparison | claimed | measured B/A [95 % CI] | verdict | margin | A/A control | processes | load |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---:|---|---:|---|");
    for case in &e.cases {
        let r = case.replication.as_ref();
        let margin = r.map_or("—".into(), |r| format!("±{:.1} %", r.margin * 100.0));
        let control = r
            .and_then(|r| r.control.as_ref())
            .map_or("—".into(), |k| interval_text(&k.effect));
        let load = r.and_then(|r| r.load).map_or("—".into(), |l| {
            format!("{}{}", if l.busy() { "**busy**: " } else { "" }, l.describe())
        });
        for k in &case.comparisons {
            let _ = writeln!(
                s,
                "| {} | {} vs {} | {} | {} | {} | {} | {} | {} | {} |",
                case.label,
                k.b,
                k.a,
                claimed_text(k),
                effect_text(k),
                verdict_words(k),
                margin,
                control,
                processes_text(case),
                load
            );
        }
    }
    let mixed: Vec<(&CaseRecord, &Comparison, &crate::stats::mixture::Mixture)> = e
        .cases
        .iter()
        .flat_map(|c| {
            c.comparisons
                .iter()
                .filter_map(move |k| k.mixture.as_ref().map(|m| (c, k, m)))
        })
        .collect();
    if !mixed.is_empty() {
        let _ = writeln!(s, "\n**Bimodal.** These comparisons' rounds fall in two modes; the pooled median would describe one of them, so their effect is the mean over processes:\n");
        for (c, k, m) in mixed {
            let _ = writeln!(s, "- {} · {} vs {}: {}", c.label, k.b, k.a, mixture_text(m));
        }
    }
    let _ = writeln!(s, "\n### Per-variant detail");
    for case in &e.cases {
        case_table(&mut s, case);
    }
    for ev in &e.evidence {
        let _ = writeln!(s, "\n### Evidence: {}\n\n```\n{}\n```", ev.what, ev.text.trim_end());
    }
    match &explanation {
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
    environment(&mut s, c);
    s
}

/// Processes of a case, with the replaced ones: "4 (1 busy, replaced)".
fn processes_text(c: &CaseRecord) -> String {
    match c.replication.as_ref().map(|r| r.replaced) {
        Some(n) if n > 0 => format!("{} (+{n} busy, replaced)", c.processes()),
        _ => c.processes().to_string(),
    }
}

/// A mixture in words: each mode's ratio and share, and whether the modes
/// cluster by process.
pub fn mixture_text(m: &crate::stats::mixture::Mixture) -> String {
    format!(
        "{:.0} % of rounds at {}, {:.0} % at {} (separation D = {:.1}){}",
        m.modes[0].share * 100.0,
        crate::human::ratio(m.modes[0].ratio),
        m.modes[1].share * 100.0,
        crate::human::ratio(m.modes[1].ratio),
        m.separation,
        if m.process_p < 0.01 {
            format!("; the modes cluster by process (χ² p = {:.0e})", m.process_p)
        } else {
            String::new()
        }
    )
}

/// The first sentence of a text (up to ". ").
fn first_sentence(t: &str) -> String {
    let f = t.split(". ").next().unwrap_or("").trim_end_matches('.');
    format!("{f}.")
}

fn environment(s: &mut String, c: &Campaign) {
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
    if let Some(st) = &env.storage {
        let _ = writeln!(s, "- Fixtures read from: {}", st.describe());
    }
    let _ = writeln!(
        s,
        "- Machine `{}` (the ledger's fingerprint, kind/instance: the verdicts above hold for this machine unless `lab stability` over campaigns of several machines calls them portable)",
        crate::ledger::instance_of(c)
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
}

/// The verdict words, defined once (the index's glossary).
pub const GLOSSARY: &[(&str, &str)] = &[
    ("confirmed", "the whole interval is on the claimed side, beyond the margin, and inside the claim's band (± a quarter of the claimed change); for a claim of no effect, the whole interval lies inside the margin"),
    ("smaller than claimed", "a real effect in the claimed direction, but the whole interval falls short of the claim"),
    ("larger than claimed", "a real effect in the claimed direction, and the whole interval lies beyond the claim"),
    ("no effect", "the whole interval lies inside ± the margin (2 %)"),
    ("opposite to the claim", "a real effect in the other direction than claimed (or any real effect where none was claimed)"),
    ("at the edge: X | Y", "the interval contains exactly one edge between two verdicts' regions, X on the lower-ratio side and Y on the higher: the truth is one of the two, and another campaign may land on either side without contradicting this one"),
    ("inconclusive", "the interval contains two or more edges: the data cannot tell"),
    ("control strayed: not judged", "the case's A/A control (A against itself) measurably differed by more than the margin, so its schedule favours one slot and its comparisons are not judged"),
    ("significant (no claim)", "a real effect in a comparison that carried no claim"),
];

/// How many campaigns agree with an entry's headline (see [`Context`]).
pub type Agreement<'a> = dyn Fn(&Entry, &Campaign) -> Option<(usize, usize)> + 'a;

/// `EXPERIMENTS.md`: one sentence per hypothesis, grouped by `group_of`
/// (I/O, hashing, …), with the verdict words defined once.
pub fn index(entries: &[(Entry, Campaign)], group_of: &dyn Fn(&str) -> String, agreement: &Agreement<'_>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Experiments\n");
    let _ = writeln!(
        s,
        "*Generated by `lab report` from the ledger in `reports/ledger/`; do not edit. One line per recorded hypothesis (catalog: [HYPOTHESES.md](HYPOTHESES.md)): its verdict, how many replicated campaigns of the same commit agree, and the headline B/A ratio of the experiment's metric (below 1 = B needs less) with its 95 % interval.*\n"
    );
    // The compact table: every headline on one screen.
    let _ = writeln!(s, "| id | verdict | headline B/A | 95 % interval | campaigns agree |");
    let _ = writeln!(s, "|---|---|---:|---|---|");
    for (e, c) in entries {
        let (ratio, interval) = e.headline().map_or(("—".into(), "—".into()), |(_, k)| {
            (
                format!("{}×", ratio_text(k.effect.ratio)),
                format!("[{}, {}]", ratio_text(k.effect.lo), ratio_text(k.effect.hi)),
            )
        });
        let agree = match agreement(e, c) {
            Some((k, n)) if n > 1 => format!("{k} of {n}"),
            _ => "1 campaign".into(),
        };
        let _ = writeln!(
            s,
            "| [{id}](reports/{id}.md) | {} | {ratio} | {interval} | {agree} |",
            entry_verdict(e),
            id = e.spec.id
        );
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "**Verdict words.**\n");
    for (w, d) in GLOSSARY {
        let _ = writeln!(s, "- *{w}*: {d}.");
    }
    let _ = writeln!(s);
    // Campaigns merged from several machines: every line names its machine.
    let mut machines: Vec<String> = entries.iter().map(|(_, c)| crate::ledger::machine_of(c)).collect();
    machines.sort();
    machines.dedup();
    let several = machines.len() > 1;
    let mut groups: Vec<String> = entries.iter().map(|(e, _)| group_of(&e.spec.id)).collect();
    groups.dedup();
    let mut seen: Vec<String> = Vec::new();
    for g in groups {
        if seen.contains(&g) {
            continue;
        }
        seen.push(g.clone());
        let _ = writeln!(s, "## {g}\n");
        if g == "Peers" {
            let _ = writeln!(
                s,
                "Summary with every target, loadlab's share of the machine's limits and a chart: [reports/peers.md](reports/peers.md).\n"
            );
        }
        for (e, c) in entries.iter().filter(|(e, _)| group_of(&e.spec.id) == g) {
            let head = e
                .headline()
                .map_or("no comparison recorded".into(), |(case, k)| headline_sentence(case, k));
            let mut marks = warnings(e, c);
            if several {
                marks.push(format!("machine {}", crate::ledger::machine_of(c)));
            }
            let marks = if marks.is_empty() {
                String::new()
            } else {
                format!(" ⚠ {}.", marks.join("; "))
            };
            let _ = writeln!(
                s,
                "- **{}** {} — *{}* ({}): {}; claimed {}. [Report](reports/{}.md) · campaign {} ({}).{}",
                e.spec.id,
                e.spec.title,
                entry_verdict(e),
                agreement_text(agreement(e, c)),
                head,
                e.spec.claim.text,
                e.spec.id,
                c.id,
                c.environment.git_commit,
                marks
            );
        }
        let _ = writeln!(s);
    }
    s
}

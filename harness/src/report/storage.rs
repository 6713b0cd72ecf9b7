//! `reports/storage.md`: the same experiments on each storage profile, side
//! by side — every comparison's B/A, interval and verdict per profile, the
//! fastest variant's throughput, and whether the cold trials were cold.
//! Drawn from the ledger's own folder (`local`) and its `storage/` folder
//! (every other profile); each profile's newest campaign of its newest
//! commit. Only experiments that ran on a profile other than `local` are
//! listed.

use crate::ledger::{self, Campaign, CaseRecord, Entry, Mode};
use crate::report::markdown::effect_text;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The profile's name as a column heading: `local`, `slow`, `sshfs`, …
fn profile_name(c: &Campaign) -> String {
    c.storage_profile
        .as_ref()
        .map_or_else(|| "local".to_owned(), |p| p.name().to_owned())
}

/// The profile in words (settings included).
fn profile_words(c: &Campaign) -> String {
    c.storage_profile
        .as_ref()
        .map_or_else(|| crate::storage::Profile::Local.what(), crate::storage::Profile::what)
}

/// Each experiment's newest entry on one profile: from its newest full
/// campaign when the experiment ran in one, else from its newest quick
/// one (a storage's first look is often a quick run of a few
/// experiments), whatever the machine.
fn newest(campaigns: &[Campaign]) -> Vec<(Entry, Campaign)> {
    let mut out: Vec<(Entry, Campaign)> = Vec::new();
    for mode in [Mode::Full, Mode::Quick] {
        for (e, c) in ledger::latest_entries(campaigns, Some(mode)) {
            match out.iter_mut().find(|(x, _)| x.spec.id == e.spec.id) {
                Some(slot) if slot.1.mode == mode && slot.1.id < c.id => *slot = (e, c),
                Some(_) => {}
                None => out.push((e, c)),
            }
        }
    }
    out.sort_by(|a, b| a.0.spec.id.cmp(&b.0.spec.id));
    out
}

/// The fastest variant of a case and its throughput in words.
fn fastest(case: &CaseRecord) -> Option<String> {
    let v = case
        .variants
        .iter()
        .filter(|v| v.wall_median_s > 0.0)
        .min_by(|a, b| a.wall_median_s.total_cmp(&b.wall_median_s))?;
    let speed = case
        .bytes
        .map(|b| format!(" at {}/s", crate::human::bytes(b as f64 / v.wall_median_s)))
        .unwrap_or_default();
    Some(format!("{}{speed}", v.name))
}

/// Whether the case's trials started as its cache mode says, in words
/// when they did not (or when the storage cannot be cold at all).
fn residency_note(case: &CaseRecord) -> String {
    match &case.residency {
        Some(r) if r.off > 0 => format!(
            " — {} of {} trials did not start {}",
            r.off,
            r.trials,
            match case.cache {
                crate::CacheMode::Cold => "cold",
                crate::CacheMode::Warm => "warm",
            }
        ),
        Some(_) => String::new(),
        None => " — residency not recorded".to_owned(),
    }
}

/// How many campaigns of the same commit and mode on the same profile
/// recorded this comparison, and in how many its verdict was the one
/// shown: "held in k of n" when there is more than one.
fn held(all: &[Campaign], shown: &Campaign, id: &str, label: &str, k: &crate::ledger::Comparison) -> String {
    let verdicts: Vec<String> = all
        .iter()
        .filter(|c| c.mode == shown.mode && c.environment.git_commit == shown.environment.git_commit)
        .flat_map(|c| c.entries.iter().filter(|e| e.spec.id == id))
        .flat_map(|e| e.cases.iter().filter(|c| c.label == label))
        .flat_map(|c| c.comparisons.iter().filter(|x| x.a == k.a && x.b == k.b))
        .map(|x| x.verdict.label())
        .collect();
    if verdicts.len() < 2 {
        return String::new();
    }
    let same = verdicts.iter().filter(|v| **v == k.verdict.label()).count();
    format!(" (held in {same} of {} campaigns)", verdicts.len())
}

/// The variants of a case more than twice as slow as its fastest — the
/// pathological paths — each with the verdicts of the comparisons it is in.
fn pathological(case: &CaseRecord) -> Vec<String> {
    let Some(best) = case
        .variants
        .iter()
        .filter(|v| v.wall_median_s > 0.0)
        .min_by(|a, b| a.wall_median_s.total_cmp(&b.wall_median_s))
    else {
        return Vec::new();
    };
    case.variants
        .iter()
        .filter(|v| v.wall_median_s > 2.0 * best.wall_median_s)
        .map(|v| {
            let verdicts: Vec<String> = case
                .comparisons
                .iter()
                .filter(|k| k.a == v.name || k.b == v.name)
                .map(|k| format!("{} vs {}: {}", k.b, k.a, k.verdict.label()))
                .collect();
            format!(
                "{} takes {:.1}× the time of {}{}",
                v.name,
                v.wall_median_s / best.wall_median_s,
                best.name,
                if verdicts.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", verdicts.join("; "))
                }
            )
        })
        .collect()
}

/// The fixture a case reads, from its label ("model.safetensors (87 MB), cold, …").
fn file_of(label: &str) -> &str {
    label.split(" (").next().unwrap_or(label)
}

/// Each file's limit in one profile's entries, by (campaign, file): the
/// fastest variant of the limit experiment's case for that file, as (its
/// name, median seconds).
fn limits(entries: &[(Entry, Campaign)], is_limit: &dyn Fn(&str) -> bool) -> BTreeMap<(String, String), (String, f64)> {
    entries
        .iter()
        .filter(|(e, _)| is_limit(&e.spec.id))
        .flat_map(|(e, camp)| e.cases.iter().map(move |c| (camp.id.clone(), c)))
        .filter_map(|(camp, c)| {
            let v = c
                .variants
                .iter()
                .filter(|v| v.wall_median_s > 0.0)
                .min_by(|a, b| a.wall_median_s.total_cmp(&b.wall_median_s))?;
            Some(((camp, file_of(&c.label).to_owned()), (v.name.clone(), v.wall_median_s)))
        })
        .collect()
}

/// Every profile's campaigns by name (`local` included), and the page's
/// columns: each profile's newest entries, local first, then by name.
#[allow(clippy::type_complexity)]
fn columns(
    local: &[Campaign],
    storage: &[Campaign],
) -> (BTreeMap<String, Vec<Campaign>>, Vec<(String, Vec<(Entry, Campaign)>)>) {
    let mut every: BTreeMap<String, Vec<Campaign>> = BTreeMap::new();
    for c in storage {
        every.entry(profile_name(c)).or_default().push(c.clone());
    }
    let mut columns: Vec<(String, Vec<(Entry, Campaign)>)> = vec![("local".to_owned(), newest(local))];
    columns.extend(every.iter().map(|(name, cs)| (name.clone(), newest(cs))));
    every.insert("local".to_owned(), local.to_vec());
    (every, columns)
}

/// The page, or `None` when no campaign ran off the local disk.
/// `is_limit` tells the experiment whose fastest variant per file is that
/// file's limit on the storage (its group is "Limits").
pub fn page(local: &[Campaign], storage: &[Campaign], is_limit: &dyn Fn(&str) -> bool) -> Option<String> {
    if storage.is_empty() {
        return None;
    }
    let (every, columns) = columns(local, storage);
    let summed = summary(&columns, is_limit);
    let off_local: Vec<&str> = columns
        .iter()
        .skip(1)
        .flat_map(|(_, es)| es.iter().map(|(e, _)| e.spec.id.as_str()))
        .collect();
    let mut ids: Vec<&str> = off_local;
    ids.sort_unstable();
    ids.dedup();

    let mut out = String::new();
    out.push_str(
        "<!-- Generated by `lab report` from reports/ledger/ and reports/ledger/storage/; do not edit. -->\n\
         # loadlab on each storage\n\n\
         The same experiments read their fixtures from each storage profile (`lab run --storage`; \
         `harness/src/storage/mod.rs` describes the profiles). Each column is that profile's newest \
         campaign of each experiment (full when there is one, else quick); every cell is B/A with its 95 % interval and verdict, as on the experiment's page. \
         A cold trial counts as cold only if its files were at most 1 % resident when it started \
         (`mincore`); a cell says when some were not — on tmpfs none can be, since memory is never \
         evicted.\n\n\
         To measure your own storage: put the fixture cache on it (`LOADLAB_FIXTURES=/your/volume lab \
         fixtures`) and run `lab run --only H14,H29,H30,H31`, or serve it through a profile: \
         `lab run --only H29,H30 --storage local --storage slow:latency=2ms,bandwidth=100MB/s`.\n\n\
         ## Profiles\n\n\
         | profile | what it is | filesystem | campaigns (mode, commit) |\n|---|---|---|---|\n",
    );
    for (name, entries) in &columns {
        // The campaigns the column draws on, newest first.
        let mut used: Vec<&Campaign> = entries.iter().map(|(_, c)| c).collect();
        used.sort_by(|a, b| b.id.cmp(&a.id));
        used.dedup_by(|a, b| a.id == b.id);
        let Some(c) = used.first() else {
            let _ = writeln!(out, "| {name} | | | no campaign |");
            continue;
        };
        let campaigns: Vec<String> = used
            .iter()
            .map(|c| {
                format!(
                    "`{}` ({}, {})",
                    c.id,
                    c.mode,
                    crate::env::short_commit(&c.environment.git_commit)
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} |",
            profile_words(c),
            c.environment
                .storage
                .as_ref()
                .map_or_else(|| "not recorded".to_owned(), crate::storage::Storage::describe),
            campaigns.join(", ")
        );
    }
    for id in ids {
        let _ = write!(out, "\n## {id}\n\n| case | comparison |");
        for (name, _) in &columns {
            let _ = write!(out, " {name} |");
        }
        out.push_str("\n|---|---|");
        for _ in &columns {
            out.push_str("---|");
        }
        out.push('\n');
        // Rows: every (case, comparison) any profile recorded, in first-seen order.
        let mut rows: Vec<(String, String, String)> = Vec::new();
        for (_, entries) in &columns {
            for (e, _) in entries.iter().filter(|(e, _)| e.spec.id == id) {
                for case in &e.cases {
                    for k in &case.comparisons {
                        let key = (case.label.clone(), k.b.clone(), k.a.clone());
                        if !rows.contains(&key) {
                            rows.push(key);
                        }
                    }
                }
            }
        }
        for (label, b, a) in &rows {
            let _ = write!(out, "| {label} | {b} vs {a} |");
            for (name, entries) in &columns {
                let cell = entries
                    .iter()
                    .filter(|(e, _)| e.spec.id == id)
                    .flat_map(|(e, camp)| e.cases.iter().map(move |c| (c, camp)))
                    .find(|(c, _)| &c.label == label)
                    .and_then(|(case, camp)| {
                        let k = case.comparisons.iter().find(|k| &k.a == a && &k.b == b)?;
                        Some(format!(
                            "{} {}{}{}",
                            effect_text(k),
                            k.verdict.label(),
                            held(every.get(name).map_or(&[], Vec::as_slice), camp, id, label, k),
                            residency_note(case)
                        ))
                    })
                    .unwrap_or_else(|| "—".to_owned());
                let _ = write!(out, " {cell} |");
            }
            out.push('\n');
        }
        // The fastest way each profile read each case, and for a cold case
        // its share of that file's limit on that storage (same campaign).
        let mut fastest_rows = String::new();
        let mut slow_rows = String::new();
        for s in summed.iter().filter(|s| s.id == id) {
            let share = s
                .share
                .as_ref()
                .map(|(share, way)| format!(" — {share:.2}× of the limit ({way})"))
                .unwrap_or_default();
            let _ = writeln!(fastest_rows, "- {}, {}: {}{share}", s.profile, s.label, s.fastest);
            for p in &s.pathological {
                let _ = writeln!(slow_rows, "- {}, {}: {p}", s.profile, s.label);
            }
        }
        if !fastest_rows.is_empty() {
            out.push_str(
                "\nFastest variant (median time); for a cold case whose campaign also measured the \
                 file's limit, the limit's time over its own — \
                 1.00× reads as fast as the fastest way to read that file on that storage:\n\n",
            );
            out.push_str(&fastest_rows);
        }
        if !slow_rows.is_empty() {
            out.push_str("\nPathological paths — variants taking more than twice the time of the case's fastest:\n\n");
            out.push_str(&slow_rows);
        }
    }
    Some(out)
}

/// One case on one profile, summed up: its fastest variant, for a cold case
/// measured beside the file's limit its share of that limit (and the way
/// that set it), and the variants more than twice as slow.
pub struct Summary {
    /// The profile's name.
    pub profile: String,
    /// The experiment.
    pub id: String,
    /// The case's label.
    pub label: String,
    /// Whether the case was cold.
    pub cold: bool,
    /// The fastest variant and its throughput, in words.
    pub fastest: String,
    /// The limit's time over the fastest variant's, and the limit's way.
    pub share: Option<(f64, String)>,
    /// The variants more than twice as slow as the fastest, each with the verdicts it is in.
    pub pathological: Vec<String>,
    /// Every variant's share of the limit (when measured), else its
    /// throughput, in words.
    pub each: Vec<String>,
}

/// Every case of every column, summed up (see [`Summary`]).
fn summary(columns: &[(String, Vec<(Entry, Campaign)>)], is_limit: &dyn Fn(&str) -> bool) -> Vec<Summary> {
    let mut out = Vec::new();
    for (name, entries) in columns {
        let limit = limits(entries, is_limit);
        for (e, camp) in entries {
            for case in &e.cases {
                let Some(f) = fastest(case) else { continue };
                // A limit bounds what was measured in its own campaign only.
                let key = (camp.id.clone(), file_of(&case.label).to_owned());
                let share = match (case.cache, limit.get(&key)) {
                    (crate::CacheMode::Cold, Some((way, limit_s))) if !is_limit(&e.spec.id) => {
                        let best = case
                            .variants
                            .iter()
                            .map(|v| v.wall_median_s)
                            .filter(|s| *s > 0.0)
                            .fold(f64::INFINITY, f64::min);
                        Some((limit_s / best, way.clone()))
                    }
                    _ => None,
                };
                let each = case
                    .variants
                    .iter()
                    .filter(|v| v.wall_median_s > 0.0)
                    .map(|v| match (&share, limit.get(&key), case.bytes) {
                        (Some(_), Some((_, limit_s)), _) => format!("{} {:.2}×", v.name, limit_s / v.wall_median_s),
                        (_, _, Some(b)) => format!("{} {}/s", v.name, crate::human::bytes(b as f64 / v.wall_median_s)),
                        _ => v.name.clone(),
                    })
                    .collect();
                out.push(Summary {
                    each,
                    profile: name.clone(),
                    id: e.spec.id.clone(),
                    label: case.label.clone(),
                    cold: case.cache == crate::CacheMode::Cold,
                    fastest: f,
                    share,
                    pathological: if is_limit(&e.spec.id) {
                        Vec::new()
                    } else {
                        pathological(case)
                    },
                });
            }
        }
    }
    out
}

/// The README's table of loads on each storage: every cold case of the
/// experiment `id` on every profile, with the fastest variant, its share of
/// the file's limit where the same campaign measured it, and the
/// pathological paths. Empty when no campaign ran `id` off the local disk.
pub fn readme_table(local: &[Campaign], storage: &[Campaign], is_limit: &dyn Fn(&str) -> bool, id: &str) -> String {
    if !storage.iter().any(|c| c.entries.iter().any(|e| e.spec.id == id)) {
        return String::new();
    }
    let (_, columns) = columns(local, storage);
    let mut out = format!(
        "\n**On each storage** ([{id}](reports/{id}.md), every tensor loaded cold; each profile's newest campaign, \
         [reports/storage.md](reports/storage.md) has every comparison and how often it held):\n\n\
         | profile | file | fastest | its share of the storage's limit | each variant (share of the limit, else speed) | more than 2× slower than the fastest |\n|---|---|---|---|---|---|\n"
    );
    for s in summary(&columns, is_limit).iter().filter(|s| s.id == id && s.cold) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            s.profile,
            file_of(&s.label),
            s.fastest,
            s.share.as_ref().map_or_else(
                || "not measured in that campaign".to_owned(),
                |(x, way)| format!("{x:.2}× ({way})")
            ),
            s.each.join(", "),
            if s.pathological.is_empty() {
                "none".to_owned()
            } else {
                s.pathological.join("; ")
            }
        );
    }
    out
}

//! Reports rendered from the ledger alone: one markdown page per
//! experiment with SVG charts, and the `EXPERIMENTS.md` index. Rendering the
//! same ledger twice gives identical files.

pub mod calibration;
pub mod compare;
pub mod markdown;
pub mod peers;
pub mod readme;
pub mod storage;
pub mod svg;

use crate::error::Result;
use crate::ledger::{self, Campaign, Entry, Mode};
use std::path::{Path, PathBuf};

/// Which campaigns a report is drawn from: full runs when there are any,
/// else quick ones.
pub fn select(campaigns: &[Campaign]) -> Vec<(Entry, Campaign)> {
    let any_full = campaigns.iter().any(|c| c.mode == Mode::Full);
    ledger::latest_entries(campaigns, Some(if any_full { Mode::Full } else { Mode::Quick }))
}

/// Renders every page, chart and the index. `reports` is the folder of
/// pages (`reports/`), `index` the path of `EXPERIMENTS.md`; `group_of`
/// names the index section of an experiment id. With `readme`, the
/// results block between its markers ([`readme::BEGIN`]) is rewritten
/// too (a README without the markers is an error); `backends` names the
/// experiment whose cold loads the block sets side by side per storage
/// profile. Returns the files written.
pub fn render(
    ledger_dir: &Path,
    reports: &Path,
    index: &Path,
    readme: Option<&Path>,
    group_of: &dyn Fn(&str) -> String,
    backends: Option<&str>,
) -> Result<Vec<PathBuf>> {
    let campaigns = ledger::load_all(ledger_dir)?;
    let elsewhere = ledger::load_all(&ledger_dir.join(ledger::STORAGE_DIR))?;
    let chosen = select(&campaigns);
    let agreement = |e: &Entry, c: &Campaign| {
        let same = crate::stability::replicated_campaigns(&campaigns, Some(&c.environment.git_commit), 3);
        same.iter()
            .any(|x| x.id == c.id)
            .then(|| crate::stability::headline_agreement(&same, &e.spec.id, e.verdict))
    };
    let svg_dir = reports.join("svg");
    std::fs::create_dir_all(&svg_dir).map_err(|e| crate::HarnessError::io(&svg_dir, e))?;
    let mut written = Vec::new();
    for (entry, campaign) in &chosen {
        let mut charts = svg::charts(entry, &svg_dir)?;
        let history = crate::history::series(&campaigns, &entry.spec.id, None);
        if history.len() >= 3 {
            let steps = crate::history::change_points(&history);
            let file = format!("{}-history.svg", entry.spec.id);
            svg::history_chart(&entry.spec.id, &history, &steps, &svg_dir.join(&file))?;
            charts.push(svg::Chart {
                file,
                caption: history_caption(&history, &steps),
            });
        }
        let ctx = markdown::Context {
            agreement: agreement(entry, campaign),
        };
        let page = markdown::page(entry, campaign, &charts, &ctx);
        let path = reports.join(format!("{}.md", entry.spec.id));
        ledger::write_atomic(&path, page.as_bytes())?;
        written.extend(charts.into_iter().map(|c| svg_dir.join(c.file)));
        written.push(path);
    }
    let text = markdown::index(&chosen, group_of, &agreement);
    ledger::write_atomic(index, text.as_bytes())?;
    written.push(index.to_owned());
    let is_peer = |id: &str| group_of(id) == "Peers";
    if let Some(path) = readme {
        let text = std::fs::read_to_string(path).map_err(|e| crate::HarnessError::io(path, e))?;
        let block = readme_block(&campaigns, &elsewhere, group_of, backends);
        let spliced = readme::splice(&text, &block).ok_or_else(|| {
            crate::HarnessError::io(
                path,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "no results markers (readme::BEGIN … END)",
                ),
            )
        })?;
        if spliced != text {
            ledger::write_atomic(path, spliced.as_bytes())?;
            written.push(path.to_owned());
        }
    }
    if let Some((text, chart)) = peers::page(&chosen, &campaigns, &is_peer, &svg_dir)? {
        let path = reports.join("peers.md");
        ledger::write_atomic(&path, text.as_bytes())?;
        written.push(path);
        written.push(svg_dir.join(chart.file));
    }
    let is_limit = |id: &str| group_of(id) == "Limits";
    if let Some(text) = storage::page(&campaigns, &elsewhere, &is_limit) {
        let path = reports.join("storage.md");
        ledger::write_atomic(&path, text.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}

/// The README's results block for these campaigns (what [`render`] splices
/// between the markers).
///
/// The block quotes verdicts that held in three campaigns of one commit,
/// so its rows come from the newest campaigns of commits that have three
/// replicated full campaigns; newer campaigns of a commit with fewer are
/// named under it (their pages already show them). With `backends`, the
/// block ends with that experiment's cold loads on each storage profile
/// (`storage` holds the campaigns off the local disk).
pub fn readme_block(
    campaigns: &[Campaign],
    storage: &[Campaign],
    group_of: &dyn Fn(&str) -> String,
    backends: Option<&str>,
) -> String {
    // Replicates: campaigns of one commit that ran the same experiments.
    let key = |c: &Campaign| {
        (
            c.environment.git_commit.clone(),
            crate::stability::selection(c).join(","),
        )
    };
    let mut per_commit: std::collections::HashMap<(String, String), usize> = std::collections::HashMap::new();
    for c in crate::stability::replicated_campaigns(campaigns, None, usize::MAX) {
        *per_commit.entry(key(c)).or_default() += 1;
    }
    let three = |c: &Campaign| per_commit.get(&key(c)).is_some_and(|n| *n >= 3);
    let settled: Vec<Campaign> = campaigns.iter().filter(|c| three(c)).cloned().collect();
    let newest_settled = settled.iter().map(|c| c.started.as_str()).max().unwrap_or("");
    let pending: Vec<&Campaign> = crate::stability::replicated_campaigns(campaigns, None, usize::MAX)
        .into_iter()
        .filter(|c| !three(c) && c.started.as_str() > newest_settled)
        .collect();
    let chosen = select(&settled);
    let agreement = |e: &Entry, c: &Campaign| {
        let same = crate::stability::replicated_campaigns(campaigns, Some(&c.environment.git_commit), 3);
        same.iter()
            .any(|x| x.id == c.id)
            .then(|| crate::stability::headline_agreement(&same, &e.spec.id, e.verdict))
    };
    let is_peer = |id: &str| group_of(id) == "Peers";
    let mut block = readme::results(&chosen, campaigns, &is_peer, &agreement);
    if !pending.is_empty() {
        let named: Vec<String> = pending
            .iter()
            .map(|c| {
                format!(
                    "`{}` (commit {}, {} experiments, rule {})",
                    c.id,
                    c.environment.git_commit,
                    c.entries.len(),
                    c.rule
                        .as_ref()
                        .map_or("unrecorded".to_owned(), |r| format!("version {}", r.version))
                )
            })
            .collect();
        block.push_str(&format!(
            "\nNewer full campaigns, not quoted until their commit has three: {}. Their verdicts are on the experiments' pages.\n",
            named.join(", ")
        ));
    }
    if let Some(id) = backends {
        let is_limit = |id: &str| group_of(id) == "Limits";
        block.push_str(&storage::readme_table(campaigns, storage, &is_limit, id));
    }
    block
}

/// The words under a history chart: how many campaigns, and each change
/// point with the commit where it happened (`lab history ID` prints the
/// points).
pub fn history_caption(points: &[crate::history::Point], steps: &[crate::history::ChangePoint]) -> String {
    let found = if steps.is_empty() {
        "no change point (E-divisive, permutation test at 5 %, steps under 2 % ignored)".to_owned()
    } else {
        steps
            .iter()
            .map(|s| {
                format!(
                    "a step at commit {} ({}× → {}×, p = {:.3})",
                    s.commit.chars().take(7).collect::<String>(),
                    crate::human::ratio(s.before),
                    crate::human::ratio(s.after),
                    s.p
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    format!(
        "The headline B/A in each of the ledger's {} full campaigns that recorded it, oldest first, with its 95 % interval, coloured by machine: {found}. `lab history ID` lists them.",
        points.len()
    )
}

//! Each experiment's words live in a page of their own,
//! `experiments/specs/ID.md`, compiled into the binary: a TOML front matter
//! between `+++` lines (source, claim, fixtures, metric, the verdict the
//! explanation was written for, and the experiment's row in
//! `HYPOTHESES.md`), then `# ID — title` and the sections `## Hypothesis`,
//! `## Why`, `## Disposition` and `## Re-attempt`. Prose is wrapped freely:
//! the lines of a paragraph are joined with single spaces, paragraphs with a
//! blank line. Unknown fields and sections are refused, so a misspelled
//! key cannot silently drop words.

use harness::stats::verdict::Verdict;
use harness::{Claim, Explanation, Metric, Spec};
use serde::Deserialize;

/// An experiment's row in the catalog (`HYPOTHESES.md`), in the catalog's
/// own short words.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogRow {
    /// The hypothesis (or, for a peer, the operation) in one line.
    pub row: String,
    /// The seed document or review it came from (hypotheses).
    pub source: Option<String>,
    /// The peer or limit that is A (peers).
    pub peer: Option<String>,
    /// The effect its author claimed, or the target.
    pub effect: String,
    /// The kind of fixture it needs.
    pub fixtures: String,
}

/// A parsed spec page.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The declaration the harness records.
    pub spec: Spec,
    /// The catalog row.
    pub catalog: CatalogRow,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Front {
    id: String,
    source: String,
    claim: String,
    ratio: Option<f64>,
    fixtures: Vec<String>,
    metric: Metric,
    explained: Option<Verdict>,
    /// A declared exception to equal work.
    equal_work: Option<String>,
    catalog: CatalogRow,
}

const SECTIONS: [&str; 4] = ["Hypothesis", "Why", "Disposition", "Re-attempt"];

/// Parses the page of experiment `id` (`file` names it in errors).
pub fn parse(id: &str, file: &str, text: &str) -> Result<Page, String> {
    let err = |what: String| format!("{file}: {what}");
    let rest = text
        .strip_prefix("+++\n")
        .ok_or_else(|| err("does not start with a `+++` front matter line".into()))?;
    let (front, body) = rest
        .split_once("\n+++\n")
        .ok_or_else(|| err("front matter has no closing `+++` line".into()))?;
    let front: Front = toml::from_str(front).map_err(|e| err(format!("front matter: {e}")))?;
    if front.id != id {
        return Err(err(format!("front matter says id {:?}, the registry {id:?}", front.id)));
    }
    let mut lines = body.lines().skip_while(|l| l.trim().is_empty());
    let heading = lines.next().unwrap_or_default();
    let title = heading
        .strip_prefix(&format!("# {id} — "))
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| err(format!("expected the heading `# {id} — title`, found {heading:?}")))?;
    let mut sections: Vec<(String, Vec<String>)> = Vec::new();
    let mut paragraph = String::new();
    let flush = |sections: &mut Vec<(String, Vec<String>)>, paragraph: &mut String| {
        if !paragraph.is_empty() {
            if let Some((_, ps)) = sections.last_mut() {
                ps.push(std::mem::take(paragraph));
            }
        }
    };
    for line in lines {
        if let Some(name) = line.strip_prefix("## ") {
            flush(&mut sections, &mut paragraph);
            if !SECTIONS.contains(&name) {
                return Err(err(format!(
                    "unknown section {name:?} (known: {})",
                    SECTIONS.join(", ")
                )));
            }
            if sections.iter().any(|(n, _)| n == name) {
                return Err(err(format!("section {name:?} appears twice")));
            }
            sections.push((name.to_owned(), Vec::new()));
        } else if line.trim().is_empty() {
            flush(&mut sections, &mut paragraph);
        } else if sections.is_empty() {
            return Err(err(format!("text before the first section: {line:?}")));
        } else {
            if !paragraph.is_empty() {
                paragraph.push(' ');
            }
            paragraph.push_str(line.trim());
        }
    }
    flush(&mut sections, &mut paragraph);
    let mut take = |name: &str| -> Option<String> {
        let i = sections.iter().position(|(n, _)| n == name)?;
        Some(sections.remove(i).1.join("\n\n")).filter(|t| !t.is_empty())
    };
    let hypothesis = take("Hypothesis").ok_or_else(|| err("no `## Hypothesis` text".into()))?;
    let (why, disposition, reattempt) = (take("Why"), take("Disposition"), take("Re-attempt"));
    let explanation = match (front.explained, why, disposition, reattempt) {
        (Some(written_for), Some(why), Some(disposition), Some(reattempt)) => Some(Explanation {
            written_for,
            why,
            disposition,
            reattempt,
        }),
        (None, None, None, None) => None,
        (Some(_), ..) => {
            return Err(err(
                "`explained` is set, so `## Why`, `## Disposition` and `## Re-attempt` all need text".into(),
            ))
        }
        (None, ..) => return Err(err("explanation sections without `explained = \"verdict\"`".into())),
    };
    let claim = match front.ratio {
        Some(r) if r.is_finite() && r > 0.0 => Claim::ratio(front.claim, r),
        Some(r) => return Err(err(format!("ratio {r} is not a positive number"))),
        None => Claim::no_effect(front.claim),
    };
    Ok(Page {
        spec: Spec {
            id: front.id,
            title: title.trim().to_owned(),
            hypothesis,
            source: front.source,
            claim,
            fixtures: front.fixtures,
            metric: front.metric,
            equal_work: front.equal_work,
            explanation,
        },
        catalog: front.catalog,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = concat!(
        "+++\n",
        "id = \"H99\"\n",
        "source = \"s\"\n",
        "claim = \"c\"\n",
        "ratio = 0.5\n",
        "fixtures = []\n",
        "metric = \"wall_time\"\n",
        "explained = \"confirmed\"\n",
        "\n",
        "[catalog]\n",
        "row = \"r\"\n",
        "source = \"001\"\n",
        "effect = \"e\"\n",
        "fixtures = \"any\"\n",
        "+++\n",
        "\n",
        "# H99 — A title\n",
        "\n",
        "## Hypothesis\n",
        "\n",
        "One line\n",
        "wrapped.\n",
        "\n",
        "Second paragraph.\n",
        "\n",
        "## Why\n",
        "\n",
        "w\n",
        "\n",
        "## Disposition\n",
        "\n",
        "d\n",
        "\n",
        "## Re-attempt\n",
        "\n",
        "r\n",
    );

    #[test]
    fn paragraphs_join_lines_with_spaces_and_paragraphs_with_a_blank_line() {
        let p = parse("H99", "H99.md", PAGE).unwrap();
        assert_eq!(p.spec.title, "A title");
        assert_eq!(p.spec.hypothesis, "One line wrapped.\n\nSecond paragraph.");
        assert_eq!(p.spec.claim.ratio, Some(0.5));
        assert_eq!(p.spec.explanation.unwrap().reattempt, "r");
        assert_eq!(p.catalog.source.as_deref(), Some("001"));
    }

    #[test]
    fn misspelled_keys_sections_and_ids_are_refused() {
        let bad = [
            PAGE.replace("claim =", "claims ="),
            PAGE.replace("## Why", "## Reason"),
            PAGE.replace("# H99 —", "# H98 —"),
            PAGE.replace("## Re-attempt\n\nr\n", ""),
            PAGE.replace("explained = \"confirmed\"\n", ""),
            PAGE.replace("ratio = 0.5", "ratio = -1.0"),
            PAGE.replace("[catalog]\n", "[catalog]\ncolour = \"x\"\n"),
        ];
        for b in &bad {
            assert!(parse("H99", "H99.md", b).is_err(), "accepted:\n{b}");
        }
        assert!(parse("H98", "H98.md", PAGE).is_err(), "another id's page");
    }
}

//! Reports come from the ledger alone and are reproducible: rendering the
//! same ledger twice gives identical files; an explanation written for
//! another verdict is flagged as stale.

use harness::ledger::{self, CalibrationInForce, Campaign, CaseRecord, Comparison, Entry, VariantRecord};
use harness::platform::Usage;
use harness::stats::bootstrap::Effect;
use harness::stats::summary::Summary;
use harness::stats::verdict::Expect;
use harness::{CacheMode, Claim, Explanation, Metric, Spec, Verdict};

fn entry(verdict: Verdict, written_for: Verdict) -> Entry {
    let v = |name: &str, s: Vec<f64>| VariantRecord {
        name: name.into(),
        summary: Summary::of(&s),
        samples: s,
        wall_median_s: 0.01,
        usage: Usage::default(),
        counters: vec![("reads".into(), 3)],
        throughput_bps: Some(1e9),
    };
    Entry {
        spec: Spec {
            id: "H99".into(),
            title: "test".into(),
            hypothesis: "A vs B".into(),
            source: "here".into(),
            claim: Claim::ratio("B 30 % faster", 0.7),
            fixtures: vec!["f".into()],
            metric: Metric::WallTime,
            equal_work: None,
            explanation: Some(Explanation {
                written_for,
                why: "Because. More.".into(),
                disposition: "Kept A.".into(),
                reattempt: "Nothing.".into(),
            }),
        },
        fixtures: vec![ledger::FixtureRef {
            name: "f".into(),
            sha256: "ab".repeat(32),
        }],
        cases: (0..3)
            .map(|i| CaseRecord {
                label: format!("case {i}"),
                cache: CacheMode::Warm,
                metric: Metric::WallTime,
                bytes: Some(1 << 20),
                x: Some((1u64 << (10 + 5 * i)) as f64),
                variants: vec![v("A", vec![0.010, 0.011, 0.0105]), v("B", vec![0.013, 0.0135, 0.0132])],
                comparisons: vec![Comparison {
                    a: "A".into(),
                    b: "B".into(),
                    expect: Expect::Ratio(0.7),
                    effect: Effect {
                        ratio: 1.25,
                        lo: 1.2,
                        hi: 1.3,
                        rounds: 3,
                    },
                    verdict,
                    mixture: None,
                }],
                rounds: 3,
                elapsed_s: 0.1,
                stop: "test".into(),
                stops: Vec::new(),
                replication: None,
                residency: None,
            })
            .collect(),
        verdict,
        recorded: "2026-01-01T00:00:00Z".into(),
        evidence: Vec::new(),
    }
}

fn write(dir: &std::path::Path, e: Entry) {
    ledger::save(&dir.join("ledger"), &campaign("2026-01-01T00-00-00Z", vec![e])).unwrap();
}

fn campaign(id: &str, entries: Vec<Entry>) -> Campaign {
    Campaign {
        schema: ledger::SCHEMA,
        id: id.into(),
        mode: harness::ledger::Mode::Full,
        started: "2026-01-01T00:00:00Z".into(),
        finished: Some("2026-01-01T00:10:00Z".into()),
        environment: harness::env::capture(),
        calibration: CalibrationInForce {
            noise_floor: 0.02,
            instruction_floor: 0.005,
            mde: Some(0.02),
            source: "t".into(),
            false_positive_rate: None,
            rule_hash: None,
        },
        rule: None,
        storage_profile: None,
        entries,
    }
}

fn render(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let files = harness::report::render(
        &dir.join("ledger"),
        &dir.join("reports"),
        &dir.join("EXPERIMENTS.md"),
        None,
        &|_| "Tests".to_owned(),
        None,
    )
    .unwrap();
    let mut out: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|f| (f.display().to_string(), std::fs::read(f).unwrap()))
        .collect();
    out.sort();
    out
}

#[test]
fn rendering_the_same_ledger_twice_is_byte_identical() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), entry(Verdict::Opposite, Verdict::Opposite));
    let a = render(d.path());
    let b = render(d.path());
    assert_eq!(a, b);
    let names: Vec<&str> = a.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.iter().any(|n| n.ends_with("H99-effect.svg")));
    assert!(names.iter().any(|n| n.ends_with("H99-sweep.svg")));
    let page = String::from_utf8(std::fs::read(d.path().join("reports/H99.md")).unwrap()).unwrap();
    assert!(page.contains("## Why\n\nBecause."), "{page}");
    let index = String::from_utf8(std::fs::read(d.path().join("EXPERIMENTS.md")).unwrap()).unwrap();
    assert!(
        index.contains("- **H99**") && index.contains("opposite to the claim"),
        "{index}"
    );
    assert!(
        index.contains("## Tests") && index.contains("*inconclusive*:"),
        "grouped, with a glossary"
    );
}

#[test]
fn an_explanation_for_another_verdict_is_flagged_stale() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), entry(Verdict::Opposite, Verdict::Confirmed));
    render(d.path());
    let page = String::from_utf8(std::fs::read(d.path().join("reports/H99.md")).unwrap()).unwrap();
    assert!(
        page.contains("STALE") && page.contains("written for the verdict “confirmed”"),
        "{page}"
    );
}

#[test]
fn campaigns_from_two_machines_keep_a_row_each() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), entry(Verdict::Confirmed, Verdict::Confirmed));
    // The same experiment measured later on another machine (another kernel).
    let mut c = ledger::load_all(&d.path().join("ledger")).unwrap().remove(0);
    c.id = "2026-01-02T00-00-00Z".into();
    if let Some(f) = c.environment.fingerprint.as_mut() {
        f.kernel.push_str("-elsewhere");
    }
    ledger::save(&d.path().join("ledger"), &c).unwrap();
    let all = ledger::load_all(&d.path().join("ledger")).unwrap();
    let chosen = harness::report::select(&all);
    assert_eq!(chosen.len(), 2, "one entry per machine");
    render(d.path());
    let index = String::from_utf8(std::fs::read(d.path().join("EXPERIMENTS.md")).unwrap()).unwrap();
    assert_eq!(index.matches("- **H99**").count(), 2, "{index}");
    assert_eq!(index.matches("machine ").count(), 2, "{index}");
    // A second campaign on the same machine replaces the first.
    let mut same = all[0].clone();
    same.id = "2026-01-03T00-00-00Z".into();
    ledger::save(&d.path().join("ledger"), &same).unwrap();
    let all = ledger::load_all(&d.path().join("ledger")).unwrap();
    assert_eq!(harness::report::select(&all).len(), 2);
}

/// Every SVG of a rendered ledger, by file name.
fn svgs(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(dir.join("reports/svg"))
        .unwrap()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// `(y, text)` of every `<text>` element.
fn texts(svg: &str) -> Vec<(f64, String)> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let y = attr(t, "y")?;
            let body = t.split_once('>')?.1.split("</text>").next()?;
            Some((
                y,
                body.trim()
                    .replace("&amp;", "&")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">"),
            ))
        })
        .collect()
}

fn attr(tag: &str, name: &str) -> Option<f64> {
    let k = format!(" {name}=\"");
    let at = tag.find(&k)? + k.len();
    tag[at..].split('"').next()?.parse().ok()
}

fn replicated(mut e: Entry) -> Entry {
    for (i, c) in e.cases.iter_mut().enumerate() {
        c.label = format!("a long case label number {i} that could drift, warm");
        c.replication = Some(harness::ledger::Replication {
            process_rounds: vec![1, 1, 1],
            control: None,
            margin: 0.02,
            load: None,
            busy: usize::from(i == 1),
            replaced: 0,
        });
    }
    e
}

#[test]
fn every_chart_renders_and_its_labels_sit_on_their_rows() {
    let d = tempfile::tempdir().unwrap();
    let e = replicated(entry(Verdict::Opposite, Verdict::Opposite));
    let rows = harness::report::svg::forest_rows(&e);
    write(d.path(), e);
    render(d.path());
    let all = svgs(d.path());
    assert_eq!(all.len(), 5, "effect, rounds, times, sweep and size charts");
    for (name, svg) in &all {
        // A real SVG renderer parses and rasterizes every chart.
        let tree = resvg::usvg::Tree::from_str(svg, &resvg::usvg::Options::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let size = tree.size().to_int_size();
        let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).expect("non-empty chart");
        resvg::render(&tree, resvg::tiny_skia::Transform::default(), &mut pixmap.as_mut());
        // Tick labels: at most 4 significant digits, never a float artifact.
        // (A number, or a number and its unit: "12.3 ms", "64 KiB".)
        for (_, t) in texts(svg) {
            let number = t.split_whitespace().next().unwrap_or("");
            if number.parse::<f64>().is_ok() {
                assert!(harness::human::significant_digits(number) <= 4, "{name}: tick {t}");
            }
        }
    }
    let (_, forest) = all.iter().find(|(n, _)| n.ends_with("-effect.svg")).unwrap();
    let labels = texts(forest);
    // Markers, not the legend's dot in the header (drawn at the left edge).
    let markers: Vec<f64> = forest
        .split("<circle")
        .skip(1)
        .filter(|c| attr(c, "cx").is_some_and(|x| x > 60.0))
        .filter_map(|c| attr(c, "cy"))
        .collect();
    let data_rows: Vec<&harness::report::svg::Row> = rows.iter().filter(|r| !r.header).collect();
    assert_eq!(markers.len(), data_rows.len());
    for (row, cy) in data_rows.iter().zip(&markers) {
        let (y, _) = labels
            .iter()
            .find(|(_, t)| t == &row.label)
            .unwrap_or_else(|| panic!("label {:?} not among {labels:?}", row.label));
        let half = f64::from(harness::report::svg::ROW_PX) / 2.0;
        assert!(
            (y - cy).abs() < half,
            "label {:?} at y {y}, its marker at {cy}",
            row.label
        );
        // ...and nearer its own marker than any other.
        let nearest = markers.iter().map(|m| (m - y).abs()).fold(f64::INFINITY, f64::min);
        assert!(((y - cy).abs() - nearest).abs() < 1e-9);
    }
}

#[test]
fn a_page_says_its_finding_in_its_first_three_lines() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), replicated(entry(Verdict::Opposite, Verdict::Opposite)));
    render(d.path());
    let page = std::fs::read_to_string(d.path().join("reports/H99.md")).unwrap();
    let head: Vec<&str> = page.lines().take(3).collect();
    let head = head.join("\n");
    assert!(head.contains("opposite to the claim"), "{head}");
    assert!(head.contains("1.250×") && head.contains("[1.200, 1.300]"), "{head}");
    assert!(
        page.contains("**Warning:** 1 of 3 cases measured while other work used the machine"),
        "{page}"
    );
}

#[test]
fn two_campaigns_compare_variant_by_variant_and_export_as_csv() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), entry(Verdict::Opposite, Verdict::Opposite));
    let old = ledger::load_all(&d.path().join("ledger")).unwrap().remove(0);
    let mut new = old.clone();
    new.id = "2026-01-02T00-00-00Z".into();
    for c in &mut new.entries[0].cases {
        let b = &mut c.variants[1];
        b.samples.iter_mut().for_each(|x| *x *= 2.0);
        b.summary = Summary::of(&b.samples);
        c.comparisons[0].verdict = Verdict::Confirmed;
    }
    let cmp = harness::report::compare::compare(&old, &new, 0.02);
    assert_eq!(
        cmp.count(harness::report::compare::Change::Regressed),
        3,
        "{}",
        cmp.terminal()
    );
    // Three samples a side cannot show that A did not change.
    assert_eq!(cmp.count(harness::report::compare::Change::Inconclusive), 3);
    let t = cmp.terminal();
    assert!(
        t.contains("3 of 3 verdicts worded differently") && t.contains("+100.00 %"),
        "{t}"
    );
    // The summary comes first, and says the two measured one commit.
    let summary_at = t.find("variants:").unwrap();
    assert!(summary_at < t.find("+100.00 %").unwrap(), "{t}");
    assert!(
        t.lines()
            .nth(2)
            .unwrap()
            .starts_with("Warning: both campaigns measured commit"),
        "{t}"
    );
    // A campaign compared with itself: no change anywhere.
    let same = harness::report::compare::compare(&new, &new, 0.02);
    assert_eq!(
        same.count(harness::report::compare::Change::NoChange),
        same.variants.len()
    );
    assert!(same.terminal().contains("compared with itself"), "{}", same.terminal());
    assert!(cmp.markdown().contains("**(changed)**"));
    let csv = harness::report::compare::csv(&new);
    assert_eq!(
        csv.lines().count(),
        1 + 3 * 3,
        "header, 2 variants + 1 comparison per case"
    );
    assert!(csv.lines().nth(1).unwrap().starts_with("2026-01-02T00-00-00Z,"));
}

/// Every `<text>` with what a reader needs to check it fits: x, anchor,
/// font size, whether it is rotated, and its words.
fn text_boxes(svg: &str) -> Vec<(f64, String, f64, bool, String)> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let tag = t.split_once('>')?.0;
            let x = attr(tag, "x")?;
            let size = attr(tag, "font-size").unwrap_or(12.0);
            let anchor = tag
                .split_once("text-anchor=\"")
                .and_then(|(_, r)| r.split('"').next())
                .unwrap_or("start")
                .to_owned();
            let body = t
                .split_once('>')?
                .1
                .split("</text>")
                .next()?
                .trim()
                .replace("&amp;", "&");
            Some((x, anchor, size, tag.contains("rotate"), body))
        })
        .collect()
}

fn canvas_width(svg: &str) -> f64 {
    attr(svg.split_once("<svg").unwrap().1, "width").unwrap()
}

/// A tick label's value: a plain number, or bytes in binary units.
fn tick_value(t: &str) -> Option<f64> {
    if let Ok(v) = t.parse::<f64>() {
        return Some(v);
    }
    let (n, unit) = t.split_once(' ')?;
    let k = match unit {
        "B" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some(n.parse::<f64>().ok()? * k)
}

/// An entry whose ratios sit in a narrow band far from 1 (0.18–0.22, a
/// log axis once 1.0 is on it), swept over sizes in two families ("every
/// byte" and "one byte per page"), with several processes per case.
fn narrow_entry() -> Entry {
    let mut e = replicated(entry(Verdict::Confirmed, Verdict::Confirmed));
    e.spec.claim = Claim::ratio("B 80 % faster", 0.2);
    let mut cases = Vec::new();
    for (i, c) in e.cases.iter().enumerate() {
        for consumer in ["every byte", "one byte per page"] {
            let mut c = c.clone();
            let size = 1u64 << (16 + 4 * i);
            c.label = format!(
                "sweep.safetensors ({}), warm, {consumer}",
                harness::human::bytes(size as f64)
            );
            c.x = Some(size as f64);
            c.bytes = Some(size);
            let a: Vec<f64> = (0..30).map(|k| 0.010 + 0.0001 * (k % 7) as f64).collect();
            let b: Vec<f64> = a
                .iter()
                .enumerate()
                .map(|(k, x)| x * (0.18 + 0.04 * (k % 5) as f64 / 4.0))
                .collect();
            c.variants[0].samples = a.clone();
            c.variants[0].summary = Summary::of(&a);
            c.variants[1].samples = b.clone();
            c.variants[1].summary = Summary::of(&b);
            c.replication.as_mut().unwrap().process_rounds = vec![10, 10, 10];
            c.comparisons[0].expect = Expect::Ratio(0.2);
            c.comparisons[0].effect = Effect {
                ratio: 0.2,
                lo: 0.19,
                hi: 0.21,
                rounds: 30,
            };
            cases.push(c);
        }
    }
    e.cases = cases;
    e
}

#[test]
fn every_chart_reads_on_its_own() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), narrow_entry());
    render(d.path());
    let all = svgs(d.path());
    assert_eq!(all.len(), 5);
    for (name, svg) in &all {
        let width = canvas_width(svg);
        let boxes = text_boxes(svg);
        for (x, anchor, size, rotated, body) in &boxes {
            // ≥ 12 px once GitHub scales the canvas to its column.
            assert!(
                size * (880.0 / width).min(1.0) >= 12.0 - 1e-9,
                "{name}: {size} px text {body:?} on {width} px"
            );
            if *rotated {
                continue;
            }
            let w = body.chars().count() as f64 * size * 0.55;
            let (l, r) = match anchor.as_str() {
                "end" => (x - w, *x),
                "middle" => (x - w / 2.0, x + w / 2.0),
                _ => (*x, x + w),
            };
            assert!(
                l >= -1.0 && r <= width + 1.0,
                "{name}: {body:?} runs off a {width} px canvas ({l:.0}–{r:.0})"
            );
        }
        // A legend and the direction of better, in the image itself.
        assert!(
            boxes
                .iter()
                .any(|b| b.4.contains("below 1") || b.4.contains("lower is better")),
            "{name}: no direction note"
        );
        // No number is printed twice as a tick.
        let mut numbers: Vec<&String> = boxes
            .iter()
            .map(|b| &b.4)
            .filter(|t| t.parse::<f64>().is_ok())
            .collect();
        let n = numbers.len();
        numbers.sort();
        numbers.dedup();
        assert_eq!(numbers.len(), n, "{name}: a tick label is printed twice");
    }
    // Log axes have at least two labelled ticks where the data are.
    let ticks_in = |name: &str, lo: f64, hi: f64| {
        let (_, svg) = all.iter().find(|(n, _)| n.ends_with(name)).unwrap();
        text_boxes(svg)
            .iter()
            .filter_map(|b| tick_value(&b.4))
            .filter(|v| *v >= lo && *v <= hi)
            .count()
    };
    assert!(ticks_in("-effect.svg", 0.19, 0.21) >= 2, "forest");
    assert!(ticks_in("-rounds.svg", 0.18, 0.22) >= 2, "rounds");
    assert!(ticks_in("-sweep.svg", 0.19, 0.21) >= 2, "sweep ratio axis");
    // Sizes on binary ticks: powers of two, printed whole.
    let (_, sweep) = all.iter().find(|(n, _)| n.ends_with("-sweep.svg")).unwrap();
    let sizes: Vec<f64> = text_boxes(sweep)
        .iter()
        .filter(|b| b.4.ends_with("iB"))
        .filter_map(|b| tick_value(&b.4))
        .collect();
    assert!(sizes.len() >= 2, "{sizes:?}");
    assert!(sizes.iter().all(|v| v.log2().fract() == 0.0), "{sizes:?}");
    // Two consumers are two lines, each named in the legend.
    assert!(sweep.contains("every byte") && sweep.contains("one byte per page"));
    // The rounds come in process colours, in the order measured.
    let (_, rounds) = all.iter().find(|(n, _)| n.ends_with("-rounds.svg")).unwrap();
    assert!(rounds.contains("process 1") && rounds.contains("process 3"));
    assert!(rounds.contains("in the order measured"));
    if let Ok(dir) = std::env::var("LOADLAB_CHART_PNG_DIR") {
        png_all(&all, std::path::Path::new(&dir));
    }
}

/// Rasterizes charts to PNG (to look at them: `LOADLAB_CHART_PNG_DIR=…`),
/// with the system's fonts.
fn png_all(all: &[(String, String)], dir: &std::path::Path) {
    std::fs::create_dir_all(dir).unwrap();
    let mut opt = resvg::usvg::Options::default();
    opt.fontdb_mut().load_system_fonts();
    opt.fontdb_mut().set_sans_serif_family("DejaVu Sans");
    for (name, svg) in all {
        let tree = resvg::usvg::Tree::from_str(svg, &opt).unwrap();
        let size = tree.size().to_int_size();
        let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).unwrap();
        resvg::render(&tree, resvg::tiny_skia::Transform::default(), &mut pixmap.as_mut());
        pixmap.save_png(dir.join(name.replace(".svg", ".png"))).unwrap();
    }
}

/// `LOADLAB_CHART_PNG_DIR=/tmp/png cargo test -p harness --test report -- --ignored`:
/// every committed chart as PNG, to look at.
#[test]
#[ignore = "writes PNGs of the committed charts for a person to look at"]
fn committed_charts_as_png() {
    let Ok(dir) = std::env::var("LOADLAB_CHART_PNG_DIR") else {
        return;
    };
    let svg_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../reports/svg");
    let mut all = Vec::new();
    for e in std::fs::read_dir(svg_dir).unwrap() {
        let p = e.unwrap().path();
        all.push((
            p.file_name().unwrap().to_string_lossy().into_owned(),
            std::fs::read_to_string(&p).unwrap(),
        ));
    }
    png_all(&all, std::path::Path::new(&dir));
}

/// A cold case on a storage is stated as a share of its file's limit only
/// when the limit was measured in the same campaign: a limit is measured
/// in the same run as what it bounds.
#[test]
fn a_storage_limit_bounds_only_its_own_campaign() {
    let cold = |id: &str, label: &str, median: f64| {
        let mut e = entry(Verdict::NoEffect, Verdict::NoEffect);
        e.spec.id = id.into();
        e.cases.truncate(1);
        e.cases[0].label = label.into();
        e.cases[0].cache = CacheMode::Cold;
        for v in &mut e.cases[0].variants {
            v.wall_median_s = median;
        }
        e
    };
    let limit = cold("H33", "f (1 MiB), cold, every way to read it", 0.010);
    let load = cold("H36", "f (1 MiB), cold, every tensor loaded", 0.020);
    let slow = |c: &mut Campaign| c.storage_profile = Some(harness::storage::Profile::Slow(Default::default()));
    let is_limit = |id: &str| id == "H33";

    let mut same = campaign("2026-01-02T00-00-00Z", vec![limit.clone(), load.clone()]);
    slow(&mut same);
    let page = harness::report::storage::page(&[], &[same], &is_limit).unwrap();
    assert!(page.contains("0.50× of the limit"), "{page}");

    let mut a = campaign("2026-01-02T00-00-00Z", vec![limit]);
    let mut b = campaign("2026-01-03T00-00-00Z", vec![load]);
    slow(&mut a);
    slow(&mut b);
    let page = harness::report::storage::page(&[], &[a, b], &is_limit).unwrap();
    assert!(page.contains("H36") && !page.contains("of the limit"), "{page}");
}

/// The storage page names a variant more than twice as slow as its case's
/// fastest, with the verdicts it is in, and counts how many campaigns of
/// the same commit on a profile gave a cell's verdict; the README's table
/// lists the cold loads per profile with each variant's share of the limit.
#[test]
fn the_storage_page_names_pathological_paths_and_how_often_a_verdict_held() {
    let cold = |id: &str, label: &str, a: f64, b: f64, verdict: Verdict| {
        let mut e = entry(verdict, verdict);
        e.spec.id = id.into();
        e.cases.truncate(1);
        e.cases[0].label = label.into();
        e.cases[0].cache = CacheMode::Cold;
        e.cases[0].variants[0].wall_median_s = a;
        e.cases[0].variants[1].wall_median_s = b;
        e
    };
    let limit = cold(
        "H33",
        "f (1 MiB), cold, every way to read it",
        0.010,
        0.010,
        Verdict::NoEffect,
    );
    let slow = |c: &mut Campaign| c.storage_profile = Some(harness::storage::Profile::Slow(Default::default()));
    let is_limit = |id: &str| id == "H33";
    let mut runs = Vec::new();
    for (i, v) in [Verdict::Confirmed, Verdict::Confirmed, Verdict::NoEffect]
        .into_iter()
        .enumerate()
    {
        // B takes 2.5× A's time: pathological; the verdicts differ in one of three.
        let load = cold("H36", "f (1 MiB), cold, every tensor loaded", 0.020, 0.050, v);
        let mut c = campaign(&format!("2026-01-0{}T00-00-00Z", i + 2), vec![limit.clone(), load]);
        slow(&mut c);
        runs.push(c);
    }
    let page = harness::report::storage::page(&[], &runs, &is_limit).unwrap();
    assert!(page.contains("B takes 2.5× the time of A (B vs A: "), "{page}");
    // The newest campaign's verdict (no effect) held in 1 of the 3.
    assert!(page.contains("(held in 1 of 3 campaigns)"), "{page}");
    let table = harness::report::storage::readme_table(&[], &runs, &is_limit, "H36");
    assert!(
        table.contains("| slow | f | A at 50 MiB/s | 0.50× (A) | A 0.50×, B 0.20× |"),
        "{table}"
    );
    assert!(harness::report::storage::readme_table(&[], &runs, &is_limit, "H99").is_empty());
}

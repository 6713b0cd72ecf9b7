//! SVG charts with plotters, sized from their content:
//!
//! * a **forest plot** of every comparison (grouped by variant pair): the
//!   measured B/A ratio with its 95 % interval, the claimed ratio, and the
//!   case's margin as a shaded band. Row labels are drawn at the pixel row
//!   the chart's own coordinate mapping gives each marker, so a label cannot
//!   drift off its row;
//! * the **per-round ratios** of the headline case, with median and interval;
//! * **size sweeps**: one series per case family (comparison, cache mode,
//!   metric) on log axes, with interval bands, units and a legend.
//!
//! Tick labels come from [`crate::human::tick`] (at most 4 significant
//! digits, never a float artifact).

use crate::error::{HarnessError, Result};
pub use crate::human::bytes as human;
use crate::human::tick;
use crate::ledger::{CaseRecord, Entry};
use plotters::coord::combinators::BindKeyPoints;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// A chart written for a page.
pub struct Chart {
    /// File name inside `reports/svg/`.
    pub file: String,
    /// Caption under the chart.
    pub caption: String,
}

fn err(path: &Path, e: impl std::fmt::Display) -> HarnessError {
    HarnessError::Plot {
        path: path.to_owned(),
        reason: e.to_string(),
    }
}

const FONT: &str = "sans-serif";
/// Pixel height of one forest-plot row.
pub const ROW_PX: u32 = 28;
const BAND: RGBColor = RGBColor(225, 225, 225);

/// The Okabe–Ito palette: told apart with every common colour-vision
/// deficiency (blue, vermillion, green, purple, orange, sky blue, yellow).
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(240, 228, 66),
];
/// Measured values.
const MEASURED: RGBColor = PALETTE[0];
/// Claims and targets.
const CLAIMED: RGBColor = PALETTE[1];

/// The `i`-th colour for a series, cycling through [`PALETTE`] without
/// the vermillion that marks claims.
pub fn pick(i: usize) -> RGBColor {
    const SERIES: [usize; 6] = [0, 2, 3, 4, 5, 6];
    PALETTE[SERIES[i % SERIES.len()]]
}

/// The widest a page column shows an image (GitHub scales wider ones down).
pub const DISPLAY_PX: f64 = 880.0;

/// The font size to ask plotters for so that text still reads as at least
/// 12.5 px once a canvas of `width` is scaled to [`DISPLAY_PX`] (plotters
/// writes `font-size` as the size asked for divided by 1.24).
pub fn font_px(width: u32) -> u32 {
    (12.5 * 1.24 * (f64::from(width) / DISPLAY_PX).max(1.0)).ceil() as u32
}

/// Ticks for a ratio (or any positive) axis spanning `axis`, with at least
/// two inside `data` where it can: 1-2-5 per decade on a log axis (denser
/// steps, then evenly spaced ticks over the data, when the data span less
/// than that), round steps on a linear one, finer ones over the data
/// when the axis is much wider than the data. No two ticks print alike.
pub fn axis_ticks(axis: (f64, f64), data: (f64, f64), log: bool) -> Vec<f64> {
    let (lo, hi) = axis;
    let (dlo, dhi) = if data.0 <= data.1 { data } else { axis };
    let inside = |t: &f64| *t >= lo && *t <= hi;
    let in_data = |v: &[f64]| v.iter().filter(|t| **t >= dlo && **t <= dhi).count();
    let mut out: Vec<f64>;
    if log && lo > 0.0 {
        let sets: [&[f64]; 3] = [
            &[1.0, 2.0, 5.0],
            &[1.0, 1.5, 2.0, 3.0, 5.0, 7.0],
            &[1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
        ];
        let (d0, d1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
        // Over many decades, 1-2-5 crowds: decades alone (then 1-3).
        let decades = (hi / lo).log10();
        let sets: [&[f64]; 3] = if decades > 3.0 {
            [&[1.0], &[1.0, 3.0], sets[0]]
        } else if decades > 1.6 {
            [&[1.0, 3.0], sets[0], sets[1]]
        } else {
            sets
        };
        let of = |set: &[f64]| -> Vec<f64> {
            (d0..=d1)
                .flat_map(|d| set.iter().map(move |m| m * 10f64.powi(d)))
                .filter(inside)
                .collect()
        };
        out = of(sets[0]);
        for set in &sets[1..] {
            if in_data(&out) >= 2 {
                break;
            }
            let denser = of(set);
            if denser.len() <= 16 && in_data(&denser) >= 2 {
                out = denser;
            }
        }
    } else {
        out = linear_ticks(lo, hi, (hi - lo) / 6.0);
    }
    if in_data(&out) < 2 && dhi > dlo {
        // The data sit between two ticks: add evenly spaced ones over them.
        let fine = linear_ticks(dlo, dhi, (dhi - dlo) / 3.0);
        let min_gap = if log { (hi / lo).ln() / 25.0 } else { (hi - lo) / 25.0 };
        let far = |a: f64, b: f64| if log { (a / b).ln().abs() } else { (a - b).abs() } >= min_gap;
        let coarse = std::mem::take(&mut out);
        out = fine;
        for t in coarse {
            if out.iter().all(|f| far(*f, t)) {
                out.push(t);
            }
        }
    }
    out.sort_by(f64::total_cmp);
    // Never closer than a fourteenth of the axis: labels must not touch.
    let span = if log { (hi / lo).ln() } else { hi - lo };
    let dist = |a: f64, b: f64| if log { (b / a).ln().abs() } else { (b - a).abs() };
    let mut kept: Vec<f64> = Vec::new();
    for t in out {
        if kept.last().is_none_or(|k| dist(*k, t) >= span / 14.0) {
            kept.push(t);
        }
    }
    let mut out = kept;
    let mut seen: Vec<String> = Vec::new();
    out.retain(|t| {
        let l = tick(*t);
        let new = !seen.contains(&l);
        seen.push(l);
        new
    });
    out
}

/// Multiples of a round step (1, 2, 2.5 or 5 × 10^k, at least `step`)
/// from `lo` to `hi`.
fn linear_ticks(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    if !(step > 0.0 && step.is_finite()) {
        return vec![lo];
    }
    let p = 10f64.powf(step.log10().floor());
    let nice = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|s| *s >= step)
        .unwrap_or(10.0 * p);
    let first = (lo / nice).ceil() as i64;
    let last = (hi / nice).floor() as i64;
    (first..=last).map(|k| k as f64 * nice).collect()
}

/// Byte ticks at powers of two (every second, fourth, … power when many),
/// so binary units print whole: 64 KiB, 256 KiB, 1 MiB.
pub fn byte_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let (a, b) = (lo.max(1.0).log2().ceil() as i32, hi.max(1.0).log2().floor() as i32);
    let n = (b - a + 1).max(1);
    let every = ((n + 7) / 8).max(1);
    // Align to powers of 4^k so labels are 1, 4, 16, 64, 256 of a unit.
    let every = if every > 1 && every % 2 == 1 { every + 1 } else { every };
    (a..=b)
        .filter(|p| (p - a.div_euclid(every) * every) % every == 0 || every == 1)
        .map(|p| 2f64.powi(p))
        .collect()
}

/// `text` shortened with "…" to at most `max_px` at font size `font`.
fn fit(text: &str, max_px: u32, font: u32) -> String {
    if text_px(text, f64::from(font)) <= max_px {
        return text.to_owned();
    }
    let mut t: String = text.to_owned();
    while !t.is_empty() && text_px(&format!("{t}…"), f64::from(font)) > max_px {
        t.pop();
    }
    format!("{}…", t.trim_end())
}

/// `text` broken into lines of at most `max_px` at font size `font`.
fn wrap(text: &str, max_px: u32, font: u32) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for w in text.split(' ') {
        let candidate = if line.is_empty() {
            w.to_owned()
        } else {
            format!("{line} {w}")
        };
        if !line.is_empty() && text_px(&candidate, f64::from(font)) > max_px {
            lines.push(std::mem::take(&mut line));
            line = w.to_owned();
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// A legend key: the mark drawn before its words.
#[derive(Clone, Copy)]
pub enum Key {
    /// A filled dot.
    Dot(RGBColor),
    /// A thick horizontal bar (an interval).
    Bar(RGBColor),
    /// A triangle (a claim).
    Triangle(RGBColor),
    /// A grey square (a margin band).
    Band,
    /// A line.
    Line(RGBColor),
    /// Words only (a direction note).
    Note,
}

/// Draws `title` (wrapped) and the legend `keys` (wrapped into rows) at the
/// top of `root`; returns the pixels used.
fn header(
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    title: &str,
    keys: &[(Key, String)],
    font: u32,
) -> std::result::Result<u32, String> {
    let width = root.dim_in_pixel().0;
    let e = |x: DrawingAreaErrorKind<std::io::Error>| x.to_string();
    let mut y = 8i32;
    let tf = font + 2;
    for line in wrap(title, width.saturating_sub(20), tf) {
        root.draw(&Text::new(
            line,
            (10, y),
            (FONT, tf).into_font().style(FontStyle::Bold).color(&BLACK),
        ))
        .map_err(e)?;
        y += (tf as i32) * 13 / 10;
    }
    y += 4;
    let mut x = 10i32;
    let row = (font as i32) * 3 / 2;
    for (key, words) in keys {
        let w = text_px(words, f64::from(font)) as i32 + if matches!(key, Key::Note) { 12 } else { 34 };
        if x > 10 && x + w > width as i32 - 10 {
            x = 10;
            y += row;
        }
        let cy = y + font as i32 / 2;
        match *key {
            Key::Dot(c) => root.draw(&Circle::new((x + 8, cy), 5, c.filled())).map_err(e)?,
            Key::Bar(c) => root
                .draw(&PathElement::new(vec![(x, cy), (x + 18, cy)], c.stroke_width(4)))
                .map_err(e)?,
            Key::Triangle(c) => root.draw(&TriangleMarker::new((x + 8, cy), 6, c.filled())).map_err(e)?,
            Key::Band => root
                .draw(&Rectangle::new([(x, cy - 6), (x + 18, cy + 6)], BAND.filled()))
                .map_err(e)?,
            Key::Line(c) => root
                .draw(&PathElement::new(vec![(x, cy), (x + 18, cy)], c.stroke_width(2)))
                .map_err(e)?,
            Key::Note => {}
        }
        let tx = if matches!(key, Key::Note) { x } else { x + 24 };
        root.draw(&Text::new(
            words.clone(),
            (tx, y),
            (FONT, font).into_font().color(&BLACK),
        ))
        .map_err(e)?;
        x += w + 8;
    }
    Ok((y + row + 6) as u32)
}

/// The height [`header`] will take, to size a canvas before drawing.
fn header_height(title: &str, keys: &[(Key, String)], width: u32, font: u32) -> u32 {
    let tf = font + 2;
    let title_h = wrap(title, width.saturating_sub(20), tf).len() as u32 * tf * 13 / 10;
    let mut rows = 1;
    let mut x = 10u32;
    for (key, words) in keys {
        let w = text_px(words, f64::from(font)) + if matches!(key, Key::Note) { 12 } else { 34 };
        if x > 10 && x + w > width - 10 {
            x = 10;
            rows += 1;
        }
        x += w + 8;
    }
    8 + title_h + 4 + rows * font * 3 / 2 + 6
}

/// Draws every chart of an entry into `dir`; returns what was drawn.
pub fn charts(e: &Entry, dir: &Path) -> Result<Vec<Chart>> {
    let mut out = Vec::new();
    let id = &e.spec.id;
    let f = format!("{id}-effect.svg");
    effect_chart(e, &dir.join(&f))?;
    out.push(Chart {
        file: f,
        caption: "Measured B/A ratio per comparison (dot) with its 95 % interval (bar); triangle: the claimed ratio; grey band: the case's margin (inside it is “no effect”); black line: 1.0. The legend is in the chart.".into(),
    });
    if let Some(case) = e
        .cases
        .first()
        .filter(|c| !c.comparisons.is_empty() && c.variants.iter().all(|v| v.samples.len() > 1))
    {
        let f = format!("{id}-rounds.svg");
        rounds_chart(case, &dir.join(&f))?;
        out.push(Chart {
            file: f,
            caption: format!(
                "Every round of the headline comparison in “{}”, in the order measured and coloured by worker process: drift, a process unlike the others, or rounds that cluster by process show here. Black line: the median; blue band: its 95 % interval; grey: the margin.",
                case.label
            ),
        });
        let f = format!("{id}-times.svg");
        times_chart(case, &dir.join(&f))?;
        out.push(Chart {
            file: f,
            caption: "Each variant's per-round values in the headline case, sorted: the distribution behind the ratio, in absolute units.".into(),
        });
    }
    let swept: Vec<&CaseRecord> = e.cases.iter().filter(|c| c.x.is_some()).collect();
    if swept.len() >= 2 {
        let f = format!("{id}-sweep.svg");
        sweep_chart(e, &swept, &dir.join(&f))?;
        out.push(Chart {
            file: f,
            caption: "B/A ratio against size, one line per case family, with its 95 % interval as a band (log axes); dashed red: the claimed ratio; grey: ± the smallest margin.".into(),
        });
        let timed: Vec<&CaseRecord> = swept
            .iter()
            .copied()
            .filter(|c| c.metric == crate::Metric::WallTime)
            .collect();
        if timed.len() >= 2 {
            let f = format!("{id}-size.svg");
            size_chart(e, &timed, &dir.join(&f))?;
            out.push(Chart {
                file: f,
                caption: "Absolute time against size for every variant (log axes): the line is the median trial, the band spans the 10th to 90th percentile of trials.".into(),
            });
        }
    }
    Ok(out)
}

/// One forest-plot row.
#[derive(Debug, Clone)]
pub struct Row {
    /// Label drawn left of the row.
    pub label: String,
    /// Measured ratio, and its interval.
    pub ratio: f64,
    /// Lower end of the interval.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
    /// Claimed ratio, if any.
    pub claimed: Option<f64>,
    /// The case's margin (a fraction).
    pub margin: f64,
    /// A group header row (no marker).
    pub header: bool,
}

impl Row {
    /// A group's header row (bold, no marker).
    pub fn header(label: impl Into<String>) -> Row {
        Row {
            label: label.into(),
            ratio: f64::NAN,
            lo: f64::NAN,
            hi: f64::NAN,
            claimed: None,
            margin: 0.0,
            header: true,
        }
    }
}

/// A ratio axis's words: "B/A (log scale; 1.0 off the scale)".
fn ratio_desc(base: &str, log: bool, shown: bool) -> String {
    format!(
        "{base}{}{}",
        if log { " (log scale)" } else { "" },
        if shown { "" } else { "; 1.0 off the scale" }
    )
}

/// The forest plot's rows: comparisons grouped by variant pair, each group
/// under a header row, in the order the pairs first appear.
pub fn forest_rows(e: &Entry) -> Vec<Row> {
    let mut pairs: Vec<String> = Vec::new();
    for c in &e.cases {
        for k in &c.comparisons {
            let p = format!("{} vs {}", k.b, k.a);
            if !pairs.contains(&p) {
                pairs.push(p);
            }
        }
    }
    let mut rows = Vec::new();
    for p in &pairs {
        rows.push(Row::header(p.clone()));
        for c in &e.cases {
            for k in c.comparisons.iter().filter(|k| &format!("{} vs {}", k.b, k.a) == p) {
                rows.push(Row {
                    label: c.label.clone(),
                    ratio: k.effect.ratio,
                    lo: k.effect.lo,
                    hi: k.effect.hi,
                    claimed: k.expect.ratio(),
                    margin: c.replication.as_ref().map_or(0.0, |r| r.margin),
                    header: false,
                });
            }
        }
    }
    rows
}

fn text_px(s: &str, size: f64) -> u32 {
    (s.chars().count() as f64 * size * 0.55) as u32
}

/// The smallest and largest positive finite value (the data alone, without
/// any reference line); (1, 1) when there is none.
fn data_range<'a>(values: impl Iterator<Item = &'a f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, 0f64);
    for &v in values {
        if v.is_finite() && v > 0.0 {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if lo <= hi {
        (lo, hi)
    } else {
        (1.0, 1.0)
    }
}

/// A ratio axis over `values` and, when they are near enough to matter,
/// the reference lines `refs` (1.0, the margin's edges): data squeezed
/// into a corner of an axis stretched to reach 1.0 could carry no readable
/// tick, so a reference more than a factor of four beyond the data's own
/// span is left off (the chart then says so). Log scale when the axis
/// spans more than 4×, padded by the factor `log_pad`; else linear, padded
/// by 8 % of the span plus `lin_pad`. Returns (low, high, log, refs shown).
fn ratio_axis(values: &[f64], refs: &[f64], log_pad: f64, lin_pad: f64) -> (f64, f64, bool, bool) {
    let (dlo, dhi) = data_range(values.iter());
    let with: Vec<f64> = values.iter().chain(refs).copied().collect();
    let (rlo, rhi) = data_range(with.iter());
    let span = (dhi / dlo).ln().max(1.2f64.ln());
    let shown = (rhi / rlo).ln() <= 4.0 * span + 2f64.ln();
    let (lo, hi) = if shown { (rlo, rhi) } else { (dlo, dhi) };
    if hi / lo > 4.0 {
        (lo / log_pad, hi * log_pad, true, shown)
    } else {
        let pad = (hi - lo) * 0.08 + lin_pad;
        (lo - pad, hi + pad, false, shown)
    }
}

/// How a forest plot words its axis and legend.
pub struct Forest<'a> {
    /// The axis's description ("B/A ratio").
    pub axis: &'a str,
    /// What the triangle marks ("claimed ratio", "target (at most)").
    pub claim: &'a str,
    /// The direction note ("below 1: B needs less").
    pub direction: &'a str,
    /// The title.
    pub title: String,
}

/// The forest of every comparison of an entry (B/A with intervals).
pub fn effect_chart(e: &Entry, path: &Path) -> Result<()> {
    forest_chart(
        &forest_rows(e),
        &Forest {
            axis: "B/A ratio",
            claim: "claimed ratio",
            direction: "below 1: B needs less",
            title: format!("{} — B/A per comparison", e.spec.id),
        },
        path,
    )
}

/// A forest of `rows` worded by `f`.
pub fn forest_chart(rows: &[Row], f: &Forest<'_>, path: &Path) -> Result<()> {
    let n = rows.len().max(1);
    let all: Vec<f64> = rows
        .iter()
        .flat_map(|r| [r.ratio, r.lo, r.hi].into_iter().chain(r.claimed))
        .collect();
    let refs: Vec<f64> = rows
        .iter()
        .filter(|r| !r.header)
        .flat_map(|r| [1.0, 1.0 - r.margin, 1.0 + r.margin])
        .chain([1.0])
        .collect();
    let data: Vec<f64> = rows.iter().flat_map(|r| [r.lo, r.hi]).collect();
    let (dlo, dhi) = data_range(data.iter());
    let (lo, hi, log, shown) = ratio_axis(&all, &refs, 1.3, 0.01);
    let sized = |font: u32| {
        let label_w = rows
            .iter()
            .map(|r| text_px(&r.label, f64::from(font)))
            .max()
            .unwrap_or(100)
            .clamp(120, 620)
            + 36;
        (label_w, label_w + 560)
    };
    // Wider labels need a larger font to stay legible once scaled down,
    // which widens the labels again: settle on a size that holds.
    let mut font = font_px(sized(font_px(0)).1);
    for _ in 0..4 {
        font = font.max(font_px(sized(font).1));
    }
    let (label_w, width) = sized(font);
    let row_px = ROW_PX.max(font * 2);
    let keys = vec![
        (Key::Dot(MEASURED), "measured".to_owned()),
        (Key::Bar(MEASURED), "95 % interval".to_owned()),
        (Key::Triangle(CLAIMED), f.claim.to_owned()),
        (Key::Band, "margin (inside: no effect)".to_owned()),
        (Key::Note, format!("— {}", f.direction)),
    ];
    let head = header_height(&f.title, &keys, width, font);
    let height = head + 60 + row_px * n as u32;
    let ticks = axis_ticks((lo, hi), (dlo, dhi), log);
    let root = SVGBackend::new(path, (width, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|x| err(path, x))?;
    let r = (|| -> std::result::Result<(), String> {
        header(&root, &f.title, &keys, font)?;
        let (_, body) = root.split_vertically(head);
        let (_, right) = body.split_horizontally(label_w);
        let right = right.margin(4, 10, 0, 16);
        let x_desc = ratio_desc(f.axis, log, shown);
        macro_rules! forest {
            ($xr:expr) => {{
                let mut ch = ChartBuilder::on(&right)
                    .x_label_area_size(font * 3)
                    .build_cartesian_2d($xr, 0f64..n as f64)
                    .map_err(|x| x.to_string())?;
                ch.configure_mesh()
                    .disable_y_mesh()
                    .disable_y_axis()
                    .x_desc(x_desc.as_str())
                    .x_label_style((FONT, font))
                    .axis_desc_style((FONT, font))
                    .x_labels(10)
                    .x_label_formatter(&|v| tick(*v))
                    .draw()
                    .map_err(|x| x.to_string())?;
                draw_rows(&mut ch, rows, n, shown).map_err(|x| x.to_string())?;
                // Labels at the pixel row of their own marker.
                for (i, row) in rows.iter().enumerate() {
                    let (_, py) = ch.backend_coord(&(1.0, row_y(i, n)));
                    let fnt = (FONT, font).into_font();
                    let fnt = if row.header {
                        fnt.style(FontStyle::Bold)
                    } else {
                        fnt
                    };
                    let style = TextStyle::from(fnt)
                        .pos(Pos::new(HPos::Left, VPos::Center))
                        .color(&BLACK);
                    let x = if row.header { 8 } else { 20 };
                    let label = fit(&row.label, label_w.saturating_sub(x as u32 + 8), font);
                    root.draw(&Text::new(label, (x, py), style))
                        .map_err(|x| x.to_string())?;
                }
            }};
        }
        if log {
            forest!((lo..hi).log_scale().with_key_points(ticks.clone()))
        } else {
            forest!(lo..hi)
        }
        Ok(())
    })();
    r.map_err(|x| err(path, x))?;
    root.present().map_err(|x| err(path, x))
}

/// The chart y of row `i` of `n` (top row first).
fn row_y(i: usize, n: usize) -> f64 {
    n as f64 - i as f64 - 0.5
}

fn draw_rows<X>(
    ch: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<X, plotters::coord::types::RangedCoordf64>>,
    rows: &[Row],
    n: usize,
    refs: bool,
) -> std::result::Result<(), DrawingAreaErrorKind<std::io::Error>>
where
    X: Ranged<ValueType = f64>,
{
    for (i, r) in rows.iter().enumerate() {
        if r.header {
            continue;
        }
        let y = row_y(i, n);
        if refs && r.margin > 0.0 {
            ch.draw_series(std::iter::once(Rectangle::new(
                [(1.0 - r.margin, y - 0.42), (1.0 + r.margin, y + 0.42)],
                BAND.filled(),
            )))?;
        }
    }
    if refs {
        ch.draw_series(LineSeries::new(
            vec![(1.0, 0.0), (1.0, n as f64)],
            BLACK.stroke_width(1),
        ))?;
    }
    for (i, r) in rows.iter().enumerate() {
        if r.header {
            continue;
        }
        let y = row_y(i, n);
        if r.lo.is_finite() && r.hi.is_finite() && r.lo > 0.0 {
            ch.draw_series(LineSeries::new(vec![(r.lo, y), (r.hi, y)], MEASURED.stroke_width(3)))?;
        }
        if r.ratio.is_finite() && r.ratio > 0.0 {
            ch.draw_series(std::iter::once(Circle::new((r.ratio, y), 5, MEASURED.filled())))?;
        }
        if let Some(c) = r.claimed {
            ch.draw_series(std::iter::once(TriangleMarker::new((c, y), 7, CLAIMED.filled())))?;
        }
    }
    Ok(())
}

/// Per-round B/A ratios of every comparison of a case.
pub fn round_ratios(case: &CaseRecord) -> Vec<(String, Vec<f64>)> {
    case.comparisons
        .iter()
        .filter_map(|k| {
            let a = case.variants.iter().find(|v| v.name == k.a)?;
            let b = case.variants.iter().find(|v| v.name == k.b)?;
            let r: Vec<f64> = a
                .samples
                .iter()
                .zip(&b.samples)
                .filter(|(x, y)| **x > 0.0 && **y > 0.0)
                .map(|(x, y)| y / x)
                .collect();
            Some((format!("{} vs {}", k.b, k.a), r))
        })
        .collect()
}

/// The per-round B/A ratios of the headline comparison in the order they
/// were measured, coloured by the process that measured them, so drift
/// within a process, a process unlike the others and clustering by process
/// show; with the median, its interval and the margin.
fn rounds_chart(case: &CaseRecord, path: &Path) -> Result<()> {
    let Some(k) = case.comparisons.first() else {
        return Ok(());
    };
    let cols = round_ratios(case);
    let rs: Vec<f64> = cols.first().map(|c| c.1.clone()).unwrap_or_default();
    let counts: Vec<usize> = case
        .replication
        .as_ref()
        .map(|r| r.process_rounds.clone())
        .filter(|p| p.iter().sum::<usize>() == rs.len())
        .unwrap_or_else(|| vec![rs.len()]);
    let margin = case.replication.as_ref().map_or(0.0, |r| r.margin);
    let all: Vec<f64> = rs.iter().copied().chain([k.effect.lo, k.effect.hi]).collect();
    let (dlo, dhi) = {
        let (mut a, mut b) = (f64::INFINITY, 0f64);
        for v in rs.iter().filter(|v| v.is_finite() && **v > 0.0) {
            a = a.min(*v);
            b = b.max(*v);
        }
        (a, b)
    };
    let (lo, hi, log, shown) = ratio_axis(&all, &[1.0, 1.0 - margin, 1.0 + margin], 1.2, 0.005);
    let width = 860u32;
    let font = font_px(width);
    let title = format!("Per-round {} vs {} in the order measured — {}", k.b, k.a, case.label);
    let mut keys: Vec<(Key, String)> = (0..counts.len().min(7))
        .map(|i| (Key::Dot(pick(i)), format!("process {}", i + 1)))
        .collect();
    if counts.len() > 7 {
        keys.push((Key::Note, "(colours repeat)".into()));
    }
    keys.extend([
        (Key::Line(BLACK), "median".to_owned()),
        (Key::Band, "margin".to_owned()),
        (Key::Bar(MEASURED), "95 % interval".to_owned()),
        (Key::Note, "— below 1: B needs less".to_owned()),
    ]);
    let head = header_height(&title, &keys, width, font);
    let root = SVGBackend::new(path, (width, head + 420)).into_drawing_area();
    root.fill(&WHITE).map_err(|x| err(path, x))?;
    let ticks = axis_ticks((lo, hi), (dlo, dhi), log);
    let n = rs.len().max(1) as f64;
    let r = (|| -> std::result::Result<(), String> {
        header(&root, &title, &keys, font)?;
        let (_, body) = root.split_vertically(head);
        let y_desc = ratio_desc("B/A per round", log, shown);
        macro_rules! strip {
            ($yr:expr) => {{
                let mut ch = ChartBuilder::on(&body)
                    .margin(14)
                    .margin_right(font * 2)
                    .x_label_area_size(font * 3)
                    .y_label_area_size(font * 6)
                    .build_cartesian_2d(-1f64..n + 1.0, $yr)
                    .map_err(|x| x.to_string())?;
                ch.configure_mesh()
                    .disable_x_mesh()
                    .x_labels(6)
                    .y_labels(10)
                    .x_label_formatter(&|x| format!("{x:.0}"))
                    .y_label_formatter(&|v| tick(*v))
                    .x_label_style((FONT, font))
                    .y_label_style((FONT, font))
                    .axis_desc_style((FONT, font))
                    .x_desc("round, in the order measured")
                    .y_desc(y_desc.as_str())
                    .draw()
                    .map_err(|x| x.to_string())?;
                if shown && margin > 0.0 {
                    ch.draw_series(std::iter::once(Rectangle::new(
                        [(-1.0, 1.0 - margin), (n + 1.0, 1.0 + margin)],
                        BAND.filled(),
                    )))
                    .map_err(|x| x.to_string())?;
                }
                if shown {
                    ch.draw_series(LineSeries::new(
                        vec![(-1.0, 1.0), (n + 1.0, 1.0)],
                        BLACK.stroke_width(1),
                    ))
                    .map_err(|x| x.to_string())?;
                }
                if k.effect.lo.is_finite() && k.effect.hi.is_finite() {
                    ch.draw_series(std::iter::once(Rectangle::new(
                        [(-1.0, k.effect.lo), (n + 1.0, k.effect.hi)],
                        MEASURED.mix(0.25).filled(),
                    )))
                    .map_err(|x| x.to_string())?;
                }
                let mut start = 0usize;
                for (p, &c) in counts.iter().enumerate() {
                    let dense = rs.len() > 600;
                    ch.draw_series(
                        rs[start..(start + c).min(rs.len())]
                            .iter()
                            .enumerate()
                            .map(|(j, r)| {
                                Circle::new(
                                    ((start + j) as f64, *r),
                                    2,
                                    pick(p).mix(if dense { 0.45 } else { 0.8 }).filled(),
                                )
                            }),
                    )
                    .map_err(|x| x.to_string())?;
                    start += c;
                }
                ch.draw_series(LineSeries::new(
                    vec![(-1.0, k.effect.ratio), (n + 1.0, k.effect.ratio)],
                    BLACK.stroke_width(2),
                ))
                .map_err(|x| x.to_string())?;
            }};
        }
        if log {
            strip!((lo..hi).log_scale().with_key_points(ticks.clone()))
        } else {
            strip!(lo..hi)
        }
        Ok(())
    })();
    r.map_err(|x| err(path, x))?;
    root.present().map_err(|x| err(path, x))
}

/// Each variant's per-round values in the headline case as a distribution
/// (sorted: a point at x has that share of rounds at or below its value),
/// in absolute units, beside the ratio charts.
fn times_chart(case: &CaseRecord, path: &Path) -> Result<()> {
    let vals: Vec<(String, Vec<f64>)> = case
        .variants
        .iter()
        .map(|v| {
            let mut s: Vec<f64> = v
                .samples
                .iter()
                .copied()
                .filter(|x| x.is_finite() && *x > 0.0)
                .collect();
            s.sort_by(f64::total_cmp);
            (v.name.clone(), s)
        })
        .filter(|(_, s)| !s.is_empty())
        .collect();
    let (mut lo, mut hi) = (f64::INFINITY, 0f64);
    for (_, s) in &vals {
        lo = lo.min(s[0]);
        hi = hi.max(s[s.len() - 1]);
    }
    if vals.is_empty() || !(lo > 0.0 && hi.is_finite()) {
        return Ok(());
    }
    let log = hi / lo > 4.0;
    let (ylo, yhi) = if log {
        (lo / 1.2, hi * 1.2)
    } else {
        (lo - (hi - lo) * 0.05, hi + (hi - lo) * 0.05)
    };
    let width = 860u32;
    let font = font_px(width);
    let title = format!(
        "Per-round {} of each variant, sorted — {}",
        case.metric.name(),
        case.label
    );
    let mut keys: Vec<(Key, String)> = vals
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (Key::Line(pick(i)), n.clone()))
        .collect();
    keys.push((Key::Note, "— lower is better".into()));
    let head = header_height(&title, &keys, width, font);
    let root = SVGBackend::new(path, (width, head + 400)).into_drawing_area();
    root.fill(&WHITE).map_err(|x| err(path, x))?;
    let metric = case.metric;
    let ticks = axis_ticks((ylo, yhi), (lo, hi), log);
    let r = (|| -> std::result::Result<(), String> {
        header(&root, &title, &keys, font)?;
        let (_, body) = root.split_vertically(head);
        macro_rules! dist {
            ($yr:expr) => {{
                let mut ch = ChartBuilder::on(&body)
                    .margin(14)
                    .margin_right(font * 2)
                    .x_label_area_size(font * 3)
                    .y_label_area_size(font * 7)
                    .build_cartesian_2d(0f64..1f64, $yr)
                    .map_err(|x| x.to_string())?;
                ch.configure_mesh()
                    .x_labels(6)
                    .y_labels(8)
                    .x_label_formatter(&|x| format!("{:.0} %", x * 100.0))
                    .y_label_formatter(&|v| match metric {
                        crate::Metric::WallTime => time_tick(*v),
                        crate::Metric::PeakMemory => human(*v),
                        crate::Metric::Instructions => crate::human::count(*v),
                    })
                    .x_label_style((FONT, font))
                    .y_label_style((FONT, font))
                    .axis_desc_style((FONT, font))
                    .x_desc("share of rounds at or below")
                    .y_desc(if log { "per round (log scale)" } else { "per round" })
                    .draw()
                    .map_err(|x| x.to_string())?;
                for (i, (_, s)) in vals.iter().enumerate() {
                    let n = s.len() as f64;
                    ch.draw_series(LineSeries::new(
                        s.iter().enumerate().map(|(j, v)| ((j as f64 + 0.5) / n, *v)),
                        pick(i).stroke_width(2),
                    ))
                    .map_err(|x| x.to_string())?;
                }
            }};
        }
        if log {
            dist!((ylo..yhi).log_scale().with_key_points(ticks.clone()))
        } else {
            dist!(ylo..yhi)
        }
        Ok(())
    })();
    r.map_err(|x| err(path, x))?;
    root.present().map_err(|x| err(path, x))
}

/// The family of a swept case: its comparison, cache mode and metric, and
/// what its label says besides the size — so "every byte" and "one byte
/// per page" cases of one sweep are two lines, not one zig-zag.
fn family(c: &CaseRecord, k: &crate::ledger::Comparison) -> String {
    let rest = label_without_size(&c.label);
    let metric = c.metric.name();
    let mut key = format!("{} vs {}", k.b, k.a);
    if !rest.is_empty() {
        key = format!("{key}, {rest}");
    }
    if !rest.contains(metric) {
        key = format!("{key}, {metric}");
    }
    key
}

/// A case label with its size removed: parenthesised groups, sizes
/// ("16 MiB", "45.1 M elements") and a leading file or tensor name
/// ("sweep-1g.safetensors", "ffn.weight") go; the rest (the consumer, the
/// cache mode) stays.
pub fn label_without_size(label: &str) -> String {
    let mut t = String::new();
    let mut depth = 0;
    for ch in label.chars() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ if depth == 0 => t.push(ch),
            _ => {}
        }
    }
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "KB", "MB", "GB", "M", "K"];
    let words: Vec<&str> = t.split_whitespace().collect();
    let mut kept: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        let number = w.trim_end_matches(',').parse::<f64>().is_ok();
        let unit_next = words
            .get(i + 1)
            .is_some_and(|u| units.contains(&u.trim_end_matches(',')));
        if number && unit_next {
            i += 2;
            if words.get(i).is_some_and(|x| x.trim_end_matches(',') == "elements") {
                i += 1;
            }
            continue;
        }
        kept.push(w);
        i += 1;
    }
    let joined = kept.join(" ");
    let mut parts: Vec<String> = joined
        .split(',')
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    let is_name = |p: &str| {
        !p.contains(' ')
            && [".safetensors", ".gguf", ".pth", ".pt", ".npz", ".state_dict", ".weight"]
                .iter()
                .any(|x| p.ends_with(x))
    };
    if parts.first().is_some_and(|p| is_name(p)) {
        parts.remove(0);
    }
    parts.join(", ")
}

/// Whether every swept case's position is its byte count (a size axis in
/// binary units) rather than some other count (elements).
fn x_is_bytes(cases: &[&CaseRecord]) -> bool {
    cases.iter().all(|c| match (c.x, c.bytes) {
        (Some(x), Some(b)) => (x - b as f64).abs() <= 1.0,
        _ => false,
    })
}

fn sweep_chart(e: &Entry, cases: &[&CaseRecord], path: &Path) -> Result<()> {
    let xs: Vec<f64> = cases.iter().filter_map(|c| c.x).collect();
    let (xlo, xhi) = (
        xs.iter().copied().fold(f64::INFINITY, f64::min),
        xs.iter().copied().fold(0f64, f64::max),
    );
    let vals: Vec<f64> = cases
        .iter()
        .flat_map(|c| {
            c.comparisons
                .iter()
                .flat_map(|k| [k.effect.lo, k.effect.hi].into_iter().chain(k.expect.ratio()))
        })
        .collect();
    let data: Vec<f64> = cases
        .iter()
        .flat_map(|c| c.comparisons.iter().flat_map(|k| [k.effect.lo, k.effect.hi]))
        .collect();
    let (dlo, dhi) = data_range(data.iter());
    let min_margin = cases
        .iter()
        .filter_map(|c| c.replication.as_ref().map(|r| r.margin))
        .fold(f64::INFINITY, f64::min);
    let refs: Vec<f64> = [1.0]
        .into_iter()
        .chain(
            min_margin
                .is_finite()
                .then_some([1.0 - min_margin, 1.0 + min_margin])
                .into_iter()
                .flatten(),
        )
        .collect();
    let (_, _, _, shown) = ratio_axis(&vals, &refs, 1.25, 0.0);
    let (ylo, yhi) = if shown {
        data_range(vals.iter().chain(&refs))
    } else {
        data_range(vals.iter())
    };
    let (ylo, yhi) = (ylo / 1.25, yhi * 1.25);
    let mut keys: Vec<String> = Vec::new();
    for c in cases {
        for k in &c.comparisons {
            let key = family(c, k);
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    let width = 860u32;
    let font = font_px(width);
    let title = format!("{} — B/A against size", e.spec.id);
    let mut legend: Vec<(Key, String)> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (Key::Line(pick(i)), k.clone()))
        .collect();
    legend.extend([
        (Key::Line(CLAIMED), "claimed ratio (dashed)".to_owned()),
        (Key::Band, "± smallest margin".to_owned()),
        (Key::Note, "— below 1: B needs less".to_owned()),
    ]);
    let head = header_height(&title, &legend, width, font);
    let root = SVGBackend::new(path, (width, head + 460)).into_drawing_area();
    root.fill(&WHITE).map_err(|x| err(path, x))?;
    let (x0, x1) = (xlo / 1.5, xhi * 1.5);
    let bytes = x_is_bytes(cases);
    let xticks = if bytes {
        byte_ticks(x0, x1)
    } else {
        axis_ticks((x0, x1), (xlo, xhi), true)
    };
    let yticks = axis_ticks((ylo, yhi), (dlo, dhi), true);
    let r = (|| -> std::result::Result<(), String> {
        header(&root, &title, &legend, font)?;
        let (_, plot) = root.split_vertically(head);
        let mut ch = ChartBuilder::on(&plot)
            .margin(14)
            .margin_right(font * 2)
            .x_label_area_size(font * 3)
            .y_label_area_size(font * 6)
            .build_cartesian_2d(
                (x0..x1).log_scale().with_key_points(xticks.clone()),
                (ylo..yhi).log_scale().with_key_points(yticks.clone()),
            )
            .map_err(|x| x.to_string())?;
        ch.configure_mesh()
            .x_desc(if bytes {
                "size (log scale)"
            } else {
                "elements (log scale)"
            })
            .y_desc(if shown {
                "B/A ratio (log scale)"
            } else {
                "B/A ratio (log scale; 1.0 off the scale)"
            })
            .x_label_formatter(&|x| if bytes { human(*x) } else { crate::human::count(*x) })
            .y_label_formatter(&|v| tick(*v))
            .x_label_style((FONT, font))
            .y_label_style((FONT, font))
            .axis_desc_style((FONT, font))
            .draw()
            .map_err(|x| x.to_string())?;
        if shown && min_margin.is_finite() && min_margin > 0.0 {
            ch.draw_series(std::iter::once(Rectangle::new(
                [(x0, 1.0 - min_margin), (x1, 1.0 + min_margin)],
                BAND.filled(),
            )))
            .map_err(|x| x.to_string())?;
        }
        if shown {
            ch.draw_series(LineSeries::new(vec![(x0, 1.0), (x1, 1.0)], BLACK.stroke_width(1)))
                .map_err(|x| x.to_string())?;
        }
        if let Some(c) = e.spec.claim.ratio.filter(|c| *c >= ylo && *c <= yhi) {
            ch.draw_series(DashedLineSeries::new(
                vec![(x0, c), (x1, c)],
                6,
                4,
                CLAIMED.stroke_width(2),
            ))
            .map_err(|x| x.to_string())?;
        }
        for (si, key) in keys.iter().enumerate() {
            let mut pts: Vec<(f64, f64, f64, f64)> = cases
                .iter()
                .flat_map(|c| c.comparisons.iter().map(move |k| (c, k)))
                .filter(|(c, k)| &family(c, k) == key)
                .filter_map(|(c, k)| Some((c.x?, k.effect.ratio, k.effect.lo, k.effect.hi)))
                .filter(|p| p.1 > 0.0 && p.2 > 0.0 && p.3 > 0.0 && p.2.is_finite() && p.3.is_finite())
                .collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            series_with_band(&mut ch, si, &pts, true)?;
        }
        Ok(())
    })();
    r.map_err(|x| err(path, x))?;
    root.present().map_err(|x| err(path, x))
}

/// A time tick with its unit and at most 4 significant digits.
fn time_tick(v: f64) -> String {
    if v >= 1.0 {
        format!("{} s", tick(v))
    } else if v >= 1e-3 {
        format!("{} ms", tick(v * 1e3))
    } else {
        format!("{} µs", tick(v * 1e6))
    }
}

/// The 10th, 50th and 90th percentile of samples.
fn spread(samples: &[f64]) -> (f64, f64, f64) {
    let mut v: Vec<f64> = samples.iter().copied().filter(|x| x.is_finite() && *x > 0.0).collect();
    v.sort_by(f64::total_cmp);
    let q = |p: f64| crate::stats::summary::quantile(&v, p);
    (q(0.1), q(0.5), q(0.9))
}

fn size_chart(e: &Entry, cases: &[&CaseRecord], path: &Path) -> Result<()> {
    // One series per (variant, cache mode).
    let mut keys: Vec<String> = Vec::new();
    let key = |c: &CaseRecord, v: &str| {
        format!(
            "{v}, {}",
            match c.cache {
                crate::CacheMode::Warm => "warm",
                crate::CacheMode::Cold => "cold",
            }
        )
    };
    for c in cases {
        for v in &c.variants {
            let k = key(c, &v.name);
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    let mut pts: Vec<Vec<(f64, f64, f64, f64)>> = vec![Vec::new(); keys.len()];
    for c in cases {
        let Some(x) = c.x else { continue };
        for v in &c.variants {
            let (lo, mid, hi) = spread(&v.samples);
            if let Some(i) = keys.iter().position(|k| *k == key(c, &v.name)) {
                if mid.is_finite() {
                    pts[i].push((x, mid, lo, hi));
                }
            }
        }
    }
    pts.iter_mut().for_each(|p| p.sort_by(|a, b| a.0.total_cmp(&b.0)));
    let all: Vec<f64> = pts.iter().flatten().flat_map(|p| [p.2, p.3]).collect();
    let (mut ylo, mut yhi) = (f64::INFINITY, 0f64);
    for v in all.iter().filter(|v| v.is_finite() && **v > 0.0) {
        ylo = ylo.min(*v);
        yhi = yhi.max(*v);
    }
    if !(ylo.is_finite() && yhi > 0.0) {
        return Ok(());
    }
    let xs: Vec<f64> = cases.iter().filter_map(|c| c.x).collect();
    let (x0, x1) = (
        xs.iter().copied().fold(f64::INFINITY, f64::min) / 1.5,
        xs.iter().copied().fold(0f64, f64::max) * 1.5,
    );
    let width = 860u32;
    let font = font_px(width);
    let title = format!("{} — time against size", e.spec.id);
    let mut legend: Vec<(Key, String)> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (Key::Line(pick(i)), k.clone()))
        .collect();
    legend.push((
        Key::Note,
        "— band: 10th to 90th percentile of trials; lower is better".to_owned(),
    ));
    let head = header_height(&title, &legend, width, font);
    let root = SVGBackend::new(path, (width, head + 460)).into_drawing_area();
    root.fill(&WHITE).map_err(|x| err(path, x))?;
    let bytes = x_is_bytes(cases);
    let (xlo, xhi) = (x0 * 1.5, x1 / 1.5);
    let xticks = if bytes {
        byte_ticks(x0, x1)
    } else {
        axis_ticks((x0, x1), (xlo, xhi), true)
    };
    let yticks = axis_ticks((ylo / 1.3, yhi * 1.3), (ylo, yhi), true);
    let r = (|| -> std::result::Result<(), String> {
        header(&root, &title, &legend, font)?;
        let (_, plot) = root.split_vertically(head);
        let mut ch = ChartBuilder::on(&plot)
            .margin(14)
            .margin_right(font * 2)
            .x_label_area_size(font * 3)
            .y_label_area_size(font * 6)
            .build_cartesian_2d(
                (x0..x1).log_scale().with_key_points(xticks.clone()),
                (ylo / 1.3..yhi * 1.3).log_scale().with_key_points(yticks.clone()),
            )
            .map_err(|x| x.to_string())?;
        ch.configure_mesh()
            .x_desc(if bytes {
                "size (log scale)"
            } else {
                "elements (log scale)"
            })
            .y_desc("time per trial (log scale)")
            .x_label_formatter(&|x| if bytes { human(*x) } else { crate::human::count(*x) })
            .y_label_formatter(&|v| time_tick(*v))
            .x_label_style((FONT, font))
            .y_label_style((FONT, font))
            .axis_desc_style((FONT, font))
            .draw()
            .map_err(|x| x.to_string())?;
        for (si, p) in pts.iter().enumerate() {
            series_with_band(&mut ch, si, p, false)?;
        }
        Ok(())
    })();
    r.map_err(|x| err(path, x))?;
    root.present().map_err(|x| err(path, x))
}

/// One series of a sweep chart, in the palette's `si`-th colour (its
/// legend entry is in the chart's header): the band between each point's
/// low and high (when there are two points or more), the line through the
/// middles, the points, optionally a whisker per point. Points are
/// (x, mid, lo, hi).
fn series_with_band<X, Y>(
    ch: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<X, Y>>,
    si: usize,
    pts: &[(f64, f64, f64, f64)],
    whiskers: bool,
) -> std::result::Result<(), String>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let color = pick(si).to_rgba();
    let e = |x: DrawingAreaErrorKind<std::io::Error>| x.to_string();
    if pts.len() > 1 {
        let band: Vec<(f64, f64)> = pts
            .iter()
            .map(|p| (p.0, p.3))
            .chain(pts.iter().rev().map(|p| (p.0, p.2)))
            .collect();
        ch.draw_series(std::iter::once(Polygon::new(band, color.mix(0.15).filled())))
            .map_err(e)?;
    }
    ch.draw_series(LineSeries::new(pts.iter().map(|p| (p.0, p.1)), color.stroke_width(2)))
        .map_err(e)?;
    ch.draw_series(pts.iter().map(|p| Circle::new((p.0, p.1), 4, color.filled())))
        .map_err(e)?;
    if whiskers {
        for p in pts {
            ch.draw_series(LineSeries::new(vec![(p.0, p.2), (p.0, p.3)], color.stroke_width(1)))
                .map_err(e)?;
        }
    }
    Ok(())
}

/// A case's headline B/A over the ledger's full campaigns, oldest first,
/// with its intervals, coloured by machine, and a dashed line where a
/// change point was found (labelled with its commit).
pub fn history_chart(
    id: &str,
    points: &[crate::history::Point],
    steps: &[crate::history::ChangePoint],
    path: &Path,
) -> Result<()> {
    let vals: Vec<f64> = points
        .iter()
        .flat_map(|p| [p.effect.ratio, p.effect.lo, p.effect.hi])
        .collect();
    let (dlo, dhi) = data_range(vals.iter());
    let (lo, hi, log, shown) = ratio_axis(&vals, &[1.0], 1.2, 0.01);
    let mut machines: Vec<String> = points.iter().map(|p| p.machine.clone()).collect();
    machines.dedup();
    machines.sort();
    machines.dedup();
    let width = 860u32;
    let font = font_px(width);
    let case = points.last().map_or("", |p| p.case.as_str());
    let title = format!("{id} — headline B/A over the ledger's campaigns ({case})");
    let mut keys: Vec<(Key, String)> = machines
        .iter()
        .enumerate()
        .map(|(i, m)| (Key::Dot(pick(i)), format!("machine {m}")))
        .collect();
    keys.push((Key::Line(CLAIMED), "change point (dashed)".into()));
    keys.push((Key::Note, "— below 1: B needs less".into()));
    let head = header_height(&title, &keys, width, font);
    let root = SVGBackend::new(path, (width, head + 420)).into_drawing_area();
    root.fill(&WHITE).map_err(|x| err(path, x))?;
    let n = points.len() as f64;
    let every = (points.len() / 6).max(1);
    let ticks = axis_ticks((lo, hi), (dlo, dhi), log);
    let r = (|| -> std::result::Result<(), String> {
        header(&root, &title, &keys, font)?;
        let (_, body) = root.split_vertically(head);
        let y_desc = ratio_desc("B/A", log, shown);
        macro_rules! hist {
            ($yr:expr) => {{
                let mut ch = ChartBuilder::on(&body)
                    .margin(14)
                    .margin_right(font * 2)
                    .x_label_area_size(font * 3)
                    .y_label_area_size(font * 6)
                    .build_cartesian_2d(-0.5f64..n - 0.5, $yr)
                    .map_err(|x| x.to_string())?;
                ch.configure_mesh()
                    .disable_x_mesh()
                    .x_labels(points.len().min(8))
                    .x_label_formatter(&|x| {
                        let i = x.round();
                        match points.get(i as usize) {
                            Some(p) if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) % every == 0 => {
                                p.commit.chars().take(7).collect()
                            }
                            _ => String::new(),
                        }
                    })
                    .y_label_formatter(&|v| tick(*v))
                    .x_label_style((FONT, font))
                    .y_label_style((FONT, font))
                    .axis_desc_style((FONT, font))
                    .x_desc("campaign, oldest first (commit)")
                    .y_desc(y_desc.as_str())
                    .draw()
                    .map_err(|x| x.to_string())?;
                if shown {
                    ch.draw_series(LineSeries::new(
                        vec![(-0.5, 1.0), (n - 0.5, 1.0)],
                        BLACK.stroke_width(1),
                    ))
                    .map_err(|x| x.to_string())?;
                }
                for (i, p) in points.iter().enumerate() {
                    let c = pick(machines.iter().position(|m| *m == p.machine).unwrap_or(0));
                    let x = i as f64;
                    ch.draw_series(LineSeries::new(
                        vec![(x, p.effect.lo), (x, p.effect.hi)],
                        c.stroke_width(3),
                    ))
                    .map_err(|x| x.to_string())?;
                    ch.draw_series(std::iter::once(Circle::new((x, p.effect.ratio), 4, c.filled())))
                        .map_err(|x| x.to_string())?;
                }
                for s in steps {
                    let x = s.index as f64 - 0.5;
                    ch.draw_series(DashedLineSeries::new(
                        vec![(x, lo), (x, hi)],
                        6,
                        4,
                        CLAIMED.stroke_width(2),
                    ))
                    .map_err(|x| x.to_string())?;
                }
            }};
        }
        if log {
            hist!((lo..hi).log_scale().with_key_points(ticks.clone()))
        } else {
            hist!(lo..hi)
        }
        Ok(())
    })();
    r.map_err(|x| err(path, x))?;
    root.present().map_err(|x| err(path, x))
}

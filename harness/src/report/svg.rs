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
pub const ROW_PX: u32 = 26;
const BAND: RGBColor = RGBColor(225, 225, 225);

/// Draws every chart of an entry into `dir`; returns what was drawn.
pub fn charts(e: &Entry, dir: &Path) -> Result<Vec<Chart>> {
    let mut out = Vec::new();
    let id = &e.spec.id;
    let f = format!("{id}-effect.svg");
    effect_chart(e, &dir.join(&f))?;
    out.push(Chart {
        file: f,
        caption: "Measured B/A ratio per comparison (dot) with its 95 % interval (bar); red triangle: the claimed ratio; grey band: the case's margin (inside it is “no effect”); black line: 1.0.".into(),
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
                "Per-round B/A ratios in the headline case “{}”: every point is one round; the black bar is the median, the blue bar its 95 % interval, the grey band the margin.",
                case.label
            ),
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
        rows.push(Row {
            label: p.clone(),
            ratio: f64::NAN,
            lo: f64::NAN,
            hi: f64::NAN,
            claimed: None,
            margin: 0.0,
            header: true,
        });
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

fn range_of<'a>(values: impl Iterator<Item = &'a f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (1.0f64, 1.0f64);
    for &v in values {
        if v.is_finite() && v > 0.0 {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    (lo, hi)
}

/// A ratio axis over `values` (and 1.0): log scale when they span more
/// than 4×, padded by the factor `log_pad` then; else linear, padded by 8 %
/// of the span plus `lin_pad`. Returns (low, high, log).
fn ratio_axis(values: &[f64], log_pad: f64, lin_pad: f64) -> (f64, f64, bool) {
    let (lo, hi) = range_of(values.iter());
    if hi / lo > 4.0 {
        (lo / log_pad, hi * log_pad, true)
    } else {
        let pad = (hi - lo) * 0.08 + lin_pad;
        (lo - pad, hi + pad, false)
    }
}

/// The forest of every comparison of an entry (B/A with intervals).
pub fn effect_chart(e: &Entry, path: &Path) -> Result<()> {
    let rows = forest_rows(e);
    let n = rows.len().max(1);
    let all: Vec<f64> = rows
        .iter()
        .flat_map(|r| {
            [r.ratio, r.lo, r.hi, 1.0 - r.margin, 1.0 + r.margin]
                .into_iter()
                .chain(r.claimed)
        })
        .collect();
    let (lo, hi, log) = ratio_axis(&all, 1.3, 0.01);
    let label_w = rows
        .iter()
        .map(|r| text_px(&r.label, 12.0))
        .max()
        .unwrap_or(100)
        .clamp(120, 560)
        + 24;
    let title = format!("{} — B/A per comparison", e.spec.id);
    let width = label_w + 560;
    let height = 60 + 45 + ROW_PX * n as u32;
    let root = SVGBackend::new(path, (width, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|x| err(path, x))?;
    let r = (|| -> std::result::Result<(), String> {
        root.draw(&Text::new(title.clone(), (10, 8), (FONT, 16).into_font().color(&BLACK)))
            .map_err(|x| x.to_string())?;
        let (_, right) = root.split_horizontally(label_w);
        let right = right.margin(34, 10, 0, 16);
        let x_desc = if log { "B/A ratio (log scale)" } else { "B/A ratio" };
        macro_rules! forest {
            ($xr:expr) => {{
                let mut ch = ChartBuilder::on(&right)
                    .x_label_area_size(36)
                    .build_cartesian_2d($xr, 0f64..n as f64)
                    .map_err(|x| x.to_string())?;
                ch.configure_mesh()
                    .disable_y_mesh()
                    .disable_y_axis()
                    .x_desc(x_desc)
                    .x_label_formatter(&|v| tick(*v))
                    .draw()
                    .map_err(|x| x.to_string())?;
                draw_rows(&mut ch, &rows, n).map_err(|x| x.to_string())?;
                // Labels at the pixel row of their own marker.
                for (i, row) in rows.iter().enumerate() {
                    let (_, py) = ch.backend_coord(&(1.0, row_y(i, n)));
                    let font = (FONT, 12).into_font();
                    let font = if row.header {
                        font.style(FontStyle::Bold)
                    } else {
                        font
                    };
                    let style = TextStyle::from(font)
                        .pos(Pos::new(HPos::Left, VPos::Center))
                        .color(&BLACK);
                    let x = if row.header { 8 } else { 20 };
                    root.draw(&Text::new(row.label.clone(), (x, py), style))
                        .map_err(|x| x.to_string())?;
                }
            }};
        }
        if log {
            forest!((lo..hi).log_scale())
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
) -> std::result::Result<(), DrawingAreaErrorKind<std::io::Error>>
where
    X: Ranged<ValueType = f64>,
{
    for (i, r) in rows.iter().enumerate() {
        if r.header {
            continue;
        }
        let y = row_y(i, n);
        if r.margin > 0.0 {
            ch.draw_series(std::iter::once(Rectangle::new(
                [(1.0 - r.margin, y - 0.42), (1.0 + r.margin, y + 0.42)],
                BAND.filled(),
            )))?;
        }
    }
    ch.draw_series(LineSeries::new(
        vec![(1.0, 0.0), (1.0, n as f64)],
        BLACK.stroke_width(1),
    ))?;
    for (i, r) in rows.iter().enumerate() {
        if r.header {
            continue;
        }
        let y = row_y(i, n);
        if r.lo.is_finite() && r.hi.is_finite() && r.lo > 0.0 {
            ch.draw_series(LineSeries::new(vec![(r.lo, y), (r.hi, y)], BLUE.stroke_width(3)))?;
        }
        if r.ratio.is_finite() && r.ratio > 0.0 {
            ch.draw_series(std::iter::once(Circle::new((r.ratio, y), 4, BLUE.filled())))?;
        }
        if let Some(c) = r.claimed {
            ch.draw_series(std::iter::once(TriangleMarker::new((c, y), 6, RED.filled())))?;
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

fn rounds_chart(case: &CaseRecord, path: &Path) -> Result<()> {
    let cols = round_ratios(case);
    let nc = cols.len().max(1);
    let margin = case.replication.as_ref().map_or(0.0, |r| r.margin);
    let all: Vec<f64> = cols
        .iter()
        .flat_map(|c| c.1.iter().copied())
        .chain(case.comparisons.iter().flat_map(|k| [k.effect.lo, k.effect.hi]))
        .chain([1.0 - margin, 1.0 + margin])
        .collect();
    let (lo, hi, log) = ratio_axis(&all, 1.2, 0.005);
    let width = (220 + 180 * nc as u32).max(620);
    let root = SVGBackend::new(path, (width, 440)).into_drawing_area();
    root.fill(&WHITE).map_err(|x| err(path, x))?;
    let names: Vec<String> = cols.iter().map(|c| c.0.clone()).collect();
    let title = format!("Per-round B/A — {}", case.label);
    let r = (|| -> std::result::Result<(), String> {
        macro_rules! strip {
            ($yr:expr) => {{
                let mut ch = ChartBuilder::on(&root)
                    .caption(title.clone(), (FONT, 15))
                    .margin(14)
                    .x_label_area_size(40)
                    .y_label_area_size(80)
                    .build_cartesian_2d(-0.5f64..nc as f64 - 0.5, $yr)
                    .map_err(|x| x.to_string())?;
                ch.configure_mesh()
                    .disable_x_mesh()
                    .x_labels(nc + 1)
                    .x_label_formatter(&|x| {
                        let i = x.round();
                        if (x - i).abs() < 1e-6 && i >= 0.0 {
                            names.get(i as usize).cloned().unwrap_or_default()
                        } else {
                            String::new()
                        }
                    })
                    .y_label_formatter(&|v| tick(*v))
                    .y_desc(if log {
                        "B/A per round (log scale)"
                    } else {
                        "B/A per round"
                    })
                    .draw()
                    .map_err(|x| x.to_string())?;
                if margin > 0.0 {
                    ch.draw_series(std::iter::once(Rectangle::new(
                        [(-0.5, 1.0 - margin), (nc as f64 - 0.5, 1.0 + margin)],
                        BAND.filled(),
                    )))
                    .map_err(|x| x.to_string())?;
                }
                ch.draw_series(LineSeries::new(
                    vec![(-0.5, 1.0), (nc as f64 - 0.5, 1.0)],
                    BLACK.stroke_width(1),
                ))
                .map_err(|x| x.to_string())?;
                for (i, (_, rs)) in cols.iter().enumerate() {
                    let dense = rs.len() > 400;
                    ch.draw_series(rs.iter().enumerate().map(|(k, r)| {
                        // Deterministic jitter spreads the rounds across the column.
                        let jitter = ((k * 7919) % 100) as f64 / 100.0 * 0.5 - 0.25;
                        Circle::new(
                            (i as f64 + jitter, *r),
                            2,
                            Palette99::pick(i).mix(if dense { 0.25 } else { 0.6 }).filled(),
                        )
                    }))
                    .map_err(|x| x.to_string())?;
                    if let Some(k) = case.comparisons.get(i) {
                        let x = i as f64;
                        if k.effect.lo.is_finite() && k.effect.hi.is_finite() {
                            ch.draw_series(LineSeries::new(
                                vec![(x + 0.32, k.effect.lo), (x + 0.32, k.effect.hi)],
                                BLUE.stroke_width(4),
                            ))
                            .map_err(|x| x.to_string())?;
                        }
                        ch.draw_series(LineSeries::new(
                            vec![(x - 0.3, k.effect.ratio), (x + 0.3, k.effect.ratio)],
                            BLACK.stroke_width(2),
                        ))
                        .map_err(|x| x.to_string())?;
                    }
                }
            }};
        }
        if log {
            strip!((lo..hi).log_scale())
        } else {
            strip!(lo..hi)
        }
        Ok(())
    })();
    r.map_err(|x| err(path, x))?;
    root.present().map_err(|x| err(path, x))
}

/// The family of a swept case: its comparison, cache mode and metric.
fn family(c: &CaseRecord, k: &crate::ledger::Comparison) -> String {
    format!(
        "{} vs {}, {}, {}",
        k.b,
        k.a,
        match c.cache {
            crate::CacheMode::Warm => "warm",
            crate::CacheMode::Cold => "cold",
        },
        c.metric.name()
    )
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
    let (ylo, yhi) = range_of(vals.iter());
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
    let min_margin = cases
        .iter()
        .filter_map(|c| c.replication.as_ref().map(|r| r.margin))
        .fold(f64::INFINITY, f64::min);
    let legend_h = 22 * keys.len() as u32;
    let root = SVGBackend::new(path, (960, 460 + legend_h)).into_drawing_area();
    root.fill(&WHITE).map_err(|x| err(path, x))?;
    let (plot, legend) = root.split_vertically(460);
    let title = format!("{} — B/A against size", e.spec.id);
    let (x0, x1) = (xlo / 1.5, xhi * 1.5);
    let r = (|| -> std::result::Result<(), String> {
        let mut ch = ChartBuilder::on(&plot)
            .caption(title.clone(), (FONT, 15))
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(80)
            .build_cartesian_2d((x0..x1).log_scale(), (ylo..yhi).log_scale())
            .map_err(|x| x.to_string())?;
        ch.configure_mesh()
            .x_desc("size (log scale)")
            .y_desc("B/A ratio (log scale)")
            .x_labels(8)
            .y_labels(8)
            .x_label_formatter(&|x| human(*x))
            .y_label_formatter(&|v| tick(*v))
            .draw()
            .map_err(|x| x.to_string())?;
        if min_margin.is_finite() && min_margin > 0.0 {
            ch.draw_series(std::iter::once(Rectangle::new(
                [(x0, 1.0 - min_margin), (x1, 1.0 + min_margin)],
                BAND.filled(),
            )))
            .map_err(|x| x.to_string())?;
        }
        ch.draw_series(LineSeries::new(vec![(x0, 1.0), (x1, 1.0)], BLACK.stroke_width(1)))
            .map_err(|x| x.to_string())?;
        if let Some(c) = e.spec.claim.ratio {
            ch.draw_series(DashedLineSeries::new(vec![(x0, c), (x1, c)], 6, 4, RED.stroke_width(1)))
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
            series_with_band(&mut ch, &legend, si, key, &pts, true)?;
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
    let legend_h = 22 * keys.len() as u32;
    let root = SVGBackend::new(path, (960, 460 + legend_h)).into_drawing_area();
    root.fill(&WHITE).map_err(|x| err(path, x))?;
    let (plot, legend) = root.split_vertically(460);
    let title = format!("{} — time against size", e.spec.id);
    let r = (|| -> std::result::Result<(), String> {
        let mut ch = ChartBuilder::on(&plot)
            .caption(title.clone(), (FONT, 15))
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(80)
            .build_cartesian_2d((x0..x1).log_scale(), (ylo / 1.3..yhi * 1.3).log_scale())
            .map_err(|x| x.to_string())?;
        ch.configure_mesh()
            .x_desc("size (log scale)")
            .y_desc("time per trial (log scale)")
            .x_labels(8)
            .y_labels(8)
            .x_label_formatter(&|x| human(*x))
            .y_label_formatter(&|v| time_tick(*v))
            .draw()
            .map_err(|x| x.to_string())?;
        for (si, (k, p)) in keys.iter().zip(&pts).enumerate() {
            series_with_band(&mut ch, &legend, si, k, p, false)?;
        }
        Ok(())
    })();
    r.map_err(|x| err(path, x))?;
    root.present().map_err(|x| err(path, x))
}

/// One series of a sweep chart, in the palette's `si`-th colour: the band
/// between each point's low and high (when there are two points or more),
/// the line through the middles, the points, optionally a whisker per point,
/// and its legend entry in row `si` of `legend`. Points are (x, mid, lo, hi).
fn series_with_band<X, Y>(
    ch: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<X, Y>>,
    legend: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    si: usize,
    key: &str,
    pts: &[(f64, f64, f64, f64)],
    whiskers: bool,
) -> std::result::Result<(), String>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let color = Palette99::pick(si).to_rgba();
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
    ch.draw_series(pts.iter().map(|p| Circle::new((p.0, p.1), 3, color.filled())))
        .map_err(e)?;
    if whiskers {
        for p in pts {
            ch.draw_series(LineSeries::new(vec![(p.0, p.2), (p.0, p.3)], color.stroke_width(1)))
                .map_err(e)?;
        }
    }
    let y = 6 + 22 * si as i32;
    legend
        .draw(&PathElement::new(
            vec![(96, y + 8), (126, y + 8)],
            color.stroke_width(3),
        ))
        .map_err(e)?;
    legend
        .draw(&Text::new(
            key.to_owned(),
            (134, y),
            (FONT, 13).into_font().color(&BLACK),
        ))
        .map_err(e)?;
    Ok(())
}

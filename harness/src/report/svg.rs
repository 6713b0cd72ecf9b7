//! SVG charts with plotters: the effect of each comparison with its 95 %
//! interval against the claimed effect; per-variant sample distributions;
//! effect against size on log axes for sweeps.

use crate::error::{HarnessError, Result};
pub use crate::human::bytes as human;
use crate::ledger::{CaseRecord, Entry};
use plotters::prelude::*;
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

/// Draws every chart of an entry into `dir`; returns what was drawn.
pub fn charts(e: &Entry, dir: &Path) -> Result<Vec<Chart>> {
    let mut out = Vec::new();
    let id = &e.spec.id;
    let f = format!("{id}-effect.svg");
    effect_chart(e, &dir.join(&f))?;
    out.push(Chart {
        file: f,
        caption: "Measured B/A ratio per comparison (blue dot) with its 95 % bootstrap interval (blue bar); the red triangle marks the claimed ratio, the black line 1.0 (no change).".into(),
    });
    if let Some(case) = e.cases.first() {
        let f = format!("{id}-samples.svg");
        samples_chart(case, &dir.join(&f))?;
        out.push(Chart {
            file: f,
            caption: format!(
                "Every trial of every variant in case “{}” ({}).",
                case.label,
                case.metric.name()
            ),
        });
    }
    let swept: Vec<&CaseRecord> = e.cases.iter().filter(|c| c.x.is_some()).collect();
    if swept.len() >= 2 {
        let f = format!("{id}-sweep.svg");
        sweep_chart(e, &swept, &dir.join(&f))?;
        out.push(Chart {
            file: f,
            caption: "Effect against size (log axis), with 95 % intervals; the dashed line is the claimed ratio."
                .into(),
        });
    }
    Ok(out)
}

fn effect_chart(e: &Entry, path: &Path) -> Result<()> {
    let rows: Vec<(String, f64, f64, f64, Option<f64>)> = e
        .cases
        .iter()
        .flat_map(|c| {
            c.comparisons.iter().map(move |k| {
                (
                    format!("{} — {} vs {}", c.label, k.b, k.a),
                    k.effect.ratio,
                    k.effect.lo,
                    k.effect.hi,
                    k.expect.ratio(),
                )
            })
        })
        .collect();
    let n = rows.len().max(1);
    let (mut lo, mut hi) = (1.0f64, 1.0f64);
    for r in &rows {
        for v in [r.1, r.2, r.3].into_iter().chain(r.4) {
            if v.is_finite() {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
    }
    let (lo, hi) = if lo > 0.0 && hi / lo > 20.0 {
        (lo / 1.5, hi * 1.5)
    } else {
        (lo - (hi - lo) * 0.1 - 0.02, hi + (hi - lo) * 0.1 + 0.02)
    };
    let log = lo > 0.0 && hi / lo > 20.0;
    let height = 90 + 34 * n as u32;
    let root = SVGBackend::new(path, (900, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|x| err(path, x))?;
    let draw = |root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>| -> std::result::Result<(), String> {
        let label_w = 380;
        let (left, right) = root.split_horizontally(label_w);
        for (i, r) in rows.iter().enumerate() {
            let y = 40 + 34 * i as i32 + 17;
            left.draw(&Text::new(r.0.clone(), (6, y - 6), (FONT, 12).into_font()))
                .map_err(|x| x.to_string())?;
        }
        if log {
            let mut ch = ChartBuilder::on(&right)
                .margin(10)
                .x_label_area_size(30)
                .build_cartesian_2d((lo..hi).log_scale(), 0f64..n as f64)
                .map_err(|x| x.to_string())?;
            ch.configure_mesh()
                .disable_y_mesh()
                .disable_y_axis()
                .x_desc("B/A ratio (log)")
                .draw()
                .map_err(|x| x.to_string())?;
            plot_rows(&mut ch, &rows, n).map_err(|x| x.to_string())
        } else {
            let mut ch = ChartBuilder::on(&right)
                .margin(10)
                .x_label_area_size(30)
                .build_cartesian_2d(lo..hi, 0f64..n as f64)
                .map_err(|x| x.to_string())?;
            ch.configure_mesh()
                .disable_y_mesh()
                .disable_y_axis()
                .x_desc("B/A ratio")
                .draw()
                .map_err(|x| x.to_string())?;
            plot_rows(&mut ch, &rows, n).map_err(|x| x.to_string())
        }
    };
    draw(&root).map_err(|x| err(path, x))?;
    root.present().map_err(|x| err(path, x))
}

type Row = (String, f64, f64, f64, Option<f64>);

fn plot_rows<X>(
    ch: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<X, plotters::coord::types::RangedCoordf64>>,
    rows: &[Row],
    n: usize,
) -> std::result::Result<(), DrawingAreaErrorKind<std::io::Error>>
where
    X: Ranged<ValueType = f64>,
{
    ch.draw_series(LineSeries::new(
        vec![(1.0, 0.0), (1.0, n as f64)],
        BLACK.stroke_width(1),
    ))?;
    for (i, r) in rows.iter().enumerate() {
        let y = n as f64 - i as f64 - 0.5;
        if r.2.is_finite() && r.3.is_finite() {
            ch.draw_series(LineSeries::new(vec![(r.2, y), (r.3, y)], BLUE.stroke_width(3)))?;
        }
        if r.1.is_finite() {
            ch.draw_series(std::iter::once(Circle::new((r.1, y), 4, BLUE.filled())))?;
        }
        if let Some(c) = r.4 {
            ch.draw_series(std::iter::once(TriangleMarker::new((c, y), 6, RED.filled())))?;
        }
    }
    Ok(())
}

fn samples_chart(c: &CaseRecord, path: &Path) -> Result<()> {
    let (scale, unit) = match c.metric {
        crate::experiment::Metric::WallTime => (1e3, "ms"),
        crate::experiment::Metric::PeakMemory => (1.0 / (1024.0 * 1024.0), "MiB"),
        crate::experiment::Metric::Instructions => (1e-6, "M instructions"),
    };
    let mut hi = 0f64;
    for v in &c.variants {
        for s in &v.samples {
            hi = hi.max(s * scale);
        }
    }
    let hi = if hi > 0.0 { hi * 1.1 } else { 1.0 };
    let nv = c.variants.len().max(1);
    let root = SVGBackend::new(path, (900, 420)).into_drawing_area();
    root.fill(&WHITE).map_err(|x| err(path, x))?;
    let names: Vec<String> = c.variants.iter().map(|v| v.name.clone()).collect();
    let r = (|| -> std::result::Result<(), String> {
        let mut ch = ChartBuilder::on(&root)
            .margin(14)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(-0.5f64..nv as f64 - 0.5, 0f64..hi)
            .map_err(|x| x.to_string())?;
        ch.configure_mesh()
            .disable_x_mesh()
            .x_labels(nv)
            .x_label_formatter(&|x| {
                let i = x.round();
                if (x - i).abs() < 1e-6 && i >= 0.0 {
                    names.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_desc(unit)
            .draw()
            .map_err(|x| x.to_string())?;
        for (i, v) in c.variants.iter().enumerate() {
            let n = v.samples.len().max(1);
            let pts = v.samples.iter().enumerate().map(|(k, s)| {
                // Deterministic jitter spreads the trials across the column.
                let jitter = ((k * 7919) % 100) as f64 / 100.0 * 0.5 - 0.25;
                Circle::new(
                    (i as f64 + jitter, s * scale),
                    2,
                    Palette99::pick(i).mix(if n > 500 { 0.3 } else { 0.7 }).filled(),
                )
            });
            ch.draw_series(pts).map_err(|x| x.to_string())?;
            let m = v.summary.median * scale;
            ch.draw_series(LineSeries::new(
                vec![(i as f64 - 0.35, m), (i as f64 + 0.35, m)],
                BLACK.stroke_width(2),
            ))
            .map_err(|x| x.to_string())?;
        }
        Ok(())
    })();
    r.map_err(|x| err(path, x))?;
    root.present().map_err(|x| err(path, x))
}

fn sweep_chart(e: &Entry, cases: &[&CaseRecord], path: &Path) -> Result<()> {
    let xs: Vec<f64> = cases.iter().filter_map(|c| c.x).collect();
    let (xlo, xhi) = (
        xs.iter().copied().fold(f64::INFINITY, f64::min),
        xs.iter().copied().fold(0f64, f64::max),
    );
    let mut ylo = f64::INFINITY;
    let mut yhi = 0f64;
    for c in cases {
        for k in &c.comparisons {
            for v in [k.effect.lo, k.effect.hi].into_iter().chain(k.expect.ratio()) {
                if v.is_finite() && v > 0.0 {
                    ylo = ylo.min(v);
                    yhi = yhi.max(v);
                }
            }
        }
    }
    let (ylo, yhi) = (ylo.min(1.0) / 1.2, yhi.max(1.0) * 1.2);
    let root = SVGBackend::new(path, (900, 460)).into_drawing_area();
    root.fill(&WHITE).map_err(|x| err(path, x))?;
    let r = (|| -> std::result::Result<(), String> {
        let mut ch = ChartBuilder::on(&root)
            .margin(14)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d((xlo / 1.5..xhi * 1.5).log_scale(), (ylo..yhi).log_scale())
            .map_err(|x| x.to_string())?;
        ch.configure_mesh()
            .x_desc("size (bytes, log)")
            .y_desc("B/A ratio (log)")
            .x_label_formatter(&|x| human(*x))
            .draw()
            .map_err(|x| x.to_string())?;
        ch.draw_series(LineSeries::new(
            vec![(xlo / 1.5, 1.0), (xhi * 1.5, 1.0)],
            BLACK.stroke_width(1),
        ))
        .map_err(|x| x.to_string())?;
        // One series per (comparison, cache mode).
        let mut keys: Vec<String> = Vec::new();
        for c in cases {
            for k in &c.comparisons {
                let key = format!("{} vs {} ({:?})", k.b, k.a, c.cache);
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
        for (si, key) in keys.iter().enumerate() {
            let color = Palette99::pick(si).to_rgba();
            let mut pts = Vec::new();
            for c in cases {
                for k in &c.comparisons {
                    if &format!("{} vs {} ({:?})", k.b, k.a, c.cache) == key {
                        if let Some(x) = c.x {
                            pts.push((x, k.effect.ratio, k.effect.lo, k.effect.hi));
                        }
                    }
                }
            }
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            ch.draw_series(LineSeries::new(pts.iter().map(|p| (p.0, p.1)), color.stroke_width(2)))
                .map_err(|x| x.to_string())?
                .label(key.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
            for p in &pts {
                ch.draw_series(LineSeries::new(vec![(p.0, p.2), (p.0, p.3)], color.stroke_width(1)))
                    .map_err(|x| x.to_string())?;
            }
        }
        if let Some(c) = e.spec.claim.ratio {
            ch.draw_series(DashedLineSeries::new(
                vec![(xlo / 1.5, c), (xhi * 1.5, c)],
                6,
                4,
                RED.stroke_width(1),
            ))
            .map_err(|x| x.to_string())?;
        }
        ch.configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|x| x.to_string())?;
        Ok(())
    })();
    r.map_err(|x| err(path, x))?;
    root.present().map_err(|x| err(path, x))
}

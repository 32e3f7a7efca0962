//! SVG charts for the study commands, drawn with `plotters` (SVG backend only: no fonts or system libraries;
//! text is written as `<text>` elements for the viewer to render).

use crate::error::{Error, Result};
use crate::fsio::write_atomic;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::io::Write;
use std::path::Path;

/// One curve: points (optionally with vertical error bars), drawn as markers and/or a line.
#[derive(Clone, Debug, Default)]
pub struct Series {
    /// Legend entry (none when empty).
    pub label: String,
    pub points: Vec<(f64, f64)>,
    /// Vertical error bars (lo, hi), one per point.
    pub bars: Option<Vec<(f64, f64)>>,
    pub markers: bool,
    pub line: bool,
    /// Index into the palette.
    pub color: usize,
}

/// A chart: axes, optional log scales and ranges (fitted to the data when `None`), series.
#[derive(Clone, Debug, Default)]
pub struct Chart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_log: bool,
    pub y_log: bool,
    pub x_range: Option<(f64, f64)>,
    pub y_range: Option<(f64, f64)>,
    pub series: Vec<Series>,
}

/// Tableau 10: distinguishable colours.
const PALETTE: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

pub fn color(i: usize) -> RGBColor {
    let (r, g, b) = PALETTE[i % PALETTE.len()];
    RGBColor(r, g, b)
}

/// The data range of one axis over points and bars, padded by 5 % (multiplicatively on a log axis, where
/// only positive values count).
fn auto_range(values: impl Iterator<Item = f64>, log: bool) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite() && (!log || *v > 0.0))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(v), h.max(v))
        });
    if !lo.is_finite() {
        return if log { (1.0, 10.0) } else { (0.0, 1.0) };
    }
    if log {
        let (l, h) = (lo.log10(), hi.log10());
        let pad = ((h - l) * 0.05).max(0.1);
        (10f64.powf(l - pad), 10f64.powf(h + pad))
    } else {
        let pad = ((hi - lo) * 0.05).max(if lo == hi {
            lo.abs() * 0.05 + 0.01
        } else {
            0.0
        });
        (lo - pad, hi + pad)
    }
}

/// A tick label: integers without ".0", otherwise at most 4 decimals with trailing zeros cut, or
/// scientific notation for very large or small values.
pub fn tick(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-3..1e6).contains(&a) {
        return format!("{v:.1e}");
    }
    if v == v.round() {
        return format!("{v:.0}");
    }
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The corner of the plot with the fewest data points nearby, for the legend.
fn legend_corner(chart: &Chart, x: (f64, f64), y: (f64, f64)) -> SeriesLabelPosition {
    let unit = |v: f64, (lo, hi): (f64, f64), log: bool| {
        if log {
            (v.max(f64::MIN_POSITIVE).log10() - lo.log10()) / (hi.log10() - lo.log10())
        } else {
            (v - lo) / (hi - lo)
        }
    };
    let pts: Vec<(f64, f64)> = chart
        .series
        .iter()
        .flat_map(|s| s.points.iter())
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .map(|&(a, b)| (unit(a, x, chart.x_log), unit(b, y, chart.y_log)))
        .collect();
    // The legend box spans about 45 % of the width and 30 % of the height.
    let crowd = |x0: f64, y0: f64| {
        pts.iter()
            .filter(|(a, b)| (a - x0).abs() < 0.45 && (b - y0).abs() < 0.3)
            .count()
    };
    [
        (SeriesLabelPosition::UpperRight, 1.0, 1.0),
        (SeriesLabelPosition::UpperLeft, 0.0, 1.0),
        (SeriesLabelPosition::LowerLeft, 0.0, 0.0),
        (SeriesLabelPosition::LowerRight, 1.0, 0.0),
    ]
    .into_iter()
    .min_by_key(|(_, a, b)| crowd(*a, *b))
    .map(|(p, _, _)| p)
    .unwrap_or(SeriesLabelPosition::UpperRight)
}

fn draw_err<E: std::fmt::Debug>(e: E) -> Error {
    Error::input(format!("cannot draw the chart: {e:?}"))
}

/// Draws the chart on `root` with the given x and y coordinate specs (linear or log).
macro_rules! draw_on {
    ($root:expr, $chart:expr, $xr:expr, $yr:expr, $xr_pos:expr, $yr_pos:expr) => {{
        let chart: &Chart = $chart;
        let mut cc = ChartBuilder::on($root)
            .caption(&chart.title, ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d($xr, $yr)
            .map_err(draw_err)?;
        cc.configure_mesh()
            .x_desc(chart.x_label.as_str())
            .y_desc(chart.y_label.as_str())
            .axis_desc_style(("sans-serif", 15))
            .light_line_style(RGBColor(244, 244, 244))
            .x_label_formatter(&|v: &f64| tick(*v))
            .y_label_formatter(&|v: &f64| tick(*v))
            .draw()
            .map_err(draw_err)?;
        let (ylo, _) = chart.y_range.unwrap_or((f64::MIN_POSITIVE, 0.0));
        let mut legend = false;
        for s in &chart.series {
            let c = color(s.color);
            let pts: Vec<(f64, f64)> = s
                .points
                .iter()
                .copied()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect();
            if let Some(bars) = &s.bars {
                let floor = if chart.y_log {
                    ylo.max(f64::MIN_POSITIVE)
                } else {
                    f64::NEG_INFINITY
                };
                let segs: Vec<(f64, f64, f64)> = s
                    .points
                    .iter()
                    .zip(bars)
                    .filter(|((x, _), (lo, hi))| x.is_finite() && lo.is_finite() && hi.is_finite())
                    .map(|(&(x, _), &(lo, hi))| (x, lo.max(floor), hi.max(floor)))
                    .collect();
                cc.draw_series(segs.iter().map(|&(x, lo, hi)| {
                    PathElement::new(vec![(x, lo), (x, hi)], c.stroke_width(1))
                }))
                .map_err(draw_err)?;
                for cap in [1, 2] {
                    cc.draw_series(segs.iter().map(|&(x, lo, hi)| {
                        EmptyElement::at((x, if cap == 1 { lo } else { hi }))
                            + PathElement::new(vec![(-4, 0), (4, 0)], c.stroke_width(1))
                    }))
                    .map_err(draw_err)?;
                }
            }
            let labelled = !s.label.is_empty();
            let line = s.line && pts.len() > 1;
            if s.markers {
                let a = cc
                    .draw_series(pts.iter().map(|&p| Circle::new(p, 4, c.filled())))
                    .map_err(draw_err)?;
                if labelled && !line {
                    legend = true;
                    a.label(s.label.clone())
                        .legend(move |(x, y)| Circle::new((x + 10, y), 4, c.filled()));
                }
            }
            if line {
                let a = cc
                    .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(2)))
                    .map_err(draw_err)?;
                if labelled {
                    legend = true;
                    a.label(s.label.clone()).legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2))
                    });
                }
            }
        }
        if legend {
            cc.configure_series_labels()
                .position(legend_corner(chart, $xr_pos, $yr_pos))
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font(("sans-serif", 13))
                .draw()
                .map_err(draw_err)?;
        }
    }};
}

fn draw(root: &DrawingArea<SVGBackend, Shift>, chart: &Chart) -> Result<()> {
    let xs = chart
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0));
    let x = chart.x_range.unwrap_or_else(|| auto_range(xs, chart.x_log));
    let ys = chart.series.iter().flat_map(|s| {
        s.points.iter().map(|p| p.1).chain(
            s.bars
                .iter()
                .flat_map(|b| b.iter().flat_map(|&(lo, hi)| [lo, hi])),
        )
    });
    let y = chart.y_range.unwrap_or_else(|| auto_range(ys, chart.y_log));
    let mut c = chart.clone();
    c.y_range = Some(y);
    match (chart.x_log, chart.y_log) {
        (false, false) => draw_on!(root, &c, x.0..x.1, y.0..y.1, x, y),
        (true, false) => draw_on!(root, &c, (x.0..x.1).log_scale(), y.0..y.1, x, y),
        (false, true) => draw_on!(root, &c, x.0..x.1, (y.0..y.1).log_scale(), x, y),
        (true, true) => draw_on!(
            root,
            &c,
            (x.0..x.1).log_scale(),
            (y.0..y.1).log_scale(),
            x,
            y
        ),
    }
    Ok(())
}

/// The chart as an SVG document (800 × 560).
pub fn svg(chart: &Chart) -> Result<String> {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (800, 560)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        draw(&root, chart)?;
        root.present().map_err(draw_err)?;
    }
    // Mark the figure as densemc's, right after the opening tag (see `run::output::FIGURE_MARK`).
    if let Some(end) = buf.find('>') {
        buf.insert_str(end + 1, &format!("\n{}", crate::run::output::FIGURE_MARK));
    }
    Ok(buf)
}

/// Writes the chart as SVG, atomically.
pub fn write_svg(path: &Path, chart: &Chart) -> Result<()> {
    let s = svg(chart)?;
    write_atomic(path, |w| w.write_all(s.as_bytes()))
}

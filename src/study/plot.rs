//! The charts of the study commands, in one style (text sized for a slide, the paper's symbols): drawn as
//! SVG with `plotters` (no fonts needed: text is written as `<text>` elements for the viewer to render), and
//! the same SVG rendered to a PNG beside it with `resvg` (this needs a system font for the text, e.g.
//! Debian's fonts-dejavu-core; without one only the SVG is written, see [`png_support`]).

use crate::error::{Error, Result};
use crate::fsio::write_atomic;
use plotters::coord::Shift;
use plotters::element::{Drawable, PointCollection};
use plotters::prelude::*;
use plotters_backend::{BackendCoord, DrawingErrorKind};
use resvg::usvg::fontdb::Database;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, OnceLock};

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
    /// Marker shape: 0 circle, 1 triangle, 2 square, 3 diamond (cycled).
    pub shape: usize,
    /// Draw the line dashed.
    pub dashed: bool,
}

/// A chart: axes, optional log scales and ranges (fitted to the data when `None`), series.
#[derive(Clone, Debug, Default)]
pub struct Chart {
    pub title: String,
    /// A second, smaller title line: the run's settings (budget, y, …).
    pub subtitle: String,
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

/// Tick positions on a log axis over `(lo, hi)`: the powers of ten, with 2 and 5 times them when fewer
/// than four powers fall in the range, and every integer multiple when even those are fewer than four.
pub fn log_ticks((lo, hi): (f64, f64)) -> Vec<f64> {
    let (a, b) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let within = |m: &[f64]| -> Vec<f64> {
        (a..=b)
            .flat_map(|e| m.iter().map(move |k| k * 10f64.powi(e)))
            .filter(|v| *v >= lo * (1.0 - 1e-12) && *v <= hi * (1.0 + 1e-12))
            .collect()
    };
    for m in [
        &[1.0][..],
        &[1.0, 2.0, 5.0],
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
    ] {
        let t = within(m);
        if t.len() >= 4 {
            return t;
        }
    }
    let t = within(&[1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
    if t.len() >= 2 {
        t
    } else {
        vec![lo, hi]
    }
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
            .caption(
                &chart.title,
                (FONT, if chart.subtitle.is_empty() { 26 } else { 18 }),
            )
            .margin(20)
            .x_label_area_size(60)
            .y_label_area_size(90)
            .build_cartesian_2d($xr, $yr)
            .map_err(draw_err)?;
        cc.configure_mesh()
            .x_desc(chart.x_label.as_str())
            .y_desc(chart.y_label.as_str())
            .axis_desc_style((FONT, 22))
            .label_style((FONT, 18))
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
            let shape = s.shape;
            if s.markers {
                let a = cc
                    .draw_series(pts.iter().map(|&p| marker(p, shape, c)))
                    .map_err(draw_err)?;
                if labelled && !line {
                    legend = true;
                    a.label(s.label.clone())
                        .legend(move |(x, y)| marker((x + 12, y), shape, c));
                }
            }
            if line {
                let style = c.stroke_width(2);
                let a = if s.dashed {
                    cc.draw_series(DashedLineSeries::new(pts.iter().copied(), 8, 5, style))
                } else {
                    cc.draw_series(LineSeries::new(pts.iter().copied(), style))
                }
                .map_err(draw_err)?;
                if labelled {
                    legend = true;
                    let dashed = s.dashed;
                    let markers = s.markers;
                    a.label(s.label.clone()).legend(move |(x, y)| {
                        // A dash, a gap (when dashed) and a dash, with the marker in the middle.
                        let (first, second) = if dashed {
                            (vec![(0, 0), (9, 0)], vec![(15, 0), (24, 0)])
                        } else {
                            (vec![(0, 0), (24, 0)], vec![(24, 0), (24, 0)])
                        };
                        EmptyElement::at((x, y))
                            + PathElement::new(first, style)
                            + PathElement::new(second, style)
                            + marker((12, 0), if markers { shape } else { usize::MAX }, c)
                    });
                }
            }
        }
        if legend {
            cc.configure_series_labels()
                .position(legend_corner(chart, $xr_pos, $yr_pos))
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font((FONT, 17))
                .draw()
                .map_err(draw_err)?;
        }
    }};
}

/// A marker of `shape` (0 circle, 1 triangle, 2 square, 3 diamond, cycled; `usize::MAX`: none) at `at`.
struct Marker<C> {
    at: C,
    shape: usize,
    color: RGBColor,
}

fn marker<C>(at: C, shape: usize, color: RGBColor) -> Marker<C> {
    Marker { at, shape, color }
}

impl<'a, C: 'a> PointCollection<'a, C> for &'a Marker<C> {
    type Point = &'a C;
    type IntoIter = std::iter::Once<&'a C>;
    fn point_iter(self) -> Self::IntoIter {
        std::iter::once(&self.at)
    }
}

impl<C, DB: DrawingBackend> Drawable<DB> for Marker<C> {
    fn draw<I: Iterator<Item = BackendCoord>>(
        &self,
        mut pos: I,
        backend: &mut DB,
        _: (u32, u32),
    ) -> std::result::Result<(), DrawingErrorKind<DB::ErrorType>> {
        let Some((x, y)) = pos.next() else {
            return Ok(());
        };
        let style = self.color.filled();
        match self.shape {
            usize::MAX => Ok(()),
            s if s % 4 == 0 => backend.draw_circle((x, y), 5, &style, true),
            s if s % 4 == 1 => {
                backend.fill_polygon(vec![(x, y - 7), (x + 6, y + 4), (x - 6, y + 4)], &style)
            }
            s if s % 4 == 2 => backend.draw_rect((x - 5, y - 5), (x + 5, y + 5), &style, true),
            _ => backend.fill_polygon(vec![(x, y - 7), (x + 6, y), (x, y + 7), (x - 6, y)], &style),
        }
    }
}

/// The font family of all text (resolved to a system font for the PNG).
const FONT: &str = "sans-serif";

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
    // With a subtitle: the title above, the subtitle as the chart's (smaller) caption.
    let root = if chart.subtitle.is_empty() {
        root.clone()
    } else {
        c.title = c.subtitle.clone();
        root.titled(&chart.title, (FONT, 26)).map_err(draw_err)?
    };
    let root = &root;
    let xl = || (x.0..x.1).log_scale().with_key_points(log_ticks(x));
    let yl = || (y.0..y.1).log_scale().with_key_points(log_ticks(y));
    match (chart.x_log, chart.y_log) {
        (false, false) => draw_on!(root, &c, x.0..x.1, y.0..y.1, x, y),
        (true, false) => draw_on!(root, &c, xl(), y.0..y.1, x, y),
        (false, true) => draw_on!(root, &c, x.0..x.1, yl(), x, y),
        (true, true) => draw_on!(root, &c, xl(), yl(), x, y),
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

/// The system's fonts for the PNG text, loaded once; `Err` says why there are none. The generic family
/// `sans-serif` of our SVG is resolved to DejaVu Sans, Liberation Sans or Noto Sans, else the first font.
fn fonts() -> std::result::Result<Arc<Database>, String> {
    static FONTS: OnceLock<std::result::Result<Arc<Database>, String>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = Database::new();
            db.load_system_fonts();
            let families: Vec<String> = db
                .faces()
                .flat_map(|f| f.families.iter().map(|(name, _)| name.clone()))
                .collect();
            let Some(first) = families.first() else {
                return Err("no system font found for the text of PNG figures (on Debian: apt-get install fonts-dejavu-core); only the SVG figures are written".into());
            };
            let sans = ["DejaVu Sans", "Liberation Sans", "Noto Sans"]
                .iter()
                .find(|f| families.iter().any(|g| g == *f))
                .map_or(first.clone(), |f| f.to_string());
            db.set_sans_serif_family(sans);
            Ok(Arc::new(db))
        })
        .clone()
}

/// Whether PNG figures can be written (a system font is there); `Err` is the warning to show.
pub fn png_support() -> std::result::Result<(), String> {
    fonts().map(|_| ())
}

/// Pixels per SVG unit of the PNG (1600 × 1120 for a chart).
const PNG_SCALE: f32 = 2.0;

/// An SVG of ours as a PNG, carrying the figure mark as a `Comment` text chunk.
pub fn png(svg: &str) -> Result<Vec<u8>> {
    let fontdb = fonts().map_err(Error::input)?;
    let opt = resvg::usvg::Options {
        fontdb,
        ..Default::default()
    };
    let tree = resvg::usvg::Tree::from_str(svg, &opt)
        .map_err(|e| Error::input(format!("cannot render the figure as PNG: {e}")))?;
    let size = tree
        .size()
        .to_int_size()
        .scale_by(PNG_SCALE)
        .ok_or_else(|| Error::input("cannot render the figure as PNG: empty figure"))?;
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| Error::input("cannot render the figure as PNG: empty figure"))?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(PNG_SCALE, PNG_SCALE),
        &mut pixmap.as_mut(),
    );
    let rgba: Vec<u8> = pixmap
        .pixels()
        .iter()
        .flat_map(|p| {
            let c = p.demultiply();
            [c.red(), c.green(), c.blue(), c.alpha()]
        })
        .collect();
    let mut out = Vec::new();
    let png_err = |e: png::EncodingError| Error::input(format!("cannot encode the PNG: {e}"));
    {
        let mut enc = png::Encoder::new(&mut out, size.width(), size.height());
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        enc.add_text_chunk("Comment".into(), crate::run::output::FIGURE_MARK.into())
            .map_err(png_err)?;
        let mut w = enc.write_header().map_err(png_err)?;
        w.write_image_data(&rgba).map_err(png_err)?;
    }
    Ok(out)
}

/// The files of one figure: `STEM.svg` and, when [`png_support`] allows, `STEM.png`.
pub fn figure_files(stem: &str, chart: &Chart) -> Result<Vec<(String, Vec<u8>)>> {
    let s = svg(chart)?;
    let mut files = Vec::new();
    if png_support().is_ok() {
        files.push((format!("{stem}.png"), png(&s)?));
    }
    files.insert(0, (format!("{stem}.svg"), s.into_bytes()));
    Ok(files)
}

/// The PNG beside an SVG path (`fig.svg` → `fig.png`).
pub fn png_path(svg: &Path) -> std::path::PathBuf {
    svg.with_extension("png")
}

/// Writes the chart as SVG and, when [`png_support`] allows, as PNG beside it ([`png_path`]), atomically.
pub fn write_svg(path: &Path, chart: &Chart) -> Result<()> {
    let s = svg(chart)?;
    if png_support().is_ok() {
        let p = png(&s)?;
        write_atomic(&png_path(path), |w| w.write_all(&p))?;
    }
    write_atomic(path, |w| w.write_all(s.as_bytes()))
}

//! Figures: optimisation paths over a contour map, and curves (loss, gradient norm) in SVG or PNG.
//!
//! | function | figure |
//! |---|---|
//! | [`paths`] | contour lines of f(x₁, x₂) over a box, one path per method, start (○), minima (×) |
//! | [`lines`] | any number of series, linear or log-10 y axis |
//! | [`lines_annotated`] | series on linear or log-10 x and y axes, sparse series dotted, with text notes |
//! | [`loss_curves`] | two panels from [`Trace`]s: f(x) and ‖∇f(x)‖ (log) against iterations or evaluations |
//! | [`surface`] | a 3-D view of the surface f(x₁, x₂), coloured by height, with marked points |
//! | [`jiggle`] | the jiggle test: perturbations on a circle, the gradient at each, outward red, inward blue |
//! | [`learning_curve`] | a training run: train/test loss (log) and accuracy against the epoch |
//! | [`digit_gradient`] | one example as a grey image beside bars of p, y and p − y for each class |
//! | [`image_panels`] | grey images side by side with captions (white on black, as a star field) |
//! | [`few_shot_fits`] | a grid of panels: curves fitted to a handful of points, the points as rings |
//! | [`plot_box`] | a box that holds the given paths and minima, for [`paths`] |
//! | [`write()`] | writes a figure atomically |
//!
//! Every figure has one look: white background, a title, axis labels, a legend, and method `k`
//! drawn in colour `PALETTE[k % 9]` (the Tableau-10 colours without its grey, which would
//! vanish among the grey contour lines).
//!
//! Design decisions:
//! - **plotters without default features.** Its default text rendering goes through `font-kit`,
//!   which links fontconfig and freetype and picks whatever "sans-serif" the machine has. We
//!   enable its `ab_glyph` feature instead and register DejaVu Sans, shipped in `assets/`,
//!   from bytes: no system library, and the same bytes out on every machine.
//! - **The same inputs give the same bytes.** Nothing depends on time, hashing order or the
//!   host; the tests render twice and compare.
//! - **Log axes are ours** ([`Axis`]). A log-10 y axis holds log₁₀ y on a linear scale, ticks
//!   at 1, 2, 5 × 10ᵏ and labels them with the values; one coordinate type for both scales keeps
//!   one drawing routine (plotters' own log coordinate is a different type).
//! - **The legend goes where it hides least**: the corner with the fewest points under it,
//!   markers (start, minima) counting most.
//! - **Contours are ours.** f is sampled on a 121 × 121 grid and iso-lines are traced by
//!   marching squares ([`contours`]) at levels spaced geometrically above the grid minimum, so
//!   that the narrow valleys near a minimiser get as many lines as the walls around it.
//! - **Nothing panics on bad numbers.** Non-finite points are skipped, paths are clipped to the
//!   box (plotters does not clip), and empty inputs give a figure with a note saying so.

use std::path::Path;
use std::sync::OnceLock;

use anyhow::{Context, anyhow, ensure};
use descent::driver::{Trace, TraceRow};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::register_font;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::output::number;

/// Size of [`paths`] and [`lines`] figures, in pixels.
const SIZE: (u32, u32) = (800, 600);
/// Size of [`loss_curves`] figures (two panels stacked).
const SIZE_TWO_PANELS: (u32, u32) = (800, 900);
/// Grid nodes per side for the contour map (120 × 120 cells).
const GRID: usize = 121;
/// Contour levels drawn.
const LEVELS: usize = 24;
/// The lowest contour level above the grid minimum, as a fraction of the grid's value span.
const LOWEST_LEVEL: f64 = 1e-5;
/// Coordinates beyond this magnitude are skipped on a linear axis (and [`plot_box`] stays
/// within it): plotters cannot lay out the ticks of a range whose width overflows.
const LARGEST: f64 = 1e300;

/// Method colours, by method index (Tableau 10 without its grey).
const PALETTE: [RGBColor; 9] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0x17, 0xbe, 0xcf),
];
/// Contour lines.
const CONTOUR: RGBColor = RGBColor(0xc4, 0xc4, 0xc4);
/// Grid lines of line figures.
const MESH: RGBColor = RGBColor(0xe6, 0xe6, 0xe6);

/// DejaVu Sans, licence in `assets/DejaVuSans-LICENSE.txt`.
const FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
const FONT_FAMILY: &str = "sans-serif";

/// One curve of a [`lines`] figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The legend entry.
    pub name: String,
    /// (x, y) points, drawn joined in order.
    pub points: Vec<(f64, f64)>,
}

/// The file format of a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// SVG text (UTF-8).
    Svg,
    /// PNG, 8-bit RGB.
    Png,
}

/// The x axis of [`loss_curves`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Against {
    /// The iteration number.
    Iterations,
    /// Value evaluations so far ([`TraceRow::value_evaluations`]): a `value_grad` call
    /// counts one, and so does each line-search trial, so methods pay for their probes.
    Evaluations,
}

/// The path plot: contour lines of `f` over `x_range` × `y_range`, each path overlaid in its
/// method's colour, each path's first point circled and the known `minima` crossed.
///
/// Paths are clipped to the box, so a box from [`plot_box`] shows them whole; a smaller box
/// zooms in. Non-finite points of a path are skipped, as are non-finite values of `f` (the
/// contour map has holes there).
///
/// # Errors
/// A box that is not finite and of positive width and height; a drawing or encoding failure.
pub fn paths(
    title: &str,
    f: &dyn Fn(f64, f64) -> f64,
    x_range: (f64, f64),
    y_range: (f64, f64),
    paths: &[(String, Vec<[f64; 2]>)],
    minima: &[[f64; 2]],
    format: Format,
) -> anyhow::Result<Vec<u8>> {
    for (axis, (lo, hi)) in [("x", x_range), ("y", y_range)] {
        ensure!(
            lo < hi && (hi - lo).is_finite(),
            "the {axis} range of a path plot must be increasing and of finite width, got {lo}..{hi}"
        );
    }
    let inside = |[x, y]: [f64; 2]| {
        (x_range.0..=x_range.1).contains(&x) && (y_range.0..=y_range.1).contains(&y)
    };
    let figure = PathFigure {
        title,
        x_range,
        y_range,
        contours: contours(f, x_range, y_range),
        paths: paths
            .iter()
            .map(|(name, points)| (name.as_str(), clip(points, x_range, y_range)))
            .collect(),
        starts: paths
            .iter()
            .filter_map(|(_, points)| points.iter().copied().find(|p| is_finite(*p)))
            .filter(|&p| inside(p))
            .map(|[x, y]| (x, y))
            .collect(),
        minima: minima.iter().copied().filter(|&p| inside(p)).map(|[x, y]| (x, y)).collect(),
    };
    render(&figure, SIZE, format)
}

/// A line figure: each series in its method's colour, with a legend.
///
/// With `log_y`, y is drawn on a log-10 axis and points with y ≤ 0 (or NaN) cannot be shown:
/// they are dropped, and the figure says how many. Points with a non-finite coordinate are
/// skipped on either scale, as are coordinates beyond ±1e300 on a linear axis.
///
/// # Errors
/// A drawing or encoding failure.
pub fn lines(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    log_y: bool,
    format: Format,
) -> anyhow::Result<Vec<u8>> {
    let figure = LineFigure { title, panels: vec![Panel::new(x_label, y_label, series, log_y)] };
    render(&figure, SIZE, format)
}

/// Which axes of a [`lines_annotated`] figure are log-10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LogAxes {
    /// x on a log-10 axis.
    pub x: bool,
    /// y on a log-10 axis.
    pub y: bool,
}

/// A line of text placed in a figure at a data point (its left end, vertically centred).
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    /// Where the text starts, in data coordinates.
    pub at: (f64, f64),
    /// The text.
    pub text: String,
}

/// A line figure as [`lines`], with either axis log-10, a dot at every point of a series of
/// at most [`DOTTED`] points (measurements, a two-point run), and `notes` written into the plot.
///
/// On a log axis, points (and notes) with a coordinate ≤ 0 cannot be shown: points are
/// dropped and counted as in [`lines`], notes are skipped.
///
/// # Errors
/// A drawing or encoding failure.
pub fn lines_annotated(
    title: &str,
    (x_label, y_label): (&str, &str),
    series: &[Series],
    log: LogAxes,
    notes: &[Note],
    format: Format,
) -> anyhow::Result<Vec<u8>> {
    let mut panel = Panel::scaled(x_label, y_label, series, log);
    panel.dotted = true;
    panel.notes = notes
        .iter()
        .filter_map(|n| {
            let (x, y) = (to_axis(n.at.0, log.x)?, to_axis(n.at.1, log.y)?);
            Some(((x, y), n.text.as_str()))
        })
        .collect();
    let figure = LineFigure { title, panels: vec![panel] };
    render(&figure, SIZE, format)
}

/// One panel of a [`stacked_lines`] figure.
#[derive(Debug, Clone, PartialEq)]
pub struct StackedPanel {
    /// The y axis label.
    pub y_label: String,
    /// The curves, drawn as in [`lines`] on a linear y axis.
    pub series: Vec<Series>,
}

/// Line figures stacked under one title, sharing the x label (waveforms one above the other),
/// each on linear axes with its own legend. Points are handled as in [`lines`].
///
/// # Errors
/// No panel; a drawing or encoding failure.
pub fn stacked_lines(
    title: &str,
    x_label: &str,
    panels: &[StackedPanel],
    format: Format,
) -> anyhow::Result<Vec<u8>> {
    ensure!(!panels.is_empty(), "a stacked figure needs at least one panel");
    let figure = LineFigure {
        title,
        panels: panels.iter().map(|p| Panel::new(x_label, &p.y_label, &p.series, false)).collect(),
    };
    let height = SIZE.1 / 2 * (panels.len() as u32 + 1);
    render(&figure, (SIZE.0, height), format)
}

/// One panel of a [`few_shot_fits`] figure: curves fitted to a handful of points.
#[derive(Debug, Clone, PartialEq)]
pub struct FitPanel {
    /// The y axis label (which task this is).
    pub y_label: String,
    /// The curves (the truth, the fits), drawn as in [`lines`].
    pub series: Vec<Series>,
    /// The points the fits saw, drawn as black rings.
    pub points: Vec<(f64, f64)>,
}

/// Few-shot regression: panels in a grid of `columns` columns, each with its curves and the
/// handful of points they were fitted to (rings, legend entry `points_name`).
///
/// # Errors
/// No panel, no column; a drawing or encoding failure.
pub fn few_shot_fits(
    title: &str,
    x_label: &str,
    points_name: &str,
    panels: &[FitPanel],
    columns: usize,
    format: Format,
) -> anyhow::Result<Vec<u8>> {
    ensure!(!panels.is_empty() && columns > 0, "a figure of fits needs a panel and a column");
    let panels = panels
        .iter()
        .map(|p| Panel {
            markers: Some((points_name, p.points.clone())),
            ..Panel::new(x_label, &p.y_label, &p.series, false)
        })
        .collect();
    let figure = GridFigure { title, panels, columns };
    let rows = figure.panels.len().div_ceil(columns) as u32;
    render(&figure, (SIZE.0 / 2 * columns as u32 + 40, SIZE.1 / 2 * rows + 60), format)
}

/// [`Panel`]s in a grid under a title, row by row.
struct GridFigure<'a> {
    title: &'a str,
    panels: Vec<Panel<'a>>,
    columns: usize,
}

impl Figure for GridFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        root.fill(&WHITE)?;
        let body = root.titled(self.title, font(24))?;
        let rows = self.panels.len().div_ceil(self.columns);
        for (panel, area) in self.panels.iter().zip(body.split_evenly((rows, self.columns))) {
            panel.draw(&area, None)?;
        }
        Ok(())
    }
}

/// Series with at most this many points get a dot at each in [`lines_annotated`].
pub const DOTTED: usize = 12;

/// Series with more points than this are drawn with 1-pixel lines.
const DENSE: usize = 1000;

/// `v` in axis space (log₁₀ v on a log axis); `None` where the axis cannot show it.
fn to_axis(v: f64, log: bool) -> Option<f64> {
    let v = if log {
        if !(v > 0.0) {
            return None;
        }
        v.log10()
    } else {
        v
    };
    (v.is_finite() && v.abs() <= LARGEST).then_some(v)
}

/// Two panels from traces, stacked: f(x) above, ‖∇f(x)‖ below, both on log-10 axes, against
/// iterations or value evaluations.
///
/// Values f(x) ≤ 0 cannot be shown on the log axis and are dropped (the panel says how many);
/// for a problem whose minimum is not positive, plot f(x) − f* with [`lines`] instead.
///
/// # Errors
/// A drawing or encoding failure.
pub fn loss_curves(
    title: &str,
    traces: &[(String, &Trace)],
    against: Against,
    format: Format,
) -> anyhow::Result<Vec<u8>> {
    let (x_label, x_of): (&str, fn(&TraceRow) -> f64) = match against {
        Against::Iterations => ("iteration", |r| r.iteration as f64),
        Against::Evaluations => ("value evaluations", |r| r.value_evaluations as f64),
    };
    let curves = |y_of: fn(&TraceRow) -> f64| -> Vec<Series> {
        traces
            .iter()
            .map(|(name, trace)| Series {
                name: name.clone(),
                points: trace.rows.iter().map(|r| (x_of(r), y_of(r))).collect(),
            })
            .collect()
    };
    let (values, grad_norms) = (curves(|r| r.value), curves(|r| r.grad_norm));
    let figure = LineFigure {
        title,
        panels: vec![
            Panel::new(x_label, "f(x)", &values, true),
            // The legend of the panel above serves both.
            Panel { legend: false, ..Panel::new(x_label, "gradient norm", &grad_norms, true) },
        ],
    };
    render(&figure, SIZE_TWO_PANELS, format)
}

/// The learning curve of a training run, two panels against the epoch (counted from 1): the
/// mean loss on the training and test sets above (log-10 axis), their accuracies (in percent)
/// below.
///
/// Losses ≤ 0 cannot be drawn on the log axis and are dropped (the panel says how many).
///
/// # Errors
/// A drawing or encoding failure.
pub fn learning_curve(
    title: &str,
    epochs: &[descent_nn::EpochStats],
    format: Format,
) -> anyhow::Result<Vec<u8>> {
    let curve = |name: &str, y_of: fn(&descent_nn::EpochStats) -> f64| Series {
        name: name.to_owned(),
        points: epochs.iter().map(|e| ((e.epoch + 1) as f64, y_of(e))).collect(),
    };
    let losses = [curve("train", |e| e.train_loss), curve("test", |e| e.test_loss)];
    let accuracies =
        [curve("train", |e| 100.0 * e.train_accuracy), curve("test", |e| 100.0 * e.test_accuracy)];
    let mut loss_panel = Panel::new("epoch", "mean cross-entropy", &losses, true);
    let mut accuracy_panel = Panel::new("epoch", "accuracy (%)", &accuracies, false);
    // Dots make a short run (a handful of epochs) readable.
    loss_panel.dotted = epochs.len() <= DOTTED;
    accuracy_panel.dotted = epochs.len() <= DOTTED;
    // The legend of the panel above serves both.
    accuracy_panel.legend = false;
    let figure = LineFigure { title, panels: vec![loss_panel, accuracy_panel] };
    render(&figure, SIZE_TWO_PANELS, format)
}

/// The box for a path plot: the bounding box of every finite point of `paths` (their starts
/// included) and of `minima`, padded by 10 % of its width on each side.
///
/// A side of zero width (a single point, a path along one axis) is widened to ±max(1, 10 % of
/// its position); with no finite point at all the box is [−1, 1]². The box is clamped to
/// ±1e300, so that [`paths`] can lay out its axes whatever the paths did.
#[must_use]
pub fn plot_box(
    paths: &[(String, Vec<[f64; 2]>)],
    minima: &[[f64; 2]],
) -> ((f64, f64), (f64, f64)) {
    let points = paths.iter().flat_map(|(_, p)| p).chain(minima).copied();
    let mut bounds = [(f64::INFINITY, f64::NEG_INFINITY); 2];
    for point in points.filter(|&p| is_finite(p)) {
        for (b, v) in bounds.iter_mut().zip(point) {
            *b = (b.0.min(v), b.1.max(v));
        }
    }
    let [x, y] = bounds.map(|(lo, hi)| {
        if lo > hi {
            return (-1.0, 1.0);
        }
        // Half of each first, so that the width cannot overflow.
        let (centre, half) = (lo / 2.0 + hi / 2.0, hi / 2.0 - lo / 2.0);
        let half =
            if half > centre.abs() * 1e-12 { 1.2 * half } else { centre.abs().max(10.0) / 10.0 };
        ((centre - half).max(-LARGEST), (centre + half).min(LARGEST))
    });
    (x, y)
}

/// Writes a figure to `path` atomically ([`descent_io::write_atomic`]).
///
/// # Errors
/// The file cannot be created, written or renamed into place.
pub fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    Ok(descent_io::write_atomic(path, bytes)?)
}

/// A line through points in data coordinates.
type Polyline = Vec<(f64, f64)>;

/// What plotters' drawing calls return on a backend `DB`.
type Drawn<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A figure that can be drawn on any backend, so that SVG and PNG share one drawing routine.
trait Figure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB>;
}

/// Draws `figure` at `size` and encodes it.
fn render(
    figure: &impl Figure,
    (width, height): (u32, u32),
    format: Format,
) -> anyhow::Result<Vec<u8>> {
    register_fonts()?;
    let failed = |e: &dyn std::fmt::Display| anyhow!("cannot draw the figure: {e}");
    match format {
        Format::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
                figure.draw(&root).map_err(|e| failed(&e))?;
                root.present().map_err(|e| failed(&e))?;
            }
            Ok(svg.into_bytes())
        }
        Format::Png => {
            let mut rgb = vec![0; width as usize * height as usize * 3];
            {
                let root =
                    BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
                figure.draw(&root).map_err(|e| failed(&e))?;
                root.present().map_err(|e| failed(&e))?;
            }
            encode_png(&rgb, width, height)
        }
    }
}

/// RGB pixels to PNG bytes. The `png` crate rather than `image`: one encoder is all we need,
/// and `image` would bring the plumbing of every other codec (and `png` itself) with it.
fn encode_png(rgb: &[u8], width: u32, height: u32) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().context("cannot encode the PNG")?;
    writer.write_image_data(rgb).context("cannot encode the PNG")?;
    writer.finish().context("cannot encode the PNG")?;
    Ok(bytes)
}

/// Registers the bundled font under the family name every figure uses (once per process).
fn register_fonts() -> anyhow::Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let registered =
        *REGISTERED.get_or_init(|| register_font(FONT_FAMILY, FontStyle::Normal, FONT).is_ok());
    ensure!(registered, "the bundled font assets/DejaVuSans.ttf is not a valid font");
    Ok(())
}

fn method_color(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

fn font(size: u32) -> TextStyle<'static> {
    (FONT_FAMILY, size).into_font().color(&BLACK)
}

fn is_finite([x, y]: [f64; 2]) -> bool {
    x.is_finite() && y.is_finite()
}

/// A range that plotters can lay ticks out on: `lo < hi`, padded by `pad` of its width.
fn axis_range(lo: f64, hi: f64, pad: f64) -> (f64, f64) {
    if !(lo <= hi) {
        return (0.0, 1.0);
    }
    let width = hi - lo;
    if width > (lo.abs().max(hi.abs())) * 1e-12 {
        (lo - pad * width, hi + pad * width)
    } else {
        let half = lo.abs().max(1.0) / 10.0;
        (lo - half, hi + half)
    }
}

/// The corner for the legend: the one whose box (35 % × 30 % of the plot) holds the least
/// weight of `points`, preferring upper right, upper left, lower right, lower left on ties.
fn quietest_corner(
    points: impl Iterator<Item = ((f64, f64), usize)>,
    x: (f64, f64),
    y: (f64, f64),
) -> SeriesLabelPosition {
    let (left, right) = (x.0 + 0.35 * (x.1 - x.0), x.1 - 0.35 * (x.1 - x.0));
    let (bottom, top) = (y.0 + 0.3 * (y.1 - y.0), y.1 - 0.3 * (y.1 - y.0));
    let mut weights = [0; 4];
    for ((px, py), weight) in points {
        let (is_left, is_right) = (px <= left, px >= right);
        let (is_low, is_high) = (py <= bottom, py >= top);
        let corners =
            [is_high && is_right, is_high && is_left, is_low && is_right, is_low && is_left];
        for (w, inside) in weights.iter_mut().zip(corners) {
            *w += if inside { weight } else { 0 };
        }
    }
    let best = (0..4).min_by_key(|&k| weights[k]).unwrap_or(0);
    [
        SeriesLabelPosition::UpperRight,
        SeriesLabelPosition::UpperLeft,
        SeriesLabelPosition::LowerRight,
        SeriesLabelPosition::LowerLeft,
    ][best]
        .clone()
}

/// As [`quietest_corner`], with the middle of the right and of the left side (boxes 35 % × 30 %
/// centred vertically) as two more candidates, tried after the corners.
fn quietest_place(
    points: impl Iterator<Item = ((f64, f64), usize)>,
    x: (f64, f64),
    y: (f64, f64),
) -> SeriesLabelPosition {
    let points: Vec<((f64, f64), usize)> = points.collect();
    let (left, right) = (x.0 + 0.35 * (x.1 - x.0), x.1 - 0.35 * (x.1 - x.0));
    let (bottom, top) = (y.0 + 0.3 * (y.1 - y.0), y.1 - 0.3 * (y.1 - y.0));
    let (low, high) = (y.0 + 0.35 * (y.1 - y.0), y.1 - 0.35 * (y.1 - y.0));
    let weigh = |inside: &dyn Fn(f64, f64) -> bool| -> usize {
        points.iter().filter(|((px, py), _)| inside(*px, *py)).map(|(_, w)| w).sum()
    };
    let candidates: [(SeriesLabelPosition, usize); 6] = [
        (SeriesLabelPosition::UpperRight, weigh(&|px, py| px >= right && py >= top)),
        (SeriesLabelPosition::UpperLeft, weigh(&|px, py| px <= left && py >= top)),
        (SeriesLabelPosition::LowerRight, weigh(&|px, py| px >= right && py <= bottom)),
        (SeriesLabelPosition::LowerLeft, weigh(&|px, py| px <= left && py <= bottom)),
        (
            SeriesLabelPosition::MiddleRight,
            weigh(&|px, py| px >= right && (low..=high).contains(&py)),
        ),
        (
            SeriesLabelPosition::MiddleLeft,
            weigh(&|px, py| px <= left && (low..=high).contains(&py)),
        ),
    ];
    let mut best = 0;
    for (k, candidate) in candidates.iter().enumerate() {
        if candidate.1 < candidates[best].1 {
            best = k;
        }
    }
    candidates[best].0.clone()
}

/// A numeric axis, linear or log-10. A log axis holds log₁₀ of the data: it maps and draws
/// like a linear one, but puts its ticks at 1, 2, 5 or 1…9 times powers of ten where it can
/// and labels each tick t with the value 10ᵗ.
#[derive(Clone)]
struct Axis {
    linear: RangedCoordf64,
    log: bool,
}

impl Axis {
    fn linear((lo, hi): (f64, f64)) -> Self {
        Self { linear: (lo..hi).into(), log: false }
    }
}

impl Ranged for Axis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.linear.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        let max = hint.max_num_points();
        if !self.log || max < 2 {
            return self.linear.key_points(hint);
        }
        let std::ops::Range { start: lo, end: hi } = self.linear.range();
        // log₁₀ of finite positive numbers lies in [−324, 309]; the padded range stays near it.
        let decades = (lo.floor().max(-400.0) as i32)..=(hi.ceil().min(400.0) as i32);
        let mantissas: [&[f64]; 3] =
            [&[1.0], &[1.0, 2.0, 5.0], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]];
        for (k, mantissas) in mantissas.into_iter().enumerate() {
            let ticks = |every: i32| {
                decades
                    .clone()
                    .filter(|e| e.rem_euclid(every) == 0)
                    .flat_map(|e| mantissas.iter().map(move |m| f64::from(e) + m.log10()))
                    .filter(|t| (lo..=hi).contains(t))
                    .collect::<Vec<f64>>()
            };
            let all = ticks(1);
            if all.len() >= 2 && (k == 0 || all.len() <= max) {
                // Thin whole decades to every 2nd, 5th, 10th, … power so they fit.
                let every = [1, 2, 5, 10, 20, 50, 100]
                    .into_iter()
                    .find(|&every| ticks(every).len() <= max)
                    .unwrap_or(200);
                return ticks(every);
            }
        }
        self.linear.key_points(hint)
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.linear.range()
    }
}

impl ValueFormatter<f64> for Axis {
    fn format_ext(&self, value: &f64) -> String {
        if self.log {
            return number(10f64.powf(*value));
        }
        // A tick a rounding error away from 0 (1e-16 on an axis spanning 1) is 0.
        let range = self.linear.range();
        let span = (range.end - range.start).abs();
        number(if value.abs() <= 1e-9 * span { 0.0 } else { *value })
    }
}

/// A note in the middle of an otherwise empty plotting area.
fn note<DB: DrawingBackend>(
    area: &DrawingArea<DB, Cartesian2d<Axis, Axis>>,
    at: (f64, f64),
    anchor: HPos,
    text: &str,
) -> Drawn<DB> {
    let style = font(16).color(&RGBColor(0x55, 0x55, 0x55)).pos(Pos::new(anchor, VPos::Center));
    area.draw(&Text::new(text.to_owned(), at, style))
}

struct PathFigure<'a> {
    title: &'a str,
    x_range: (f64, f64),
    y_range: (f64, f64),
    /// Iso-lines of f, in data coordinates.
    contours: Vec<Polyline>,
    /// Each method's name and its path clipped to the box (one piece per visit).
    paths: Vec<(&'a str, Vec<Polyline>)>,
    starts: Vec<(f64, f64)>,
    minima: Vec<(f64, f64)>,
}

impl Figure for PathFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        root.fill(&WHITE)?;
        let (x, y) = (self.x_range, self.y_range);
        let mut chart = ChartBuilder::on(root)
            .caption(self.title, font(24))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(Axis::linear(x), Axis::linear(y))?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("x₁")
            .y_desc("x₂")
            .label_style(font(14))
            .axis_desc_style(font(16))
            .draw()?;
        chart.draw_series(
            self.contours.iter().map(|c| PathElement::new(c.clone(), CONTOUR.stroke_width(1))),
        )?;
        for (k, (name, pieces)) in self.paths.iter().enumerate() {
            let color = method_color(k);
            chart
                .draw_series(
                    pieces.iter().map(|p| PathElement::new(p.clone(), color.stroke_width(2))),
                )?
                .label(*name)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 4), (x + 18, y + 4)], color.filled())
                });
        }
        if !self.starts.is_empty() {
            chart
                .draw_series(self.starts.iter().map(|&s| Circle::new(s, 6, BLACK.stroke_width(2))))?
                .label("start")
                .legend(|(x, y)| Circle::new((x + 9, y), 5, BLACK.stroke_width(2)));
        }
        if !self.minima.is_empty() {
            chart
                .draw_series(self.minima.iter().map(|&m| Cross::new(m, 6, BLACK.stroke_width(2))))?
                .label("minimum")
                .legend(|(x, y)| Cross::new((x + 9, y), 5, BLACK.stroke_width(2)));
        }
        if self.paths.is_empty() {
            let centre = (x.0 / 2.0 + x.1 / 2.0, y.0 / 2.0 + y.1 / 2.0);
            note(chart.plotting_area(), centre, HPos::Center, "no paths to show")?;
        }
        if !(self.paths.is_empty() && self.starts.is_empty() && self.minima.is_empty()) {
            // Markers matter more than any one point of a path.
            let markers = self.starts.iter().chain(&self.minima).map(|&p| (p, 1000));
            let path_points =
                self.paths.iter().flat_map(|(_, p)| p.iter().flatten()).map(|&p| (p, 1));
            chart
                .configure_series_labels()
                .position(quietest_corner(markers.chain(path_points), x, y))
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font(font(14))
                .draw()?;
        }
        Ok(())
    }
}

/// One chart of a [`LineFigure`]: the series already filtered and transformed to axis space.
struct Panel<'a> {
    x_label: &'a str,
    y_label: &'a str,
    log_x: bool,
    log_y: bool,
    series: Vec<(&'a str, Polyline)>,
    /// Points dropped because a log axis cannot show them.
    not_positive: usize,
    legend: bool,
    /// A dot at every point of a series of at most [`DOTTED`] points.
    dotted: bool,
    /// Text at points, in axis space.
    notes: Vec<((f64, f64), &'a str)>,
    /// Points drawn as black rings, not joined (data a curve was fitted to), with their
    /// legend entry.
    markers: Option<(&'a str, Polyline)>,
}

impl<'a> Panel<'a> {
    fn new(x_label: &'a str, y_label: &'a str, series: &'a [Series], log_y: bool) -> Self {
        Self::scaled(x_label, y_label, series, LogAxes { x: false, y: log_y })
    }

    fn scaled(x_label: &'a str, y_label: &'a str, series: &'a [Series], log: LogAxes) -> Self {
        let mut not_positive = 0;
        let series = series
            .iter()
            .map(|s| {
                let points = s
                    .points
                    .iter()
                    .filter_map(|&(x, y)| {
                        if (log.x && !(x > 0.0)) || (log.y && !(y > 0.0)) {
                            not_positive += usize::from(x.is_finite() && y.is_finite());
                            return None;
                        }
                        let x = if log.x { x.log10() } else { x };
                        let y = if log.y { y.log10() } else { y };
                        let shown = |v: f64| v.is_finite() && v.abs() <= LARGEST;
                        (shown(x) && shown(y)).then_some((x, y))
                    })
                    .collect();
                (s.name.as_str(), points)
            })
            .collect();
        Self {
            x_label,
            y_label,
            log_x: log.x,
            log_y: log.y,
            series,
            not_positive,
            legend: true,
            dotted: false,
            notes: Vec::new(),
            markers: None,
        }
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        title: Option<&str>,
    ) -> Drawn<DB> {
        let marked = self.markers.iter().flat_map(|(_, p)| p);
        let all = || self.series.iter().flat_map(|(_, p)| p).chain(marked.clone());
        let bounds = |get: fn(&(f64, f64)) -> f64| {
            all()
                .map(get)
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)))
        };
        let (x_lo, x_hi) = bounds(|p| p.0);
        let (y_lo, y_hi) = bounds(|p| p.1);
        // A log x axis holds measurements at a few sizes: pad it so the end dots show whole.
        let x = axis_range(x_lo, x_hi, if self.log_x { 0.03 } else { 0.0 });
        let y = axis_range(y_lo, y_hi, 0.05);
        let mut builder = ChartBuilder::on(area);
        if let Some(title) = title {
            builder.caption(title, font(24));
        }
        let mut chart =
            builder.margin(16).x_label_area_size(48).y_label_area_size(80).build_cartesian_2d(
                Axis { log: self.log_x, ..Axis::linear(x) },
                Axis { log: self.log_y, ..Axis::linear(y) },
            )?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(MESH)
            .x_desc(self.x_label)
            .y_desc(self.y_label)
            .label_style(font(14))
            .axis_desc_style(font(16))
            .draw()?;
        for (k, (name, points)) in self.series.iter().enumerate() {
            let color = method_color(k);
            let anno = if points.len() == 1 {
                // A single point makes no line; show it as a dot.
                chart.draw_series(PointSeries::of_element(
                    points.clone(),
                    3,
                    color.filled(),
                    &|c, s, st| EmptyElement::at(c) + Circle::new((0, 0), s, st),
                ))?
            } else {
                // Dense series (waveforms) zigzag at acute angles, where a 2-pixel line's miter
                // joins would spike far past the points: draw them 1 pixel wide.
                let width = if points.len() > DENSE { 1 } else { 2 };
                chart.draw_series(LineSeries::new(points.clone(), color.stroke_width(width)))?
            };
            anno.label(*name).legend(move |(x, y)| {
                Rectangle::new([(x, y - 4), (x + 18, y + 4)], color.filled())
            });
            if self.dotted && (2..=DOTTED).contains(&points.len()) {
                chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, color.filled())))?;
            }
        }
        if let Some((name, points)) = &self.markers {
            let ring = |c| Circle::new(c, 5, BLACK.stroke_width(2));
            chart
                .draw_series(points.iter().map(|&c| ring(c)))?
                .label(*name)
                .legend(move |(x, y)| Circle::new((x + 9, y), 5, BLACK.stroke_width(2)));
        }
        for &(at, text) in &self.notes {
            let inside = (x.0..=x.1).contains(&at.0) && (y.0..=y.1).contains(&at.1);
            if inside {
                let style = font(15).color(&BLACK).pos(Pos::new(HPos::Left, VPos::Center));
                chart.plotting_area().draw(&Text::new(text.to_owned(), at, style))?;
            }
        }
        // The note on dropped points sits in the lower left corner; the legend keeps off it.
        let corner = (x.0 + 0.02 * (x.1 - x.0), y.0 + 0.04 * (y.1 - y.0));
        let noted = (self.not_positive > 0).then_some((corner, 1000));
        // A note's text runs right from its point: weigh a few points along it.
        let span = x.1 - x.0;
        let notes = self
            .notes
            .iter()
            .flat_map(move |&((nx, ny), _)| [0.0, 0.1, 0.2].map(|dx| ((nx + dx * span, ny), 1000)));
        if all().next().is_none() {
            let centre = (x.0 / 2.0 + x.1 / 2.0, y.0 / 2.0 + y.1 / 2.0);
            note(chart.plotting_area(), centre, HPos::Center, "no data to show")?;
        } else if self.not_positive > 0 {
            let n = self.not_positive;
            let text =
                format!("{n} value{} ≤ 0 not shown (log scale)", if n == 1 { "" } else { "s" });
            note(chart.plotting_area(), corner, HPos::Left, &text)?;
        }
        if self.legend && !self.series.is_empty() {
            chart
                .configure_series_labels()
                .position(if self.dotted {
                    // Dots are measurements or the few steps of a fast run: keep them in view.
                    let dots = self
                        .series
                        .iter()
                        .filter(|(_, p)| p.len() <= DOTTED)
                        .flat_map(|(_, p)| p.iter().map(|&q| (q, 1000)));
                    let points = all().map(|&p| (p, 1)).chain(dots).chain(noted).chain(notes);
                    quietest_place(points, x, y)
                } else {
                    quietest_corner(all().map(|&p| (p, 1)).chain(noted).chain(notes), x, y)
                })
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font(font(14))
                .draw()?;
        }
        Ok(())
    }
}

/// One or more [`Panel`]s stacked under a title.
struct LineFigure<'a> {
    title: &'a str,
    panels: Vec<Panel<'a>>,
}

impl Figure for LineFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        root.fill(&WHITE)?;
        if let [panel] = self.panels.as_slice() {
            return panel.draw(root, Some(self.title));
        }
        let body = root.titled(self.title, font(24))?;
        for (panel, area) in self.panels.iter().zip(body.split_evenly((self.panels.len(), 1))) {
            panel.draw(&area, None)?;
        }
        Ok(())
    }
}

/// The pieces of `path` inside the box: non-finite points skipped, segments clipped
/// (Liang–Barsky), a new piece each time the path re-enters the box.
fn clip(path: &[[f64; 2]], x: (f64, f64), y: (f64, f64)) -> Vec<Polyline> {
    let points: Vec<[f64; 2]> = path.iter().copied().filter(|&p| is_finite(p)).collect();
    let mut pieces: Vec<Polyline> = Vec::new();
    let mut open = false;
    for pair in points.windows(2) {
        let ([x0, y0], [x1, y1]) = (pair[0], pair[1]);
        let (dx, dy) = (x1 - x0, y1 - y0);
        if !(dx.is_finite() && dy.is_finite()) {
            open = false;
            continue;
        }
        // Liang–Barsky: the segment p(t) = p₀ + t·d, t ∈ [0, 1], inside where every
        // p_k·t ≤ q_k holds.
        let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
        let mut visible = true;
        for (p, q) in [(-dx, x0 - x.0), (dx, x.1 - x0), (-dy, y0 - y.0), (dy, y.1 - y0)] {
            if p == 0.0 {
                visible &= q >= 0.0;
            } else if p < 0.0 {
                t0 = t0.max(q / p);
            } else {
                t1 = t1.min(q / p);
            }
        }
        if !visible || t0 > t1 {
            open = false;
            continue;
        }
        let at = |t: f64| (x0 + t * dx, y0 + t * dy);
        if !(open && t0 == 0.0) {
            pieces.push(vec![at(t0)]);
        }
        if let Some(piece) = pieces.last_mut() {
            piece.push(at(t1));
        }
        open = t1 == 1.0;
    }
    pieces
}

/// Iso-lines of `f` over the box: f sampled on a [`GRID`]² grid, [`LEVELS`] levels spaced
/// geometrically from [`LOWEST_LEVEL`] of the grid's value span above its minimum up to its
/// maximum, each traced by marching squares and joined into polylines.
fn contours(f: &dyn Fn(f64, f64) -> f64, x: (f64, f64), y: (f64, f64)) -> Vec<Polyline> {
    let n = GRID;
    let at =
        |i: usize, range: (f64, f64)| range.0 + (range.1 - range.0) * i as f64 / (n - 1) as f64;
    let values: Vec<f64> = (0..n * n).map(|k| f(at(k % n, x), at(k / n, y))).collect();
    let (lo, hi) = values
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let span = hi - lo;
    if !(span.is_finite() && span > 0.0) {
        return Vec::new();
    }
    (0..LEVELS)
        .flat_map(|k| {
            let level = lo + span * LOWEST_LEVEL.powf(1.0 - k as f64 / LEVELS as f64);
            march(&values, n, level, |i, j| (at(i, x), at(j, y)))
        })
        .collect()
}

/// Marching squares on an `n` × `n` grid of `values` (row j, column i at `j·n + i`; NaN for a
/// hole) at `level`, joined into polylines. `node` maps grid indices to coordinates.
///
/// Edges are numbered: horizontal (i, j)–(i+1, j) as `j·(n−1) + i`, vertical (i, j)–(i, j+1)
/// as `n·(n−1) + j·n + i`. Each cell's segments join two of its edges; an edge belongs to at
/// most two cells, so the segments form chains and loops through shared edges.
fn march(
    values: &[f64],
    n: usize,
    level: f64,
    node: impl Fn(usize, usize) -> (f64, f64),
) -> Vec<Polyline> {
    const NONE: usize = usize::MAX;
    let horizontal = |i: usize, j: usize| j * (n - 1) + i;
    let vertical = |i: usize, j: usize| n * (n - 1) + j * n + i;
    let mut neighbours = vec![[NONE; 2]; 2 * n * (n - 1)];
    let mut link = |a: usize, b: usize| {
        for (from, to) in [(a, b), (b, a)] {
            let slot = if neighbours[from][0] == NONE { 0 } else { 1 };
            neighbours[from][slot] = to;
        }
    };
    for j in 0..n - 1 {
        for i in 0..n - 1 {
            // Corners counter-clockwise from the bottom left; edges bottom, right, top, left.
            let corners = [
                values[j * n + i],
                values[j * n + i + 1],
                values[(j + 1) * n + i + 1],
                values[(j + 1) * n + i],
            ];
            if corners.iter().any(|v| !v.is_finite()) {
                continue;
            }
            let edges =
                [horizontal(i, j), vertical(i + 1, j), horizontal(i, j + 1), vertical(i, j)];
            let case =
                corners.iter().enumerate().fold(0, |c, (k, &v)| c | (usize::from(v > level) << k));
            // Each segment cuts off corner k between edges k−1 and k (mod 4).
            let cut = |corner: usize| [(corner + 3) % 4, corner];
            let segments: &[[usize; 2]] = match case {
                0 | 15 => &[],
                1 | 14 => &[cut(0)],
                2 | 13 => &[cut(1)],
                4 | 11 => &[cut(2)],
                8 | 7 => &[cut(3)],
                3 | 12 => &[[3, 1]],
                6 | 9 => &[[0, 2]],
                // Saddles: the centre decides which pair of opposite corners is cut off.
                5 | 10 => {
                    let centre_above = corners.iter().sum::<f64>() / 4.0 > level;
                    if (case == 5) == centre_above { &[cut(1), cut(3)] } else { &[cut(0), cut(2)] }
                }
                _ => unreachable!("four corners make 16 cases"),
            };
            for &[a, b] in segments {
                link(edges[a], edges[b]);
            }
        }
    }
    // Where the level crosses an edge, by linear interpolation between its two nodes.
    let point = |edge: usize| {
        let (a, b) = if edge < n * (n - 1) {
            let (i, j) = (edge % (n - 1), edge / (n - 1));
            ((i, j), (i + 1, j))
        } else {
            let e = edge - n * (n - 1);
            let (i, j) = (e % n, e / n);
            ((i, j), (i, j + 1))
        };
        let (va, vb) = (values[a.1 * n + a.0], values[b.1 * n + b.0]);
        let t = (level - va) / (vb - va);
        let (pa, pb) = (node(a.0, a.1), node(b.0, b.1));
        (pa.0 + t * (pb.0 - pa.0), pa.1 + t * (pb.1 - pa.1))
    };
    let mut visited = vec![false; neighbours.len()];
    let mut lines = Vec::new();
    // Open chains start at an end (one neighbour); what is left after them are loops.
    for ends_only in [true, false] {
        for start in 0..neighbours.len() {
            let [first, second] = neighbours[start];
            if visited[start] || first == NONE || (ends_only && second != NONE) {
                continue;
            }
            let mut line = vec![point(start)];
            visited[start] = true;
            let (mut previous, mut current) = (start, first);
            loop {
                line.push(point(current));
                if current == start {
                    break;
                }
                visited[current] = true;
                let [a, b] = neighbours[current];
                let next = if a == previous { b } else { a };
                if next == NONE {
                    break;
                }
                (previous, current) = (current, next);
            }
            lines.push(line);
        }
    }
    lines
}

/// Cells per side of a [`surface`] mesh.
const SURFACE_CELLS: usize = 32;
/// Size of [`surface`] figures.
const SIZE_SURFACE: (u32, u32) = (800, 640);
/// Size of one panel of a [`jiggle`] figure.
const SIZE_JIGGLE_PANEL: (u32, u32) = (440, 480);
/// A [`jiggle`] panel shows the box centre ± this many radii.
const JIGGLE_BOX: f64 = 1.7;
/// The longest gradient arrow of a [`jiggle`] panel, in radii.
const LONGEST_ARROW: f64 = 0.55;
/// Colours of gradients that point away from the centre (∇f·δ > 0) and towards it.
const OUTWARD: RGBColor = PALETTE[3];
const INWARD: RGBColor = PALETTE[0];

/// A point marked on a [`surface`]: (x₁, x₂) and a label.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    /// Where, in the (x₁, x₂) plane; drawn on the surface at f(x₁, x₂).
    pub at: [f64; 2],
    /// The text beside it.
    pub label: String,
}

/// A 3-D picture of the surface z = f(x₁, x₂) over `x_range` × `y_range`: a mesh of
/// [`SURFACE_CELLS`]² quadrilaterals, coloured by height (blue low, red high, white halfway)
/// and shaded by their tilt, drawn back to front; each mark a black dot on the surface.
///
/// Non-finite values of f leave holes in the mesh.
///
/// # Errors
/// A box that is not finite and of positive width and height, or an f with no finite value
/// over it; a drawing or encoding failure.
pub fn surface(
    title: &str,
    f: &dyn Fn(f64, f64) -> f64,
    x_range: (f64, f64),
    y_range: (f64, f64),
    marks: &[Mark],
    format: Format,
) -> anyhow::Result<Vec<u8>> {
    for (axis, (lo, hi)) in [("x", x_range), ("y", y_range)] {
        ensure!(
            lo < hi && (hi - lo).is_finite(),
            "the {axis} range of a surface must be increasing and of finite width, got {lo}..{hi}"
        );
    }
    let n = SURFACE_CELLS;
    let at = |i: usize, r: (f64, f64)| r.0 + (r.1 - r.0) * i as f64 / n as f64;
    let mut cells = Vec::with_capacity(n * n);
    for j in 0..n {
        for i in 0..n {
            let corner = |i: usize, j: usize| {
                let (x, y) = (at(i, x_range), at(j, y_range));
                (x, f(x, y), y)
            };
            let quad = [corner(i, j), corner(i + 1, j), corner(i + 1, j + 1), corner(i, j + 1)];
            if quad.iter().all(|c| c.1.is_finite()) {
                cells.push(quad);
            }
        }
    }
    let (lo, hi) = cells
        .iter()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), c| (lo.min(c.1), hi.max(c.1)));
    ensure!(lo.is_finite() && hi.is_finite(), "f has no finite value over the box of {title:?}");
    let figure = SurfaceFigure {
        title,
        x_range,
        y_range,
        z_range: axis_range(lo, hi, 0.02),
        cells,
        marks: marks
            .iter()
            .map(|m| ((m.at[0], f(m.at[0], m.at[1]), m.at[1]), m.label.as_str()))
            .filter(|((x, z, y), _)| z.is_finite() && is_finite([*x, *y]))
            .collect(),
    };
    render(&figure, SIZE_SURFACE, format)
}

/// A point in the 3-D chart: (x₁, f, x₂), f being plotters' vertical axis.
type Point3 = (f64, f64, f64);

struct SurfaceFigure<'a> {
    title: &'a str,
    x_range: (f64, f64),
    y_range: (f64, f64),
    z_range: (f64, f64),
    cells: Vec<[Point3; 4]>,
    marks: Vec<(Point3, &'a str)>,
}

/// Blue (t = 0) through white (t = ½) to red (t = 1), dimmed by `light` ∈ [0, 1].
fn diverging(t: f64, light: f64) -> RGBColor {
    let (cold, warm, mid) = ([0x3b, 0x4c, 0xc0], [0xb4, 0x04, 0x26], [0xf2, 0xf2, 0xf2]);
    let t = t.clamp(0.0, 1.0);
    let (from, to, s) = if t < 0.5 { (cold, mid, 2.0 * t) } else { (mid, warm, 2.0 * t - 1.0) };
    let channel = |k: usize| {
        let v = f64::from(from[k]) + s * (f64::from(to[k]) - f64::from(from[k]));
        (v * light).round().clamp(0.0, 255.0) as u8
    };
    RGBColor(channel(0), channel(1), channel(2))
}

impl Figure for SurfaceFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        root.fill(&WHITE)?;
        let (x, y, z) = (self.x_range, self.y_range, self.z_range);
        let mut chart = ChartBuilder::on(root)
            .caption(self.title, font(24))
            .margin(24)
            .build_cartesian_3d(x.0..x.1, z.0..z.1, y.0..y.1)?;
        chart.with_projection(|mut p| {
            p.yaw = 0.65;
            p.pitch = 0.45;
            p.scale = 0.85;
            p.into_matrix()
        });
        let three_digits = |v: &f64| number((v * 1e3).round() / 1e3);
        chart
            .configure_axes()
            .light_grid_style(MESH)
            .max_light_lines(1)
            .label_style(font(13))
            .x_formatter(&three_digits)
            .y_formatter(&three_digits)
            .z_formatter(&three_digits)
            .draw()?;
        // Painter's algorithm: the farthest cell first (plotters' depth grows away from the
        // viewer), so nearer cells cover it.
        let spec = chart.as_coord_spec();
        let depth = |&(a, b, c): &Point3| spec.projected_depth(&a, &b, &c);
        let mut order: Vec<(i32, usize)> = self
            .cells
            .iter()
            .enumerate()
            .map(|(k, cell)| (cell.iter().map(depth).sum::<i32>() / 4, k))
            .collect();
        order.sort_unstable_by(|a, b| b.cmp(a));
        let unit = |v: f64, r: (f64, f64)| v / (r.1 - r.0);
        let area = chart.plotting_area();
        for &(_, k) in &order {
            let cell = &self.cells[k];
            let height = cell.iter().map(|c| c.1).sum::<f64>() / 4.0;
            // Lambert shading with light from above: |n_f| of the unit normal, the cell's
            // slopes measured in box units so that the picture's proportions decide.
            let (dx, dz) = (
                unit(cell[1].1 - cell[0].1, z) / unit(cell[1].0 - cell[0].0, x),
                unit(cell[3].1 - cell[0].1, z) / unit(cell[3].2 - cell[0].2, y),
            );
            let light = 0.55 + 0.45 / (1.0 + dx * dx + dz * dz).sqrt();
            let color = diverging(unit(height - z.0, z), light);
            area.draw(&Polygon::new(cell.to_vec(), color.filled()))?;
            let mut outline = cell.to_vec();
            outline.push(cell[0]);
            area.draw(&PathElement::new(outline, RGBColor(0x60, 0x60, 0x60).stroke_width(1)))?;
        }
        // The axes' names, beside the tick labels plotters draws.
        let mid = |r: (f64, f64)| r.0 / 2.0 + r.1 / 2.0;
        for (at, offset, text) in [
            ((mid(x), z.0, y.1), (-30, 36), "x₁"),
            ((x.1, z.0, mid(y)), (40, 20), "x₂"),
            ((x.0, z.1, y.1), (-30, -24), "f(x₁, x₂)"),
        ] {
            let style = font(16).pos(Pos::new(HPos::Center, VPos::Center));
            area.draw(&(EmptyElement::at(at) + Text::new(text, offset, style)))?;
        }
        for &(point, label) in &self.marks {
            area.draw(&Circle::new(point, 6, BLACK.filled()))?;
            let style = font(16).pos(Pos::new(HPos::Left, VPos::Bottom));
            area.draw(&(EmptyElement::at(point) + Text::new(label.to_owned(), (10, -8), style)))?;
        }
        Ok(())
    }
}

/// One panel of a [`jiggle`] figure: the perturbations δ around a point x and the gradient
/// ∇f(x + δ) at each.
pub struct JigglePanel<'a> {
    /// The panel's title.
    pub title: String,
    /// f, drawn as contour lines under the samples.
    pub f: &'a dyn Fn(f64, f64) -> f64,
    /// x, the point tested.
    pub centre: [f64; 2],
    /// r, the radius of the perturbations.
    pub radius: f64,
    /// (δ, ∇f(x + δ)) for each sample.
    pub samples: Vec<([f64; 2], [f64; 2])>,
}

/// The jiggle test drawn: panels side by side, each with the contour lines of f around x, the
/// circle of radius r, and at each sample x + δ an arrow along ∇f(x + δ), red where it points
/// away from x (∇f·δ > 0, f rises outward) and blue where it points towards x. Arrows are
/// scaled per panel, the longest [`LONGEST_ARROW`]·r, so their lengths compare within a panel.
///
/// # Errors
/// A panel whose centre or radius is not finite or whose radius is not positive; a drawing
/// or encoding failure.
pub fn jiggle(title: &str, panels: &[JigglePanel<'_>], format: Format) -> anyhow::Result<Vec<u8>> {
    for panel in panels {
        ensure!(
            is_finite(panel.centre) && panel.radius.is_finite() && panel.radius > 0.0,
            "a jiggle panel needs a finite centre and a positive radius, got {:?} and {}",
            panel.centre,
            panel.radius
        );
    }
    let drawn = panels
        .iter()
        .map(|p| {
            let [cx, cy] = p.centre;
            let half = JIGGLE_BOX * p.radius;
            let (xr, yr) = ((cx - half, cx + half), (cy - half, cy + half));
            let longest = p
                .samples
                .iter()
                .map(|(_, g)| g[0].hypot(g[1]))
                .filter(|g| g.is_finite())
                .fold(0.0, f64::max);
            let scale = if longest > 0.0 { LONGEST_ARROW * p.radius / longest } else { 0.0 };
            let arrows = p
                .samples
                .iter()
                .filter(|(d, g)| is_finite(*d) && is_finite(*g))
                .map(|&([dx, dy], [gx, gy])| {
                    let from = (cx + dx, cy + dy);
                    let to = (from.0 + scale * gx, from.1 + scale * gy);
                    (from, to, gx * dx + gy * dy > 0.0)
                })
                .collect();
            JigglePanelDrawn {
                title: p.title.as_str(),
                x_range: xr,
                y_range: yr,
                contours: contours(p.f, xr, yr),
                centre: (cx, cy),
                radius: p.radius,
                arrows,
            }
        })
        .collect();
    let width = SIZE_JIGGLE_PANEL.0 * u32::try_from(panels.len().max(1)).unwrap_or(1);
    render(&JiggleFigure { title, panels: drawn }, (width, SIZE_JIGGLE_PANEL.1), format)
}

/// From x + δ to the arrow's tip, and whether it points outward.
type Arrow = ((f64, f64), (f64, f64), bool);

struct JigglePanelDrawn<'a> {
    title: &'a str,
    x_range: (f64, f64),
    y_range: (f64, f64),
    contours: Vec<Polyline>,
    centre: (f64, f64),
    radius: f64,
    arrows: Vec<Arrow>,
}

struct JiggleFigure<'a> {
    title: &'a str,
    panels: Vec<JigglePanelDrawn<'a>>,
}

impl Figure for JiggleFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        root.fill(&WHITE)?;
        let body = root.titled(self.title, font(28))?;
        if self.panels.is_empty() {
            let style = font(16).pos(Pos::new(HPos::Center, VPos::Center));
            let (w, h) = body.dim_in_pixel();
            let centre = (i32::try_from(w / 2).unwrap_or(0), i32::try_from(h / 2).unwrap_or(0));
            return body.draw(&Text::new("no panels to show", centre, style));
        }
        for (k, (panel, area)) in
            self.panels.iter().zip(body.split_evenly((1, self.panels.len()))).enumerate()
        {
            // The legend once, on the middle panel: at a saddle the corners are empty.
            panel.draw(&area, k == self.panels.len() / 2)?;
        }
        Ok(())
    }
}

impl JigglePanelDrawn<'_> {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, legend: bool) -> Drawn<DB> {
        let (x, y) = (self.x_range, self.y_range);
        // Three panels share the width of one figure in the report: large type.
        let mut chart = ChartBuilder::on(area)
            .caption(self.title, font(21))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(Axis::linear(x), Axis::linear(y))?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(3)
            .y_labels(3)
            .x_desc("x₁")
            .y_desc("x₂")
            .label_style(font(16))
            .axis_desc_style(font(18))
            .draw()?;
        chart.draw_series(
            self.contours.iter().map(|c| PathElement::new(c.clone(), CONTOUR.stroke_width(1))),
        )?;
        let (cx, cy) = self.centre;
        let circle: Polyline = (0..=120)
            .map(|k| {
                let t = std::f64::consts::TAU * f64::from(k) / 120.0;
                (cx + self.radius * t.cos(), cy + self.radius * t.sin())
            })
            .collect();
        let ring = RGBColor(0x33, 0x33, 0x33);
        chart.draw_series(std::iter::once(PathElement::new(circle, ring.stroke_width(2))))?;
        let head = 0.1 * self.radius;
        for outward in [true, false] {
            let color = if outward { OUTWARD } else { INWARD };
            let mut shafts = Vec::new();
            for &(from, to, _) in self.arrows.iter().filter(|a| a.2 == outward) {
                shafts.push(vec![from, to]);
                let (dx, dy) = (to.0 - from.0, to.1 - from.1);
                let length = dx.hypot(dy);
                if length > 0.0 {
                    // Two barbs at ±25° from the shaft, back from the tip.
                    let (ux, uy) = (dx / length, dy / length);
                    let barb = head.min(0.35 * length);
                    for angle in [0.44_f64, -0.44] {
                        let (s, c) = angle.sin_cos();
                        let (bx, by) = (ux * c - uy * s, ux * s + uy * c);
                        shafts.push(vec![to, (to.0 - barb * bx, to.1 - barb * by)]);
                    }
                }
            }
            let dots: Vec<(f64, f64)> =
                self.arrows.iter().filter(|a| a.2 == outward).map(|a| a.0).collect();
            let series = chart.draw_series(
                shafts.into_iter().map(|s| PathElement::new(s, color.stroke_width(1))),
            )?;
            if legend {
                let label = if outward { "∇f·δ > 0: outward" } else { "∇f·δ < 0: inward" };
                series.label(label).legend(move |(x, y)| {
                    Rectangle::new([(x, y - 4), (x + 18, y + 4)], color.filled())
                });
            }
            chart.draw_series(dots.into_iter().map(|p| Circle::new(p, 2, color.filled())))?;
        }
        chart.draw_series(std::iter::once(Cross::new(self.centre, 6, BLACK.stroke_width(2))))?;
        if legend {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerLeft)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font(font(16))
                .draw()?;
        }
        Ok(())
    }
}

/// Size of a [`digit_gradient`] figure: the digit on the left, the bar panels beside it.
const SIZE_DIGIT: (u32, u32) = (1400, 560);
/// Width of the digit's column in a [`digit_gradient`] figure, in pixels.
const DIGIT_COLUMN: u32 = 340;
/// Colours of the bars of a [`digit_gradient`] panel: p, y and p − y.
const BAR_P: RGBColor = PALETTE[0];
const BAR_Y: RGBColor = RGBColor(0xb0, 0xb0, 0xb0);
const BAR_GRADIENT: RGBColor = PALETTE[3];

/// A grey-scale image for [`digit_gradient`]: `side` × `side` pixels, row by row, from the top.
pub struct DigitImage<'a> {
    /// The caption above the image.
    pub title: String,
    /// Pixel values, 0 (white) to `max` (black), row-major from the top-left corner.
    pub pixels: &'a [f64],
    /// Pixels per side.
    pub side: usize,
    /// The value drawn black.
    pub max: f64,
}

/// One panel of a [`digit_gradient`] figure: grouped bars for each class k.
pub struct GradientBars<'a> {
    /// The panel's title.
    pub title: String,
    /// p, the probabilities.
    pub p: &'a [f64],
    /// y, the one-hot target.
    pub y: &'a [f64],
    /// p − y, the gradient of the loss with respect to the logits.
    pub gradient: &'a [f64],
}

/// The gradient of the cross-entropy with respect to the logits, for one example: the example
/// as a grey image on the left, and beside it one panel per [`GradientBars`] with three bars
/// for each class k (p_k in blue, y_k in grey, (p − y)_k in red) on a shared axis from −1 to
/// 1, the classes along x.
///
/// Non-finite bar values are not drawn; a non-finite pixel is drawn white.
///
/// # Errors
/// An image whose pixel count is not `side`², or whose `max` is not positive and finite; a
/// panel whose three vectors differ in length; a drawing or encoding failure.
pub fn digit_gradient(
    title: &str,
    image: &DigitImage<'_>,
    panels: &[GradientBars<'_>],
    format: Format,
) -> anyhow::Result<Vec<u8>> {
    ensure!(
        image.side > 0 && image.pixels.len() == image.side * image.side,
        "an image of side {} needs {} pixels, got {}",
        image.side,
        image.side * image.side,
        image.pixels.len()
    );
    ensure!(
        image.max > 0.0 && image.max.is_finite(),
        "the image's largest value must be positive and finite, got {}",
        image.max
    );
    for panel in panels {
        ensure!(
            panel.p.len() == panel.y.len() && panel.p.len() == panel.gradient.len(),
            "the bars of '{}' differ in length: p {}, y {}, p − y {}",
            panel.title,
            panel.p.len(),
            panel.y.len(),
            panel.gradient.len()
        );
    }
    let width = DIGIT_COLUMN
        + (SIZE_DIGIT.0 - DIGIT_COLUMN) / 2 * u32::try_from(panels.len().max(1)).unwrap_or(1);
    render(&DigitFigure { title, image, panels }, (width, SIZE_DIGIT.1), format)
}

struct DigitFigure<'a> {
    title: &'a str,
    image: &'a DigitImage<'a>,
    panels: &'a [GradientBars<'a>],
}

impl Figure for DigitFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        root.fill(&WHITE)?;
        let body = root.titled(self.title, font(28))?;
        let (left, right) = body.split_horizontally(DIGIT_COLUMN);
        self.draw_image(&left)?;
        if self.panels.is_empty() {
            let style = font(16).pos(Pos::new(HPos::Center, VPos::Center));
            let (w, h) = right.dim_in_pixel();
            let centre = (i32::try_from(w / 2).unwrap_or(0), i32::try_from(h / 2).unwrap_or(0));
            return right.draw(&Text::new("no bars to show", centre, style));
        }
        for (k, (panel, area)) in
            self.panels.iter().zip(right.split_evenly((1, self.panels.len()))).enumerate()
        {
            // The legend once, on the last panel: after training its lower half is empty.
            draw_bars(panel, &area, k + 1 == self.panels.len())?;
        }
        Ok(())
    }
}

impl DigitFigure<'_> {
    fn draw_image<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        let side = self.image.side as f64;
        // A square picture, centred in the column below its caption.
        let (w, h) = area.dim_in_pixel();
        let caption = 32;
        let square = w.min(h.saturating_sub(caption)).saturating_sub(48);
        let (dx, dy) = ((w - square) / 2, (h.saturating_sub(caption + square)) / 2);
        let area = area.margin(dy, dy, dx, dx);
        let mut chart = ChartBuilder::on(&area)
            .caption(&self.image.title, font(20))
            .build_cartesian_2d(0.0..side, 0.0..side)?;
        let max = self.image.max;
        chart.draw_series(self.image.pixels.iter().enumerate().map(|(i, &v)| {
            let (row, col) = ((i / self.image.side) as f64, (i % self.image.side) as f64);
            let ink = if v.is_finite() { (v / max).clamp(0.0, 1.0) } else { 0.0 };
            let level = (255.0 * (1.0 - ink)).round() as u8;
            // Row 0 at the top.
            Rectangle::new(
                [(col, side - row), (col + 1.0, side - row - 1.0)],
                RGBColor(level, level, level).filled(),
            )
        }))?;
        let frame = [(0.0, 0.0), (side, 0.0), (side, side), (0.0, side), (0.0, 0.0)];
        chart.draw_series(std::iter::once(PathElement::new(frame, BLACK.stroke_width(1))))?;
        Ok(())
    }
}

/// One panel of bars: three per class, p, y and p − y, side by side.
fn draw_bars<DB: DrawingBackend>(
    panel: &GradientBars<'_>,
    area: &DrawingArea<DB, Shift>,
    legend: bool,
) -> Drawn<DB> {
    let classes = panel.p.len();
    let x = Axis::linear((-0.5, classes as f64 - 0.5));
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, font(20))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d(x, Axis::linear((-1.05, 1.05)))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .max_light_lines(0)
        .bold_line_style(MESH)
        .x_labels(classes.min(10))
        .y_labels(11)
        .x_desc("class k")
        .label_style(font(15))
        .axis_desc_style(font(16))
        .draw()?;
    let bars = [
        ("p: the model's probabilities", panel.p, BAR_P, -0.28),
        ("y: the one-hot label", panel.y, BAR_Y, 0.0),
        ("p − y: ∂L/∂z", panel.gradient, BAR_GRADIENT, 0.28),
    ];
    for (label, values, color, offset) in bars {
        let series = chart.draw_series(
            values.iter().enumerate().filter(|(_, v)| v.is_finite()).map(|(k, &v)| {
                let centre = k as f64 + offset;
                Rectangle::new(
                    [(centre - 0.13, 0.0), (centre + 0.13, v.clamp(-1.05, 1.05))],
                    color.filled(),
                )
            }),
        )?;
        if legend {
            series.label(label).legend(move |(x, y)| {
                Rectangle::new([(x, y - 5), (x + 18, y + 5)], color.filled())
            });
        }
    }
    let zero = [(-0.5, 0.0), (classes as f64 - 0.5, 0.0)];
    chart.draw_series(std::iter::once(PathElement::new(zero, BLACK.stroke_width(1))))?;
    if legend {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(font(15))
            .draw()?;
    }
    Ok(())
}

/// Size of one image of an [`image_panels`] figure (its square and caption), in pixels.
const PANEL_SIDE: u32 = 420;
/// Grey steps an [`image_panels`] figure quantises to, above black (runs of one level become one
/// rectangle: 64 levels keep the SVG a fraction of the size 256 would make it).
const GREY_LEVELS: f64 = 63.0;

/// A grey image for [`image_panels`]: `width` × `height` pixels, row-major from the top left.
pub struct GreyImage<'a> {
    /// The caption above the image.
    pub title: String,
    /// Display values, 0 (black) to 1 (white); the caller applies any stretch. Values outside
    /// [0, 1] are clipped, non-finite ones drawn black.
    pub pixels: &'a [f64],
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
}

/// Grey images side by side, each with its caption, under one title: white on black, as a
/// star field is shown. Each row's runs of one grey level (of 256) are drawn as one rectangle,
/// so that the SVG stays small.
///
/// # Errors
/// No images; an image with no pixels or whose pixel count is not `width·height`; a drawing or
/// encoding failure.
pub fn image_panels(
    title: &str,
    images: &[GreyImage<'_>],
    format: Format,
) -> anyhow::Result<Vec<u8>> {
    ensure!(!images.is_empty(), "an image figure needs at least one image");
    for image in images {
        ensure!(
            image.width > 0 && image.height > 0 && image.pixels.len() == image.width * image.height,
            "the image '{}' of {} × {} needs {} pixels, got {}",
            image.title,
            image.width,
            image.height,
            image.width * image.height,
            image.pixels.len()
        );
    }
    let width = PANEL_SIDE * u32::try_from(images.len()).unwrap_or(1);
    render(&PanelFigure { title, images }, (width, PANEL_SIDE + 80), format)
}

struct PanelFigure<'a> {
    title: &'a str,
    images: &'a [GreyImage<'a>],
}

impl Figure for PanelFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        root.fill(&WHITE)?;
        let body = root.titled(self.title, font(26))?;
        for (image, area) in self.images.iter().zip(body.split_evenly((1, self.images.len()))) {
            draw_grey(image, &area)?;
        }
        Ok(())
    }
}

/// One grey image, centred in `area` below its caption, row 0 at the top.
fn draw_grey<DB: DrawingBackend>(
    image: &GreyImage<'_>,
    area: &DrawingArea<DB, Shift>,
) -> Drawn<DB> {
    let (w, h) = (image.width as f64, image.height as f64);
    let (aw, ah) = area.dim_in_pixel();
    let caption = 36;
    let room = aw.min(ah.saturating_sub(caption)).saturating_sub(24);
    let scale = f64::from(room) / w.max(h);
    let (pw, ph) = ((w * scale).round() as u32, (h * scale).round() as u32);
    let (dx, dy) = ((aw.saturating_sub(pw)) / 2, (ah.saturating_sub(caption + ph)) / 2);
    let area = area.margin(dy, dy, dx, dx);
    let mut chart = ChartBuilder::on(&area)
        .caption(&image.title, font(18))
        .build_cartesian_2d(0.0..w, 0.0..h)?;
    let level = |v: f64| {
        if v.is_finite() {
            ((GREY_LEVELS * v.clamp(0.0, 1.0)).round() * 255.0 / GREY_LEVELS).round() as u8
        } else {
            0
        }
    };
    let mut runs = Vec::new();
    for (row, line) in image.pixels.chunks(image.width).enumerate() {
        let mut start = 0;
        while start < line.len() {
            let g = level(line[start]);
            let mut end = start + 1;
            while end < line.len() && level(line[end]) == g {
                end += 1;
            }
            runs.push((row as f64, start as f64, end as f64, g));
            start = end;
        }
    }
    chart.draw_series(runs.into_iter().map(|(row, from, to, g)| {
        Rectangle::new([(from, h - row), (to, h - row - 1.0)], RGBColor(g, g, g).filled())
    }))?;
    let frame = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h), (0.0, 0.0)];
    chart.draw_series(std::iter::once(PathElement::new(frame, BLACK.stroke_width(1))))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use descent::Objective;
    use descent::problems::{Problem, Rosenbrock};

    use super::*;

    /// A method's name and its iterates.
    type NamedPath = (String, Vec<[f64; 2]>);

    fn rosenbrock_paths() -> (Rosenbrock, Vec<NamedPath>) {
        let problem = Rosenbrock::new(2).unwrap();
        let start = problem.start();
        let start = [start[0], start[1]];
        // Three made-up paths from the standard start to the minimiser, one with a hole.
        let path = |bend: f64| {
            (0..=40)
                .map(|k| {
                    let t = k as f64 / 40.0;
                    [
                        start[0] + t * (1.0 - start[0]),
                        start[1] + t * (1.0 - start[1]) + bend * t * (1.0 - t),
                    ]
                })
                .collect::<Vec<_>>()
        };
        let mut broken = path(-1.0);
        broken[7] = [f64::NAN, 0.0];
        (
            problem,
            vec![("gd".into(), path(0.0)), ("momentum".into(), path(1.0)), ("adam".into(), broken)],
        )
    }

    fn rosenbrock_figure(format: Format) -> Vec<u8> {
        let (problem, paths_) = rosenbrock_paths();
        let minima: Vec<[f64; 2]> = problem.minimizers().iter().map(|m| [m[0], m[1]]).collect();
        let (x, y) = plot_box(&paths_, &minima);
        let f = |a: f64, b: f64| problem.value(&[a, b]);
        paths("Rosenbrock", &f, x, y, &paths_, &minima, format).unwrap()
    }

    fn hex(c: RGBColor) -> String {
        format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
    }

    /// Parses an SVG and counts its `polyline` elements by stroke colour.
    fn polylines_by_stroke(svg: &[u8]) -> HashMap<String, usize> {
        let text = std::str::from_utf8(svg).unwrap();
        let document = roxmltree::Document::parse(text).expect("the SVG is well-formed XML");
        let mut counts = HashMap::new();
        for node in document.descendants().filter(|n| n.has_tag_name("polyline")) {
            *counts.entry(node.attribute("stroke").unwrap_or("").to_owned()).or_insert(0) += 1;
        }
        counts
    }

    #[test]
    fn a_path_plot_has_one_polyline_per_method_over_contours() {
        let counts = polylines_by_stroke(&rosenbrock_figure(Format::Svg));
        for k in 0..3 {
            assert_eq!(counts.get(&hex(PALETTE[k])), Some(&1), "method {k}: {counts:?}");
        }
        assert!(!counts.contains_key(&hex(PALETTE[3])), "only three methods");
        assert!(counts[&hex(CONTOUR)] >= LEVELS, "contours drawn: {counts:?}");
    }

    #[test]
    fn a_png_decodes_to_the_figure_size() {
        let bytes = rosenbrock_figure(Format::Png);
        let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
        let reader = decoder.read_info().expect("a valid PNG");
        assert_eq!((reader.info().width, reader.info().height), SIZE);

        let trace = Trace::default();
        let bytes =
            loss_curves("empty", &[("gd".into(), &trace)], Against::Evaluations, Format::Png)
                .unwrap();
        let reader = png::Decoder::new(std::io::Cursor::new(&bytes)).read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), SIZE_TWO_PANELS);
    }

    #[test]
    fn the_same_inputs_give_the_same_bytes() {
        for format in [Format::Svg, Format::Png] {
            assert!(rosenbrock_figure(format) == rosenbrock_figure(format), "{format:?}");
        }
    }

    #[test]
    fn image_panels_draw_one_rectangle_per_run_and_check_their_inputs() {
        // 4 × 2 pixels: row 0 is one run of black, row 1 two runs (white, then mid grey).
        let pixels = [0.0, 0.0, f64::NAN, -1.0, 1.0, 2.0, 0.5, 0.5];
        let image =
            |title: &str| GreyImage { title: title.into(), pixels: &pixels, width: 4, height: 2 };
        let draw = |format| image_panels("two", &[image("a"), image("b")], format).unwrap();
        let svg = String::from_utf8(draw(Format::Svg)).unwrap();
        assert_eq!(svg.as_bytes(), draw(Format::Svg).as_slice(), "same bytes twice");
        assert_eq!(draw(Format::Png), draw(Format::Png));
        let document = roxmltree::Document::parse(&svg).unwrap();
        let fills: Vec<&str> = document
            .descendants()
            .filter(|n| n.has_tag_name("rect"))
            .filter_map(|n| n.attribute("fill"))
            .collect();
        // The background, then 3 runs per image: black, white, #808080 (round(63·0.5) = 32 → 130).
        assert_eq!(fills.len(), 1 + 2 * 3, "{fills:?}");
        assert_eq!(&fills[1..4], ["#000000", "#FFFFFF", "#828282"]);
        let texts: Vec<String> = document
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text().map(|t| t.trim().to_owned()))
            .collect();
        assert!(["two", "a", "b"].iter().all(|t| texts.iter().any(|x| x == t)), "{texts:?}");
        assert!(image_panels("none", &[], Format::Svg).is_err());
        let short = GreyImage { title: "short".into(), pixels: &pixels[..7], width: 4, height: 2 };
        assert!(image_panels("bad", &[short], Format::Svg).is_err());
    }

    #[test]
    fn bad_numbers_and_empty_inputs_give_figures() {
        let nasty = Series {
            name: "nasty".into(),
            points: vec![
                (0.0, 0.0),
                (1.0, -1.0),
                (2.0, f64::NAN),
                (3.0, f64::INFINITY),
                (f64::NAN, 1.0),
                (4.0, 1e-300),
                (5.0, 1e300),
                (6.0, f64::MAX),
                (7.0, f64::MIN_POSITIVE / 4.0),
            ],
        };
        let constant = Series { name: "constant".into(), points: vec![(0.0, 2.0), (1.0, 2.0)] };
        let single = Series { name: "single".into(), points: vec![(3.0, 0.5)] };
        let empty = Series { name: "empty".into(), points: vec![] };
        let all = [nasty, constant, single, empty.clone()];
        for format in [Format::Svg, Format::Png] {
            for log_y in [true, false] {
                lines("nasty", "x", "y", &all, log_y, format).unwrap();
                lines("none", "x", "y", &[], log_y, format).unwrap();
                lines("empty", "x", "y", std::slice::from_ref(&empty), log_y, format).unwrap();
            }
            let svg = lines("nasty", "x", "y", &all, true, Format::Svg).unwrap();
            assert!(String::from_utf8(svg).unwrap().contains("2 values ≤ 0 not shown"));
            loss_curves("none", &[], Against::Iterations, format).unwrap();
            let flat = |_: f64, _: f64| 1.0;
            let hole = |x: f64, y: f64| if x > 0.0 { f64::NAN } else { x * x + y * y };
            let (x, y) = ((-1.0, 1.0), (-1.0, 1.0));
            let paths_ = [(
                "far".to_owned(),
                vec![[0.0, 0.0], [1e200, -1e200], [f64::NAN, 0.0], [0.5, 0.5]],
            )];
            let svg = paths("empty", &flat, x, y, &[], &[], format).unwrap();
            if format == Format::Svg {
                assert!(String::from_utf8(svg).unwrap().contains("no paths to show"));
            }
            paths("hole", &hole, x, y, &paths_, &[[5.0, 5.0]], format).unwrap();
            assert!(paths("bad box", &flat, (1.0, 1.0), y, &paths_, &[], format).is_err());
            let wide = (-f64::MAX, f64::MAX);
            assert!(paths("wide box", &flat, wide, y, &paths_, &[], format).is_err());
        }
    }

    #[test]
    fn loss_curves_show_every_trace() {
        let (problem, _) = rosenbrock_paths();
        let mut trace = Trace::default();
        let mut x = problem.start();
        let mut grad = vec![0.0; 2];
        for iteration in 0..50 {
            let value = problem.value_grad(&x, &mut grad);
            trace.rows.push(descent::driver::TraceRow {
                iteration,
                value,
                grad_norm: grad.iter().map(|g| g * g).sum::<f64>().sqrt(),
                step_norm: 0.0,
                value_evaluations: 2 * iteration + 1,
                gradient_evaluations: iteration + 1,
                x: x.clone(),
            });
            x.iter_mut().zip(&grad).for_each(|(x, g)| *x -= 1e-3 * g);
        }
        let traces = [("gd".to_owned(), &trace), ("gd again".to_owned(), &trace)];
        for against in [Against::Iterations, Against::Evaluations] {
            let counts =
                polylines_by_stroke(&loss_curves("gd", &traces, against, Format::Svg).unwrap());
            for k in 0..2 {
                assert_eq!(counts.get(&hex(PALETTE[k])), Some(&2), "two panels: {counts:?}");
            }
        }
    }

    #[test]
    fn stacked_lines_draws_each_panels_series_and_is_taller_per_panel() {
        let wave = |name: &str, f: f64| Series {
            name: name.into(),
            points: (0..200).map(|k| (k as f64 / 100.0, (f * k as f64).sin())).collect(),
        };
        let panels = [
            StackedPanel { y_label: "a".into(), series: vec![wave("one", 0.1)] },
            StackedPanel {
                y_label: "b".into(),
                series: vec![wave("two", 0.2), wave("three", 0.3)],
            },
        ];
        let counts = polylines_by_stroke(&stacked_lines("t", "s", &panels, Format::Svg).unwrap());
        // Colours restart in each panel: the first panel's curve and the second's first share
        // a colour; the second's second has its own.
        assert_eq!(counts.get(&hex(PALETTE[0])), Some(&2), "{counts:?}");
        assert_eq!(counts.get(&hex(PALETTE[1])), Some(&1), "{counts:?}");
        let png = stacked_lines("t", "s", &panels, Format::Png).unwrap();
        let reader = png::Decoder::new(std::io::Cursor::new(&png)).read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), (SIZE.0, SIZE.1 / 2 * 3));
        assert!(stacked_lines("t", "s", &[], Format::Svg).is_err());
    }

    #[test]
    fn learning_curve_draws_both_sets_in_both_panels() {
        let epochs: Vec<descent_nn::EpochStats> = (0..5)
            .map(|epoch| {
                let e = epoch as f64;
                descent_nn::EpochStats {
                    epoch,
                    train_loss: 1.0 / (e + 1.0),
                    train_accuracy: 0.8 + 0.03 * e,
                    test_loss: 1.2 / (e + 1.0),
                    test_accuracy: 0.78 + 0.03 * e,
                }
            })
            .collect();
        let svg = learning_curve("digits", &epochs, Format::Svg).unwrap();
        let counts = polylines_by_stroke(&svg);
        for k in 0..2 {
            assert_eq!(counts.get(&hex(PALETTE[k])), Some(&2), "two panels: {counts:?}");
        }
        assert!(String::from_utf8(svg).unwrap().contains("accuracy (%)"));
        let png = learning_curve("digits", &epochs, Format::Png).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        // No epochs, or a zero loss the log axis cannot show: still a figure, no panic.
        learning_curve("empty", &[], Format::Svg).unwrap();
        let mut zero = epochs.clone();
        zero[0].train_loss = 0.0;
        learning_curve("zero", &zero, Format::Svg).unwrap();
    }

    /// A made-up digit and two panels of bars for [`digit_gradient`].
    fn digit_figure(format: Format) -> Vec<u8> {
        let pixels: Vec<f64> = (0..64).map(|i| f64::from(i % 17)).collect();
        let image = DigitImage { title: "a digit".into(), pixels: &pixels, side: 8, max: 16.0 };
        let p = [0.05, 0.05, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.1, 0.1];
        let y = [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        let g: Vec<f64> = p.iter().zip(&y).map(|(p, y)| p - y).collect();
        let panels = [
            GradientBars { title: "before".into(), p: &p, y: &y, gradient: &g },
            GradientBars { title: "after".into(), p: &y, y: &y, gradient: &[0.0; 10] },
        ];
        digit_gradient("p − y", &image, &panels, format).unwrap()
    }

    #[test]
    fn the_digit_figure_draws_the_image_and_three_bars_per_class() {
        let svg = digit_figure(Format::Svg);
        assert!(svg == digit_figure(Format::Svg), "the same inputs give the same bytes");
        let text = String::from_utf8(svg).unwrap();
        let document = roxmltree::Document::parse(&text).expect("well-formed SVG");
        let filled = |color: RGBColor| {
            document
                .descendants()
                .filter(|n| n.has_tag_name("rect") && n.attribute("fill") == Some(&hex(color)))
                .count()
        };
        // Two panels of ten classes, plus the legend's swatch for each colour.
        assert_eq!(filled(BAR_P), 2 * 10 + 1);
        assert_eq!(filled(BAR_Y), 2 * 10 + 1);
        assert_eq!(filled(BAR_GRADIENT), 2 * 10 + 1);
        // The 8 × 8 image: pixel value 16 is black, 0 white, 8 mid-grey (round(255/2) = 128).
        assert_eq!(filled(RGBColor(0, 0, 0)), (0..64).filter(|i| i % 17 == 16).count());
        assert_eq!(filled(RGBColor(128, 128, 128)), (0..64).filter(|i| i % 17 == 8).count());
        assert!(text.contains("class k") && text.contains("p − y: ∂L/∂z"));
        let png = digit_figure(Format::Png);
        let reader = png::Decoder::new(std::io::Cursor::new(&png)).read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), SIZE_DIGIT);
        // Bad shapes are errors, not panics.
        let image = DigitImage { title: String::new(), pixels: &[1.0; 10], side: 8, max: 16.0 };
        assert!(digit_gradient("t", &image, &[], Format::Svg).is_err());
        let pixels = [0.0; 4];
        let image = DigitImage { title: String::new(), pixels: &pixels, side: 2, max: 16.0 };
        let short = [GradientBars { title: "x".into(), p: &[0.5, 0.5], y: &[1.0], gradient: &[] }];
        assert!(digit_gradient("t", &image, &short, Format::Svg).is_err());
        assert!(digit_gradient("t", &image, &[], Format::Svg).is_ok());
    }

    #[test]
    fn annotated_lines_dot_sparse_series_and_write_notes() {
        let measured = Series {
            name: "measured".into(),
            points: [1e3, 1e4, 1e5, 1e6].iter().map(|&n| (n, n * 1e-8)).collect(),
        };
        let long = Series {
            name: "long".into(),
            points: (1..=100).map(|k| (f64::from(k) * 1e4, 1e-3)).collect(),
        };
        let notes = [
            Note { at: (1e4, 1e-4), text: "slope 1.00".into() },
            Note { at: (-1.0, 1e-4), text: "not on a log axis".into() },
        ];
        let log = LogAxes { x: true, y: true };
        let svg =
            lines_annotated("t", ("n", "s"), &[measured, long], log, &notes, Format::Svg).unwrap();
        let text = String::from_utf8(svg).unwrap();
        assert!(text.contains("slope 1.00"));
        assert!(!text.contains("not on a log axis"));
        let document = roxmltree::Document::parse(&text).unwrap();
        let dots = |color: RGBColor| {
            document
                .descendants()
                .filter(|n| n.has_tag_name("circle") && n.attribute("fill") == Some(&hex(color)))
                .count()
        };
        assert_eq!(dots(PALETTE[0]), 4, "one dot per measurement");
        assert_eq!(dots(PALETTE[1]), 0, "a long series is a line only");
        // Decade ticks on both axes, labelled with values.
        let labels: Vec<&str> = document
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text().map(str::trim))
            .collect();
        for tick in ["1000", "1e6", "1e-5", "0.001"] {
            assert!(labels.contains(&tick), "{tick} in {labels:?}");
        }
        let counts = polylines_by_stroke(&text.into_bytes());
        assert_eq!(counts.get(&hex(PALETTE[1])), Some(&1));
        let png = lines_annotated("t", ("n", "s"), &[], log, &notes, Format::Png).unwrap();
        assert!(png.starts_with(b"\x89PNG"));
    }

    #[test]
    fn a_surface_is_a_mesh_of_cells_with_its_marks() {
        let pringle = |x: f64, y: f64| x * x - y * y;
        let marks = [Mark { at: [0.0, 0.0], label: "saddle".into() }];
        let (x, y) = ((-1.0, 1.0), (-1.0, 1.0));
        let svg = surface("x² − y²", &pringle, x, y, &marks, Format::Svg).unwrap();
        let text = String::from_utf8(svg.clone()).unwrap();
        let document = roxmltree::Document::parse(&text).unwrap();
        let polygons = document.descendants().filter(|n| n.has_tag_name("polygon")).count();
        // One polygon per cell, and the three back panels of the axes.
        assert_eq!(polygons, SURFACE_CELLS * SURFACE_CELLS + 3);
        assert!(text.contains("saddle"));
        assert!(svg == surface("x² − y²", &pringle, x, y, &marks, Format::Svg).unwrap());
        let png = surface("x² − y²", &pringle, x, y, &marks, Format::Png).unwrap();
        let reader = png::Decoder::new(std::io::Cursor::new(&png)).read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), SIZE_SURFACE);
        // Holes where f is not finite; an f with no finite value, or a flat box, is refused.
        let hole = |x: f64, y: f64| if x > 0.0 { f64::NAN } else { x * x - y * y };
        let svg = surface("hole", &hole, x, y, &[], Format::Svg).unwrap();
        let polygons = String::from_utf8(svg).unwrap().matches("<polygon").count();
        assert_eq!(polygons, SURFACE_CELLS * SURFACE_CELLS / 2 + 3);
        assert!(surface("nan", &|_, _| f64::NAN, x, y, &[], Format::Svg).is_err());
        assert!(surface("flat box", &pringle, (1.0, 1.0), y, &[], Format::Svg).is_err());
    }

    #[test]
    fn the_jiggle_figure_colours_each_gradient_by_its_direction() {
        let pringle = |x: f64, y: f64| x * x - y * y;
        let bowl = |x: f64, y: f64| x * x + y * y;
        let samples = |sign: f64| {
            (0..8)
                .map(|k| {
                    let t = std::f64::consts::TAU * (f64::from(k) + 0.5) / 8.0;
                    let d = [0.1 * t.cos(), 0.1 * t.sin()];
                    (d, [2.0 * d[0], 2.0 * sign * d[1]])
                })
                .collect::<Vec<_>>()
        };
        let panels = [
            JigglePanel {
                title: "saddle".into(),
                f: &pringle,
                centre: [0.0, 0.0],
                radius: 0.1,
                samples: samples(-1.0),
            },
            JigglePanel {
                title: "minimum".into(),
                f: &bowl,
                centre: [1.0, 2.0],
                radius: 0.1,
                samples: samples(1.0),
            },
        ];
        let svg = jiggle("jiggle", &panels, Format::Svg).unwrap();
        let dots = |color: RGBColor| {
            let text = std::str::from_utf8(&svg).unwrap();
            let document = roxmltree::Document::parse(text).unwrap();
            document
                .descendants()
                .filter(|n| n.has_tag_name("circle") && n.attribute("fill") == Some(&hex(color)))
                .count()
        };
        // The saddle: 4 of 8 outward (|δ₁| > |δ₂|) and 4 inward; the bowl: all 8 outward.
        assert_eq!(dots(OUTWARD), 4 + 8);
        assert_eq!(dots(INWARD), 4);
        let png = jiggle("jiggle", &panels, Format::Png).unwrap();
        let reader = png::Decoder::new(std::io::Cursor::new(&png)).read_info().unwrap();
        assert_eq!(reader.info().width, 2 * SIZE_JIGGLE_PANEL.0);
        jiggle("none", &[], Format::Svg).unwrap();
        let bad = [JigglePanel {
            title: "bad".into(),
            f: &pringle,
            centre: [0.0, 0.0],
            radius: 0.0,
            samples: Vec::new(),
        }];
        assert!(jiggle("bad", &bad, Format::Svg).is_err());
    }

    #[test]
    fn plot_box_is_never_degenerate() {
        let single = vec![("one".to_owned(), vec![[1.0, 1.0]])];
        let ((x0, x1), (y0, y1)) = plot_box(&single, &[]);
        assert!(x0 < 1.0 && 1.0 < x1 && y0 < 1.0 && 1.0 < y1);
        let ((x0, x1), (y0, y1)) = plot_box(&[], &[]);
        assert!(x0 < x1 && y0 < y1);
        let nan = vec![("nan".to_owned(), vec![[f64::NAN, f64::INFINITY]])];
        assert_eq!(plot_box(&nan, &[]), ((-1.0, 1.0), (-1.0, 1.0)));
        // 10 % padding each side of the bounding box of paths and minima.
        let line = vec![("line".to_owned(), vec![[0.0, 0.0], [1.0, 0.0]])];
        let ((x0, x1), (y0, y1)) = plot_box(&line, &[[0.0, 2.0]]);
        approx::assert_relative_eq!(x0, -0.1);
        approx::assert_relative_eq!(x1, 1.1);
        approx::assert_relative_eq!(y0, -0.2);
        approx::assert_relative_eq!(y1, 2.2);
        let huge = vec![("huge".to_owned(), vec![[f64::MAX, -f64::MAX]])];
        let (x, y) = plot_box(&huge, &[[-f64::MAX, f64::MAX]]);
        assert_eq!((x, y), ((-LARGEST, LARGEST), (-LARGEST, LARGEST)));
        let f = |a: f64, b: f64| a * a + b * b;
        paths("huge", &f, x, y, &huge, &[], Format::Svg).unwrap();
    }

    #[test]
    fn marching_squares_traces_a_circle_as_one_closed_loop() {
        let n = 41;
        let node =
            |i: usize, j: usize| (-1.0 + 2.0 * i as f64 / 40.0, -1.0 + 2.0 * j as f64 / 40.0);
        let values: Vec<f64> = (0..n * n)
            .map(|k| {
                let (x, y) = node(k % n, k / n);
                x * x + y * y
            })
            .collect();
        let lines = march(&values, n, 0.25, node);
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(line.first(), line.last(), "closed");
        for &(x, y) in line {
            // Linear interpolation of r² along a cell edge errs by at most h²/4 in r².
            assert!(((x * x + y * y) - 0.25).abs() <= 0.05f64.powi(2) / 4.0 + 1e-12);
        }
    }

    #[test]
    fn log_axes_tick_at_round_values() {
        let log = |lo: f64, hi: f64| Axis { log: true, ..Axis::linear((lo, hi)) };
        assert_eq!(log(-3.2, 1.1).key_points(10), [-3.0, -2.0, -1.0, 0.0, 1.0]);
        assert_eq!(
            log(-40.0, 40.0).key_points(10),
            [-40.0, -30.0, -20.0, -10.0, 0.0, 10.0, 20.0, 30.0, 40.0]
        );
        assert_eq!(log(-0.35, 0.35).key_points(10), [-1.0 + 5f64.log10(), 0.0, 2f64.log10()]);
        let labels: Vec<String> =
            log(-3.2, 1.1).key_points(10).iter().map(|t| log(-3.2, 1.1).format_ext(t)).collect();
        assert_eq!(labels, ["0.001", "0.01", "0.1", "1", "10"]);
        // Less than a factor 2 wide: no round value twice, so ticks fall back to linear ones.
        assert!(log(0.01, 0.02).key_points(10).len() >= 2);
    }

    #[test]
    fn clipping_splits_a_path_that_leaves_the_box() {
        // Out through x = 1, back in through x = 1 at y = 0.5; the NaN is skipped.
        let path = [[0.0, 0.0], [2.0, 0.0], [0.0, 1.0], [f64::NAN, 1.0], [0.5, -0.5], [0.5, -3.0]];
        let pieces = clip(&path, (-1.0, 1.0), (-1.0, 1.0));
        let expected =
            [vec![(0.0, 0.0), (1.0, 0.0)], vec![(1.0, 0.5), (0.0, 1.0), (0.5, -0.5), (0.5, -1.0)]];
        assert_eq!(pieces, expected);
    }

    #[test]
    fn write_puts_the_figure_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("figure.svg");
        write(&path, b"<svg/>").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"<svg/>");
    }
}

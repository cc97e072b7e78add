//! The report's plots, drawn with `plotters` into SVG strings (its SVG backend writes
//! `<text>` elements, so no font files are needed).

use plotters::coord::ranged1d::SegmentedCoord;
use plotters::coord::types::{RangedCoordf64, RangedCoordusize};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{Error, Result};
use crate::eval::FlagReport;
use crate::metrics::Confusion;

const FONT: &str = "sans-serif";

/// A named, coloured line read off each threshold point.
type Series = (
    &'static str,
    RGBColor,
    fn(&crate::eval::ThresholdPoint) -> f64,
);

fn err<E: std::fmt::Display>(e: E) -> Error {
    Error::Params(format!("drawing a plot failed: {e}"))
}

/// An SVG of `size` pixels on a white background, drawn by `draw`, for inlining.
fn svg(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<()>,
) -> Result<String> {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, size).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        draw(&root)?;
        root.present().map_err(err)?;
    }
    Ok(inline(buf))
}

/// The chart's series legend, in a box in its upper right corner.
fn legend<'a, 'b: 'a, CT: CoordTranslate>(
    ch: &mut ChartContext<'a, SVGBackend<'b>, CT>,
) -> Result<()> {
    ch.configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FONT, 14))
        .draw()
        .map_err(err)
}

/// A chart on `root` over `[0, 1]` (x) and `[0, y_top]` (y) with its mesh and axis
/// descriptions drawn, as the reliability, precision-recall and sweep plots need.
fn unit_chart<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    caption: String,
    y_top: f64,
    (x_desc, y_desc): (&str, Option<&str>),
) -> Result<ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>> {
    let mut ch = ChartBuilder::on(root)
        .caption(caption, (FONT, 18))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0f64..1f64, 0f64..y_top)
        .map_err(err)?;
    let mut mesh = ch.configure_mesh();
    mesh.x_desc(x_desc);
    if let Some(y_desc) = y_desc {
        mesh.y_desc(y_desc);
    }
    mesh.draw().map_err(err)?;
    Ok(ch)
}

/// A chart on `root` with one column slot per name (labelling the x axis) and `[0, top]`
/// rows up the y axis, its mesh drawn.
fn column_chart<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    caption: &str,
    names: &[String],
    top: f64,
    x_desc: Option<&str>,
) -> Result<
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<SegmentedCoord<RangedCoordusize>, RangedCoordf64>>,
> {
    let k = names.len();
    let mut ch = ChartBuilder::on(root)
        .caption(caption, (FONT, 18))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(50)
        .build_cartesian_2d((0..k).into_segmented(), 0f64..top)
        .map_err(err)?;
    let label = |v: &SegmentValue<usize>| label_at(names, v);
    let mut mesh = ch.configure_mesh();
    mesh.disable_x_mesh().x_labels(k).x_label_formatter(&label);
    if let Some(x_desc) = x_desc {
        mesh.x_desc(x_desc);
    }
    mesh.y_desc("rows").draw().map_err(err)?;
    Ok(ch)
}

/// Drops the SVG namespace attribute: inline `<svg>` in HTML5 needs none, and the
/// report then holds no URL at all (nothing a browser or an auditor could fetch).
fn inline(svg: String) -> String {
    svg.replacen(r#" xmlns="http://www.w3.org/2000/svg""#, "", 1)
}

fn label_at(names: &[String], v: &SegmentValue<usize>) -> String {
    match v {
        SegmentValue::CenterOf(i) => names.get(*i).cloned().unwrap_or_default(),
        _ => String::new(),
    }
}

/// Confusion matrix heatmap (rows gold, columns predicted; darker = more rows).
pub fn confusion(c: &Confusion, title: &str) -> Result<String> {
    let k = c.labels.len();
    let side = 140 + 90 * k as u32;
    svg((side + 40, side), |root| {
        let mut ch = ChartBuilder::on(root)
            .caption(title, (FONT, 18))
            .margin(10)
            .x_label_area_size(50)
            .y_label_area_size(110)
            .build_cartesian_2d((0..k).into_segmented(), (0..k).into_segmented())
            .map_err(err)?;
        let rev: Vec<String> = c.labels.iter().rev().cloned().collect();
        ch.configure_mesh()
            .disable_mesh()
            .x_desc("predicted")
            .y_desc("gold")
            .x_labels(k)
            .y_labels(k)
            .x_label_formatter(&|v| label_at(&c.labels, v))
            .y_label_formatter(&|v| label_at(&rev, v))
            .draw()
            .map_err(err)?;
        let max = c.counts.iter().flatten().copied().max().unwrap_or(1).max(1) as f64;
        for (g, row) in c.counts.iter().enumerate() {
            let y = k - 1 - g;
            for (p, &n) in row.iter().enumerate() {
                let t = n as f64 / max;
                let shade = RGBColor(
                    (255.0 - 205.0 * t) as u8,
                    (255.0 - 155.0 * t) as u8,
                    (255.0 - 60.0 * t) as u8,
                );
                ch.draw_series(std::iter::once(Rectangle::new(
                    [
                        (SegmentValue::Exact(p), SegmentValue::Exact(y)),
                        (SegmentValue::Exact(p + 1), SegmentValue::Exact(y + 1)),
                    ],
                    shade.filled(),
                )))
                .map_err(err)?;
                let color = if t > 0.55 { &WHITE } else { &BLACK };
                ch.draw_series(std::iter::once(Text::new(
                    n.to_string(),
                    (SegmentValue::CenterOf(p), SegmentValue::CenterOf(y)),
                    (FONT, 18).into_font().color(color),
                )))
                .map_err(err)?;
            }
        }
        Ok(())
    })
}

/// Horizontal bars, one per name, values in 0..1 (shown as percent).
pub fn bars(names: &[String], values: &[f64], title: &str, x_desc: &str) -> Result<String> {
    let n = names.len().max(1);
    let height = 90 + 34 * n as u32;
    svg((720, height), |root| {
        let rev: Vec<String> = names.iter().rev().cloned().collect();
        let mut ch = ChartBuilder::on(root)
            .caption(title, (FONT, 18))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(200)
            .build_cartesian_2d(0f64..100f64, (0..n).into_segmented())
            .map_err(err)?;
        ch.configure_mesh()
            .disable_y_mesh()
            .x_desc(x_desc)
            .y_labels(n)
            .y_label_formatter(&|v| label_at(&rev, v))
            .draw()
            .map_err(err)?;
        ch.draw_series(
            Histogram::horizontal(&ch)
                .style(RGBColor(70, 110, 190).filled())
                .margin(6)
                .data(
                    values
                        .iter()
                        .enumerate()
                        .map(|(i, &v)| (n - 1 - i, 100.0 * v)),
                ),
        )
        .map_err(err)?;
        Ok(())
    })
}

/// Gold and predicted label counts side by side (wide bars gold, narrow bars predicted).
pub fn label_counts(labels: &[String], gold: &[usize], pred: &[usize]) -> Result<String> {
    let k = labels.len();
    let count = |v: &[usize]| {
        let mut c = vec![0u32; k];
        for &x in v {
            c[x] += 1;
        }
        c
    };
    let (g, p) = (count(gold), count(pred));
    let top = g.iter().chain(&p).copied().max().unwrap_or(1) as f64 * 1.15;
    svg((560, 340), |root| {
        let mut ch = column_chart(root, "Label distribution", labels, top, None)?;
        let series = [
            ("gold", RGBColor(150, 175, 225), 10, &g),
            ("predicted", RGBColor(200, 80, 60), 40, &p),
        ];
        for (name, color, margin, counts) in series {
            ch.draw_series(
                Histogram::vertical(&ch)
                    .style(color.filled())
                    .margin(margin)
                    .data(counts.iter().enumerate().map(|(i, &c)| (i, c as f64))),
            )
            .map_err(err)?
            .label(name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], color.filled()));
        }
        legend(&mut ch)?;
        Ok(())
    })
}

/// Histogram of comment lengths in words (buckets of 5; the last is open-ended).
pub fn lengths(words: &[usize]) -> Result<String> {
    const BUCKETS: usize = 12;
    let mut c = [0u32; BUCKETS];
    for &w in words {
        c[(w / 5).min(BUCKETS - 1)] += 1;
    }
    let names: Vec<String> = (0..BUCKETS)
        .map(|b| {
            if b == BUCKETS - 1 {
                format!("{}+", 5 * b)
            } else {
                format!("{}", 5 * b)
            }
        })
        .collect();
    let top = c.iter().copied().max().unwrap_or(1).max(1) as f64 * 1.1;
    svg((560, 340), |root| {
        let x_desc = Some("words (bucket start)");
        let mut ch = column_chart(root, "Comment length (words)", &names, top, x_desc)?;
        ch.draw_series(
            Histogram::vertical(&ch)
                .style(RGBColor(110, 150, 110).filled())
                .margin(3)
                .data(c.iter().enumerate().map(|(i, &n)| (i, n as f64))),
        )
        .map_err(err)?;
        Ok(())
    })
}

/// Reliability diagram: accuracy against mean confidence per bin, with the diagonal.
pub fn reliability(bins: &[(f64, f64, usize)], ece: f64) -> Result<String> {
    svg((480, 440), |root| {
        let axes = ("confidence (top label)", Some("accuracy"));
        let mut ch = unit_chart(root, format!("Reliability (ECE {ece:.3})"), 1.0, axes)?;
        ch.draw_series(LineSeries::new(
            vec![(0.0, 0.0), (1.0, 1.0)],
            RGBColor(160, 160, 160).stroke_width(1),
        ))
        .map_err(err)?;
        // One bar per 1/15 bin, from its mean confidence's bin.
        ch.draw_series(bins.iter().map(|&(c, a, _)| {
            let b = ((c * 15.0) as usize).min(14) as f64 / 15.0;
            Rectangle::new(
                [(b + 0.004, 0.0), (b + 1.0 / 15.0 - 0.004, a)],
                RGBColor(70, 110, 190).mix(0.35).filled(),
            )
        }))
        .map_err(err)?;
        ch.draw_series(LineSeries::new(
            bins.iter().map(|&(c, a, _)| (c, a)),
            RGBColor(70, 110, 190).stroke_width(2),
        ))
        .map_err(err)?;
        let max = bins.iter().map(|b| b.2).max().unwrap_or(1).max(1) as f64;
        ch.draw_series(bins.iter().map(|&(c, a, n)| {
            Circle::new(
                (c, a),
                3 + (6.0 * (n as f64 / max).sqrt()) as i32,
                RGBColor(70, 110, 190).filled(),
            )
        }))
        .map_err(err)?;
        Ok(())
    })
}

/// Precision-recall curve of a flag (the 101-threshold sweep; the dot is 0.5).
pub fn precision_recall(f: &FlagReport) -> Result<String> {
    svg((480, 440), |root| {
        let axes = ("recall", Some("precision"));
        let mut ch = unit_chart(root, format!("Precision-recall: {}", f.flag), 1.02, axes)?;
        ch.draw_series(LineSeries::new(
            f.sweep
                .iter()
                .filter(|p| p.flagged_share > 0.0)
                .map(|p| (p.recall, p.precision)),
            RGBColor(200, 80, 60).stroke_width(2),
        ))
        .map_err(err)?;
        let d = &f.at_default;
        ch.draw_series(std::iter::once(Circle::new(
            (d.recall, d.precision),
            5,
            BLACK.filled(),
        )))
        .map_err(err)?;
        Ok(())
    })
}

/// Threshold sweep of a flag: precision, recall and review share against threshold.
pub fn threshold_sweep(f: &FlagReport) -> Result<String> {
    svg((560, 440), |root| {
        let axes = ("threshold on p(flag)", None);
        let mut ch = unit_chart(root, format!("Threshold sweep: {}", f.flag), 1.02, axes)?;
        let series: [Series; 3] = [
            ("precision", RGBColor(200, 80, 60), |p| p.precision),
            ("recall", RGBColor(70, 110, 190), |p| p.recall),
            ("review share", RGBColor(90, 150, 90), |p| p.flagged_share),
        ];
        for (name, color, get) in series {
            ch.draw_series(LineSeries::new(
                f.sweep.iter().map(|p| (p.threshold, get(p))),
                color.stroke_width(2),
            ))
            .map_err(err)?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
        }
        legend(&mut ch)?;
        Ok(())
    })
}

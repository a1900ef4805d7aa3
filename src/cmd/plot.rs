//! A run's timing diagram as SVG (`st run --plot`), drawn with plotters: one
//! lane per signal over a shared time axis in milliseconds, BOOL signals as
//! steps between 0 and 1, numbers and durations as held values, marks (a
//! runtime fault) as red lines across every lane.
//!
//! plotters is built without its font feature: SVG text is laid out by the
//! viewer, and plotters' estimate of label widths is enough for the axes.

use anyhow::{anyhow, Result};
use millwright_iec61131::sim::diagram::{Diagram, Kind, Signal};
use plotters::prelude::*;

const WIDTH: u32 = 1000;
const LANE: u32 = 64;
/// Room under the last lane for the time axis.
const AXIS: u32 = 36;
/// Room left of each lane for its name and value labels.
const LABELS: u32 = 170;
const RIGHT: u32 = 16;

/// The diagram as an SVG document.
pub fn svg(d: &Diagram) -> Result<String> {
    let lanes = d.signals.len().max(1) as u32;
    let height = lanes * LANE + AXIS;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        let breaks: Vec<i32> = (1..lanes).map(|i| (i * LANE) as i32).collect();
        let areas = root.split_by_breakpoints::<i32, i32, _, _>([], breaks);
        // A run of no cycle still gets an axis.
        let t_end = d.end_ms().max(1e-3);
        let columns = (WIDTH - LABELS - RIGHT) as usize;
        for (i, (area, signal)) in areas.iter().zip(&d.signals).enumerate() {
            let last = i + 1 == d.signals.len();
            lane(area, d, signal, t_end, columns, last, i == 0)?;
        }
        if d.signals.is_empty() {
            root.draw(&Text::new(
                "no signal to show",
                (10, 20),
                ("sans-serif", 14).into_font(),
            ))
            .map_err(draw_error)?;
        }
        root.present().map_err(draw_error)?;
    }
    Ok(out)
}

fn lane(
    area: &DrawingArea<SVGBackend, plotters::coord::Shift>,
    d: &Diagram,
    signal: &Signal,
    t_end: f64,
    columns: usize,
    last: bool,
    first: bool,
) -> Result<()> {
    let (lo, hi) = match (signal.kind, signal.range()) {
        (Kind::Bool, _) => (-0.2, 1.2),
        (_, Some((lo, hi))) if hi > lo => {
            let pad = (hi - lo) * 0.08;
            (lo - pad, hi + pad)
        }
        (_, Some((v, _))) => (v - 1.0, v + 1.0),
        (_, None) => (-1.0, 1.0),
    };
    let mut chart = ChartBuilder::on(area)
        .margin_top(6)
        .margin_right(RIGHT)
        .x_label_area_size(if last { AXIS } else { 0 })
        .y_label_area_size(LABELS)
        .build_cartesian_2d(0.0..t_end, lo..hi)
        .map_err(draw_error)?;
    let mut mesh = chart.configure_mesh();
    mesh.disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(230, 230, 230))
        .label_style(("sans-serif", 12))
        .axis_desc_style(("sans-serif", 12))
        .y_labels(if signal.kind == Kind::Bool { 2 } else { 3 })
        .y_label_formatter(&|v| label(*v));
    if last {
        mesh.x_desc("t (ms)").x_label_formatter(&|v| label(*v));
    } else {
        mesh.x_labels(0);
    }
    mesh.draw().map_err(draw_error)?;
    let unit = if signal.kind == Kind::Time {
        " (ms)"
    } else {
        ""
    };
    area.draw(&Text::new(
        format!("{}{unit}", signal.name),
        (6, (LANE / 2) as i32 - 6),
        ("sans-serif", 13).into_font(),
    ))
    .map_err(draw_error)?;
    let colour = if signal.kind == Kind::Bool {
        RGBColor(20, 90, 200)
    } else {
        RGBColor(20, 140, 80)
    };
    chart
        .draw_series(LineSeries::new(
            points(signal, d, t_end, columns),
            colour.stroke_width(2),
        ))
        .map_err(draw_error)?;
    for m in &d.marks {
        let x = d.time_ms(m.cycle);
        chart
            .draw_series(LineSeries::new([(x, lo), (x, hi)], &RED))
            .map_err(draw_error)?;
        if first {
            chart
                .draw_series([Text::new(
                    m.label.clone(),
                    (x, hi),
                    ("sans-serif", 12).into_font().color(&RED),
                )])
                .map_err(draw_error)?;
        }
    }
    Ok(())
}

/// The signal's line: each value held until the next change; where there
/// are more changes than pixel columns, each column's least and greatest
/// value, so the SVG stays as small as the plot is wide.
fn points(s: &Signal, d: &Diagram, t_end: f64, columns: usize) -> Vec<(f64, f64)> {
    let mut pts = Vec::new();
    if s.changes.len() <= 2 * columns {
        for &(cycle, v) in &s.changes {
            let x = d.time_ms(cycle);
            if let Some(&(_, prev)) = pts.last() {
                pts.push((x, prev));
            }
            pts.push((x, v));
        }
    } else {
        for (col, span) in s.envelope(d.cycles, columns).into_iter().enumerate() {
            let Some((lo, hi)) = span else { continue };
            let x = d.time_ms(col as u64 * d.cycles / columns as u64);
            pts.push((x, lo));
            if hi != lo {
                pts.push((x, hi));
            }
        }
    }
    if let Some(&(_, v)) = pts.last() {
        pts.push((t_end, v));
    }
    pts
}

/// An axis value without trailing zeros (`1500`, `0.25`).
fn label(v: f64) -> String {
    let t = format!("{v:.3}");
    t.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn draw_error<E: std::error::Error + Send + Sync>(
    e: plotters::drawing::DrawingAreaErrorKind<E>,
) -> anyhow::Error {
    anyhow!("drawing the timing diagram: {e}")
}

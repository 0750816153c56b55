//! The plots: a line per back-end over a log-scaled x axis (registered descriptors for the
//! scale plot, threads for the thread-pool plot).

use std::io;
use std::path::Path;

use plotters::prelude::*;

/// What a plot says: its caption and the descriptions of its axes.
struct Labels {
    caption: &'static str,
    x: &'static str,
    y: &'static str,
}

/// `series`: (back-end, [(registered, ns per round trip)]).
pub fn scale_svg(path: &Path, series: &[(&str, Vec<(usize, f64)>)]) -> io::Result<()> {
    let labels = Labels {
        caption: "ping cost vs registered descriptors (lower is better)",
        x: "registered descriptors (log scale)",
        y: "ns per signal + wait + read (median)",
    };
    draw(path, &labels, series).map_err(|e| io::Error::other(e.to_string()))
}

/// `series`: (pool, [(threads, millions of events handled per second)]).
pub fn threads_svg(path: &Path, series: &[(&str, Vec<(usize, f64)>)]) -> io::Result<()> {
    let labels = Labels {
        caption: "events handled per second vs threads, 2 cores (higher is better)",
        x: "threads (log scale)",
        y: "millions of events per second (median)",
    };
    draw(path, &labels, series).map_err(|e| io::Error::other(e.to_string()))
}

fn draw(
    path: &Path,
    labels: &Labels,
    series: &[(&str, Vec<(usize, f64)>)],
) -> Result<(), Box<dyn std::error::Error>> {
    let xs = series
        .iter()
        .flat_map(|(_, points)| points.iter().map(|p| p.0 as f64));
    let ys = series
        .iter()
        .flat_map(|(_, points)| points.iter().map(|p| p.1));
    let (x_min, x_max) = xs.fold((f64::MAX, 0f64), |(lo, hi), x| (lo.min(x), hi.max(x)));
    let y_max = ys.fold(0f64, f64::max) * 1.15;

    let root = SVGBackend::new(path, (900, 540)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(labels.caption, ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d((x_min..x_max).log_scale(), 0f64..y_max)?;
    chart
        .configure_mesh()
        .x_desc(labels.x)
        .y_desc(labels.y)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .draw()?;
    let colors = [BLACK, RED, BLUE, GREEN, MAGENTA, CYAN];
    for (i, (name, points)) in series.iter().enumerate() {
        let color = colors[i % colors.len()];
        let points: Vec<(f64, f64)> = points.iter().map(|&(x, y)| (x as f64, y)).collect();
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
            .label(*name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        chart.draw_series(
            points
                .into_iter()
                .map(|p| Circle::new(p, 3, color.filled())),
        )?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

//! The PNG of a training run's curves, redrawn from `metrics.csv` at every validation pass:
//! the loss terms on the left, the validation metrics on the right, against the step.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use plotters::prelude::*;
use timbrescope_engine::outputs::report::{FONT, register_fonts};

/// One plotted quantity: its CSV column and its colour.
struct Curve {
    column: &'static str,
    colour: RGBColor,
}

const LOSSES: [Curve; 5] = [
    Curve {
        column: "loss",
        colour: RGBColor(0, 0, 0),
    },
    Curve {
        column: "instrument_loss",
        colour: RGBColor(214, 39, 40),
    },
    Curve {
        column: "pitch_loss",
        colour: RGBColor(31, 119, 180),
    },
    Curve {
        column: "pianoroll_loss",
        colour: RGBColor(44, 160, 44),
    },
    Curve {
        column: "clip_loss",
        colour: RGBColor(148, 103, 189),
    },
];

const METRICS: [Curve; 4] = [
    Curve {
        column: "instrument_f1_micro",
        colour: RGBColor(214, 39, 40),
    },
    Curve {
        column: "pitch_f1",
        colour: RGBColor(31, 119, 180),
    },
    Curve {
        column: "pianoroll_f1",
        colour: RGBColor(44, 160, 44),
    },
    Curve {
        column: "clip_lrap",
        colour: RGBColor(255, 127, 14),
    },
];

/// The numeric columns of a metrics CSV by header name.
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<f64>>,
}

impl Table {
    fn read(csv: &str) -> Result<Self> {
        let mut lines = csv.lines().filter(|l| !l.trim().is_empty());
        let header: Vec<String> = lines
            .next()
            .context("empty metrics file")?
            .split(',')
            .map(str::to_string)
            .collect();
        let rows = lines
            .enumerate()
            .map(|(i, line)| {
                line.split(',')
                    .map(|v| v.trim().parse::<f64>())
                    .collect::<Result<Vec<_>, _>>()
                    .with_context(|| format!("metrics row {}", i + 2))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { header, rows })
    }

    /// `(step, value)` points of `column`.
    fn points(&self, column: &str) -> Result<Vec<(f64, f64)>> {
        let at = |name: &str| {
            self.header
                .iter()
                .position(|h| h == name)
                .with_context(|| format!("no column {name:?} in the metrics"))
        };
        let (step, value) = (at("step")?, at(column)?);
        Ok(self.rows.iter().map(|r| (r[step], r[value])).collect())
    }
}

/// Draws one panel of `curves` into `area`.
fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    table: &Table,
    title: &str,
    curves: &[Curve],
    legend: SeriesLabelPosition,
) -> Result<()> {
    let series = curves
        .iter()
        .map(|c| table.points(c.column))
        .collect::<Result<Vec<_>>>()?;
    let all = || series.iter().flatten();
    let last_step = all().map(|p| p.0).fold(1.0, f64::max);
    let top = all().map(|p| p.1).fold(0.0, f64::max).max(1e-3) * 1.05;
    let err = |e| anyhow!("drawing the curves: {e:?}");
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, 22))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(52)
        .build_cartesian_2d(0.0..last_step, 0.0..top)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("step")
        .x_label_formatter(&|step| format!("{step:.0}"))
        .label_style((FONT, 14))
        .draw()
        .map_err(err)?;
    for (curve, points) in curves.iter().zip(series) {
        let colour = curve.colour;
        chart
            .draw_series(LineSeries::new(points, colour.stroke_width(2)))
            .map_err(err)?
            .label(curve.column)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], colour.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .label_font((FONT, 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(legend)
        .draw()
        .map_err(err)?;
    Ok(())
}

/// Redraws `png` from the metrics log `csv`.
pub fn write_curves(csv: &Path, png: &Path) -> Result<()> {
    let table =
        Table::read(&std::fs::read_to_string(csv).with_context(|| csv.display().to_string())?)
            .with_context(|| csv.display().to_string())?;
    if table.rows.is_empty() {
        bail!("{}: no validation passes yet", csv.display());
    }
    register_fonts();
    let root = BitMapBackend::new(png, (1400, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e:?}"))?;
    let (left, right) = root.split_horizontally(700);
    // Losses fall and scores rise: each legend goes where its curves are not.
    let (losses, scores) = (
        SeriesLabelPosition::UpperRight,
        SeriesLabelPosition::LowerRight,
    );
    panel(&left, &table, "training loss", &LOSSES, losses)?;
    panel(
        &right,
        &table,
        "validation (held-out font)",
        &METRICS,
        scores,
    )?;
    root.present()
        .map_err(|e| anyhow!("{}: {e:?}", png.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_the_curves_of_a_metrics_log_and_rejects_a_broken_one() {
        let tmp = tempfile::tempdir().unwrap();
        let csv = tmp.path().join("metrics.csv");
        std::fs::write(
            &csv,
            "step,loss,instrument_loss,pitch_loss,pianoroll_loss,clip_loss,instrument_f1_micro,pitch_f1,pianoroll_f1,clip_lrap,examples_per_s\n\
             100,1.4,0.39,0.35,0.27,0.42,0.06,0.00,0.00,0.32,19.5\n\
             200,0.87,0.31,0.14,0.05,0.36,0.15,0.30,0.01,0.41,12.5\n",
        )
        .unwrap();
        let png = tmp.path().join("curves.png");
        write_curves(&csv, &png).unwrap();
        let image = std::fs::read(&png).unwrap();
        assert!(image.starts_with(b"\x89PNG") && image.len() > 10_000);

        std::fs::write(&csv, "step,loss\n100,abc\n").unwrap();
        let error = format!("{:#}", write_curves(&csv, &png).unwrap_err());
        assert!(error.contains("metrics row 2"), "{error}");
    }
}

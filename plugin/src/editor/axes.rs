//! What the lanes and the pianoroll share so that they line up: the width of the label
//! column and the time grid.

use egui::{Align2, Color32, FontId, Painter, Rect, Stroke, pos2};

use super::TimeSpan;

/// Width of the class-name (and keyboard) column left of both views.
pub const LABEL_WIDTH: f32 = 130.0;

/// Vertical lines every second (or every 5 s on long spans), labelled with stream time.
pub fn time_grid(painter: &Painter, plot: Rect, span: TimeSpan) {
    let step = if span.end - span.start > 20.0 {
        5.0
    } else {
        1.0
    };
    let mut t = (span.start / step).ceil() * step;
    while t <= span.end {
        let x = span.x(t, plot);
        painter.line_segment(
            [pos2(x, plot.top()), pos2(x, plot.bottom())],
            Stroke::new(1.0, Color32::from_white_alpha(18)),
        );
        painter.text(
            pos2(x + 2.0, plot.bottom() - 2.0),
            Align2::LEFT_BOTTOM,
            format!("{t:.0}s"),
            FontId::monospace(9.0),
            Color32::from_gray(120),
        );
        t += step;
    }
}

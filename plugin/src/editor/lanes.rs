//! Instrument activity lanes: one row per visible class, time to the right, brightness is
//! probability. Drawn as one texture per frame (a column per analysis frame), so long views
//! stay cheap.

use egui::{Align2, Color32, ColorImage, FontId, Rect, Sense, TextureOptions, Ui, pos2, vec2};
use timbrescope_engine::features::FRAMES_PER_SECOND;

use super::Shown;
use super::palette::class_intensity;

/// Width of the class-name column.
pub const LABEL_WIDTH: f32 = 110.0;

/// Draws the lanes in a strip `height` high; frames before `from` are left dark (cleared).
pub fn show(ui: &mut Ui, shown: &Shown, height: f32) {
    let Shown {
        snapshot,
        span,
        from,
        visible,
    } = *shown;
    let (response, painter) =
        ui.allocate_painter(vec2(ui.available_width(), height), Sense::hover());
    let rect = response.rect;
    painter.rect_filled(rect, 2.0, Color32::from_gray(18));
    let rows: Vec<usize> = (0..snapshot.classes.len())
        .filter(|&c| visible[c])
        .collect();
    if rows.is_empty() {
        return;
    }
    let plot = Rect::from_min_max(pos2(rect.left() + LABEL_WIDTH, rect.top()), rect.max);
    let row_height = plot.height() / rows.len() as f32;
    let fps = FRAMES_PER_SECOND as f64;
    let columns = ((span.end - span.start) * fps).round().max(1.0) as usize;
    let first = (span.start * fps).round() as i64;
    let c = snapshot.classes.len();
    let mut image = ColorImage::filled([columns, rows.len()], Color32::BLACK);
    for column in 0..columns {
        let frame = first + column as i64;
        let t = frame as f64 / fps;
        let Some(row) = usize::try_from(frame - snapshot.first_frame as i64)
            .ok()
            .filter(|&r| r < snapshot.rows() && t >= from)
        else {
            continue;
        };
        let values = &snapshot.instrument[row * c..(row + 1) * c];
        for (y, &class) in rows.iter().enumerate() {
            image[(column, y)] = class_intensity(class, values[class]);
        }
    }
    let texture = ui
        .ctx()
        .load_texture("activity-lanes", image, TextureOptions::NEAREST);
    painter.image(
        texture.id(),
        plot,
        Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0)),
        Color32::WHITE,
    );
    for (y, &class) in rows.iter().enumerate() {
        let centre = plot.top() + (y as f32 + 0.5) * row_height;
        painter.text(
            pos2(rect.left() + 4.0, centre),
            Align2::LEFT_CENTER,
            snapshot.classes.get(class).map_or("", |c| c.name.as_str()),
            FontId::proportional(row_height.clamp(8.0, 13.0)),
            Color32::from_gray(200),
        );
    }
    super::pianoroll::time_grid(&painter, plot, span);
}

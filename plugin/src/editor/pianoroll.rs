//! The streaming pianoroll: detected notes against time, each coloured by its instrument,
//! with a keyboard axis and note names. While frozen, the wheel zooms time (with Shift:
//! pitch) and dragging pans.

use egui::{Align2, Color32, FontId, Rect, Sense, Stroke, Ui, pos2, vec2};
use timbrescope_engine::classes::note_name;

use super::Shown;
use super::axes::{LABEL_WIDTH, time_grid};
use super::palette::class_colour;

/// Pitch classes of the black keys.
const BLACK_KEYS: [u8; 5] = [1, 3, 6, 8, 10];
/// Fewest semitones the pianoroll may zoom in to.
const MIN_PITCH_RANGE: f32 = 12.0;

/// What the user did to the frozen pianoroll this frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewChange {
    /// Factor on the time span's length.
    pub zoom: f64,
    /// Seconds to move the right edge by.
    pub pan_seconds: f64,
    /// New lowest and highest MIDI note.
    pub pitches: (f32, f32),
}

/// Draws the pianoroll in the remaining space; returns the zoom and pan gestures.
pub fn show(ui: &mut Ui, shown: &Shown, pitches: (f32, f32)) -> Option<ViewChange> {
    let Shown {
        snapshot,
        span,
        from,
        visible,
        ..
    } = *shown;
    let size = vec2(ui.available_width(), ui.available_height().max(80.0));
    let (response, painter) = ui.allocate_painter(size, Sense::drag());
    let rect = response.rect;
    painter.rect_filled(rect, 2.0, Color32::from_gray(14));
    let keys = Rect::from_min_max(rect.min, pos2(rect.left() + LABEL_WIDTH, rect.bottom()));
    let plot = Rect::from_min_max(pos2(keys.right(), rect.top()), rect.max);
    let (low, high) = pitches;
    let key_height = plot.height() / (high - low + 1.0);
    let y_of = |pitch: f32| plot.bottom() - (pitch - low + 1.0) * key_height;

    for midi in low.ceil() as u8..=high.floor() as u8 {
        let y = y_of(f32::from(midi));
        let key = Rect::from_min_size(pos2(keys.right() - 28.0, y), vec2(28.0, key_height));
        let black = BLACK_KEYS.contains(&(midi % 12));
        painter.rect_filled(
            key,
            0.0,
            if black {
                Color32::from_gray(30)
            } else {
                Color32::from_gray(220)
            },
        );
        if !black {
            painter.rect_filled(
                Rect::from_min_size(pos2(plot.left(), y), vec2(plot.width(), key_height)),
                0.0,
                Color32::from_white_alpha(4),
            );
        }
        if midi % 12 == 0 || key_height >= 11.0 {
            painter.text(
                pos2(keys.right() - 32.0, y + key_height / 2.0),
                Align2::RIGHT_CENTER,
                note_name(midi),
                FontId::monospace(key_height.clamp(7.0, 11.0)),
                Color32::from_gray(if midi % 12 == 0 { 220 } else { 140 }),
            );
        }
        if midi % 12 == 0 {
            painter.line_segment(
                [
                    pos2(plot.left(), y + key_height),
                    pos2(plot.right(), y + key_height),
                ],
                Stroke::new(1.0, Color32::from_white_alpha(24)),
            );
        }
    }
    time_grid(&painter, plot, span);

    let now = snapshot.now();
    let clipped = painter.with_clip_rect(plot);
    for note in snapshot
        .notes
        .iter()
        .filter(|n| visible.get(n.class).copied().unwrap_or(false))
    {
        let end = note.offset.unwrap_or(now);
        if end < span.start.max(from) || note.onset > span.end {
            continue;
        }
        let p = f32::from(note.pitch);
        if p < low || p > high {
            continue;
        }
        let x0 = span.x(note.onset.max(from), plot);
        let x1 = span.x(end, plot).max(x0 + 2.0);
        let y = y_of(p);
        let colour =
            class_colour(&snapshot.classes, note.class).gamma_multiply(0.45 + 0.55 * note.velocity);
        clipped.rect_filled(
            Rect::from_min_max(pos2(x0, y + 0.5), pos2(x1, y + key_height - 0.5)),
            1.5,
            colour,
        );
    }

    if !response.hovered() && !response.dragged() {
        return None;
    }
    let (scroll, shift) = ui.input(|i| (i.smooth_scroll_delta(), i.modifiers.shift));
    let drag = response.drag_delta();
    if scroll == egui::Vec2::ZERO && drag == egui::Vec2::ZERO {
        return None;
    }
    let mut change = ViewChange {
        zoom: 1.0,
        pan_seconds: -f64::from(drag.x / plot.width()) * (span.end - span.start),
        pitches,
    };
    let pitch_shift = drag.y / key_height;
    change.pitches = (low + pitch_shift, high + pitch_shift);
    let wheel = scroll.y + scroll.x;
    if shift {
        let range = ((high - low) * (1.0 - wheel / 400.0)).clamp(MIN_PITCH_RANGE, 87.0);
        let centre = (low + high) / 2.0;
        change.pitches = (centre - range / 2.0, centre + range / 2.0);
    } else {
        change.zoom = (1.0 - f64::from(wheel) / 400.0).clamp(0.5, 2.0);
    }
    let (l, h) = change.pitches;
    let range = h - l;
    let l = l.clamp(21.0, 108.0 - range);
    change.pitches = (l, l + range);
    Some(change)
}

//! Instrument activity lanes: what is playing first. The instruments heard in the view (at or
//! above the threshold in any shown frame) get large lanes at the top, in class order so they
//! do not jump around; the silent ones fold into one row that a click expands into thin lanes.
//! Time runs to the right and brightness is probability; each group is one texture per frame
//! (a column per analysis frame), so long views stay cheap.

use egui::{Align2, Color32, ColorImage, FontId, Rect, Sense, TextureOptions, Ui, pos2, vec2};
use timbrescope_engine::features::FRAMES_PER_SECOND;

use super::Shown;
use super::axes::{LABEL_WIDTH, time_grid};
use super::palette::{class_colour, class_intensity};

/// Tallest lane of a heard instrument, and the shortest one worth drawing.
const HEARD_LANE_MAX: f32 = 40.0;
const HEARD_LANE_MIN: f32 = 12.0;
/// Height of the folded row of silent instruments, and of each of their lanes when expanded.
const FOLD_ROW: f32 = 20.0;
const SILENT_LANE: f32 = 10.0;

/// Frames of the view that are drawn: the span's frames, with the history row of each (`None`
/// before the stream, after its end or before the last Clear).
fn view_rows(shown: &Shown) -> impl Iterator<Item = Option<usize>> {
    let fps = FRAMES_PER_SECOND as f64;
    let columns = ((shown.span.end - shown.span.start) * fps).round().max(1.0) as usize;
    let first = (shown.span.start * fps).round() as i64;
    let snapshot = shown.snapshot;
    (0..columns).map(move |column| {
        let frame = first + column as i64;
        usize::try_from(frame - snapshot.first_frame as i64)
            .ok()
            .filter(|&r| r < snapshot.rows() && frame as f64 / fps >= shown.from)
    })
}

/// The visible classes split into those heard in the view and the silent ones.
fn heard_and_silent(shown: &Shown) -> (Vec<usize>, Vec<usize>) {
    let snapshot = shown.snapshot;
    let c = snapshot.classes.len();
    let mut heard = vec![false; c];
    for row in view_rows(shown).flatten() {
        let values = &snapshot.instrument[row * c..(row + 1) * c];
        for (h, &p) in heard.iter_mut().zip(values) {
            *h |= p >= shown.threshold;
        }
    }
    (0..c)
        .filter(|&class| shown.visible[class])
        .partition(|&class| heard[class])
}

/// One texture row per class of `classes` over the view.
fn activity_image(shown: &Shown, classes: &[usize]) -> ColorImage {
    let snapshot = shown.snapshot;
    let c = snapshot.classes.len();
    let rows: Vec<Option<usize>> = view_rows(shown).collect();
    let mut image = ColorImage::filled([rows.len(), classes.len()], Color32::BLACK);
    for (column, row) in rows.iter().enumerate() {
        let Some(row) = *row else { continue };
        let values = &snapshot.instrument[row * c..(row + 1) * c];
        for (y, &class) in classes.iter().enumerate() {
            image[(column, y)] = class_intensity(&snapshot.classes, class, values[class]);
        }
    }
    image
}

/// Draws `classes` as lanes filling `plot`, labelled in the column left of it.
fn draw_lanes(ui: &Ui, shown: &Shown, classes: &[usize], plot: Rect, name: &str, large: bool) {
    if classes.is_empty() {
        return;
    }
    let painter = ui.painter_at(plot.with_min_x(plot.left() - LABEL_WIDTH));
    let texture = ui.ctx().load_texture(
        name,
        activity_image(shown, classes),
        TextureOptions::NEAREST,
    );
    painter.image(
        texture.id(),
        plot,
        Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0)),
        Color32::WHITE,
    );
    let row_height = plot.height() / classes.len() as f32;
    let font = if large {
        (row_height * 0.5).clamp(11.0, 16.0)
    } else {
        9.0
    };
    let snapshot = shown.snapshot;
    for (y, &class) in classes.iter().enumerate() {
        let centre = plot.top() + (y as f32 + 0.5) * row_height;
        let colour = if large {
            class_colour(&snapshot.classes, class)
        } else {
            Color32::from_gray(150)
        };
        painter.text(
            pos2(plot.left() - LABEL_WIDTH + 6.0, centre),
            Align2::LEFT_CENTER,
            snapshot.classes.get(class).map_or("", |c| c.name.as_str()),
            FontId::proportional(font),
            colour,
        );
    }
}

/// The folded row's triangle, pointing right when folded and down when open (drawn, not a
/// glyph: egui's bundled text font has no triangles).
fn fold_arrow(centre: egui::Pos2, open: bool, colour: Color32) -> egui::Shape {
    let r = 4.0;
    let points = if open {
        vec![
            centre + vec2(-r, -r * 0.6),
            centre + vec2(r, -r * 0.6),
            centre + vec2(0.0, r * 0.6),
        ]
    } else {
        vec![
            centre + vec2(-r * 0.6, -r),
            centre + vec2(r * 0.6, 0.0),
            centre + vec2(-r * 0.6, r),
        ]
    };
    egui::Shape::convex_polygon(points, colour, egui::Stroke::NONE)
}

/// Draws the lanes, about `max_height` high and no higher than they need; a click on the
/// folded row toggles `silent_expanded`.
pub fn show(ui: &mut Ui, shown: &Shown, max_height: f32, silent_expanded: &mut bool) {
    let (heard, silent) = heard_and_silent(shown);
    let silent_height = if *silent_expanded {
        silent.len() as f32 * SILENT_LANE
    } else {
        0.0
    };
    let fold_height = if silent.is_empty() { 0.0 } else { FOLD_ROW };
    // The heard lanes share what the silent ones leave, but never shrink below a readable
    // height: when that does not fit, the lanes take more than `max_height` (the pianoroll
    // below gets less) rather than drawing labels over each other.
    let heard_room = (max_height - fold_height - silent_height).max(0.0);
    let heard_lane = (heard_room / heard.len().max(1) as f32).clamp(HEARD_LANE_MIN, HEARD_LANE_MAX);
    let heard_height = heard_lane * heard.len() as f32;
    let height = (heard_height + fold_height + silent_height).max(FOLD_ROW);
    let (response, painter) =
        ui.allocate_painter(vec2(ui.available_width(), height), Sense::click());
    let rect = response.rect;
    painter.rect_filled(rect, 2.0, Color32::from_gray(18));
    let left = rect.left() + LABEL_WIDTH;
    let heard_plot = Rect::from_min_max(
        pos2(left, rect.top()),
        pos2(rect.right(), rect.top() + heard_height),
    );
    draw_lanes(ui, shown, &heard, heard_plot, "heard-lanes", true);
    if heard.is_empty() {
        painter.text(
            heard_plot.left_center() + vec2(6.0, 0.0),
            Align2::LEFT_CENTER,
            "nothing heard in this view",
            FontId::proportional(12.0),
            Color32::from_gray(120),
        );
    }
    if !silent.is_empty() {
        let fold = Rect::from_min_max(
            pos2(rect.left(), heard_plot.bottom()),
            pos2(rect.right(), heard_plot.bottom() + FOLD_ROW),
        );
        painter.rect_filled(fold, 0.0, Color32::from_gray(26));
        let text_colour = Color32::from_gray(170);
        painter.add(fold_arrow(
            fold.left_center() + vec2(11.0, 0.0),
            *silent_expanded,
            text_colour,
        ));
        painter.text(
            fold.left_center() + vec2(20.0, 0.0),
            Align2::LEFT_CENTER,
            format!("{} not heard in this view", silent.len()),
            FontId::proportional(12.0),
            text_colour,
        );
        if response.clicked()
            && response
                .interact_pointer_pos()
                .is_some_and(|p| fold.contains(p))
        {
            *silent_expanded = !*silent_expanded;
        }
        if *silent_expanded {
            let silent_plot =
                Rect::from_min_max(pos2(left, fold.bottom()), pos2(rect.right(), rect.bottom()));
            draw_lanes(ui, shown, &silent, silent_plot, "silent-lanes", false);
        }
    }
    time_grid(&painter, heard_plot, shown.span);
}

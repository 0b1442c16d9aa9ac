//! "Now playing": the instruments of the newest window ranked by confidence, with bars, and
//! a checkbox per class to show or hide it in the lanes and the pianoroll.

use egui::{Color32, Sense, Ui, vec2};
use timbrescope_engine::live::snapshot::LiveSnapshot;

use super::palette::class_colour;
use crate::params::TimbrescopeParams;

/// Classes listed at most.
const RANKED: usize = 8;

/// Draws the ranking and the visibility list.
pub fn show(ui: &mut Ui, snapshot: &LiveSnapshot, params: &TimbrescopeParams, threshold: f32) {
    ui.heading("Now playing");
    let names = snapshot.classes.names();
    let mut ranked: Vec<(usize, f32)> = snapshot.clip.iter().copied().enumerate().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    for &(class, score) in ranked.iter().take(RANKED) {
        let (rect, _) = ui.allocate_exact_size(vec2(ui.available_width(), 18.0), Sense::hover());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 2.0, Color32::from_gray(30));
        let mut bar = rect;
        bar.set_width(rect.width() * score.clamp(0.0, 1.0));
        let colour = if score >= threshold {
            class_colour(&snapshot.classes, class)
        } else {
            class_colour(&snapshot.classes, class).gamma_multiply(0.4)
        };
        painter.rect_filled(bar, 2.0, colour);
        painter.text(
            rect.left_center() + vec2(4.0, 0.0),
            egui::Align2::LEFT_CENTER,
            format!("{} {:.0}%", names[class], score * 100.0),
            egui::FontId::proportional(12.0),
            Color32::WHITE,
        );
    }
    ui.separator();
    ui.label("Show");
    egui::ScrollArea::vertical().show(ui, |ui| {
        let Ok(mut view) = params.view.write() else {
            return;
        };
        for (class, name) in names.iter().enumerate() {
            let mut shown = !view.hidden.contains(name);
            let label = egui::RichText::new(name).color(class_colour(&snapshot.classes, class));
            if ui.checkbox(&mut shown, label).changed() {
                if shown {
                    view.hidden.retain(|h| h != name);
                } else {
                    view.hidden.push(name.clone());
                }
            }
        }
    });
}

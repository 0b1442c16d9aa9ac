//! The instrument colours of the engine's palette as egui colours, so the editor and the PNG
//! report show a class in the same colour.

use egui::Color32;
use timbrescope_engine::classes::ClassList;
use timbrescope_engine::outputs::palette::class_rgb;

/// The colour of class `index` at full intensity.
pub fn class_colour(classes: &ClassList, index: usize) -> Color32 {
    let [r, g, b] = class_rgb(classes, index);
    Color32::from_rgb(r, g, b)
}

/// The colour of class `index` scaled by a probability, on the dark background.
pub fn class_intensity(classes: &ClassList, index: usize, probability: f32) -> Color32 {
    let full = class_colour(classes, index);
    let p = probability.clamp(0.0, 1.0);
    let scale = |c: u8| (f32::from(c) * p).round() as u8;
    Color32::from_rgb(scale(full.r()), scale(full.g()), scale(full.b()))
}

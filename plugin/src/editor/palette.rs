//! One colour per instrument class, shared by every view, spread around the hue circle so
//! neighbouring classes differ.

use egui::Color32;
use egui::ecolor::Hsva;

/// The colour of class `index` at full intensity.
pub fn class_colour(index: usize) -> Color32 {
    const GOLDEN: f32 = 0.618_034;
    let hue = (index as f32 * GOLDEN).fract();
    Hsva::new(hue, 0.65, 0.95, 1.0).into()
}

/// The colour of class `index` scaled by a probability, on the dark background.
pub fn class_intensity(index: usize, probability: f32) -> Color32 {
    let full = class_colour(index);
    let p = probability.clamp(0.0, 1.0);
    let scale = |c: u8| (f32::from(c) * p).round() as u8;
    Color32::from_rgb(scale(full.r()), scale(full.g()), scale(full.b()))
}

//! The PNG report of an analysis: instrument activity lanes over time, then a pianoroll of
//! the detected notes coloured by instrument over the pitch activity, with a keyboard axis.

use std::path::Path;
use std::sync::Once;

use crate::analysis::Analysis;
use crate::classes::{ClassList, LOWEST_MIDI_NOTE, PITCH_COUNT, note_name};
use crate::features::FRAMES_PER_SECOND;
use crate::outputs::palette::class_rgb;
use crate::timeline::{HEARD_MIN_SECONDS, HEARD_THRESHOLD};
use anyhow::{Result, anyhow};
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

const WIDTH: u32 = 1600;
const LEFT: i32 = 170;
const RIGHT: i32 = 20;
const TOP: i32 = 50;
/// Height of the lane of an instrument heard in the file, and of one that is not.
const LANE_HEIGHT: i32 = 20;
const SILENT_LANE_HEIGHT: i32 = 9;
const KEY_HEIGHT: i32 = 6;
const AXIS_GAP: i32 = 40;
const LEGEND_HEIGHT: i32 = 60;
/// The font family every PNG report draws text with (registered by [`register_fonts`]).
pub const FONT: &str = "sans-serif";

/// The colour of class `c` of `classes`, the same in the lanes, the notes, the legend and
/// the editor.
fn class_colour(classes: &ClassList, c: usize) -> RGBColor {
    let [r, g, b] = class_rgb(classes, c);
    RGBColor(r, g, b)
}

/// White blended towards `colour` by `amount` in [0, 1].
fn tint(colour: RGBColor, amount: f32) -> RGBColor {
    let a = amount.clamp(0.0, 1.0);
    let mix = |c: u8| (255.0 - (255.0 - f32::from(c)) * a).round() as u8;
    RGBColor(mix(colour.0), mix(colour.1), mix(colour.2))
}

/// A time step for axis ticks that gives 5–15 ticks.
fn tick_step(seconds: f64) -> f64 {
    [
        0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0,
    ]
    .into_iter()
    .find(|step| seconds / step <= 15.0)
    .unwrap_or(1200.0)
}

/// Registers the bundled font under [`FONT`], so reports draw text without system fonts
/// (training curves use it too).
pub fn register_fonts() {
    static FONTS: Once = Once::new();
    FONTS.call_once(|| {
        register_font(FONT, FontStyle::Normal, epaint_default_fonts::UBUNTU_LIGHT)
            .unwrap_or_else(|_| panic!("the bundled font is valid"));
    });
}

/// Draws the report for `analysis` into a PNG at `path`.
pub fn write_report(analysis: &Analysis, title: &str, path: &Path) -> Result<()> {
    register_fonts();
    let p = &analysis.predictions;
    let classes = p.classes.len();
    // The instruments heard come first and large, the silent ones below in thin rows.
    let heard: Vec<bool> = p
        .heard_seconds(HEARD_THRESHOLD)
        .into_iter()
        .map(|s| s >= HEARD_MIN_SECONDS)
        .collect();
    let lanes: Vec<usize> = (0..classes)
        .filter(|&c| heard[c])
        .chain((0..classes).filter(|&c| !heard[c]))
        .collect();
    let lane_height = |c: usize| {
        if heard[c] {
            LANE_HEIGHT
        } else {
            SILENT_LANE_HEIGHT
        }
    };
    let lanes_bottom = TOP + lanes.iter().map(|&c| lane_height(c)).sum::<i32>();
    let roll_top = lanes_bottom + AXIS_GAP;
    let roll_bottom = roll_top + PITCH_COUNT as i32 * KEY_HEIGHT;
    let height = (roll_bottom + AXIS_GAP + LEGEND_HEIGHT) as u32;
    let plot_width = WIDTH as i32 - LEFT - RIGHT;
    let frames = p.frames.max(1);
    let seconds = frames as f64 / FRAMES_PER_SECOND as f64;
    let x_of = |t: f64| LEFT + (t / seconds * f64::from(plot_width)).round() as i32;
    // Frames shown by pixel column x, at least one.
    let frames_of = |x: i32| {
        let a = (x as usize * frames) / plot_width as usize;
        a..(((x as usize + 1) * frames) / plot_width as usize)
            .max(a + 1)
            .min(frames)
    };

    let root = BitMapBackend::new(path, (WIDTH, height)).into_drawing_area();
    let err = |e: DrawingAreaErrorKind<_>| anyhow!("{e:?}");
    root.fill(&WHITE).map_err(err)?;
    let text = |s: &str, size: i32| (s.to_string(), (FONT, size).into_font());
    let draw_text = |s: &str, x: i32, y: i32, size: i32| {
        let (s, font) = text(s, size);
        root.draw(&Text::new(s, (x, y), font.color(&BLACK)))
    };
    draw_text(&format!("Timbrescope — {title}"), LEFT, 12, 22).map_err(err)?;

    // Activity lanes: one row per class, intensity = probability.
    let names = p.classes.names();
    let mut y = TOP;
    for &c in &lanes {
        let height = lane_height(c);
        let label_size = if heard[c] { 15 } else { 9 };
        draw_text(&names[c], 8, y + (height - label_size) / 2, label_size).map_err(err)?;
        for x in 0..plot_width {
            let peak = frames_of(x)
                .map(|t| p.instrument_frame(t)[c])
                .fold(0.0f32, f32::max);
            let rect = [(LEFT + x, y + 1), (LEFT + x + 1, y + height - 1)];
            root.draw(&Rectangle::new(
                rect,
                tint(class_colour(&p.classes, c), peak).filled(),
            ))
            .map_err(err)?;
        }
        y += height;
    }

    // Pianoroll background: pitch activity in grey; the keyboard axis on the left.
    let key_y = |midi: u8| roll_bottom - (i32::from(midi - LOWEST_MIDI_NOTE) + 1) * KEY_HEIGHT;
    for k in 0..PITCH_COUNT {
        let midi = LOWEST_MIDI_NOTE + k as u8;
        let y = key_y(midi);
        let black_key = matches!(midi % 12, 1 | 3 | 6 | 8 | 10);
        let key_colour = if black_key {
            RGBColor(40, 40, 40)
        } else {
            RGBColor(235, 235, 235)
        };
        root.draw(&Rectangle::new(
            [(LEFT - 30, y), (LEFT - 2, y + KEY_HEIGHT)],
            key_colour.filled(),
        ))
        .map_err(err)?;
        if midi.is_multiple_of(12) {
            draw_text(&note_name(midi), LEFT - 70, y - 4, 12).map_err(err)?;
        }
        // A live excerpt carries no pitch activity; only its notes are drawn.
        for x in (0..plot_width).filter(|_| !p.pitch.is_empty()) {
            let peak = frames_of(x)
                .map(|t| p.pitch_frame(t)[k])
                .fold(0.0f32, f32::max);
            if peak > 0.05 {
                let grey = tint(RGBColor(120, 120, 120), peak * 0.6);
                root.draw(&Rectangle::new(
                    [(LEFT + x, y), (LEFT + x + 1, y + KEY_HEIGHT)],
                    grey.filled(),
                ))
                .map_err(err)?;
            }
        }
    }
    for note in &analysis.notes {
        let y = key_y(note.pitch);
        let (x0, x1) = (
            x_of(note.onset),
            x_of(note.offset).max(x_of(note.onset) + 1),
        );
        root.draw(&Rectangle::new(
            [(x0, y), (x1, y + KEY_HEIGHT)],
            class_colour(&p.classes, note.class).filled(),
        ))
        .map_err(err)?;
    }

    // Time axes under the lanes and under the pianoroll.
    let step = tick_step(seconds);
    for axis_y in [lanes_bottom, roll_bottom] {
        root.draw(&PathElement::new(
            vec![(LEFT, axis_y), (LEFT + plot_width, axis_y)],
            BLACK,
        ))
        .map_err(err)?;
        let mut t = 0.0;
        while t <= seconds + 1e-9 {
            let x = x_of(t);
            root.draw(&PathElement::new(vec![(x, axis_y), (x, axis_y + 5)], BLACK))
                .map_err(err)?;
            draw_text(&format!("{t:.1} s"), x - 12, axis_y + 8, 12).map_err(err)?;
            t += step;
        }
    }

    // Legend: the classes that have notes.
    let mut x = LEFT;
    let legend_y = roll_bottom + AXIS_GAP;
    for c in 0..classes {
        if analysis.notes.iter().any(|n| n.class == c) {
            root.draw(&Rectangle::new(
                [(x, legend_y), (x + 14, legend_y + 14)],
                class_colour(&p.classes, c).filled(),
            ))
            .map_err(err)?;
            let name = p.classes.get(c).map(|k| k.name.clone()).unwrap_or_default();
            draw_text(&name, x + 18, legend_y, 13).map_err(err)?;
            x += 30 + 8 * name.len() as i32;
        }
    }
    root.present().map_err(err)?;
    Ok(())
}

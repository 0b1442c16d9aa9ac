//! Fixtures for the tests and benchmarks: real signals (sines, notes and mixtures rendered
//! with the training SoundFont).

pub mod clap_host;
pub mod mutate;
pub mod pitch;
pub mod random;
pub mod thread_cost;

pub use timbrescope_synth::wav::write_wav;

use std::path::Path;
use std::sync::OnceLock;

use timbrescope_synth::SampleSet;
use timbrescope_synth::render::render_score;
use timbrescope_synth::sample_sets::{TRAINING_FONT, load_soundfont};
use timbrescope_synth::score::{Part, Score, ScoreNote};

/// The training SoundFont, loaded once per test process.
pub fn training_font() -> &'static SampleSet {
    static FONT: OnceLock<SampleSet> = OnceLock::new();
    FONT.get_or_init(|| load_soundfont(Path::new(TRAINING_FONT)).unwrap_or_else(|e| panic!("{e}")))
}

/// A sine of `hz` at amplitude 0.5, `seconds` long at `rate`.
pub fn sine(hz: f64, seconds: f64, rate: u32) -> Vec<f32> {
    let n = (seconds * f64::from(rate)).round() as usize;
    (0..n)
        .map(|i| (0.5 * (std::f64::consts::TAU * hz * i as f64 / f64::from(rate)).sin()) as f32)
        .collect()
}

/// Notes `(key, onset, duration)` of one GM programme, all at velocity 100.
pub fn notes(list: &[(u8, f64, f64)]) -> Vec<ScoreNote> {
    list.iter()
        .map(|&(key, onset, duration)| ScoreNote {
            onset,
            duration,
            key,
            velocity: 100,
        })
        .collect()
}

/// Renders `parts` for `seconds` at `rate` with the training font.
pub fn render(parts: Vec<Part>, seconds: f64, rate: u32) -> Vec<f32> {
    let score = Score {
        parts,
        duration: seconds,
    };
    render_score(&score, training_font(), rate).expect("fixture scores render")
}

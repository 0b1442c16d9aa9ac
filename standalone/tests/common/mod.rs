//! Rendered test music, Xvfb and prediction-file helpers for the standalone app's tests;
//! [`jack`] adds a JACK server and a player client for the live ones.

#![allow(dead_code)] // Each test file uses a part.

#[cfg(feature = "live")]
pub mod jack;

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use timbrescope_engine::outputs::prediction::PredictionFile;
use timbrescope_engine::timeline::{HEARD_THRESHOLD, frames_to_seconds};
use timbrescope_synth::score::{Part, Voice};
use timbrescope_tests::{notes, render};

/// When the guitar enters, seconds into [`voice_and_guitar`] (the voice sings from the start).
pub const GUITAR_ENTRY: f64 = 3.0;

/// A voice (choir aahs) from the start and an acoustic guitar from [`GUITAR_ENTRY`], 7 s.
pub fn voice_and_guitar(rate: u32) -> Vec<f32> {
    let line = |base: u8, start: f64, count: usize| -> Vec<(u8, f64, f64)> {
        (0..count)
            .map(|i| {
                (
                    base + [0, 2, 4, 5, 7, 5, 4, 2][i % 8],
                    start + i as f64 * 0.5,
                    0.45,
                )
            })
            .collect()
    };
    render(
        vec![
            Part::new(Voice::Program(52), notes(&line(67, 0.0, 14))),
            Part::new(Voice::Program(24), notes(&line(52, GUITAR_ENTRY, 8))),
        ],
        7.0,
        rate,
    )
}

/// A child process killed when this goes out of scope.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An Xvfb server on `display` (e.g. ":87"), stopped on drop.
pub fn start_xvfb(display: &str) -> Killed {
    let server = Killed(
        Command::new("Xvfb")
            .args([display, "-screen", "0", "1000x700x24"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb is installed"),
    );
    std::thread::sleep(Duration::from_secs(1));
    server
}

/// The classes a prediction file shows as heard for at least `min_seconds` (activity at or
/// above 0.5): with `HEARD_MIN_SECONDS`, the live views' rule that `analyze` and `play` share.
pub fn heard_in_prediction(prediction: &PredictionFile, min_seconds: f32) -> BTreeSet<String> {
    prediction
        .classes
        .iter()
        .enumerate()
        .filter(|&(c, _)| {
            let frames = prediction
                .instrument_activity
                .iter()
                .filter(|row| row[c] >= HEARD_THRESHOLD)
                .count();
            frames_to_seconds(frames as u32) >= min_seconds
        })
        .map(|(_, name)| name.clone())
        .collect()
}

//! Which instrument plays each transcribed pitch: basic-pitch says which keys sound, the
//! multitask model's pianoroll and instrument activity say who plays them. Its pianoroll keeps
//! only its class *shares* here; how much a key sounds comes from basic-pitch.

use crate::classes::{LOWEST_MIDI_NOTE, PITCH_COUNT};
use crate::timeline::FramePredictions;
use crate::timeline::notes::Note;

use super::note_creation::PitchNote;
use super::posteriors::{FRAME_RATE, activity_of_posterior, frame_seconds};

/// Below this the multitask pianoroll has no opinion about a key, and the instrument
/// activity alone decides who plays it.
const NO_OPINION: f32 = 1e-3;

/// Replaces `predictions.pitch` by the pitch activity of basic-pitch's note posterior on the
/// timeline (`note_on_timeline`, `[frames][88]`, see [`activity_of_posterior`]) and rescales the pianoroll so that, at every frame and key, the class the
/// multitask model favours carries that posterior and every other pitched class its share
/// relative to the favourite. Unpitched classes keep no pianoroll.
pub fn relabel_pianoroll(predictions: &mut FramePredictions, note_on_timeline: &[f32]) {
    let classes = predictions.classes.len();
    let pitched: Vec<bool> = predictions.classes.iter().map(|c| c.is_pitched()).collect();
    for (activity, &p) in predictions.pitch.iter_mut().zip(note_on_timeline) {
        *activity = activity_of_posterior(p);
    }
    let mut shares = vec![0.0f32; classes];
    for t in 0..predictions.frames {
        let instrument = &predictions.instrument[t * classes..(t + 1) * classes];
        let roll =
            &mut predictions.pianoroll[t * classes * PITCH_COUNT..(t + 1) * classes * PITCH_COUNT];
        for key in 0..PITCH_COUNT {
            let sounding = predictions.pitch[t * PITCH_COUNT + key];
            for c in 0..classes {
                shares[c] = if pitched[c] {
                    roll[c * PITCH_COUNT + key]
                } else {
                    0.0
                };
            }
            let mut favourite = shares.iter().copied().fold(0.0f32, f32::max);
            if favourite < NO_OPINION {
                for c in 0..classes {
                    shares[c] = if pitched[c] { instrument[c] } else { 0.0 };
                }
                favourite = shares.iter().copied().fold(0.0f32, f32::max);
            }
            for c in 0..classes {
                roll[c * PITCH_COUNT + key] = if favourite > 0.0 {
                    sounding * shares[c] / favourite
                } else {
                    0.0
                };
            }
        }
    }
}

/// Timeline frames from a note's start whose pianoroll names its instrument: its attack, where
/// timbre shows most (the identity carry looks there too), and what the live path has seen
/// when it must name the note (basic-pitch's minimum note length, 13 frames).
pub const NAMING_FRAMES: usize = 13;

/// The notes of `pitch_notes` (network frames) in seconds, each given the class with the most
/// pianoroll over its first [`NAMING_FRAMES`] frames in the relabelled `predictions`: one note
/// per pitch note, in order (none for a model without a pitched class).
pub fn assign_classes(pitch_notes: &[PitchNote], predictions: &FramePredictions) -> Vec<Note> {
    let classes = predictions.classes.len();
    let timeline =
        |seconds: f64| (seconds * crate::features::FRAMES_PER_SECOND as f64).ceil() as usize;
    let pitched: Vec<usize> = (0..classes)
        .filter(|&c| {
            predictions
                .classes
                .get(c)
                .is_some_and(|class| class.is_pitched())
        })
        .collect();
    if pitched.is_empty() {
        return Vec::new();
    }
    pitch_notes
        .iter()
        .map(|n| {
            let (onset, offset) = (n.onset / FRAME_RATE, frame_seconds(n.end));
            let first = timeline(onset).min(predictions.frames);
            let end = timeline(offset)
                .min(first + NAMING_FRAMES)
                .min(predictions.frames);
            let frames = first..end;
            let weight = |c: usize| -> f32 {
                frames
                    .clone()
                    .map(|t| predictions.pianoroll[(t * classes + c) * PITCH_COUNT + n.key])
                    .sum()
            };
            let class = pitched
                .iter()
                .copied()
                .max_by(|&a, &b| weight(a).total_cmp(&weight(b)).then(b.cmp(&a)))
                .expect("there is a pitched class");
            Note {
                onset,
                offset,
                pitch: LOWEST_MIDI_NOTE + n.key as u8,
                class,
                velocity: n.amplitude,
                bend: Vec::new(),
            }
        })
        .collect()
}

//! basic-pitch's posteriors on its own frame grid, and their place on the 100 frames/s
//! timeline every other output uses.
//!
//! Network frame `k` of a stream is centred on sample `k · 256` at 22 050 Hz (the network's
//! constant-Q transform pads each octave by half its kernel, so its frame `j` is centred on
//! the `j · 256`-th sample of its window); a timeline frame `t` is the instant `t / 100` s.

use crate::classes::PITCH_COUNT;
use crate::features::FRAMES_PER_SECOND;
use crate::networks::basic_pitch::{FRAME_HOP_SAMPLES, SAMPLE_RATE};

/// Note and onset posteriors of consecutive network frames, frame-major `[frames][88]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PitchPosteriors {
    /// Probability that a key sounds.
    pub note: Vec<f32>,
    /// Probability that a key starts.
    pub onset: Vec<f32>,
}

/// basic-pitch's frame threshold: its notes continue while the note posterior is at least this.
pub const FRAME_THRESHOLD: f32 = 0.3;

/// Pitch activity from a note posterior: the engine decides at 0.5 everywhere (the "heard"
/// rule, the note tracker, evaluation), so the posterior is mapped piecewise linearly to put
/// basic-pitch's own frame threshold there (0 → 0, 0.3 → 0.5, 1 → 1).
pub fn activity_of_posterior(p: f32) -> f32 {
    if p < FRAME_THRESHOLD {
        p * (0.5 / FRAME_THRESHOLD)
    } else {
        0.5 + (p - FRAME_THRESHOLD) * (0.5 / (1.0 - FRAME_THRESHOLD))
    }
}

/// Network frames per second (22 050 / 256 ≈ 86.13).
pub const FRAME_RATE: f64 = SAMPLE_RATE as f64 / FRAME_HOP_SAMPLES as f64;

/// Seconds of network frame `k`.
pub fn frame_seconds(k: usize) -> f64 {
    k as f64 / FRAME_RATE
}

/// Where timeline frame `t` falls on the network's grid, as a fractional frame.
pub fn network_position(t: usize) -> f64 {
    t as f64 / FRAMES_PER_SECOND as f64 * FRAME_RATE
}

impl PitchPosteriors {
    /// Network frames held.
    pub fn frames(&self) -> usize {
        self.note.len() / PITCH_COUNT
    }

    /// Appends frames of note and onset posteriors.
    pub fn extend(&mut self, note: &[f32], onset: &[f32]) {
        debug_assert_eq!(note.len(), onset.len());
        self.note.extend_from_slice(note);
        self.onset.extend_from_slice(onset);
    }

    /// Keeps the first `frames` frames.
    pub fn truncate(&mut self, frames: usize) {
        self.note.truncate(frames * PITCH_COUNT);
        self.onset.truncate(frames * PITCH_COUNT);
    }

    /// The note posterior at timeline frame `t`, linearly interpolated between the two
    /// network frames around it (the last frame held beyond the end), into `out` (`[88]`).
    /// [`activity_of_posterior`] turns it into pitch activity.
    pub fn note_at_timeline_frame(&self, t: usize, out: &mut [f32]) {
        self.note_at(network_position(t), out);
    }

    /// The note posterior at fractional frame `position` of the frames held, interpolated
    /// like [`Self::note_at_timeline_frame`].
    pub fn note_at(&self, position: f64, out: &mut [f32]) {
        interpolate(&self.note, self.frames(), position, out);
    }

    /// The onset posterior at fractional frame `position`, interpolated the same way.
    pub fn onset_at(&self, position: f64, out: &mut [f32]) {
        interpolate(&self.onset, self.frames(), position, out);
    }

    /// Drops the first `frames` frames (a stream keeps only what it still maps).
    pub fn drop_front(&mut self, frames: usize) {
        let frames = frames.min(self.frames());
        self.note.drain(..frames * PITCH_COUNT);
        self.onset.drain(..frames * PITCH_COUNT);
    }

    /// The note posterior on the timeline, `[frames][88]`.
    pub fn note_on_timeline(&self, frames: usize) -> Vec<f32> {
        let mut out = vec![0.0; frames * PITCH_COUNT];
        for (t, row) in out.chunks_exact_mut(PITCH_COUNT).enumerate() {
            self.note_at_timeline_frame(t, row);
        }
        out
    }
}

/// Row `position` of the frame-major `[frames][88]` `values`, interpolated; zeros when empty.
fn interpolate(values: &[f32], frames: usize, position: f64, out: &mut [f32]) {
    if frames == 0 {
        out.fill(0.0);
        return;
    }
    let below = (position.floor() as usize).min(frames - 1);
    let above = (below + 1).min(frames - 1);
    let weight = ((position - below as f64) as f32).clamp(0.0, 1.0);
    let row = |k: usize| &values[k * PITCH_COUNT..(k + 1) * PITCH_COUNT];
    for ((o, &a), &b) in out.iter_mut().zip(row(below)).zip(row(above)) {
        *o = a + (b - a) * weight;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeline_frames_interpolate_between_network_frames() {
        let mut posteriors = PitchPosteriors::default();
        let ramp: Vec<f32> = (0..10)
            .flat_map(|k| std::iter::repeat_n(k as f32, PITCH_COUNT))
            .collect();
        posteriors.extend(&ramp, &ramp);
        let mut row = vec![0.0; PITCH_COUNT];
        for t in 0..10 {
            posteriors.note_at_timeline_frame(t, &mut row);
            let expected = network_position(t).min(9.0) as f32;
            assert!(
                (row[0] - expected).abs() < 1e-5,
                "frame {t}: {} vs {expected}",
                row[0]
            );
        }
    }
}

//! Pitch bends of a note from basic-pitch's contour posterior (three bins per semitone), after
//! the rule basic-pitch's own code applies (`get_pitch_bends`): in each frame of the note, the
//! contour bin with the most weight within ±25 bins of the note's own, weighted by a Gaussian
//! of σ = 5 bins centred there. That alone moves in thirds of a semitone; a parabola through
//! the winning bin and its neighbours places the peak between bins, so a vibrato reads as a
//! curve instead of a staircase. An in-tune key sits on the middle of its three bins
//! ([`key_bin`]); basic-pitch's rule looks for it on the lowest and so calls an in-tune note
//! a third of a semitone sharp.

use crate::classes::PITCH_COUNT;
use crate::features::FRAMES_PER_SECOND;
use crate::networks::basic_pitch::CONTOUR_BINS;

use super::note_creation::PitchNote;
use super::posteriors::network_position;

/// Contour bins per semitone.
pub const BINS_PER_SEMITONE: usize = CONTOUR_BINS / PITCH_COUNT;

/// The contour bin of piano key `k` played in tune: `3 k + 1`, the middle of the key's three
/// (measured: a steady 440 Hz tone peaks there for A4, `tests/tests/basic_pitch.rs`).
pub fn key_bin(key: usize) -> usize {
    key * BINS_PER_SEMITONE + 1
}
/// How far from its key a note's pitch is looked for, in bins (basic-pitch's tolerance).
const TOLERANCE_BINS: usize = 25;
/// Width of the Gaussian that favours bins near the key, in bins (basic-pitch's).
const GAUSSIAN_STD_BINS: f32 = 5.0;

/// Semitones above `key` where the contour row `[264]` of one frame puts the pitch.
fn frame_bend(row: &[f32], key: usize) -> f32 {
    let centre = key_bin(key) as isize;
    let weighted = |bin: isize| -> Option<f32> {
        let offset = (bin - centre) as f32 / GAUSSIAN_STD_BINS;
        let value = *row.get(usize::try_from(bin).ok()?)?;
        Some(value * (-0.5 * offset * offset).exp())
    };
    let reach = TOLERANCE_BINS as isize;
    let best = (centre - reach..=centre + reach)
        .filter_map(|bin| Some((bin, weighted(bin)?)))
        // On a tie (an empty contour), the bin nearest the key.
        .max_by(|a, b| {
            let nearer = (b.0 - centre).abs().cmp(&(a.0 - centre).abs());
            a.1.total_cmp(&b.1).then(nearer)
        });
    let Some((bin, peak)) = best else {
        return 0.0;
    };
    let refinement = match (weighted(bin - 1), weighted(bin + 1)) {
        (Some(below), Some(above)) if (bin - centre).abs() < reach => {
            let curvature = below - 2.0 * peak + above;
            if curvature < 0.0 {
                (0.5 * (below - above) / curvature).clamp(-0.5, 0.5)
            } else {
                0.0
            }
        }
        _ => 0.0,
    };
    ((bin - centre) as f32 + refinement) / BINS_PER_SEMITONE as f32
}

/// The bend of `note` (network frames) in semitones above its key, one value per timeline
/// frame from `first_frame` (the note's onset frame at 100 frames/s) for `frames` frames,
/// read from the contour `[network frames][264]` between the note's own frames.
pub fn note_bend(contour: &[f32], note: &PitchNote, first_frame: usize, frames: usize) -> Vec<f32> {
    let held = contour.len() / CONTOUR_BINS;
    let last = note.end.min(held);
    if note.start >= last {
        return vec![0.0; frames];
    }
    let per_frame: Vec<f32> = (note.start..last)
        .map(|k| frame_bend(&contour[k * CONTOUR_BINS..(k + 1) * CONTOUR_BINS], note.key))
        .collect();
    (first_frame..first_frame + frames)
        .map(|t| {
            let position =
                (network_position(t) - note.start as f64).clamp(0.0, (per_frame.len() - 1) as f64);
            let below = position.floor() as usize;
            let above = (below + 1).min(per_frame.len() - 1);
            let weight = (position - below as f64) as f32;
            per_frame[below] + (per_frame[above] - per_frame[below]) * weight
        })
        .collect()
}

/// The timeline frames a note of `onset`..`offset` seconds covers: its first frame and count.
pub fn timeline_span(onset: f64, offset: f64) -> (usize, usize) {
    let first = (onset * FRAMES_PER_SECOND as f64).round() as usize;
    let end = ((offset * FRAMES_PER_SECOND as f64).round() as usize).max(first + 1);
    (first, end - first)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A contour row with a Gaussian bump centred at fractional bin `peak`.
    fn row_peaking_at(peak: f32) -> Vec<f32> {
        (0..CONTOUR_BINS)
            .map(|b| (-0.5 * ((b as f32 - peak) / 1.2).powi(2)).exp() * 0.9)
            .collect()
    }

    #[test]
    fn a_peak_on_the_key_is_no_bend_and_one_between_bins_is_found_between_them() {
        let key = 48;
        let centre = key_bin(key) as f32;
        assert!(frame_bend(&row_peaking_at(centre), key).abs() < 1e-3);
        // A quarter-tone sharp: 1.5 bins, between two bins.
        let bend = frame_bend(&row_peaking_at(centre + 1.5), key);
        assert!((bend - 0.5).abs() < 0.08, "{bend}");
        let bend = frame_bend(&row_peaking_at(centre - 2.0), key);
        assert!((bend + 2.0 / 3.0).abs() < 0.08, "{bend}");
    }

    #[test]
    fn an_empty_contour_bends_nothing() {
        assert_eq!(frame_bend(&vec![0.0; CONTOUR_BINS], 10), 0.0);
        let note = PitchNote {
            start: 0,
            onset: 0.0,
            end: 10,
            key: 10,
            amplitude: 0.5,
        };
        assert_eq!(note_bend(&[], &note, 0, 4), vec![0.0; 4]);
    }
}

//! Which labelled frames can be heard. Labels come from the notes, so a part played far
//! softer than the others is still labelled where no listener (and no network) can hear
//! it under them. Training marks those cells unknown instead of asking the network to
//! name what is not there. (A struck note rung down is not such a case: a grand piano
//! from the training font is 20 dB under its attack 2.5 s later and 30 dB under after
//! 7 s, quiet but plain to hear on its own.)

use timbrescope_engine::classes::ClassList;
use timbrescope_engine::features::FRAMES_PER_SECOND;

use crate::labels::{FrameLabels, labelled_notes};
use crate::score::Score;

/// A part this far below the whole mix in a frame is buried in it.
const BURIED_BELOW_MIX_DB: f32 = -30.0;
/// Length of the window a frame's level is measured over, centred on the frame.
const LEVEL_WINDOW_SECONDS: f64 = 0.03;

/// Mean square of `samples` (at `rate` Hz) in a short window centred on each of `frames`
/// frames of the 100 frames/s grid.
fn frame_energies(samples: &[f32], rate: u32, frames: usize) -> Vec<f32> {
    let rate = f64::from(rate);
    let half = (LEVEL_WINDOW_SECONDS * rate / 2.0).round() as usize;
    (0..frames)
        .map(|t| {
            let centre = (t as f64 * rate / FRAMES_PER_SECOND as f64).round() as usize;
            let end = (centre + half).min(samples.len());
            let window = &samples[centre.saturating_sub(half).min(end)..end];
            window.iter().map(|s| s * s).sum::<f32>() / window.len().max(1) as f32
        })
        .collect()
}

/// Frame by frame, whether each part can be heard: `parts` are a score's parts rendered
/// alone and `mix` their sum, at `rate` Hz.
fn audible_frames(parts: &[Vec<f32>], mix: &[f32], rate: u32, frames: usize) -> Vec<Vec<bool>> {
    let floor = 10f32.powf(BURIED_BELOW_MIX_DB / 10.0);
    let mix_energy = frame_energies(mix, rate, frames);
    parts
        .iter()
        .map(|samples| {
            frame_energies(samples, rate, frames)
                .iter()
                .zip(&mix_energy)
                .map(|(part, mix)| *part >= mix * floor)
                .collect()
        })
        .collect()
}

/// Marks unknown the instrument cells of `labels` (labelled from `score` by
/// [`crate::labels::label_score`]) where no note of the class labelled there can be heard
/// because its part is buried under the mix. `parts` are the score's parts rendered alone
/// and `mix` their sum, at `rate` Hz. Cells labelled absent stay known: silence is never in
/// doubt.
pub fn mask_inaudible(
    labels: &mut FrameLabels,
    score: &Score,
    classes: &ClassList,
    parts: &[Vec<f32>],
    mix: &[f32],
    rate: u32,
) {
    let (frames, c) = (labels.frames, labels.classes);
    let audible = audible_frames(parts, mix, rate, frames);
    let mut heard = vec![false; frames * c];
    for note in labelled_notes(score, classes, frames) {
        for t in note.frames.filter(|&t| audible[note.part][t]) {
            heard[t * c + note.class] = true;
        }
    }
    for ((known, &label), heard) in labels
        .instrument_known
        .iter_mut()
        .zip(&labels.instrument)
        .zip(heard)
    {
        if label > 0.0 && !heard {
            *known = 0.0;
        }
    }
}

//! Polyphonic transcription with basic-pitch's network: 22 050 Hz audio in 2 s windows,
//! unwrapped into one stream of note and onset posteriors ([`posteriors`]), then notes
//! ([`note_creation`]). The multitask model's pianoroll says which instrument plays each of
//! them (see `analysis`).

pub mod instruments;
pub mod live_notes;
pub mod note_creation;
pub mod pitch_bends;
pub mod posteriors;
pub mod stream;

use crate::classes::PITCH_COUNT;
use crate::compute::ComputeDevice;
use crate::networks::basic_pitch::{
    BasicPitch, CONTOUR_BINS, FRAME_HOP_SAMPLES, WINDOW_FRAMES, WINDOW_SAMPLES,
};
use posteriors::PitchPosteriors;

/// Frames at each window edge whose outputs saw the window's padding; a file keeps only the
/// frames between (basic-pitch's own unwrapping drops the same 15 frames a side).
pub const EDGE_FRAMES: usize = 15;
/// Frames a window contributes to a file: its interior. Consecutive windows start
/// `KEPT_FRAMES` frames apart, so every window shares the stream's 256-sample frame grid.
pub const KEPT_FRAMES: usize = WINDOW_FRAMES - 2 * EDGE_FRAMES;
/// Windows per network call offline.
const BATCH_WINDOWS: usize = 4;

/// The samples of the window whose first frame is stream frame `first_frame` (negative
/// before the stream starts), zero outside the signal.
pub(super) fn window_at(samples: &[f32], first_frame: isize, out: &mut Vec<f32>) {
    out.clear();
    let start = first_frame * FRAME_HOP_SAMPLES as isize;
    out.extend((0..WINDOW_SAMPLES as isize).map(|i| {
        usize::try_from(start + i)
            .ok()
            .and_then(|s| samples.get(s))
            .copied()
            .unwrap_or(0.0)
    }));
}

/// basic-pitch on a device, for whole signals.
#[derive(Debug, Clone)]
pub struct Transcriber {
    network: BasicPitch,
}

impl Transcriber {
    /// The network on `compute`'s device.
    pub fn new(compute: &ComputeDevice) -> Self {
        Self {
            network: BasicPitch::new(&compute.device),
        }
    }

    /// Transcribes with `network` (fine-tuned weights, `--note-weights`).
    pub fn with_network(network: BasicPitch) -> Self {
        Self { network }
    }

    /// The network.
    pub fn network(&self) -> &BasicPitch {
        &self.network
    }

    /// Posteriors of a whole 22 050 Hz signal, one network frame per 256 samples (the last
    /// partial hop included); `progress(done, total)` after each batch of windows.
    pub fn posteriors(
        &self,
        samples: &[f32],
        progress: &mut dyn FnMut(usize, usize),
    ) -> PitchPosteriors {
        self.unwrap_windows(samples, None, progress)
    }

    /// [`Self::posteriors`] and the contour posterior beside them, `[frames][264]`, for pitch
    /// bends ([`pitch_bends`]).
    pub fn posteriors_and_contour(
        &self,
        samples: &[f32],
        progress: &mut dyn FnMut(usize, usize),
    ) -> (PitchPosteriors, Vec<f32>) {
        let mut contour = Vec::new();
        let posteriors = self.unwrap_windows(samples, Some(&mut contour), progress);
        (posteriors, contour)
    }

    fn unwrap_windows(
        &self,
        samples: &[f32],
        mut contour: Option<&mut Vec<f32>>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> PitchPosteriors {
        let frames = samples.len().div_ceil(FRAME_HOP_SAMPLES);
        let windows = frames.div_ceil(KEPT_FRAMES).max(1);
        let mut out = PitchPosteriors::default();
        let mut batch = Vec::with_capacity(BATCH_WINDOWS * WINDOW_SAMPLES);
        let mut window = Vec::with_capacity(WINDOW_SAMPLES);
        let kept = EDGE_FRAMES * PITCH_COUNT..(EDGE_FRAMES + KEPT_FRAMES) * PITCH_COUNT;
        for first in (0..windows).step_by(BATCH_WINDOWS) {
            batch.clear();
            let count = BATCH_WINDOWS.min(windows - first);
            for w in first..first + count {
                window_at(
                    samples,
                    (w * KEPT_FRAMES) as isize - EDGE_FRAMES as isize,
                    &mut window,
                );
                batch.extend_from_slice(&window);
            }
            for posteriors in self.network.run(&batch) {
                out.extend(
                    &posteriors.note[kept.clone()],
                    &posteriors.onset[kept.clone()],
                );
                if let Some(contour) = contour.as_deref_mut() {
                    contour.extend_from_slice(
                        &posteriors.contour[EDGE_FRAMES * CONTOUR_BINS
                            ..(EDGE_FRAMES + KEPT_FRAMES) * CONTOUR_BINS],
                    );
                }
            }
            progress(first + count, windows);
        }
        out.truncate(frames);
        if let Some(contour) = contour {
            contour.truncate(frames * CONTOUR_BINS);
        }
        out
    }
}

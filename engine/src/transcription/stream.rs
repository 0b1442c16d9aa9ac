//! basic-pitch on an endless stream: every [`LIVE_HOP_FRAMES`] network frames it runs the
//! network on the newest 2 s of audio and hands out the frames that now have
//! [`EDGE_FRAMES`] frames of right context, the context a file's windows give their
//! interior. A file's windows sit elsewhere, so the two differ a little near each window's
//! normalisation (the network rescales the log-CQT of each window by its own range).

use crate::classes::PITCH_COUNT;
use crate::input::resample::{ResampleError, StreamResampler};
use crate::networks::basic_pitch::{
    BasicPitch, FRAME_HOP_SAMPLES, SAMPLE_RATE, WINDOW_FRAMES, WINDOW_SAMPLES,
};

use super::posteriors::PitchPosteriors;
use super::{EDGE_FRAMES, window_at};

/// Network frames handed out per run live (0.5 s): a whole 2 s window costs about 25 ms
/// on one core, so running it every 0.5 s keeps the network near 5 % of a core.
pub const LIVE_HOP_FRAMES: usize = 43;
/// Runs at most per push; a stream further behind skips ahead (a stall never snowballs).
const MAX_CATCH_UP_RUNS: usize = 4;

/// Streaming basic-pitch state.
pub struct TranscriptionStream {
    network: BasicPitch,
    resampler: StreamResampler,
    resampled: Vec<f32>,
    /// 22 050 Hz audio from stream sample `audio_origin` on.
    audio: Vec<f32>,
    audio_origin: usize,
    window: Vec<f32>,
    /// The next network frame to hand out.
    next_frame: usize,
}

impl TranscriptionStream {
    /// A stream of `input_rate` Hz mono audio.
    pub fn new(network: BasicPitch, input_rate: u32) -> Result<Self, ResampleError> {
        Ok(Self {
            network,
            resampler: StreamResampler::between(input_rate, SAMPLE_RATE)?,
            resampled: Vec::new(),
            audio: Vec::new(),
            audio_origin: 0,
            window: Vec::with_capacity(WINDOW_SAMPLES),
            next_frame: 0,
        })
    }

    /// Runs the network from now on (a device switch).
    pub fn set_network(&mut self, network: BasicPitch) {
        self.network = network;
    }

    /// The first frame of the window that hands out frames `[first, first + hop)`.
    fn window_first_frame(first: usize) -> isize {
        (first + LIVE_HOP_FRAMES + EDGE_FRAMES) as isize - WINDOW_FRAMES as isize
    }

    /// Feeds cleaned input samples; appends the frames that became ready to `out`.
    pub fn push(&mut self, samples: &[f32], out: &mut PitchPosteriors) {
        self.resampled.clear();
        self.resampler.push(samples, &mut self.resampled);
        self.audio.extend_from_slice(&self.resampled);
        let audio_end = self.audio_origin + self.audio.len();
        let window_end = |first: usize| {
            (Self::window_first_frame(first) * FRAME_HOP_SAMPLES as isize) + WINDOW_SAMPLES as isize
        };
        let ready = (0..)
            .take_while(|&k| {
                window_end(self.next_frame + k * LIVE_HOP_FRAMES) <= audio_end as isize
            })
            .count();
        if ready > MAX_CATCH_UP_RUNS {
            // Skipped frames read as silence, so frame indices stay stream frames.
            let skipped = (ready - MAX_CATCH_UP_RUNS) * LIVE_HOP_FRAMES;
            let zeros = vec![0.0; skipped * PITCH_COUNT];
            out.extend(&zeros, &zeros);
            self.next_frame += skipped;
        }
        let hop = (WINDOW_FRAMES - EDGE_FRAMES - LIVE_HOP_FRAMES) * PITCH_COUNT
            ..(WINDOW_FRAMES - EDGE_FRAMES) * PITCH_COUNT;
        while window_end(self.next_frame) <= audio_end as isize {
            // The audio kept starts on a frame (see below), so the window is found on its grid.
            let origin_frame = (self.audio_origin / FRAME_HOP_SAMPLES) as isize;
            window_at(
                &self.audio,
                Self::window_first_frame(self.next_frame) - origin_frame,
                &mut self.window,
            );
            let posteriors = self.network.run(&self.window).remove(0);
            out.extend(
                &posteriors.note[hop.clone()],
                &posteriors.onset[hop.clone()],
            );
            self.next_frame += LIVE_HOP_FRAMES;
        }
        // Keep only the audio the next window needs (from a frame boundary on).
        let keep_from = (Self::window_first_frame(self.next_frame) * FRAME_HOP_SAMPLES as isize)
            .max(0) as usize;
        if keep_from > self.audio_origin {
            let drop = (keep_from - self.audio_origin).min(self.audio.len());
            self.audio.drain(..drop);
            self.audio_origin += drop;
        }
    }
}

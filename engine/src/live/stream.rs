//! Live analysis of an endless stream at any sample rate: the same resampler, front-end,
//! model, stitching, identity carry and note tracker as a file, run window by window every
//! hop, handing out each frame once it has its full-weight prediction (see [`SETTLE_FRAMES`]).

use std::time::{Duration, Instant};

use crate::analysis::Analyzer;
use crate::classes::PITCH_COUNT;
use crate::compute::ComputeDevice;
use crate::features::FeatureStream;
use crate::input::resample::{ResampleError, StreamResampler};
use crate::timeline::carry::IdentityCarry;
use crate::timeline::notes::{NoteEvent, NoteTracker, NoteTrackerConfig};
use crate::timeline::{FrameTimeline, SETTLE_FRAMES, WINDOW_FRAMES};

/// Windows run in one go at most; a stream further behind skips ahead instead, so a stall
/// (a GPU hiccup, a suspended machine) never makes the analysis fall further behind.
const MAX_CATCH_UP_WINDOWS: usize = 8;
/// Largest absolute sample value passed on; anything beyond (or not finite) is hostile input.
const SAMPLE_LIMIT: f32 = 4.0;

/// A hop every frame of which some window covers at full weight before it is handed out.
fn usable_hop(hop_frames: usize) -> usize {
    hop_frames.clamp(1, WINDOW_FRAMES - SETTLE_FRAMES)
}

/// What one [`LiveAnalyzer::push`] produced; reused between pushes.
#[derive(Debug, Clone, Default)]
pub struct LiveOutput {
    /// Stream frame index of the first row of `instrument`.
    pub first_frame: usize,
    /// Settled frames handed out, `[frames][classes]`.
    pub instrument: Vec<f32>,
    /// Note starts and ends found in those frames.
    pub events: Vec<NoteEvent>,
    /// Clip scores of the newest window, when a window ran.
    pub clip: Option<Vec<f32>>,
    /// Windows the model ran on.
    pub windows: usize,
    /// Time the model took for them.
    pub inference: Duration,
}

impl LiveOutput {
    fn clear(&mut self) {
        self.instrument.clear();
        self.events.clear();
        self.clip = None;
        self.windows = 0;
        self.inference = Duration::ZERO;
    }
}

/// Streaming analysis state. Internally the stream starts with one window of silence, so the
/// first window runs after a single hop instead of after a full second.
pub struct LiveAnalyzer {
    analyzer: Analyzer,
    input_rate: u32,
    resampler: StreamResampler,
    features: FeatureStream,
    /// Input with hostile values neutralised, reused between pushes.
    clean: Vec<f32>,
    resampled: Vec<f32>,
    /// Feature frames from internal frame `frames_origin` on.
    frames: Vec<f32>,
    frames_origin: usize,
    timeline: FrameTimeline,
    carry: IdentityCarry,
    tracker: NoteTracker,
    notes: NoteTrackerConfig,
    next_window_end: usize,
    hop_frames: usize,
}

impl LiveAnalyzer {
    /// A stream of `input_rate` Hz mono audio analysed by `analyzer` every `hop_frames` frames.
    pub fn new(
        analyzer: Analyzer,
        input_rate: u32,
        hop_frames: usize,
        notes: NoteTrackerConfig,
    ) -> Result<Self, ResampleError> {
        let classes = analyzer.model().sidecar.classes.clone();
        let features = FeatureStream::new(&analyzer.model().sidecar.features);
        let silent = features.analyzer().silent_frame();
        let mut timeline = FrameTimeline::new(classes.clone());
        timeline.take_frames_before(WINDOW_FRAMES);
        let hop_frames = usable_hop(hop_frames);
        Ok(Self {
            resampler: StreamResampler::new(input_rate)?,
            input_rate,
            features,
            clean: Vec::new(),
            resampled: Vec::new(),
            frames: silent.repeat(WINDOW_FRAMES),
            frames_origin: 0,
            timeline,
            carry: IdentityCarry::new(&classes, notes.off_threshold),
            tracker: NoteTracker::new(&classes, notes),
            notes,
            next_window_end: WINDOW_FRAMES + hop_frames,
            hop_frames,
            analyzer,
        })
    }

    /// The analyser (model and device) in use.
    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// The sample rate the stream arrives at.
    pub fn input_rate(&self) -> u32 {
        self.input_rate
    }

    /// Moves the model to another device (a backend switch or a GPU fallback); the stream
    /// continues where it was.
    pub fn set_compute(&mut self, compute: ComputeDevice) {
        let model = self.analyzer.model().clone();
        self.analyzer = Analyzer::new(model, compute, self.hop_frames);
    }

    /// Changes the hop between windows from the next window on.
    pub fn set_hop_frames(&mut self, hop_frames: usize) {
        self.hop_frames = usable_hop(hop_frames);
    }

    /// Changes the note thresholds from the next frame on.
    pub fn set_note_config(&mut self, notes: NoteTrackerConfig) {
        if notes != self.notes {
            self.notes = notes;
            self.tracker.set_config(notes);
            self.carry.set_sounding_threshold(notes.off_threshold);
        }
    }

    /// Starts the stream over (a transport restart): open notes end, frames count from 0.
    pub fn restart(&mut self, out: &mut Vec<NoteEvent>) -> Result<(), ResampleError> {
        self.restart_at(self.input_rate, out)
    }

    /// Starts a new stream at `input_rate` (a host re-activating at another rate) with the
    /// same model and device: open notes end, frames count from 0. On an unusable rate the
    /// old stream stays as it was.
    pub fn restart_at(
        &mut self,
        input_rate: u32,
        out: &mut Vec<NoteEvent>,
    ) -> Result<(), ResampleError> {
        let analyzer = Analyzer::new(
            self.analyzer.model().clone(),
            self.analyzer.compute().clone(),
            self.hop_frames,
        );
        let fresh = Self::new(analyzer, input_rate, self.hop_frames, self.notes)?;
        self.tracker.finish(out);
        *self = fresh;
        Ok(())
    }

    /// Runs the model once on a silent window: the first inference on a GPU compiles its
    /// shaders, which should not happen while music plays.
    pub fn warm_up(&self) {
        let window = self
            .features
            .analyzer()
            .silent_frame()
            .repeat(WINDOW_FRAMES);
        self.analyzer.predict_windows(&window);
    }

    /// Stream seconds before which no later push reports a note event (see
    /// [`NoteTracker::settled_seconds`]).
    pub fn settled_seconds(&self) -> f64 {
        self.tracker.settled_seconds()
    }

    /// Feeds mono samples at the input rate; `out` receives what became ready.
    pub fn push(&mut self, samples: &[f32], out: &mut LiveOutput) {
        out.clear();
        self.clean.clear();
        // Not finite, or denormal (which costs the FFTs dearly and is silence anyway): zero.
        self.clean.extend(samples.iter().map(|&s| {
            if s.is_normal() {
                s.clamp(-SAMPLE_LIMIT, SAMPLE_LIMIT)
            } else {
                0.0
            }
        }));
        self.resampled.clear();
        self.resampler.push(&self.clean, &mut self.resampled);
        self.features.push(&self.resampled, &mut self.frames);
        self.run_ready_windows(out);
    }

    fn frames_available(&self) -> usize {
        self.frames_origin + self.frames.len() / self.features.frame_len()
    }

    fn run_ready_windows(&mut self, out: &mut LiveOutput) {
        let available = self.frames_available();
        if available < self.next_window_end {
            return;
        }
        let ready = (available - self.next_window_end) / self.hop_frames + 1;
        if ready > MAX_CATCH_UP_WINDOWS {
            self.next_window_end += (ready - MAX_CATCH_UP_WINDOWS) * self.hop_frames;
        }
        let len = self.features.frame_len();
        let mut ends = Vec::new();
        let mut windows = Vec::new();
        while self.next_window_end <= available {
            let start = self.next_window_end - WINDOW_FRAMES - self.frames_origin;
            windows.extend_from_slice(&self.frames[start * len..(start + WINDOW_FRAMES) * len]);
            ends.push(self.next_window_end);
            self.next_window_end += self.hop_frames;
        }
        // One window per model call: a fixed input shape, so a GPU compiles its kernels once
        // instead of once per catch-up batch size.
        let began = Instant::now();
        let predictions: Vec<_> = windows
            .chunks_exact(WINDOW_FRAMES * len)
            .flat_map(|window| self.analyzer.predict_windows(window))
            .collect();
        out.inference = began.elapsed();
        out.windows = ends.len();
        for (&end, prediction) in ends.iter().zip(&predictions) {
            self.timeline.add_window(end - WINDOW_FRAMES, prediction);
        }
        out.clip = predictions.last().map(|p| p.clip.clone());
        let last_end = *ends.last().expect("at least one window ran");
        let first_internal = self.timeline.origin();
        let mut settled = self.timeline.take_frames_before(last_end - SETTLE_FRAMES);
        self.carry.apply(&mut settled);
        out.first_frame = first_internal - WINDOW_FRAMES;
        out.instrument.extend_from_slice(&settled.instrument);
        let roll = settled.classes.len() * PITCH_COUNT;
        for frame in settled.pianoroll.chunks_exact(roll) {
            self.tracker.push_frame(frame, &mut out.events);
        }
        // Keep only the frames the next window needs.
        let keep_from = self.next_window_end.saturating_sub(WINDOW_FRAMES);
        if keep_from > self.frames_origin {
            let drop = (keep_from - self.frames_origin).min(self.frames.len() / len);
            self.frames.drain(..drop * len);
            self.frames_origin += drop;
        }
    }
}

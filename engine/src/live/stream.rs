//! Live analysis of an endless stream at any sample rate: the same resampler, front-end,
//! model, stitching, identity carry and note creation as a file, run window by window every
//! hop, handing out each frame once it has its full-weight prediction (see [`SETTLE_FRAMES`]).
//! basic-pitch's stream ([`TranscriptionStream`]) runs beside the model's, and a frame's notes
//! are made once both have handed it out.

use std::time::{Duration, Instant};

use crate::analysis::Analyzer;
use crate::classes::PITCH_COUNT;
use crate::compute::ComputeDevice;
use crate::features::FeatureStream;
use crate::input::resample::{ResampleError, StreamResampler};
use crate::networks::basic_pitch::WINDOW_SAMPLES;
use crate::timeline::carry::{IdentityCarry, sounding_threshold_at};
use crate::timeline::notes::NoteEvent;
use crate::timeline::{FramePredictions, FrameTimeline, SETTLE_FRAMES, WINDOW_FRAMES};
use crate::transcription::instruments::relabel_pianoroll;
use crate::transcription::live_notes::LiveNoteMaker;
use crate::transcription::note_creation::NoteCreationConfig;
use crate::transcription::posteriors::{PitchPosteriors, network_position};
use crate::transcription::stream::TranscriptionStream;

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
    /// Stream frame index of the first row of `pitch`.
    pub pitch_first_frame: usize,
    /// Pitch activity of the frames whose notes were made in this push, `[frames][88]`
    /// (these trail `instrument` by basic-pitch's own latency).
    pub pitch: Vec<f32>,
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
        self.pitch.clear();
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
    threshold: f32,
    next_window_end: usize,
    hop_frames: usize,
    transcription: Transcription,
}

/// basic-pitch's stream and the model's settled frames waiting for it.
struct Transcription {
    stream: TranscriptionStream,
    /// Network frames from `posteriors_origin` on.
    posteriors: PitchPosteriors,
    posteriors_origin: usize,
    /// Settled model frames whose notes are not made yet, rows of `[classes]` instrument then
    /// `[classes][88]` pianoroll, from stream frame `pending_first` on.
    pending: Vec<f32>,
    pending_first: usize,
    notes: LiveNoteMaker,
}

impl LiveAnalyzer {
    /// A stream of `input_rate` Hz mono audio analysed by `analyzer` every `hop_frames` frames,
    /// its identity carry and note creation set for the decision threshold `threshold` (the
    /// defaults at [`crate::timeline::HEARD_THRESHOLD`]).
    pub fn new(
        analyzer: Analyzer,
        input_rate: u32,
        hop_frames: usize,
        threshold: f32,
    ) -> Result<Self, ResampleError> {
        let classes = analyzer.model().sidecar.classes.clone();
        let features = FeatureStream::new(&analyzer.model().sidecar.features);
        let silent = features.analyzer().silent_frame();
        let mut timeline = FrameTimeline::new(classes.clone());
        timeline.take_frames_before(WINDOW_FRAMES);
        let hop_frames = usable_hop(hop_frames);
        let transcription = Transcription {
            stream: TranscriptionStream::new(analyzer.transcriber().network().clone(), input_rate)?,
            posteriors: PitchPosteriors::default(),
            posteriors_origin: 0,
            pending: Vec::new(),
            pending_first: 0,
            notes: LiveNoteMaker::new(&classes, &NoteCreationConfig::at_threshold(threshold)),
        };
        Ok(Self {
            transcription,
            resampler: StreamResampler::new(input_rate)?,
            input_rate,
            features,
            clean: Vec::new(),
            resampled: Vec::new(),
            frames: silent.repeat(WINDOW_FRAMES),
            frames_origin: 0,
            timeline,
            carry: IdentityCarry::new(&classes, sounding_threshold_at(threshold)),
            threshold,
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
        self.transcription
            .stream
            .set_network(self.analyzer.transcriber().network().clone());
    }

    /// Changes the hop between windows from the next window on.
    pub fn set_hop_frames(&mut self, hop_frames: usize) {
        self.hop_frames = usable_hop(hop_frames);
    }

    /// Changes the decision threshold the identity carry and note creation follow, from the
    /// next frame on (the live threshold control).
    pub fn set_threshold(&mut self, threshold: f32) {
        if threshold != self.threshold {
            self.threshold = threshold;
            self.carry
                .set_sounding_threshold(sounding_threshold_at(threshold));
            self.transcription
                .notes
                .set_thresholds(&NoteCreationConfig::at_threshold(threshold));
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
        let fresh = Self::new(
            self.analyzer.clone(),
            input_rate,
            self.hop_frames,
            self.threshold,
        )?;
        self.transcription.notes.finish(out);
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
        self.analyzer
            .transcriber()
            .network()
            .run(&vec![0.0; WINDOW_SAMPLES]);
    }

    /// Stream seconds before which no later push reports a note event (see
    /// [`LiveNoteMaker::settled_seconds`]).
    pub fn settled_seconds(&self) -> f64 {
        self.transcription.notes.settled_seconds()
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
        let began = Instant::now();
        let transcription = &mut self.transcription;
        transcription
            .stream
            .push(&self.clean, &mut transcription.posteriors);
        let transcribing = began.elapsed();
        self.run_ready_windows(out);
        out.inference += transcribing;
        self.make_transcribed_notes(out);
    }

    /// Makes the notes of the settled frames basic-pitch has also handed out.
    fn make_transcribed_notes(&mut self, out: &mut LiveOutput) {
        let classes = &self.analyzer.model().sidecar.classes;
        let t = &mut self.transcription;
        let c = classes.len();
        let row = c + c * PITCH_COUNT;
        let available = t.posteriors_origin + t.posteriors.frames();
        let waiting = t.pending.len() / row;
        let ready = (0..waiting)
            .take_while(|&n| (network_position(t.pending_first + n).ceil() as usize) < available)
            .count();
        if ready == 0 {
            return;
        }
        let mut chunk = FramePredictions {
            classes: classes.clone(),
            frames: ready,
            instrument: Vec::with_capacity(ready * c),
            pitch: vec![0.0; ready * PITCH_COUNT],
            pianoroll: Vec::with_capacity(ready * c * PITCH_COUNT),
            clip: Vec::new(),
        };
        for frame in t.pending[..ready * row].chunks_exact(row) {
            chunk.instrument.extend_from_slice(&frame[..c]);
            chunk.pianoroll.extend_from_slice(&frame[c..]);
        }
        let mut sounding = vec![0.0; ready * PITCH_COUNT];
        let mut onsets = vec![0.0; ready * PITCH_COUNT];
        for (n, (keys, starts)) in sounding
            .chunks_exact_mut(PITCH_COUNT)
            .zip(onsets.chunks_exact_mut(PITCH_COUNT))
            .enumerate()
        {
            let position = network_position(t.pending_first + n) - t.posteriors_origin as f64;
            t.posteriors.note_at(position, keys);
            t.posteriors.onset_at(position, starts);
        }
        relabel_pianoroll(&mut chunk, &sounding);
        for ((keys, starts), roll) in sounding
            .chunks_exact(PITCH_COUNT)
            .zip(onsets.chunks_exact(PITCH_COUNT))
            .zip(chunk.pianoroll.chunks_exact(c * PITCH_COUNT))
        {
            t.notes.push_frame(keys, starts, roll, &mut out.events);
        }
        out.pitch_first_frame = t.pending_first;
        out.pitch.extend_from_slice(&chunk.pitch);
        t.pending.drain(..ready * row);
        t.pending_first += ready;
        // The next frame to map needs network frames from just below its position on.
        let needed = network_position(t.pending_first).floor() as usize;
        if needed > t.posteriors_origin {
            t.posteriors.drop_front(needed - t.posteriors_origin);
            t.posteriors_origin = needed;
        }
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
        let c = settled.classes.len();
        let t = &mut self.transcription;
        for (instrument, roll) in settled
            .instrument
            .chunks_exact(c)
            .zip(settled.pianoroll.chunks_exact(c * PITCH_COUNT))
        {
            t.pending.extend_from_slice(instrument);
            t.pending.extend_from_slice(roll);
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

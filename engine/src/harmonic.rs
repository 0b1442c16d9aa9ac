//! The harmonic branch: pitch-equivariant evidence for every semitone of the pianoroll.
//!
//! The encoder of [`crate::model`] reads a whole feature frame through one linear map, so it
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

/// `conv` (a `[out, in, taps, kw]` kernel over time, dilated by `dilation` and padded to keep
/// the length) applied to
/// time-major, channels-last `x`, `[time, batch, semitones, kw × in]` (a semitone's `kw` bins
/// side by side), giving `[time, batch, semitones, out]`. Each tap is one matrix product over
/// a contiguous slice of the time-padded input, several times cheaper on the CPU than burn's
/// direct convolution over the same data.
fn conv_over_time(conv: &Conv2d, x: Tensor<4>, dilation: usize) -> Tensor<4> {
    let [time, batch, semitones, inputs] = x.dims();
    let [out, _, taps, _] = conv.weight.dims();
    let rows = time * batch * semitones;
    let weight = conv
        .weight
        .val()
        .permute([2, 3, 1, 0])
        .reshape([taps, inputs, out]);
    let pad = dilation * (taps / 2);
    let zeros = Tensor::zeros([pad, batch, semitones, inputs], &x.device());
    let padded = Tensor::cat(vec![zeros.clone(), x, zeros], 0);
    let mut y = (0..taps)
        .map(|k| {
            padded
                .clone()
                .narrow(0, k * dilation, time)
                .reshape([rows, inputs])
                .matmul(weight.clone().narrow(0, k, 1).reshape([inputs, out]))
        })
        .reduce(|a, b| a + b)
        .expect("a kernel has taps");
    if let Some(bias) = &conv.bias {
        y = y + bias.val().unsqueeze_dim(0);
    }
    y.reshape([time, batch, semitones, out])
}

/// A pointwise `conv` (`[out, in, 1, 1]`) over the last axis of channels-last `x`.
fn pointwise(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    conv_over_time(conv, x, 0)
}

/// `norm` over the last axis of a channels-last tensor.
fn norm_last(norm: &BatchNorm, x: Tensor<4>) -> Tensor<4> {
    let dims = x.dims();
    norm.forward(x.reshape([dims[0] * dims[1] * dims[2], dims[3]]))
        .reshape(dims)
}

impl HarmonicBranch {
    /// Offset in bins of harmonic `h` above a fundamental.
    fn offset(&self, h: f64) -> isize {
        (12.0 * self.bins_per_semitone as f64 * h.log2()).round() as isize
    }

    /// Pitch bank `[batch, time, bins]` (or time-major, `[time, batch, bins]`) → the same two
    /// axes, then `[88 × bins_per_semitone, harmonics]`: channel `i` at bin `f` holds the bank at `f` shifted by harmonic `i`'s offset, with
    /// silence beyond the bank's edges. Public so that tests can check on real notes that each
    /// partial lands on its fundamental.
    pub fn harmonic_stack(&self, bank: Tensor<3>) -> Tensor<4> {
        let [batch, time, bins] = bank.dims();
        let width = PITCH_COUNT * self.bins_per_semitone;
        let below = (-self.offset(HARMONICS[0])).max(0) as usize;
        let above = (width as isize + self.offset(HARMONICS[HARMONICS.len() - 1]))
            .saturating_sub(bins as isize)
            .max(0) as usize;
        let device = bank.device();
        let silence = |n: usize| Tensor::full([batch, time, n], silent_log_level(), &device);
        let padded = Tensor::cat(vec![silence(below), bank, silence(above)], 2);
        let channels = HARMONICS
            .iter()
            .map(|&h| {
                let start = (below as isize + self.offset(h)) as usize;
                padded.clone().narrow(2, start, width).unsqueeze_dim::<4>(3)
            })
            .collect();
        Tensor::cat(channels, 3)
    }

    /// Per-semitone logits from feature frames `[batch, time, input_features]`. Everything runs
    /// time-major and channels-last, `[time, batch, 88, channels]`, with the convolutions as
    /// matrix products over their stored kernels (see [`conv_over_time`]).
    pub fn forward(&self, features: Tensor<3>) -> HarmonicLogits {
        let [batch, time, _] = features.dims();
        let bank = features
            .narrow(2, self.pitch_offset, self.pitch_bins)
            .swap_dims(0, 1);
        let stack = norm_last(&self.stack_norm, self.harmonic_stack(bank));
        let per_semitone = self.bins_per_semitone * HARMONICS.len();
        let stack = stack.reshape([time, batch, PITCH_COUNT, per_semitone]);
        let x = conv_over_time(&self.semitone_conv, stack, 1);
        let mut x = relu(norm_last(&self.semitone_norm, x));
        for (block, &dilation) in self.blocks.iter().zip(&TIME_DILATIONS) {
            let y = conv_over_time(&block.conv, x.clone(), dilation);
            x = x + relu(norm_last(&block.norm, y));
        }
        // [time, batch, 88, …] → the heads' [batch, time, …] layouts.
        let pianoroll = pointwise(&self.pianoroll_head, x.clone()).permute([1, 0, 3, 2]);
        let pitch = pointwise(&self.pitch_head, x.clone())
            .reshape([time, batch, PITCH_COUNT])
            .swap_dims(0, 1);
        let classes = pianoroll.dims()[2];
        let instrument = pointwise(&self.instrument_head, x)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::ComputeDevice;
    use burn::tensor::Distribution;

    /// `conv_over_time` against burn's own convolution on the same kernel and input, in the
    /// two shapes the branch uses: a semitone's bins read at once, and a dilated time kernel.
    #[test]
    fn the_matrix_product_form_equals_the_convolution() {
        let device = ComputeDevice::cpu().device;
        let (batch, time, semitones, inputs, outputs) = (2, 9, 5, 4, 6);
        for (bins, dilation) in [(3, 1), (1, 2), (1, 4)] {
            let conv = Conv2dConfig::new([inputs, outputs], [3, bins])
                .with_stride([1, bins])
                .with_dilation([dilation, 1])
                .with_padding(PaddingConfig2d::Explicit(dilation, 0, dilation, 0))
                .init(&device);
            let x: Tensor<4> = Tensor::random(
                [batch, inputs, time, semitones * bins],
                Distribution::Normal(0.0, 1.0),
                &device,
            );
            let expected = conv.forward(x.clone());
            let channels_last =
                x.permute([2, 0, 3, 1])
                    .reshape([time, batch, semitones, bins * inputs]);
            let got = conv_over_time(&conv, channels_last, dilation).permute([1, 3, 0, 2]);
            assert_eq!(got.dims(), expected.dims());
            let error: f32 = (got - expected).abs().max().into_scalar();
            assert!(
                error < 1e-4,
                "bins {bins}, dilation {dilation}: off by {error}"
            );
        }
    }
}

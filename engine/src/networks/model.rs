//! The multitask recognition network (after Hung, Chen & Yang, ISMIR 2019): one shared
//! temporal CNN over feature frames, with per-frame heads for instrument activity, pitch
//! activity and the instrument × pitch pianoroll, and attention pooling over time for clip
//! scores (Gururani et al.). The 100 frames/s time axis is kept end to end.

use burn::module::Module;
use burn::nn::conv::{Conv1d, Conv1dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig1d};
use burn::prelude::*;
use burn::tensor::activation::{relu, sigmoid, softmax};

use crate::classes::PITCH_COUNT;
use crate::networks::harmonic::{HarmonicBranch, HarmonicConfig};
use crate::networks::time_conv::{TimeKernel, norm_last};

/// Shape of the network; stored in the model sidecar so a record loads into the right shape.
#[derive(Config, Debug, PartialEq)]
pub struct ModelConfig {
    /// Values per input feature frame (mel bands + pitch bins).
    pub input_features: usize,
    /// Number of instrument classes.
    pub classes: usize,
    /// Channels of the shared encoder.
    #[config(default = 192)]
    pub hidden: usize,
    /// Time dilation of each residual block; their sum sets the temporal context.
    #[config(default = "vec![1, 2, 4, 8]")]
    pub dilations: Vec<usize>,
    /// The pitch-equivariant branch, when the network has one (models before it do not).
    pub harmonic: Option<HarmonicConfig>,
    /// Outputs of a per-frame head that names the General MIDI programme, when the network
    /// has one: a training target finer than the class, so that a class whose programmes
    /// sound nothing alike (grand piano, harpsichord, clavinet) is learnt as the union of
    /// sounds it is. Analysis never reads it.
    pub programmes: Option<usize>,
}

/// A residual dilated convolution over time.
#[derive(Module, Debug)]
struct TemporalBlock {
    conv: Conv1d,
    norm: BatchNorm,
}

/// Gain of the normalisation of a block added to a trained network: small enough that the
/// network first computes almost what it did, large enough that the block learns within a
/// short run (at zero gain every ReLU input would be 0 and it would never learn; at 0.01 the
/// default model grown by two blocks followed the ungrown run's training loss to four digits
/// for 1000 steps).
const ADDED_BLOCK_GAIN: f32 = 0.1;

impl TemporalBlock {
    fn new(hidden: usize, dilation: usize, device: &Device) -> Self {
        Self {
            conv: Conv1dConfig::new(hidden, hidden, 3)
                .with_dilation(dilation)
                // Burn's `Same` ignores dilation; a 3-tap kernel dilated by d needs d per side.
                .with_padding(PaddingConfig1d::Explicit(dilation, dilation))
                .init(device),
            norm: BatchNormConfig::new(hidden).init(device),
        }
    }

    /// `[time, batch, hidden]` → `[time, batch, hidden]`.
    fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let kernel = TimeKernel::of_conv1d(&self.conv);
        let y = kernel.apply_then_norm(&self.norm, x.clone());
        x + relu(y)
    }
}

/// The network. Its inputs are feature frames, its outputs logits (see [`ModelLogits`]).
#[derive(Module, Debug)]
pub struct TimbreNet {
    input_norm: BatchNorm,
    input_conv: Conv1d,
    input_conv_norm: BatchNorm,
    blocks: Vec<TemporalBlock>,
    instrument_head: Conv1d,
    pitch_head: Conv1d,
    pianoroll_head: Conv1d,
    attention_head: Conv1d,
    harmonic: Option<HarmonicBranch>,
    programme_head: Option<Conv1d>,
}

/// Raw head outputs, for the training loss (which wants logits for numerical stability).
#[derive(Debug, Clone)]
pub struct ModelLogits {
    /// `[batch, time, classes]`.
    pub instrument: Tensor<3>,
    /// `[batch, time, 88]`.
    pub pitch: Tensor<3>,
    /// `[batch, time, classes, 88]`.
    pub pianoroll: Tensor<4>,
    /// Attention-pooled clip probabilities, `[batch, classes]` (already in [0, 1]).
    pub clip: Tensor<2>,
}

/// Probabilities in [0, 1], the model contract of docs/ARCHITECTURE.md.
#[derive(Debug, Clone)]
pub struct ModelProbabilities {
    /// `[batch, time, classes]`.
    pub instrument: Tensor<3>,
    /// `[batch, time, 88]`.
    pub pitch: Tensor<3>,
    /// `[batch, time, classes, 88]`.
    pub pianoroll: Tensor<4>,
    /// `[batch, classes]`.
    pub clip: Tensor<2>,
}

impl ModelConfig {
    /// Builds a freshly initialised network on `device`.
    pub fn init(&self, device: &Device) -> TimbreNet {
        let h = self.hidden;
        let pointwise = |out: usize| Conv1dConfig::new(h, out, 1).init(device);
        TimbreNet {
            input_norm: BatchNormConfig::new(self.input_features).init(device),
            input_conv: Conv1dConfig::new(self.input_features, h, 3)
                .with_padding(PaddingConfig1d::Same)
                .init(device),
            input_conv_norm: BatchNormConfig::new(h).init(device),
            blocks: self
                .dilations
                .iter()
                .map(|&d| TemporalBlock::new(h, d, device))
                .collect(),
            instrument_head: pointwise(self.classes),
            pitch_head: pointwise(PITCH_COUNT),
            pianoroll_head: pointwise(self.classes * PITCH_COUNT),
            attention_head: pointwise(self.classes),
            harmonic: self.harmonic.as_ref().map(|h| h.init(self.classes, device)),
            programme_head: self.programmes.map(pointwise),
        }
    }
}

impl TimbreNet {
    /// Encoder and heads. `features`: `[batch, time, input_features]`. The encoder runs
    /// time-major, `[time, batch, channels]`, its convolutions as matrix products (see
    /// [`crate::networks::time_conv`]).
    pub fn forward_logits(&self, features: Tensor<3>) -> ModelLogits {
        self.logits_and_encoding(features).0
    }

    /// [`Self::forward_logits`] and, for a network with a programme head, its per-frame
    /// programme logits `[batch, time, programmes]`: what training fits.
    pub fn forward_training_logits(&self, features: Tensor<3>) -> (ModelLogits, Option<Tensor<3>>) {
        let (logits, encoding) = self.logits_and_encoding(features);
        let programmes = self
            .programme_head
            .as_ref()
            .map(|conv| TimeKernel::of_conv1d(conv).apply(encoding).swap_dims(0, 1));
        (logits, programmes)
    }

    /// The heads' logits and the encoder's output, time-major `[time, batch, hidden]`.
    fn logits_and_encoding(&self, features: Tensor<3>) -> (ModelLogits, Tensor<3>) {
        let [batch, time, _] = features.dims();
        let harmonic = self.harmonic.as_ref().map(|h| h.forward(features.clone()));
        let x = norm_last(&self.input_norm, features.swap_dims(0, 1));
        let mut x =
            relu(TimeKernel::of_conv1d(&self.input_conv).apply_then_norm(&self.input_conv_norm, x));
        for block in &self.blocks {
            x = block.forward(x);
        }
        let head = |conv: &Conv1d| TimeKernel::of_conv1d(conv).apply(x.clone()).swap_dims(0, 1);
        let mut instrument = head(&self.instrument_head);
        let mut pitch = head(&self.pitch_head);
        let classes = instrument.dims()[2];
        let mut pianoroll = head(&self.pianoroll_head).reshape([batch, time, classes, PITCH_COUNT]);
        if let Some(h) = harmonic {
            instrument = instrument + h.instrument;
            pitch = pitch + h.pitch;
            pianoroll = pianoroll + h.pianoroll;
        }
        // Attention normalised over time weights each frame's class probability.
        let attention = softmax(head(&self.attention_head), 1);
        let clip = (attention * sigmoid(instrument.clone()))
            .sum_dim(1)
            .reshape([batch, classes]);
        let logits = ModelLogits {
            instrument,
            pitch,
            pianoroll,
            clip,
        };
        (logits, x)
    }

    /// The network with every instrument logit moved by `shift`. A calibration picks the
    /// operating point on sounds the network was not trained on and bakes it into the head's
    /// bias, so every reader (plugin, CLI, eval) keeps the one 0.5 threshold.
    pub fn with_instrument_logits_shifted(mut self, shift: f32) -> Self {
        self.instrument_head.bias = self
            .instrument_head
            .bias
            .map(|bias| bias.map(|b| b.add_scalar(shift)));
        self
    }

    /// The network with residual blocks of `dilations` appended to its encoder, each starting
    /// close to the identity, so that a trained model can gain temporal context and go on from
    /// what it knows instead of starting over.
    pub fn deepened(mut self, dilations: &[usize], device: &Device) -> Self {
        let hidden = self.hidden();
        self.blocks.extend(dilations.iter().map(|&d| {
            let mut block = TemporalBlock::new(hidden, d, device);
            // Detached, so that the scaled gain is a trainable leaf rather than a product.
            block.norm.gamma = block
                .norm
                .gamma
                .map(|g| g.mul_scalar(ADDED_BLOCK_GAIN).detach().require_grad());
            block
        }));
        self
    }

    /// Channels of the encoder.
    fn hidden(&self) -> usize {
        self.input_conv_norm.gamma.dims()[0]
    }

    /// The network with a freshly initialised programme head of `programmes` outputs (see
    /// [`ModelConfig::programmes`]), so that a trained model can go on learning with the finer
    /// target.
    pub fn with_programme_head(mut self, programmes: usize, device: &Device) -> Self {
        let hidden = self.hidden();
        self.programme_head = Some(Conv1dConfig::new(hidden, programmes, 1).init(device));
        self
    }

    /// Probabilities per frame and per clip. `features`: `[batch, time, input_features]`.
    pub fn forward(&self, features: Tensor<3>) -> ModelProbabilities {
        let logits = self.forward_logits(features);
        ModelProbabilities {
            instrument: sigmoid(logits.instrument),
            pitch: sigmoid(logits.pitch),
            pianoroll: sigmoid(logits.pianoroll),
            clip: logits.clip.clamp(0.0, 1.0),
        }
    }
}

//! The multitask loss of Hung et al.: frame instrument BCE + pitch BCE + pianoroll BCE, plus
//! clip BCE through attention pooling.

use burn::prelude::*;
use burn::tensor::activation::softplus;
use timbrescope_engine::model::ModelLogits;

use crate::data::Batch;

/// Weights of the loss terms.
#[derive(Debug, Clone, Copy)]
pub struct LossWeights {
    /// Weight of positive cells in the pianoroll BCE: active cells are rare.
    pub pianoroll_positive: f64,
}

/// Mean binary cross-entropy on logits, positives weighted by `positive_weight`.
/// Uses `softplus` forms, which stay finite for any logit.
pub fn bce_with_logits<const D: usize>(
    logits: Tensor<D>,
    targets: Tensor<D>,
    positive_weight: f64,
) -> Tensor<1> {
    let positive = targets.clone() * softplus(logits.clone().neg(), 1.0) * positive_weight;
    let negative = (targets.neg() + 1.0) * softplus(logits, 1.0);
    (positive + negative).mean()
}

/// Mean binary cross-entropy on probabilities (the clip scores are pooled probabilities).
pub fn bce_on_probabilities<const D: usize>(
    probabilities: Tensor<D>,
    targets: Tensor<D>,
) -> Tensor<1> {
    let p = probabilities.clamp(1e-6, 1.0 - 1e-6);
    let loss = targets.clone() * p.clone().log() + (targets.neg() + 1.0) * (p.neg() + 1.0).log();
    loss.mean().neg()
}

/// The four loss terms of a batch.
#[derive(Debug, Clone)]
pub struct MultitaskLoss {
    /// Frame instrument activity.
    pub instrument: Tensor<1>,
    /// Frame pitch activity.
    pub pitch: Tensor<1>,
    /// Instrument × pitch pianoroll.
    pub pianoroll: Tensor<1>,
    /// Attention-pooled clip scores.
    pub clip: Tensor<1>,
}

impl MultitaskLoss {
    /// Computes every term for `logits` against `batch`.
    pub fn new(logits: ModelLogits, batch: &Batch, weights: LossWeights) -> Self {
        Self {
            instrument: bce_with_logits(logits.instrument, batch.instrument.clone(), 1.0),
            pitch: bce_with_logits(logits.pitch, batch.pitch.clone(), 1.0),
            pianoroll: bce_with_logits(
                logits.pianoroll,
                batch.pianoroll.clone(),
                weights.pianoroll_positive,
            ),
            clip: bce_on_probabilities(logits.clip, batch.clip.clone()),
        }
    }

    /// The sum that is minimised.
    pub fn total(&self) -> Tensor<1> {
        self.instrument.clone() + self.pitch.clone() + self.pianoroll.clone() + self.clip.clone()
    }
}

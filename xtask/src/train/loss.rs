//! The multitask loss of Hung et al.: frame instrument BCE + pitch BCE + pianoroll BCE, plus
//! clip BCE through attention pooling.

use burn::prelude::*;
use burn::tensor::activation::log_sigmoid;
use timbrescope_engine::classes::PITCH_COUNT;
use timbrescope_engine::networks::model::ModelLogits;

use crate::train::config::LossWeights;
use crate::train::data::Batch;

/// Per-cell binary cross-entropy on logits, positives weighted by `positive_weight`:
/// `w·y·softplus(-x) + (1 - y)·softplus(x)`. Written with one fused log-sigmoid, as
/// `softplus(x) = softplus(-x) + x`, because evaluating both softplus terms cost the pianoroll
/// (3.5 M cells a batch) two exponentials and two logarithms per cell each way; finite for any
/// logit.
fn bce_cells<const D: usize>(
    logits: Tensor<D>,
    targets: Tensor<D>,
    positive_weight: f64,
) -> Tensor<D> {
    let negative = targets.clone().neg() + 1.0;
    let softplus_of_negated = log_sigmoid(logits.clone()).neg();
    softplus_of_negated * (targets * positive_weight + negative.clone()) + negative * logits
}

/// Mean binary cross-entropy on logits, positives weighted by `positive_weight`.
pub fn bce_with_logits<const D: usize>(
    logits: Tensor<D>,
    targets: Tensor<D>,
    positive_weight: f64,
) -> Tensor<1> {
    bce_cells(logits, targets, positive_weight).mean()
}

/// Mean of `cells` over the cells where `known` is 1: unknown cells (partial labels) add
/// neither loss nor gradient.
fn masked_mean<const D: usize>(cells: Tensor<D>, known: Tensor<D>) -> Tensor<1> {
    (cells * known.clone()).sum() / known.sum().clamp_min(1.0)
}

/// Binary cross-entropy on logits over the known cells only (OpenMIC-style partial labels),
/// positives weighted by `positive_weight`.
pub fn masked_bce_with_logits<const D: usize>(
    logits: Tensor<D>,
    targets: Tensor<D>,
    known: Tensor<D>,
    positive_weight: f64,
) -> Tensor<1> {
    masked_mean(bce_cells(logits, targets, positive_weight), known)
}

/// Binary cross-entropy on probabilities (the clip scores are pooled probabilities), over the
/// known cells only.
pub fn masked_bce_on_probabilities<const D: usize>(
    probabilities: Tensor<D>,
    targets: Tensor<D>,
    known: Tensor<D>,
) -> Tensor<1> {
    let p = probabilities.clamp(1e-6, 1.0 - 1e-6);
    let loss = targets.clone() * p.clone().log() + (targets.neg() + 1.0) * (p.neg() + 1.0).log();
    masked_mean(loss.neg(), known)
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
    /// Frame General MIDI programmes, for a network with a programme head (zero otherwise).
    pub programme: Tensor<1>,
}

impl MultitaskLoss {
    /// Computes every term for `logits` (and `programmes`, the programme head's logits where
    /// the network has one) against `batch`. The programme term is weighted like the
    /// instrument term and scaled by programmes per class, so each of its cells pulls as
    /// hard as an instrument cell does.
    pub fn new(
        logits: ModelLogits,
        programmes: Option<Tensor<3>>,
        batch: &Batch,
        weights: LossWeights,
    ) -> Self {
        let classes = logits.instrument.dims()[2];
        let programme = match programmes {
            Some(programmes) => {
                let per_class = programmes.dims()[2] as f64 / classes as f64;
                bce_with_logits(
                    programmes,
                    batch.programme.clone(),
                    weights.instrument_positive,
                ) * per_class
            }
            None => Tensor::zeros([1], &batch.known.device()),
        };
        Self {
            programme,
            instrument: masked_bce_with_logits(
                logits.instrument,
                batch.instrument.clone(),
                batch.instrument_known.clone(),
                weights.instrument_positive,
            ),
            pitch: bce_with_logits(logits.pitch, batch.pitch.clone(), weights.pitch_positive),
            pianoroll: masked_bce_with_logits(
                logits.pianoroll,
                batch.pianoroll.clone(),
                batch
                    .instrument_known
                    .clone()
                    .unsqueeze_dim::<4>(3)
                    .repeat_dim(3, PITCH_COUNT),
                weights.pianoroll_positive,
            ),
            clip: masked_bce_on_probabilities(logits.clip, batch.clip.clone(), batch.known.clone()),
        }
    }

    /// The sum that is minimised.
    pub fn total(&self) -> Tensor<1> {
        self.instrument.clone()
            + self.pitch.clone()
            + self.pianoroll.clone()
            + self.clip.clone()
            + self.programme.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use timbrescope_engine::compute::ComputeDevice;

    #[test]
    fn the_partial_label_loss_gives_masked_classes_no_gradient() {
        let device = ComputeDevice::cpu().device.autodiff();
        let data = |v: Vec<f32>| Tensor::<2>::from_data(TensorData::new(v, [2, 3]), &device);
        let logits = data(vec![0.3, -1.2, 2.0, 0.7, 0.1, -0.4]).require_grad();
        let targets = data(vec![1.0, 0.0, 1.0, 0.0, 1.0, 0.0]);
        // Example 0 is unlabelled for class 1, example 1 for classes 0 and 2.
        let known = data(vec![1.0, 0.0, 1.0, 0.0, 1.0, 0.0]);
        let loss = masked_bce_with_logits(logits.clone(), targets.clone(), known, 1.0);
        let grad = logits
            .grad(&loss.backward())
            .unwrap()
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        for (i, g) in grad.iter().enumerate() {
            if [1, 3, 5].contains(&i) {
                assert_eq!(*g, 0.0, "masked cell {i} has gradient {g}");
            } else {
                assert!(g.abs() > 1e-3, "labelled cell {i} has no gradient");
            }
        }
        // The value is the mean over the three labelled cells only.
        let expected = [(0.3f64, 1.0), (2.0, 1.0), (0.1, 1.0)]
            .iter()
            .map(|&(x, t): &(f64, f64)| {
                t * (1.0 + (-x).exp()).ln() + (1.0 - t) * (1.0 + x.exp()).ln()
            })
            .sum::<f64>()
            / 3.0;
        assert!((f64::from(loss.into_scalar::<f32>()) - expected).abs() < 1e-5);
    }

    #[test]
    fn the_weighted_loss_and_its_gradient_match_the_closed_form_for_any_logit() {
        let device = ComputeDevice::cpu().device.autodiff();
        let xs = [-100.0f32, -20.0, -3.0, -0.5, 0.0, 0.4, 2.5, 17.0, 100.0];
        let ys = [1.0f32, 0.0, 0.5, 1.0, 0.0, 0.25, 1.0, 0.0, 1.0];
        let weight = 3.0;
        let tensor =
            |v: &[f32]| Tensor::<1>::from_data(TensorData::new(v.to_vec(), [v.len()]), &device);
        let logits = tensor(&xs).require_grad();
        let cells = bce_cells(logits.clone(), tensor(&ys), weight);
        let values = cells.clone().into_data().try_to_vec::<f32>().unwrap();
        let grad = logits
            .grad(&cells.sum().backward())
            .unwrap()
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let softplus = |x: f64| x.max(0.0) + (-x.abs()).exp().ln_1p();
        let sigmoid = |x: f64| 1.0 / (1.0 + (-x).exp());
        for (i, (&x, &y)) in xs.iter().zip(&ys).enumerate() {
            let (x, y) = (f64::from(x), f64::from(y));
            let value = weight * y * softplus(-x) + (1.0 - y) * softplus(x);
            let slope = -weight * y * sigmoid(-x) + (1.0 - y) * sigmoid(x);
            let tolerance = 1e-5 * value.abs().max(1.0);
            assert!(
                (f64::from(values[i]) - value).abs() < tolerance,
                "value at {x}: {} against {value}",
                values[i]
            );
            assert!(
                (f64::from(grad[i]) - slope).abs() < 1e-5,
                "slope at {x}: {} against {slope}",
                grad[i]
            );
        }
    }
}

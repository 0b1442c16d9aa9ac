//! The network a training config asks for, and the weights a run starts from.

use std::path::Path;

use anyhow::{Context, Result};
use burn::prelude::*;
use timbrescope_engine::classes::{ClassList, GM_PROGRAMMES};
use timbrescope_engine::features::FeatureConfig;
use timbrescope_engine::networks::harmonic::HarmonicConfig;
use timbrescope_engine::networks::model::{ModelConfig, TimbreNet};
use timbrescope_engine::networks::model_file::load_model;

use crate::train::config::NetworkConfig;

/// The network shape a training config's `model` part asks for.
pub(crate) fn model_config(config: &NetworkConfig, classes: &ClassList) -> ModelConfig {
    let features = &config.features;
    let harmonic = (config.harmonic_channels > 0)
        .then(|| HarmonicConfig::for_features(features, config.harmonic_channels));
    ModelConfig::new(features.frame_len(), classes.len())
        .with_hidden(config.hidden)
        .with_dilations(config.dilations.clone())
        .with_harmonic(harmonic)
        .with_programmes(config.programme_head.then_some(GM_PROGRAMMES))
}

/// The network of the model file at `path`, refused with the difference named unless it has
/// the shape, front-end and classes a run of this config would train. A config whose
/// dilations continue the model's grows it by those blocks ([`TimbreNet::deepened`]).
pub(crate) fn starting_weights(
    path: &Path,
    shape: &ModelConfig,
    features: &FeatureConfig,
    classes: &ClassList,
    device: &Device,
) -> Result<TimbreNet> {
    let loaded = load_model(path, device)
        .with_context(|| format!("init_model {}: not a usable model file", path.display()))?;
    let side = &loaded.sidecar;
    let added = shape
        .dilations
        .strip_prefix(side.model.dilations.as_slice())
        .filter(|_| {
            side.model
                == ModelConfig {
                    dilations: side.model.dilations.clone(),
                    // A model without a programme head may gain one, never lose one.
                    programmes: side.model.programmes.and(shape.programmes),
                    ..shape.clone()
                }
        });
    let new_programme_head = shape.programmes.filter(|_| side.model.programmes.is_none());
    let different: Vec<&str> = [
        (added.is_none(), "network"),
        (side.features != *features, "front-end"),
        (side.classes != *classes, "class list"),
    ]
    .into_iter()
    .filter_map(|(differs, what)| differs.then_some(what))
    .collect();
    if !different.is_empty() {
        anyhow::bail!(
            "init_model {}: its {} differ from this config's (hidden, harmonic_channels and \
             features must match the model it starts from, dilations begin with its own, and \
             a programme head is only ever added)",
            path.display(),
            different.join(" and ")
        );
    }
    let net = loaded.net.deepened(added.unwrap_or_default(), device);
    Ok(match new_programme_head {
        Some(programmes) => net.with_programme_head(programmes, device),
        None => net,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use timbrescope_engine::compute::ComputeDevice;
    use timbrescope_synth::procedural::ProceduralConfig;
    use timbrescope_synth::sample_sets::{TRAINING_FONT, load_soundfont};

    use crate::train::data::piece_examples;

    #[test]
    fn the_encoder_hears_as_far_as_its_dilations_reach() {
        let device = ComputeDevice::cpu().device;
        let classes = ClassList::default_gm();
        let font = load_soundfont(Path::new(TRAINING_FONT)).unwrap();
        let procedural = ProceduralConfig {
            duration: 1.0,
            ..ProceduralConfig::default()
        };
        let features = FeatureConfig::default();
        let window = piece_examples(7, &classes, &features, &procedural, &font)
            .unwrap()
            .remove(0)
            .features;
        let per_frame = features.frame_len();
        // The 3-tap input convolution reaches one frame, each block its dilation.
        for (dilations, reach) in [(vec![1], 2), (vec![1, 2, 4, 8, 16], 32)] {
            let config = NetworkConfig::new()
                .with_hidden(32)
                .with_dilations(dilations);
            let net = model_config(&config, &classes).init(&device);
            let instrument = |frames: &[f32]| -> Vec<f32> {
                let input = Tensor::<3>::from_data(
                    TensorData::new(frames.to_vec(), [1, 100, per_frame]),
                    &device,
                );
                net.forward_logits(input)
                    .instrument
                    .into_data()
                    .try_to_vec::<f32>()
                    .unwrap()
            };
            let mut nudged = window.clone();
            nudged[50 * per_frame..51 * per_frame]
                .iter_mut()
                .for_each(|v| *v += 1.0);
            let (before, after) = (instrument(&window), instrument(&nudged));
            let changed: Vec<usize> = (0..100)
                .filter(|&t| {
                    let row = t * classes.len()..(t + 1) * classes.len();
                    before[row.clone()]
                        .iter()
                        .zip(&after[row])
                        .any(|(a, b)| (a - b).abs() > 1e-6)
                })
                .collect();
            assert_eq!(
                (changed.first(), changed.last(), changed.len()),
                (Some(&(50 - reach)), Some(&(50 + reach)), 2 * reach + 1),
                "a nudge at frame 50 reaches frames {changed:?}"
            );
        }
    }
}

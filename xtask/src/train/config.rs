//! The training config: everything that decides a run, nested by concern as burn's examples
//! nest theirs, so each part travels whole to the code that uses it (the data stream gets
//! [`DataConfig`] and [`AugmentationConfig`], the network [`NetworkConfig`], the loss
//! [`LossWeights`], the loop [`ScheduleConfig`]). It is saved beside the checkpoints
//! (`config.json`) and in the model's sidecar, so a run can be reproduced from either.
//!
//! The shipped recipe is `xtask/configs/default-model.json`; experiments live in
//! `xtask/configs/experiments/`.

use std::path::Path;

use anyhow::{Context, Result, bail};
use burn::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use timbrescope_engine::features::FeatureConfig;
use timbrescope_synth::sample_sets::ensemble::SourceWeight;

/// Everything that decides a training run.
#[derive(Config, Debug)]
pub struct TrainingConfig {
    /// Seed of the data stream and of the initial weights.
    #[config(default = 1)]
    pub seed: u64,
    /// The music the run is trained on.
    #[config(default = "DataConfig::new()")]
    pub data: DataConfig,
    /// What is done to that music before the network hears it.
    #[config(default = "AugmentationConfig::new()")]
    pub augmentation: AugmentationConfig,
    /// The network's shape and front-end, and the weights it starts from.
    #[config(default = "NetworkConfig::new()")]
    pub model: NetworkConfig,
    /// Weights of the loss terms.
    #[config(default = "LossWeights::new()")]
    pub loss: LossWeights,
    /// Steps, batches, learning rate and checkpoints.
    #[config(default = "ScheduleConfig::new()")]
    pub schedule: ScheduleConfig,
    /// How the run is watched and when it stops early.
    #[config(default = "ValidationConfig::new()")]
    pub validation: ValidationConfig,
    /// Optional isolated-note pre-training before the multitask training.
    #[config(default = "PretrainingConfig::new()")]
    pub pretraining: PretrainingConfig,
}

/// The procedural music a run trains on.
#[derive(Config, Debug)]
pub struct DataConfig {
    /// The permitted timbre sources (`timbrescope_synth::sample_sets::catalogue`) each part
    /// draws its sample set from, with weights; a part whose voice a source lacks draws among
    /// the others. One source renders every part with it.
    #[config(default = "vec![SourceWeight::new(\"fluidr3\", 1.0)]")]
    pub sources: Vec<SourceWeight>,
    /// Length of each rendered piece in seconds (cut into 1 s windows).
    #[config(default = 4.0)]
    pub piece_seconds: f64,
    /// Most instruments in a piece.
    #[config(default = 6)]
    pub max_instruments: usize,
    /// Training pieces draw each part's class with weight (its GM programmes)^this, so that
    /// classes spanning many sounds are heard enough (see `ProceduralConfig`); validation
    /// always draws classes uniformly, as `eval` does.
    #[config(default = 0.0)]
    pub programme_count_exponent: f64,
    /// Background rendering threads.
    #[config(default = 1)]
    pub threads: usize,
    /// Marks the instrument (and pianoroll) labels of parts buried under the mix unknown in
    /// the loss (see `timbrescope_synth::audibility`); the parts are then rendered one by
    /// one.
    #[config(default = false)]
    pub mask_inaudible: bool,
}

/// Augmentations, each switched by the share of pieces (or parts) it applies to; 0 turns it
/// off, for ablations.
#[derive(Config, Debug)]
pub struct AugmentationConfig {
    /// Share of training pieces mixed with a second piece (mixup with union labels).
    #[config(default = 0.0)]
    pub mixup_probability: f64,
    /// Share of training pieces spliced with another piece at a random frame.
    #[config(default = 0.0)]
    pub concat_probability: f64,
    /// Share of training pieces passed through a random audio effect.
    #[config(default = 0.0)]
    pub effects_probability: f64,
    /// Share of training pieces whose parts are each rendered with a random timbre shift and
    /// spectral envelope, so one SoundFont stands for many.
    #[config(default = 0.0)]
    pub timbre_probability: f64,
    /// Share of training parts played by one of the training font's other presets of their
    /// voice where it has any (FluidR3's variation banks and its 30 extra kits), so those
    /// classes are heard through more than one sample set.
    #[config(default = 0.0)]
    pub variation_probability: f64,
}

/// The network a run trains.
#[derive(Config, Debug)]
pub struct NetworkConfig {
    /// Encoder channels.
    #[config(default = 192)]
    pub hidden: usize,
    /// Time dilation of each residual block of the encoder; their sum, plus the input
    /// convolution's one frame, is how far each frame hears (1, 2, 4, 8: ±16 frames).
    #[config(default = "vec![1, 2, 4, 8]")]
    pub dilations: Vec<usize>,
    /// Channels per semitone of the pitch-equivariant harmonic branch (0: no branch).
    #[config(default = 0)]
    pub harmonic_channels: usize,
    /// Trains a per-frame head that names each sounding note's General MIDI programme beside
    /// the class heads (see `ModelConfig::programmes`); a model started from one without it
    /// gets a fresh head.
    #[config(default = false)]
    pub programme_head: bool,
    /// The front-end the model is trained on (and stored with in its sidecar).
    #[config(default = "FeatureConfig::default()")]
    pub features: FeatureConfig,
    /// A model file whose weights start the run instead of random ones, so that a later
    /// session can go on training a shipped model when the run folder that made it is gone;
    /// its network, front-end and classes must be the ones this config describes. None: random
    /// weights from the seed.
    #[config(default = "None")]
    pub init_model: Option<String>,
}

/// Weights of the positive cells in the BCE terms: active cells are rare, and without a
/// weight the model stays under-confident (high precision, low recall at the 0.5 threshold).
/// It is the `loss` part of a training config.
#[derive(Config, Debug, Copy)]
pub struct LossWeights {
    /// Frame instrument activity.
    #[config(default = 1.0)]
    pub instrument_positive: f64,
    /// Frame pitch activity.
    #[config(default = 1.0)]
    pub pitch_positive: f64,
    /// The instrument × pitch pianoroll.
    #[config(default = 5.0)]
    pub pianoroll_positive: f64,
}

/// The optimisation loop: Adam with a linear warm-up and a cosine decay.
#[derive(Config, Debug)]
pub struct ScheduleConfig {
    /// Optimiser steps.
    #[config(default = 2000)]
    pub steps: usize,
    /// Windows per step.
    #[config(default = 16)]
    pub batch_size: usize,
    /// Peak learning rate.
    #[config(default = 1e-3)]
    pub learning_rate: f64,
    /// Steps of linear warm-up before the cosine decay.
    #[config(default = 100)]
    pub warmup_steps: usize,
    /// Steps between checkpoints (and validation passes).
    #[config(default = 200)]
    pub checkpoint_every: usize,
    /// Earlier decay targets, as `[until_step, decay_to_step]` pairs in order: up to
    /// `until_step` the cosine decays as if the run ended at `decay_to_step`, after the last
    /// pair towards `steps`. A model trained in several sessions whose target changed between
    /// them is recreated by one run this way (the shipped model's recipe has three).
    #[config(default = "Vec::new()")]
    pub decay_targets: Vec<(usize, usize)>,
}

impl ScheduleConfig {
    /// The learning rate of `step`: a linear warm-up, then a cosine decay from the peak to 5 %
    /// of it at the decay target that holds at `step`.
    pub fn learning_rate_at(&self, step: usize) -> f64 {
        if step < self.warmup_steps {
            return self.learning_rate * (step + 1) as f64 / self.warmup_steps as f64;
        }
        let target = self
            .decay_targets
            .iter()
            .find(|&&(until, _)| step < until)
            .map_or(self.steps, |&(_, target)| target);
        let progress = (step - self.warmup_steps) as f64
            / (target.saturating_sub(self.warmup_steps)).max(1) as f64;
        let progress = progress.min(1.0);
        self.learning_rate * (0.05 + 0.95 * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()))
    }
}

/// How a run is watched.
#[derive(Config, Debug)]
pub struct ValidationConfig {
    /// Validation pieces rendered with the held-out font at every checkpoint.
    #[config(default = 30)]
    pub pieces: usize,
    /// The timbre source the validation pieces are rendered from instead of the TimGM6mb
    /// font, for leave-one-source-out runs: it must not be among `data.sources`.
    #[config(default = "None")]
    pub source: Option<String>,
    /// Validation passes in a row without a better validation score before training stops
    /// (0: run every step). The model file always holds the best pass.
    #[config(default = 0)]
    pub early_stopping_patience: usize,
}

/// Isolated-note pre-training (Zhong et al.) on an NSynth split the user owns.
#[derive(Config, Debug)]
pub struct PretrainingConfig {
    /// An NSynth split folder (holding `examples.json`); none: no pre-training.
    #[config(default = "None")]
    pub nsynth: Option<String>,
    /// Pre-training steps (batches of the schedule's `batch_size` notes).
    #[config(default = 0)]
    pub steps: usize,
}

/// Overlays `given` on `defaults`, recursing into nested objects; a key the defaults do not
/// have is an error naming its path.
fn overlay(defaults: &mut Map<String, Value>, given: Map<String, Value>, path: &str) -> Result<()> {
    for (key, value) in given {
        let here = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        match (defaults.get_mut(&key), value) {
            (None, _) => bail!("unknown field `{here}`"),
            (Some(Value::Object(inner)), Value::Object(value)) => overlay(inner, value, &here)?,
            (Some(slot), value) => *slot = value,
        }
    }
    Ok(())
}

impl TrainingConfig {
    /// Reads a config file in which any field, at any depth, may be left out (it keeps its
    /// default), so that committed configs stay short and keep loading when a field is
    /// added; an unknown field is an error, so a typo never trains silently.
    pub fn load_partial(path: &Path) -> Result<Self> {
        Self::parse_partial(path).with_context(|| path.display().to_string())
    }

    fn parse_partial(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)?;
        let Value::Object(given) = serde_json::from_str(&text)? else {
            bail!("a training config is a JSON object");
        };
        let config: Self = overlaid(TrainingConfig::new(), given)?;
        if let Some(problem) = config.model.features.problem() {
            bail!("model.features: {problem}");
        }
        if let Some(held_out) = &config.validation.source
            && config.data.sources.iter().any(|s| &s.name == held_out)
        {
            bail!(
                "validation.source `{held_out}` is also in data.sources: a held-out source is never trained on"
            );
        }
        Ok(config)
    }
}

/// `defaults` with every field `given` names replaced, at any depth; an unknown field is an
/// error naming it.
pub fn overlaid<T: Serialize + DeserializeOwned>(
    defaults: T,
    given: Map<String, Value>,
) -> Result<T> {
    let Value::Object(mut merged) = serde_json::to_value(defaults)? else {
        unreachable!("a config serialises to a JSON object");
    };
    overlay(&mut merged, given, "")?;
    Ok(serde_json::from_value(Value::Object(merged))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_nested_config_keeps_defaults_and_an_unknown_field_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(
            &path,
            r#"{"schedule": {"steps": 7}, "augmentation": {"mixup_probability": 0.5}}"#,
        )
        .unwrap();
        let config = TrainingConfig::load_partial(&path).unwrap();
        assert_eq!(config.schedule.steps, 7);
        assert_eq!(config.augmentation.mixup_probability, 0.5);
        assert_eq!(config.schedule.batch_size, ScheduleConfig::new().batch_size);
        assert_eq!(config.model.hidden, NetworkConfig::new().hidden);
        std::fs::write(&path, r#"{"schedule": {"stepz": 7}}"#).unwrap();
        let error = format!("{:#}", TrainingConfig::load_partial(&path).unwrap_err());
        assert!(error.contains("schedule.stepz"), "{error}");
        std::fs::write(&path, r#"{"steps": 7}"#).unwrap();
        assert!(TrainingConfig::load_partial(&path).is_err());
    }

    #[test]
    fn a_held_out_validation_source_cannot_be_trained_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let config = |held_out: &str| {
            format!(
                r#"{{"data": {{"sources": [{{"name": "fluidr3", "weight": 1}}, {{"name": "freepats", "weight": 1}}]}},
                    "validation": {{"source": "{held_out}"}}}}"#
            )
        };
        std::fs::write(&path, config("generaluser")).unwrap();
        let loaded = TrainingConfig::load_partial(&path).unwrap();
        assert_eq!(loaded.validation.source.as_deref(), Some("generaluser"));
        assert_eq!(loaded.data.sources.len(), 2);
        std::fs::write(&path, config("freepats")).unwrap();
        let error = format!("{:#}", TrainingConfig::load_partial(&path).unwrap_err());
        assert!(
            error.contains("freepats") && error.contains("never trained on"),
            "{error}"
        );
    }

    #[test]
    fn a_damaged_config_gives_an_error_naming_the_file() {
        let seed =
            std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/default-model.json"))
                .unwrap();
        let dir = tempfile::tempdir().unwrap();
        const COUNT: usize = 1000;
        let (accepted, refused) = timbrescope_tests::mutate::fuzz_file(
            &seed,
            COUNT,
            40,
            &dir.path().join("damaged.json"),
            std::time::Duration::from_secs(20),
            |path| {
                TrainingConfig::load_partial(path)
                    .map(|_| ())
                    .map_err(|e| format!("{e:#}"))
            },
        );
        eprintln!("training config: {COUNT} variants, {accepted} read, {refused} refused");
        assert_eq!(accepted + refused, COUNT);
    }

    #[test]
    fn every_committed_config_loads() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs");
        let mut paths = Vec::new();
        for dir in [root.clone(), root.join("experiments")] {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "json") {
                    paths.push(path);
                }
            }
        }
        assert!(paths.len() >= 20, "found only {paths:?}");
        // A basic-pitch fine-tuning config is read as `cargo xtask train` reads it.
        let mut note_configs = 0;
        for path in &paths {
            let loaded = match crate::train::note_network::NoteTuningConfig::in_file(path) {
                Ok(Some(_)) => {
                    note_configs += 1;
                    Ok(())
                }
                Ok(None) => TrainingConfig::load_partial(path).map(|_| ()),
                Err(e) => Err(e),
            };
            if let Err(e) = loaded {
                panic!("{e:#}");
            }
        }
        assert!(
            note_configs >= 1,
            "the shipped basic-pitch recipe is missing"
        );
    }

    #[test]
    fn the_schedule_warms_up_decays_and_follows_earlier_decay_targets() {
        let plain = ScheduleConfig::new()
            .with_steps(1000)
            .with_warmup_steps(100);
        assert!((plain.learning_rate_at(0) - 1e-5).abs() < 1e-12);
        assert!((plain.learning_rate_at(100) - 1e-3).abs() < 1e-9);
        assert!((plain.learning_rate_at(1000) - 5e-5).abs() < 1e-9);
        let staged = plain.clone().with_decay_targets(vec![(500, 500)]);
        // Annealed at its first target, then restarted towards the run's end.
        assert!((staged.learning_rate_at(499) - plain.learning_rate_at(499)).abs() > 1e-4);
        assert!(staged.learning_rate_at(499) < 1e-4);
        assert!((staged.learning_rate_at(500) - plain.learning_rate_at(500)).abs() < 1e-12);
    }
}

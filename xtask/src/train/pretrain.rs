//! Isolated-note pre-training (Zhong et al.): NSynth notes, one instrument family each, teach
//! the encoder timbre before the multitask training on mixtures. The frame instrument logits
//! of a note's first second, averaged over time, go through a softmax over the classes; the
//! loss is the cross-entropy of the note's family, i.e. minus the log of the probability mass
//! on the family's classes (a family such as "string" spans violin … contrabass).

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use timbrescope_engine::classes::ClassList;
use timbrescope_engine::features::{FeatureConfig, FeatureStream};
use timbrescope_engine::input::audio_file::read_mono;
use timbrescope_engine::input::resample::resample_to_analysis_rate;
use timbrescope_engine::networks::model::TimbreNet;
use timbrescope_engine::networks::model_file::ModelSidecar;
use timbrescope_engine::timeline::WINDOW_FRAMES;

use crate::datasets::LabelledClip;
use crate::train::checkpoint::{Progress, RunPaths, open_log, save_checkpoint};
use crate::train::config::TrainingConfig;

/// The classes a note's family may be: the one present and those left unknown.
fn family_mask(clip: &LabelledClip) -> Vec<f32> {
    clip.present
        .iter()
        .zip(&clip.known)
        .map(|(&present, &known)| {
            if present > 0.0 || known == 0.0 {
                1.0
            } else {
                0.0
            }
        })
        .collect()
}

/// Feature frames of the first second of `clip` (the attack and the sustain).
fn onset_window(clip: &LabelledClip, features: &FeatureConfig) -> Result<Vec<f32>> {
    let audio = read_mono(&clip.audio).with_context(|| clip.audio.display().to_string())?;
    let samples = resample_to_analysis_rate(&audio.samples, audio.sample_rate)?;
    let mut stream = FeatureStream::new(features);
    let mut frames = Vec::with_capacity(WINDOW_FRAMES * stream.frame_len());
    stream.push(&samples, &mut frames);
    stream.finish(WINDOW_FRAMES, &mut frames);
    frames.truncate(WINDOW_FRAMES * stream.frame_len());
    Ok(frames)
}

/// Isolated notes as tensors: `[batch, 100, F]` features and `[batch, C]` family masks.
pub struct NoteBatch {
    features: Tensor<3>,
    family: Tensor<2>,
}

impl NoteBatch {
    /// Reads and analyses `clips`.
    pub fn new(clips: &[&LabelledClip], features: &FeatureConfig, device: &Device) -> Result<Self> {
        let n = clips.len();
        let c = clips.first().map_or(0, |clip| clip.present.len());
        let mut frames = Vec::new();
        let mut family = Vec::with_capacity(n * c);
        for clip in clips {
            frames.extend(onset_window(clip, features)?);
            family.extend(family_mask(clip));
        }
        let f = features.frame_len();
        Ok(Self {
            features: Tensor::from_data(TensorData::new(frames, [n, WINDOW_FRAMES, f]), device),
            family: Tensor::from_data(TensorData::new(family, [n, c]), device),
        })
    }
}

/// Mean over the batch of `-log Σ_{c ∈ family} softmax(mean_t logits)_c`.
pub fn family_cross_entropy(instrument_logits: Tensor<3>, family: Tensor<2>) -> Tensor<1> {
    let [batch, _, classes] = instrument_logits.dims();
    let pooled = instrument_logits.mean_dim(1).reshape([batch, classes]);
    // Shifted by the row maximum, so exp never overflows.
    let shifted = pooled.clone() - pooled.max_dim(1).detach();
    let exp = shifted.exp();
    let all = exp.clone().sum_dim(1).log();
    let in_family = (exp * family).sum_dim(1).clamp_min(1e-30).log();
    (all - in_family).mean()
}

/// One Adam step of pre-training; returns the network and the loss before the step.
pub fn pretraining_step(
    net: TimbreNet,
    optim: &mut ModuleOptimizer,
    batch: &NoteBatch,
    learning_rate: f64,
) -> (TimbreNet, f64) {
    let logits = net.forward_logits(batch.features.clone());
    let loss = family_cross_entropy(logits.instrument, batch.family.clone());
    let value = f64::from(loss.clone().into_scalar::<f32>());
    let grads = GradientsParams::from_grads(loss.backward(), &net);
    (optim.step(learning_rate, net, grads), value)
}

/// Isolated-note pre-training on the NSynth split `split` up to `config.pretraining.steps`,
/// checkpointed like the main run; the loss per interval goes to `pretrain.csv`.
pub(crate) fn pretrain_stage(
    mut net: TimbreNet,
    optim: &mut ModuleOptimizer,
    config: &TrainingConfig,
    split: &Path,
    progress: &mut Progress,
    paths: &RunPaths,
    describe: &dyn Fn(&TimbreNet, &Progress) -> ModelSidecar,
) -> Result<TimbreNet> {
    if progress.pretrain_step >= config.pretraining.steps {
        return Ok(net);
    }
    let classes = ClassList::default_gm();
    let features = config.model.features.clone();
    let clips = crate::datasets::nsynth::load(split, &classes)?;
    anyhow::ensure!(
        !clips.is_empty(),
        "{}: no usable NSynth notes",
        split.display()
    );
    let device = net.devices()[0].clone();
    let mut rng = StdRng::seed_from_u64(config.seed ^ progress.pretrain_step as u64);
    let mut log = open_log(&paths.run_dir.join("pretrain.csv"), "step,family_loss")?;
    let bar = ProgressBar::new(config.pretraining.steps as u64)
        .with_position(progress.pretrain_step as u64);
    bar.set_style(
        ProgressStyle::with_template("pre-training {bar:30} {pos}/{len} steps {msg} ({eta} left)")
            .expect("static template"),
    );
    let started = Instant::now();
    let (mut sum, mut interval_steps) = (0.0, 0usize);
    while progress.pretrain_step < config.pretraining.steps {
        let picked: Vec<&LabelledClip> = (0..config.schedule.batch_size)
            .map(|_| &clips[rng.random_range(0..clips.len())])
            .collect();
        let loss;
        (net, loss) = pretraining_step(
            net,
            optim,
            &NoteBatch::new(&picked, &features, &device)?,
            config.schedule.learning_rate,
        );
        sum += loss;
        interval_steps += 1;
        progress.pretrain_step += 1;
        bar.set_position(progress.pretrain_step as u64);
        bar.set_message(format!("family loss {loss:.4}"));
        let done = progress.pretrain_step == config.pretraining.steps;
        if progress
            .pretrain_step
            .is_multiple_of(config.schedule.checkpoint_every)
            || done
        {
            let mean = sum / interval_steps as f64;
            writeln!(log, "{},{mean:.5}", progress.pretrain_step)?;
            (sum, interval_steps) = (0.0, 0);
            let saved = Progress {
                wall_seconds: progress.wall_seconds + started.elapsed().as_secs_f64(),
                ..progress.clone()
            };
            save_checkpoint(
                &paths.run_dir.join("checkpoint"),
                &net,
                &describe(&net, &saved),
                optim,
                &saved,
            )?;
        }
    }
    progress.wall_seconds += started.elapsed().as_secs_f64();
    bar.finish();
    Ok(net)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::optim::AdamConfig;
    use std::path::Path;
    use timbrescope_engine::classes::ClassList;
    use timbrescope_engine::compute::ComputeDevice;
    use timbrescope_engine::networks::model::ModelConfig;
    use timbrescope_synth::sample_sets::{TRAINING_FONT, load_soundfont};

    use crate::datasets::nsynth;

    #[test]
    fn family_cross_entropy_is_the_log_of_the_family_mass() {
        let device = ComputeDevice::cpu().device;
        // Two frames with the same logits: pooled logits [ln 1, ln 2, ln 5] → softmax 1/8, 2/8, 5/8.
        let row = [0.0f32, 2f32.ln(), 5f32.ln()];
        let logits =
            Tensor::<3>::from_data(TensorData::new([row, row].concat(), [1, 2, 3]), &device);
        let family =
            Tensor::<2>::from_data(TensorData::new(vec![1.0f32, 1.0, 0.0], [1, 3]), &device);
        let loss = f64::from(family_cross_entropy(logits, family).into_scalar::<f32>());
        assert!((loss - (8.0f64 / 3.0).ln()).abs() < 1e-5, "{loss}");
    }

    #[test]
    fn pretraining_on_rendered_isolated_notes_lowers_the_family_loss() {
        let tmp = tempfile::tempdir().unwrap();
        let split = tmp.path().join("nsynth-train");
        let font = load_soundfont(Path::new(TRAINING_FONT)).unwrap();
        nsynth::write_rendered_split(
            &split,
            &[
                ("keyboard_acoustic_000-060-100", "keyboard", 0, 60),
                ("flute_acoustic_000-072-100", "flute", 73, 72),
                ("string_acoustic_000-055-100", "string", 40, 55),
                ("bass_electronic_000-036-100", "bass", 33, 36),
            ],
            &font,
        );
        let classes = ClassList::default_gm();
        let clips = nsynth::load(&split, &classes).unwrap();
        let features = FeatureConfig::default();
        let device = ComputeDevice::cpu().device.autodiff();
        device.seed(5);
        let batch = NoteBatch::new(&clips.iter().collect::<Vec<_>>(), &features, &device).unwrap();
        let mut net = ModelConfig::new(features.frame_len(), classes.len())
            .with_hidden(16)
            .init(&device);
        let mut optim: ModuleOptimizer = AdamConfig::new().init();
        let mut losses = Vec::new();
        for _ in 0..30 {
            let loss;
            (net, loss) = pretraining_step(net, &mut optim, &batch, 3e-3);
            losses.push(loss);
        }
        let (first, last) = (losses[0], losses[losses.len() - 1]);
        assert!(
            last < 0.5 * first,
            "family loss {first} -> {last}: {losses:?}"
        );
    }
}

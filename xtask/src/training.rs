//! `cargo xtask train`: multitask training on procedural music rendered on the fly, with
//! Adam, warm-up and cosine decay, checkpoints with `--resume`, a metrics log, and a final
//! evaluation on fresh music rendered with the held-out validation font.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use timbrescope_engine::classes::{ClassList, GM_PROGRAMMES};
use timbrescope_engine::compute::ComputeDevice;
use timbrescope_engine::features::FeatureConfig;
use timbrescope_engine::harmonic::HarmonicConfig;
use timbrescope_engine::model::{ModelConfig, TimbreNet};
use timbrescope_engine::model_file::{ModelSidecar, SIDECAR_FORMAT, load_model, save_model};
use timbrescope_synth::procedural::ProceduralConfig;
use timbrescope_synth::soundfont::{TRAINING_FONT, VALIDATION_FONT};

use crate::calibrate::CALIBRATION_SEED;
use crate::curves::write_curves;
use crate::data::{Batch, DataSpec, Example, ExampleStream, batch, piece_examples};
use crate::datasets::LabelledClip;
use crate::eval::VALIDATION_SEED;
use crate::loss::{LossWeights, MultitaskLoss};
use crate::metrics::{Counts, lrap_of_clip};
use crate::pretrain::{NoteBatch, pretraining_step};

/// Everything that decides a training run; saved beside its checkpoints.
#[derive(Config, Debug)]
pub struct TrainingConfig {
    /// Seed of the data stream and of the initial weights.
    #[config(default = 1)]
    pub seed: u64,
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
    pub data_threads: usize,
    /// Steps between checkpoints (and validation passes).
    #[config(default = 200)]
    pub checkpoint_every: usize,
    /// Validation pieces rendered with the held-out font.
    #[config(default = 30)]
    pub validation_pieces: usize,
    /// Share of training pieces mixed with a second piece (mixup with union labels; 0 = off).
    #[config(default = 0.0)]
    pub mixup_probability: f64,
    /// Share of training pieces spliced with another piece at a random frame (0 = off).
    #[config(default = 0.0)]
    pub concat_probability: f64,
    /// Share of training pieces passed through a random audio effect (0 = off).
    #[config(default = 0.0)]
    pub effects_probability: f64,
    /// Share of training pieces whose parts are each rendered with a random timbre shift and
    /// spectral envelope, so one SoundFont stands for many (0 = off).
    #[config(default = 0.0)]
    pub timbre_probability: f64,
    /// Share of training parts played by one of the training font's other presets of their
    /// voice where it has any (FluidR3's variation banks and its 30 extra kits), so those
    /// classes are heard through more than one sample set (0 = off).
    #[config(default = 0.0)]
    pub variation_probability: f64,
    /// Trains a per-frame head that names each sounding note's General MIDI programme beside
    /// the class heads (see `ModelConfig::programmes`); a model started from one without it
    /// gets a fresh head.
    #[config(default = false)]
    pub programme_head: bool,
    /// Marks the instrument (and pianoroll) labels of parts buried under the mix unknown in
    /// the loss (see `timbrescope_synth::audibility`); the parts are then rendered one by
    /// one.
    #[config(default = false)]
    pub mask_inaudible: bool,
    /// Weight of active cells in the frame instrument loss.
    #[config(default = 1.0)]
    pub instrument_positive_weight: f64,
    /// Weight of active cells in the frame pitch loss.
    #[config(default = 1.0)]
    pub pitch_positive_weight: f64,
    /// Weight of active cells in the pianoroll loss.
    #[config(default = 5.0)]
    pub pianoroll_positive_weight: f64,
    /// Validation passes in a row without a better validation score before training stops
    /// (0: run every step). The model file always holds the best pass.
    #[config(default = 0)]
    pub early_stopping_patience: usize,
    /// An NSynth split folder (holding `examples.json`) for isolated-note pre-training before
    /// the multitask training; none: no pre-training.
    #[config(default = "None")]
    pub pretrain_nsynth: Option<String>,
    /// Pre-training steps (batches of `batch_size` notes).
    #[config(default = 0)]
    pub pretrain_steps: usize,
    /// A model file whose weights start the run instead of random ones, so that a later
    /// session can go on training a shipped model when the run folder that made it is gone;
    /// its network, front-end and classes must be the ones this config describes. None: random
    /// weights from `seed`.
    #[config(default = "None")]
    pub init_model: Option<String>,
    /// The front-end the model is trained on (and stored with in its sidecar).
    #[config(default = "FeatureConfig::default()")]
    pub features: FeatureConfig,
}

impl TrainingConfig {
    /// Reads a config file in which any field may be left out (it keeps its default), so that
    /// committed configs stay short and old ones keep loading when a field is added.
    pub fn load_partial(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)?;
        let given: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text)?;
        let serde_json::Value::Object(mut merged) = serde_json::to_value(TrainingConfig::new())?
        else {
            unreachable!("a config serialises to a JSON object");
        };
        for (key, value) in given {
            if !merged.contains_key(&key) {
                anyhow::bail!("unknown field `{key}`");
            }
            merged.insert(key, value);
        }
        let config: Self = serde_json::from_value(serde_json::Value::Object(merged))?;
        if let Some(problem) = config.features.problem() {
            anyhow::bail!("features: {problem}");
        }
        Ok(config)
    }
}

/// What a validation pass means for the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// The best score so far: keep this model.
    Improved,
    /// No better than the best; keep going.
    NoGain,
    /// No gain for `patience` passes in a row: stop.
    Stop,
}

/// Early stopping on the validation score; kept in the checkpoint so `--resume` goes on
/// counting where the run left off.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct EarlyStopping {
    best: Option<f64>,
    passes_without_gain: usize,
}

impl EarlyStopping {
    fn observe(&mut self, score: f64, patience: usize) -> Verdict {
        if self.best.is_none_or(|best| score > best) {
            self.best = Some(score);
            self.passes_without_gain = 0;
            return Verdict::Improved;
        }
        self.passes_without_gain += 1;
        if patience > 0 && self.passes_without_gain >= patience {
            Verdict::Stop
        } else {
            Verdict::NoGain
        }
    }
}

/// Progress kept in a checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Progress {
    #[serde(default)]
    pretrain_step: usize,
    step: usize,
    wall_seconds: f64,
    #[serde(default)]
    early_stopping: EarlyStopping,
}

/// Validation metrics written to the sidecar and the log.
#[derive(Debug, Clone, Serialize)]
pub struct ValidationMetrics {
    /// Validation windows evaluated.
    pub windows: usize,
    /// Frame instrument F1, micro-averaged over classes.
    pub instrument_f1_micro: f64,
    /// Frame pitch precision.
    pub pitch_precision: f64,
    /// Frame pitch recall.
    pub pitch_recall: f64,
    /// Frame pitch F1.
    pub pitch_f1: f64,
    /// Frame pianoroll F1 (class-aware).
    pub pianoroll_f1: f64,
    /// Clip label ranking average precision.
    pub clip_lrap: f64,
}

impl ValidationMetrics {
    /// The one number early stopping and model selection follow: the mean of the four
    /// scores the default model is judged by.
    pub fn score(&self) -> f64 {
        (self.instrument_f1_micro + self.pitch_f1 + self.pianoroll_f1 + self.clip_lrap) / 4.0
    }
}

/// Where a run writes.
pub struct RunPaths {
    /// Checkpoints, config and logs.
    pub run_dir: PathBuf,
    /// The finished model (record + sidecar).
    pub model: PathBuf,
}

fn learning_rate(config: &TrainingConfig, step: usize) -> f64 {
    if step < config.warmup_steps {
        return config.learning_rate * (step + 1) as f64 / config.warmup_steps as f64;
    }
    let progress =
        (step - config.warmup_steps) as f64 / (config.steps - config.warmup_steps).max(1) as f64;
    config.learning_rate * (0.05 + 0.95 * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()))
}

/// The music of the validation pieces: classes drawn uniformly, as `eval` draws them.
fn procedural(config: &TrainingConfig) -> ProceduralConfig {
    ProceduralConfig {
        duration: config.piece_seconds,
        min_instruments: 1,
        max_instruments: config.max_instruments,
        ..ProceduralConfig::default()
    }
}

/// First seed of the pieces that watch a run (validation passes, early stopping, the best
/// model): past the ones `xtask eval` scores and `xtask calibrate` fits on, so a model chosen
/// on them is still scored on music it was never picked for.
const EARLY_STOPPING_SEED: u64 = VALIDATION_SEED + (2 << 32);
// Each of the three sets can grow to 2^32 pieces without reaching the next.
const _: () = assert!(CALIBRATION_SEED - VALIDATION_SEED >= 1 << 32);
const _: () = assert!(EARLY_STOPPING_SEED - CALIBRATION_SEED >= 1 << 32);

/// Renders the validation set: fresh pieces from the held-out font.
pub fn validation_examples(
    config: &TrainingConfig,
    classes: &ClassList,
    features: &FeatureConfig,
) -> Result<Vec<Example>> {
    let font = timbrescope_synth::soundfont::load_soundfont(Path::new(VALIDATION_FONT))?;
    let mut examples = Vec::new();
    for i in 0..config.validation_pieces {
        let seed = EARLY_STOPPING_SEED + i as u64;
        examples.extend(piece_examples(
            seed,
            classes,
            features,
            &procedural(config),
            &font,
        )?);
    }
    Ok(examples)
}

/// Scores `net` on `examples`.
pub fn evaluate(net: &TimbreNet, examples: &[Example], device: &Device) -> ValidationMetrics {
    let net = net.valid();
    let (mut instrument, mut pitch, mut pianoroll) =
        (Counts::default(), Counts::default(), Counts::default());
    let mut lrap = Vec::new();
    for chunk in examples.chunks(16) {
        let b = batch(chunk, device);
        let out = net.forward(b.features);
        let get = |t: TensorData| t.try_to_vec::<f32>().expect("f32 outputs");
        let (pi, pp, pr, pc) = (
            get(out.instrument.into_data()),
            get(out.pitch.into_data()),
            get(out.pianoroll.into_data()),
            get(out.clip.into_data()),
        );
        let c = chunk[0].labels.classes;
        for (k, e) in chunk.iter().enumerate() {
            let slice = |v: &[f32], n: usize| v[k * n..(k + 1) * n].to_vec();
            instrument.add(
                &slice(&pi, e.labels.instrument.len()),
                &e.labels.instrument,
                0.5,
            );
            pitch.add(&slice(&pp, e.labels.pitch.len()), &e.labels.pitch, 0.5);
            pianoroll.add(
                &slice(&pr, e.labels.pianoroll.len()),
                &e.labels.pianoroll,
                0.5,
            );
            lrap.extend(lrap_of_clip(&slice(&pc, c), &e.labels.clip));
        }
    }
    ValidationMetrics {
        windows: examples.len(),
        instrument_f1_micro: instrument.f1(),
        pitch_precision: pitch.precision(),
        pitch_recall: pitch.recall(),
        pitch_f1: pitch.f1(),
        pianoroll_f1: pianoroll.f1(),
        clip_lrap: lrap.iter().sum::<f64>() / lrap.len().max(1) as f64,
    }
}

fn sidecar(
    config: &TrainingConfig,
    net: &TimbreNet,
    model: &ModelConfig,
    training: serde_json::Value,
    metrics: serde_json::Value,
) -> ModelSidecar {
    ModelSidecar {
        format: SIDECAR_FORMAT,
        name: "timbrescope-default".into(),
        classes: ClassList::default_gm(),
        features: config.features.clone(),
        model: model.clone(),
        parameter_count: net.num_params(),
        training: serde_json::json!({ "config": config, "run": training }),
        metrics,
    }
}

/// Opens a CSV log for appending (a resumed run goes on in the same file), writing `header`
/// when the file is new.
fn open_log(path: &Path, header: &str) -> Result<std::fs::File> {
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| path.display().to_string())?;
    if log.metadata()?.len() == 0 {
        writeln!(log, "{header}")?;
    }
    Ok(log)
}

/// Writes the checkpoint `--resume` continues from: weights, optimiser state, progress.
fn save_checkpoint(
    checkpoint: &Path,
    net: &TimbreNet,
    side: &ModelSidecar,
    optim: &ModuleOptimizer,
    progress: &Progress,
) -> Result<()> {
    save_model(net, side, &checkpoint.join("model"))?;
    optim
        .save(checkpoint.join("optimizer.bpk"))
        .map_err(|e| anyhow::anyhow!("saving optimizer: {e}"))?;
    std::fs::write(
        checkpoint.join("progress.json"),
        serde_json::to_string(progress)?,
    )?;
    Ok(())
}

/// Isolated-note pre-training on the NSynth split `split` up to `config.pretrain_steps`,
/// checkpointed like the main run; the loss per interval goes to `pretrain.csv`.
fn pretrain_stage(
    mut net: TimbreNet,
    optim: &mut ModuleOptimizer,
    config: &TrainingConfig,
    split: &Path,
    progress: &mut Progress,
    paths: &RunPaths,
    describe: &dyn Fn(&TimbreNet, &Progress) -> ModelSidecar,
) -> Result<TimbreNet> {
    if progress.pretrain_step >= config.pretrain_steps {
        return Ok(net);
    }
    let classes = ClassList::default_gm();
    let features = config.features.clone();
    let clips = crate::datasets::nsynth::load(split, &classes)?;
    anyhow::ensure!(
        !clips.is_empty(),
        "{}: no usable NSynth notes",
        split.display()
    );
    let device = net.devices()[0].clone();
    let mut rng = StdRng::seed_from_u64(config.seed ^ progress.pretrain_step as u64);
    let mut log = open_log(&paths.run_dir.join("pretrain.csv"), "step,family_loss")?;
    let bar =
        ProgressBar::new(config.pretrain_steps as u64).with_position(progress.pretrain_step as u64);
    bar.set_style(
        ProgressStyle::with_template("pre-training {bar:30} {pos}/{len} steps {msg} ({eta} left)")
            .expect("static template"),
    );
    let started = Instant::now();
    let (mut sum, mut interval_steps) = (0.0, 0usize);
    while progress.pretrain_step < config.pretrain_steps {
        let picked: Vec<&LabelledClip> = (0..config.batch_size)
            .map(|_| &clips[rng.random_range(0..clips.len())])
            .collect();
        let loss;
        (net, loss) = pretraining_step(
            net,
            optim,
            &NoteBatch::new(&picked, &features, &device)?,
            config.learning_rate,
        );
        sum += loss;
        interval_steps += 1;
        progress.pretrain_step += 1;
        bar.set_position(progress.pretrain_step as u64);
        bar.set_message(format!("family loss {loss:.4}"));
        let done = progress.pretrain_step == config.pretrain_steps;
        if progress
            .pretrain_step
            .is_multiple_of(config.checkpoint_every)
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

/// One Adam step on `batch`; returns the updated network and the loss terms before the step
/// (total, instrument, pitch, pianoroll, clip, programme).
pub fn optimisation_step(
    net: TimbreNet,
    optim: &mut ModuleOptimizer,
    batch: &Batch,
    weights: LossWeights,
    learning_rate: f64,
) -> (TimbreNet, [f64; 6]) {
    let (logits, programmes) = net.forward_training_logits(batch.features.clone());
    let loss = MultitaskLoss::new(logits, programmes, batch, weights);
    let total = loss.total();
    let values = [
        &total,
        &loss.instrument,
        &loss.pitch,
        &loss.pianoroll,
        &loss.clip,
        &loss.programme,
    ]
    .map(|t| f64::from(t.clone().into_scalar::<f32>()));
    let grads = GradientsParams::from_grads(total.backward(), &net);
    (optim.step(learning_rate, net, grads), values)
}

/// The network shape a training config asks for.
fn model_config(config: &TrainingConfig, classes: &ClassList) -> ModelConfig {
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
fn starting_weights(
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

/// Runs (or resumes) training as `config` says, on `compute`.
pub fn train(
    config: &TrainingConfig,
    paths: &RunPaths,
    compute: &ComputeDevice,
    resume: bool,
) -> Result<()> {
    let classes = ClassList::default_gm();
    let features = config.features.clone();
    let model_config = model_config(config, &classes);
    let device = compute.device.clone().autodiff();
    let checkpoint = paths.run_dir.join("checkpoint");
    std::fs::create_dir_all(&paths.run_dir).with_context(|| paths.run_dir.display().to_string())?;
    config
        .save(paths.run_dir.join("config.json"))
        .context("saving config.json")?;

    device.seed(config.seed);
    let mut net = match (&config.init_model, resume) {
        (Some(path), false) => {
            eprintln!("starting from the weights of {path}");
            starting_weights(Path::new(path), &model_config, &features, &classes, &device)?
        }
        _ => model_config.init(&device),
    };
    let mut optim: ModuleOptimizer = AdamConfig::new().init();
    let mut progress = Progress {
        pretrain_step: 0,
        step: 0,
        wall_seconds: 0.0,
        early_stopping: EarlyStopping::default(),
    };
    if resume {
        let loaded = load_model(&checkpoint.join("model"), &device)
            .context("resuming: no usable checkpoint")?;
        net = loaded.net;
        optim = optim
            .load(checkpoint.join("optimizer.bpk"))
            .map_err(|e| anyhow::anyhow!("optimizer state: {e}"))?;
        progress =
            serde_json::from_str(&std::fs::read_to_string(checkpoint.join("progress.json"))?)?;
        eprintln!("resuming at step {}", progress.step);
    }

    if let Some(split) = &config.pretrain_nsynth {
        let describe = |net: &TimbreNet, progress: &Progress| {
            let run = serde_json::json!({
                "pretrain_steps": progress.pretrain_step,
                "steps": 0,
                "wall_seconds": progress.wall_seconds.round(),
                "device": compute.description,
                "pretrain_data": split,
            });
            sidecar(config, net, &model_config, run, serde_json::Value::Null)
        };
        net = pretrain_stage(
            net,
            &mut optim,
            config,
            Path::new(split),
            &mut progress,
            paths,
            &describe,
        )?;
    }

    let validation = validation_examples(config, &classes, &features)?;
    let spec = DataSpec {
        font: PathBuf::from(TRAINING_FONT),
        first_seed: (config.seed << 32) + progress.step as u64 * 1000,
        procedural: ProceduralConfig {
            programme_count_exponent: config.programme_count_exponent,
            ..procedural(config)
        },
        mixup_probability: config.mixup_probability,
        concat_probability: config.concat_probability,
        effects_probability: config.effects_probability,
        timbre_probability: config.timbre_probability,
        variation_probability: config.variation_probability,
        mask_inaudible: config.mask_inaudible,
    };
    let stream =
        ExampleStream::start(spec, classes.clone(), features.clone(), config.data_threads)?;
    let weights = LossWeights {
        instrument_positive: config.instrument_positive_weight,
        pitch_positive: config.pitch_positive_weight,
        pianoroll_positive: config.pianoroll_positive_weight,
    };
    let log_path = paths.run_dir.join("metrics.csv");
    let mut log = open_log(
        &log_path,
        "step,loss,instrument_loss,pitch_loss,pianoroll_loss,clip_loss,programme_loss,instrument_f1_micro,pitch_f1,pianoroll_f1,clip_lrap,examples_per_s",
    )?;
    let bar = ProgressBar::new(config.steps as u64).with_position(progress.step as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} steps {msg} ({eta} left)")
            .expect("static template"),
    );
    let started = Instant::now();
    let mut interval_start = (Instant::now(), progress.step);
    let mut sums = [0.0f64; 6];
    while progress.step < config.steps {
        let examples: Vec<Example> = (0..config.batch_size).map(|_| stream.next()).collect();
        let values;
        (net, values) = optimisation_step(
            net,
            &mut optim,
            &batch(&examples, &device),
            weights,
            learning_rate(config, progress.step),
        );
        sums.iter_mut().zip(values).for_each(|(s, v)| *s += v);
        progress.step += 1;
        bar.set_position(progress.step as u64);
        bar.set_message(format!("loss {:.4}", values[0]));

        if progress.step.is_multiple_of(config.checkpoint_every) || progress.step == config.steps {
            let steps = (progress.step - interval_start.1).max(1) as f64;
            let throughput =
                steps * config.batch_size as f64 / interval_start.0.elapsed().as_secs_f64();
            let metrics = evaluate(&net, &validation, &device.clone().without_autodiff());
            let mean = sums.map(|s| s / steps);
            writeln!(
                log,
                "{},{:.5},{:.5},{:.5},{:.5},{:.5},{:.5},{:.4},{:.4},{:.4},{:.4},{:.2}",
                progress.step,
                mean[0],
                mean[1],
                mean[2],
                mean[3],
                mean[4],
                mean[5],
                metrics.instrument_f1_micro,
                metrics.pitch_f1,
                metrics.pianoroll_f1,
                metrics.clip_lrap,
                throughput
            )?;
            bar.println(format!(
                "step {}: {:?}, {throughput:.1} examples/s",
                progress.step, metrics
            ));
            sums = [0.0; 6];
            interval_start = (Instant::now(), progress.step);

            let wall = progress.wall_seconds + started.elapsed().as_secs_f64();
            let run = serde_json::json!({
                "pretrain_steps": progress.pretrain_step,
                "pretrain_data": config.pretrain_nsynth,
                "steps": progress.step,
                "wall_seconds": wall.round(),
                "device": compute.description,
                "examples_per_second": throughput,
                "training_data": format!("procedural pieces rendered on the fly from {TRAINING_FONT}"),
                "validation_data": format!("{} fresh procedural pieces rendered from {VALIDATION_FONT}", config.validation_pieces),
            });
            let side = sidecar(
                config,
                &net,
                &model_config,
                run,
                serde_json::to_value(&metrics)?,
            );
            let verdict = progress
                .early_stopping
                .observe(metrics.score(), config.early_stopping_patience);
            let saved = Progress {
                wall_seconds: wall,
                ..progress.clone()
            };
            save_checkpoint(&checkpoint, &net, &side, &optim, &saved)?;
            if verdict == Verdict::Improved {
                save_model(&net, &side, &paths.model)?;
            }
            write_curves(&log_path, &paths.run_dir.join("curves.png"))?;
            if verdict == Verdict::Stop {
                bar.println(format!(
                    "stopping early: no better validation score for {} passes",
                    config.early_stopping_patience
                ));
                break;
            }
        }
    }
    bar.finish();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use timbrescope_synth::soundfont::load_soundfont;

    #[test]
    fn a_partial_config_keeps_defaults_and_an_unknown_field_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, r#"{"steps": 7, "mixup_probability": 0.5}"#).unwrap();
        let config = TrainingConfig::load_partial(&path).unwrap();
        assert_eq!(config.steps, 7);
        assert_eq!(config.mixup_probability, 0.5);
        assert_eq!(config.batch_size, TrainingConfig::new().batch_size);
        std::fs::write(&path, r#"{"stepz": 7}"#).unwrap();
        let error = TrainingConfig::load_partial(&path).unwrap_err().to_string();
        assert!(error.contains("stepz"), "{error}");
    }

    #[test]
    fn early_stopping_keeps_the_best_pass_and_stops_after_patience_passes_without_gain() {
        let mut stopping = EarlyStopping::default();
        let verdicts: Vec<Verdict> = [0.3, 0.4, 0.35, 0.4, 0.45, 0.44, 0.2]
            .into_iter()
            .map(|score| stopping.observe(score, 2))
            .collect();
        use Verdict::*;
        assert_eq!(
            verdicts,
            [Improved, Improved, NoGain, Stop, Improved, NoGain, Stop]
        );
        assert_eq!(stopping.best, Some(0.45));
        let mut never = EarlyStopping::default();
        assert!(
            (0..10).all(|_| never.observe(0.0, 0) != Stop),
            "0 turns it off"
        );
    }

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
            let config = TrainingConfig::new()
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

    /// A run small enough for a test: a tiny network, 1 s pieces, one validation piece.
    fn tiny_config(steps: usize) -> TrainingConfig {
        TrainingConfig::new()
            .with_steps(steps)
            .with_batch_size(2)
            .with_hidden(8)
            .with_piece_seconds(1.0)
            .with_max_instruments(2)
            .with_checkpoint_every(2)
            .with_validation_pieces(1)
            .with_warmup_steps(1)
    }

    #[test]
    fn resume_continues_from_the_checkpoint_after_pre_training_to_the_same_step_count() {
        let tmp = tempfile::tempdir().unwrap();
        let split = tmp.path().join("nsynth");
        let font = load_soundfont(Path::new(TRAINING_FONT)).unwrap();
        crate::datasets::nsynth::write_rendered_split(
            &split,
            &[
                ("keyboard_acoustic_000-060-100", "keyboard", 0, 60),
                ("reed_acoustic_000-062-100", "reed", 65, 62),
            ],
            &font,
        );
        let paths = RunPaths {
            run_dir: tmp.path().join("run"),
            model: tmp.path().join("run/model"),
        };
        let pretrained = |steps| {
            tiny_config(steps)
                .with_pretrain_nsynth(Some(split.display().to_string()))
                .with_pretrain_steps(2)
        };
        let compute = ComputeDevice::cpu();
        // "Interrupted" after 2 of 4 steps: the checkpoint holds step 2.
        train(&pretrained(2), &paths, &compute, false).unwrap();
        let progress = |dir: &Path| -> Progress {
            serde_json::from_str(
                &std::fs::read_to_string(dir.join("checkpoint/progress.json")).unwrap(),
            )
            .unwrap()
        };
        assert_eq!(progress(&paths.run_dir).step, 2);
        train(&pretrained(4), &paths, &compute, true).unwrap();
        let resumed = progress(&paths.run_dir);
        assert_eq!((resumed.pretrain_step, resumed.step), (2, 4));

        let read = |name: &str| std::fs::read_to_string(paths.run_dir.join(name)).unwrap();
        let steps_logged: Vec<String> = read("metrics.csv")
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().to_string())
            .collect();
        assert_eq!(steps_logged, ["2", "4"], "each step once, none redone");
        assert_eq!(
            read("pretrain.csv").lines().count(),
            2,
            "pre-training ran once"
        );
        assert!(paths.run_dir.join("curves.png").is_file());
        let sidecar: serde_json::Value =
            serde_json::from_str(&read("checkpoint/model.json")).unwrap();
        assert_eq!(sidecar["training"]["run"]["steps"], 4);
        assert_eq!(sidecar["training"]["run"]["pretrain_steps"], 2);
    }

    #[test]
    fn a_run_starts_from_a_saved_model_of_its_shape_and_refuses_one_of_another_shape() {
        let tmp = tempfile::tempdir().unwrap();
        let compute = ComputeDevice::cpu();
        let run = |name: &str| RunPaths {
            run_dir: tmp.path().join(name),
            model: tmp.path().join(name).join("model"),
        };
        let (first, second) = (run("first"), run("second"));
        train(&tiny_config(2), &first, &compute, false).unwrap();

        // The starting weights are the saved ones: they score exactly as saved.
        let config = tiny_config(2).with_init_model(Some(first.model.display().to_string()));
        let (classes, features) = (ClassList::default_gm(), config.features.clone());
        let device = compute.device.clone().autodiff();
        let start_from_first = |config: &TrainingConfig| {
            let shape = model_config(config, &classes);
            starting_weights(&first.model, &shape, &features, &classes, &device).unwrap()
        };
        let start = start_from_first(&config);
        let examples = validation_examples(&config, &classes, &features).unwrap();
        let saved: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(first.run_dir.join("model.json")).unwrap(),
        )
        .unwrap();
        let assert_scores_as_saved = |net: &TimbreNet, tolerance: f64| {
            let rescored = serde_json::to_value(evaluate(net, &examples, &compute.device)).unwrap();
            for (name, value) in rescored.as_object().unwrap() {
                let (now, then) = (
                    value.as_f64().unwrap(),
                    saved["metrics"][name].as_f64().unwrap(),
                );
                assert!(
                    (now - then).abs() <= tolerance,
                    "{name}: {now} against {then} as saved"
                );
            }
        };
        assert_scores_as_saved(&start, 1e-12);

        // Dilations that continue the model's add blocks that start near the identity: the
        // grown network scores almost as saved, and trains.
        let deeper = config.clone().with_dilations(vec![1, 2, 4, 8, 16, 32]);
        let grown = start_from_first(&deeper);
        // Each block: a 3-tap convolution with bias, and a norm's scale, shift and statistics.
        let hidden = deeper.hidden;
        let block = hidden * hidden * 3 + hidden + 4 * hidden;
        assert_eq!(grown.num_params(), start.num_params() + 2 * block);
        assert_scores_as_saved(&grown, 0.02);
        train(&deeper, &run("deeper"), &compute, false).unwrap();

        // A programme head is added beside the other heads and changes none of their outputs;
        // a model that has one cannot start a run without one.
        let headed_config = config.clone().with_programme_head(true);
        let headed = start_from_first(&headed_config);
        assert_eq!(
            headed.num_params(),
            start.num_params() + hidden * GM_PROGRAMMES + GM_PROGRAMMES
        );
        assert_scores_as_saved(&headed, 1e-12);
        let headed_run = run("headed");
        train(&headed_config, &headed_run, &compute, false).unwrap();
        let headless = config
            .clone()
            .with_init_model(Some(headed_run.model.display().to_string()));
        let error = train(&headless, &run("headless"), &compute, false).unwrap_err();
        assert!(format!("{error:#}").contains("network"), "{error:#}");

        train(&config, &second, &compute, false).unwrap();
        let sidecar: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(second.run_dir.join("checkpoint/model.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(
            sidecar["training"]["config"]["init_model"],
            first.model.display().to_string(),
            "the sidecar says where the weights came from"
        );

        let wider = config.clone().with_hidden(12);
        let error = train(&wider, &run("third"), &compute, false).unwrap_err();
        assert!(format!("{error:#}").contains("network"), "{error:#}");
        let reordered = config.clone().with_dilations(vec![2, 1, 4, 8]);
        let error = train(&reordered, &run("fourth"), &compute, false).unwrap_err();
        assert!(format!("{error:#}").contains("network"), "{error:#}");
    }

    #[test]
    fn a_few_steps_on_a_tiny_model_lower_the_loss_with_and_without_the_harmonic_branch_and_programme_head()
     {
        let classes = ClassList::default_gm();
        let features = FeatureConfig::default();
        let font = load_soundfont(Path::new(TRAINING_FONT)).unwrap();
        let procedural = ProceduralConfig {
            duration: 2.0,
            min_instruments: 2,
            max_instruments: 3,
            ..ProceduralConfig::default()
        };
        let examples: Vec<Example> = (0..4)
            .flat_map(|seed| piece_examples(seed, &classes, &features, &procedural, &font).unwrap())
            .collect();
        let device = ComputeDevice::cpu().device.autodiff();
        let b = batch(&examples, &device);
        let weights = LossWeights {
            instrument_positive: 1.0,
            pitch_positive: 1.0,
            pianoroll_positive: 5.0,
        };
        for (harmonic_channels, programme_head) in [(0, false), (4, true)] {
            device.seed(3);
            let config = TrainingConfig::new()
                .with_hidden(16)
                .with_harmonic_channels(harmonic_channels)
                .with_programme_head(programme_head);
            let shape = model_config(&config, &classes);
            assert_eq!(shape.harmonic.is_some(), harmonic_channels > 0);
            assert_eq!(shape.programmes.is_some(), programme_head);
            let mut net = shape.init(&device);
            let mut optim: ModuleOptimizer = AdamConfig::new().init();
            let mut losses = Vec::new();
            for _ in 0..40 {
                let values;
                (net, values) = optimisation_step(net, &mut optim, &b, weights, 3e-3);
                losses.push(values);
            }
            let (first, last) = (losses[0], losses[losses.len() - 1]);
            assert!(
                last[0] < 0.7 * first[0],
                "harmonic channels {harmonic_channels}: total loss {} -> {}",
                first[0],
                last[0]
            );
            assert!(
                last[1] < first[1] && last[2] < first[2],
                "harmonic channels {harmonic_channels}: instrument and pitch terms fall: \
                 {first:?} -> {last:?}"
            );
            if programme_head {
                assert!(
                    last[5] < 0.7 * first[5],
                    "programme term falls: {first:?} -> {last:?}"
                );
            } else {
                assert!(
                    losses.iter().all(|l| l[5] == 0.0),
                    "no head, no programme term"
                );
            }
        }
    }
}

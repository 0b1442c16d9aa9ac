//! Fine-tuning basic-pitch on our synthetic music (issue "Notes you can trust", Build 5):
//! `cargo xtask train` with a config holding a `basic_pitch` object starts from basic-pitch's
//! own weights (or others) and trains the layers the config names, the CQT fixed, with
//! basic-pitch's losses: binary cross-entropy against targets smoothed by 0.2 on notes,
//! onsets and contour. Checkpoints every few steps (`--resume` goes on from the last),
//! a metrics log, and at the end a whole-graph `.bpk` that `analyze --note-weights` and
//! `eval --note-weights` load, with a sidecar saying how it was made. Weights are shipped
//! only where they beat basic-pitch's own on Bach10 and on the TimGM6mb validation music.

pub mod data;

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};
use timbrescope_engine::classes::{ClassList, PITCH_COUNT};
use timbrescope_engine::compute::ComputeDevice;
use timbrescope_engine::networks::basic_pitch::tuning::{
    CQT_SHAPE, HeadOutputs, LAYERS, TrainableHeads, transform,
};
use timbrescope_engine::networks::basic_pitch::{CONTOUR_BINS, ORIGINAL_WEIGHTS, WINDOW_FRAMES};
use timbrescope_synth::procedural::ProceduralConfig;
use timbrescope_synth::sample_sets::ensemble::{Ensemble, SourceWeight};

use crate::seeds::{EARLY_STOPPING_SEED, training_seed};
use crate::train::checkpoint::{Progress, RunPaths, open_log};
use crate::train::config::overlaid;
use data::{NoteDataSpec, NoteWindow, note_window_stream, piece_windows};

/// Everything that decides a fine-tuning run of basic-pitch.
#[derive(Config, Debug)]
pub struct NoteTuningConfig {
    /// Seed of the data stream.
    #[config(default = 1)]
    pub seed: u64,
    /// The permitted timbre sources parts draw their sample set from, with weights.
    #[config(
        default = "vec![SourceWeight::new(\"generaluser\", 1.0), SourceWeight::new(\"fluidr3\", 1.0), SourceWeight::new(\"freepats\", 0.5)]"
    )]
    pub sources: Vec<SourceWeight>,
    /// Length of each rendered piece in seconds.
    #[config(default = 8.0)]
    pub piece_seconds: f64,
    /// Most instruments in a piece.
    #[config(default = 6)]
    pub max_instruments: usize,
    /// Share of parts played by another of their set's presets of the same voice.
    #[config(default = 0.5)]
    pub variation_probability: f64,
    /// A whole-graph `.bpk` to start from; basic-pitch's own weights when left out.
    #[config(default = "None")]
    pub init_weights: Option<String>,
    /// The layers trained ([`LAYERS`]); the others stay as they start.
    #[config(default = "LAYERS.iter().map(|l| l.to_string()).collect()")]
    pub layers: Vec<String>,
    /// Optimisation steps.
    #[config(default = 300)]
    pub steps: usize,
    /// Windows per step.
    #[config(default = 4)]
    pub batch_windows: usize,
    /// Adam's learning rate after the warm-up.
    #[config(default = 1e-4)]
    pub learning_rate: f64,
    /// Steps over which the learning rate rises linearly from 0.
    #[config(default = 20)]
    pub warmup_steps: usize,
    /// Steps between checkpoints and log lines.
    #[config(default = 25)]
    pub checkpoint_every: usize,
    /// Share of the onset loss on onset frames (2w for a frame with an onset, 2(1 − w) for
    /// one without): ½ weighs both alike. basic-pitch's own outputs (notes and onsets near 0.1
    /// where nothing sounds, peaks near 0.9) are those of smoothed, unweighted targets; 0.95,
    /// weighted towards the rare onsets, made every frame an onset once smoothed.
    #[config(default = 0.5)]
    pub onset_positive_weight: f64,
    /// Targets are moved this far towards ½ (y(1 − s) + s/2), as basic-pitch trained with 0.2:
    /// its outputs, and so the note-creation thresholds, are calibrated to it.
    #[config(default = 0.2)]
    pub label_smoothing: f64,
    /// Background rendering threads.
    #[config(default = 1)]
    pub threads: usize,
    /// Windows of held-out pieces (seeds no training step draws, from the same sources) the
    /// loss is measured on before and after, for the sidecar.
    #[config(default = 32)]
    pub held_out_windows: usize,
}

impl NoteTuningConfig {
    /// The fine-tuning config in the training config file at `path`, if it is one: a JSON
    /// object whose one field `basic_pitch` holds any of this config's fields (the rest keep
    /// their defaults; an unknown one is an error). `None` for a recogniser's config.
    pub fn in_file(path: &Path) -> Result<Option<Self>> {
        let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
        let value: serde_json::Value =
            serde_json::from_str(&text).with_context(|| path.display().to_string())?;
        let serde_json::Value::Object(mut fields) = value else {
            return Ok(None);
        };
        let Some(given) = fields.remove("basic_pitch") else {
            return Ok(None);
        };
        let (serde_json::Value::Object(given), true) = (given, fields.is_empty()) else {
            anyhow::bail!(
                "{}: a basic-pitch config is one object, `basic_pitch`, and nothing beside it",
                path.display()
            );
        };
        overlaid(Self::new(), given)
            .map(Some)
            .with_context(|| path.display().to_string())
    }
}

/// The loss terms of a batch: notes, onsets, contour.
struct NoteLoss {
    note: Tensor<1>,
    onset: Tensor<1>,
    contour: Tensor<1>,
}

impl NoteLoss {
    fn new(out: HeadOutputs, batch: &NoteBatch, config: &NoteTuningConfig) -> Self {
        let smoothed = |target: &Tensor<3>| {
            let s = config.label_smoothing;
            target.clone() * (1.0 - s) + s / 2.0
        };
        Self {
            note: cross_entropy(out.note, smoothed(&batch.note), 0.5),
            onset: cross_entropy(
                out.onset,
                smoothed(&batch.onset),
                config.onset_positive_weight,
            ),
            contour: cross_entropy(out.contour, smoothed(&batch.contour), 0.5),
        }
    }

    fn total(&self) -> Tensor<1> {
        self.note.clone() + self.onset.clone() + self.contour.clone()
    }

    /// Total, notes, onsets, contour.
    fn values(&self) -> [f64; 4] {
        [
            self.total(),
            self.note.clone(),
            self.onset.clone(),
            self.contour.clone(),
        ]
        .map(|t| f64::from(t.into_scalar::<f32>()))
    }
}

/// Mean binary cross-entropy of probabilities against targets in [0, 1], the target's term
/// weighted `2 w` and its complement's `2 (1 − w)` (`w` = ½: the plain loss).
fn cross_entropy(probability: Tensor<3>, target: Tensor<3>, positive_share: f64) -> Tensor<1> {
    let p = probability.clamp(1e-6, 1.0 - 1e-6);
    let hit = target.clone() * p.clone().log() * (2.0 * positive_share);
    let miss =
        (target.ones_like() - target) * (p.ones_like() - p).log() * (2.0 * (1.0 - positive_share));
    (hit + miss).neg().mean()
}

/// A batch of windows as tensors.
struct NoteBatch {
    cqt: Tensor<4>,
    note: Tensor<3>,
    onset: Tensor<3>,
    contour: Tensor<3>,
}

fn note_batch(windows: &[NoteWindow], device: &Device) -> NoteBatch {
    let n = windows.len();
    let stack = |get: &dyn Fn(&NoteWindow) -> &[f32]| -> Vec<f32> {
        windows
            .iter()
            .flat_map(|w| get(w).iter().copied())
            .collect()
    };
    let plane = |values: Vec<f32>, bins: usize| {
        Tensor::from_data(TensorData::new(values, [n, WINDOW_FRAMES, bins]), device)
    };
    let [frames, bins, parts] = CQT_SHAPE;
    NoteBatch {
        cqt: Tensor::from_data(
            TensorData::new(stack(&|w| &w.cqt), [n, frames, bins, parts]),
            device,
        ),
        note: plane(stack(&|w| &w.note), PITCH_COUNT),
        onset: plane(stack(&|w| &w.onset), PITCH_COUNT),
        contour: plane(stack(&|w| &w.contour), CONTOUR_BINS),
    }
}

/// Mean loss terms over `windows`, a few at a time.
fn held_out_loss(
    heads: &TrainableHeads,
    windows: &[NoteWindow],
    config: &NoteTuningConfig,
    device: &Device,
) -> [f64; 4] {
    let chunks: Vec<&[NoteWindow]> = windows.chunks(config.batch_windows.max(1)).collect();
    let mut sums = [0.0; 4];
    for chunk in &chunks {
        let batch = note_batch(chunk, device);
        let values = NoteLoss::new(heads.forward(batch.cqt.clone()), &batch, config).values();
        sums.iter_mut()
            .zip(values)
            .for_each(|(s, v)| *s += v * chunk.len() as f64);
    }
    sums.map(|s| s / windows.len().max(1) as f64)
}

/// The learning rate at `step`: a linear warm-up, then constant.
fn learning_rate_at(config: &NoteTuningConfig, step: usize) -> f64 {
    let warm = (step + 1) as f64 / config.warmup_steps.max(1) as f64;
    config.learning_rate * warm.min(1.0)
}

/// Runs (or resumes) a fine-tuning run as `config` says, on `compute`.
pub fn train_note_network(
    config: &NoteTuningConfig,
    paths: &RunPaths,
    compute: &ComputeDevice,
    resume: bool,
) -> Result<()> {
    let classes = ClassList::default_gm();
    let device = compute.device.clone().autodiff();
    let checkpoint = paths.run_dir.join("checkpoint");
    std::fs::create_dir_all(&checkpoint).with_context(|| checkpoint.display().to_string())?;
    std::fs::write(
        paths.run_dir.join("config.json"),
        serde_json::to_string_pretty(&serde_json::json!({ "basic_pitch": config }))?,
    )?;
    let base = match &config.init_weights {
        Some(path) => std::fs::read(path).with_context(|| format!("init_weights {path}"))?,
        None => ORIGINAL_WEIGHTS.to_vec(),
    };
    let weights_path = checkpoint.join("weights.bpk");
    let progress_path = checkpoint.join("progress.json");
    let optimizer_path = checkpoint.join("optimizer.bpk");
    let (mut heads, mut optim, mut progress) = if resume {
        let weights = std::fs::read(&weights_path).context("resuming: no checkpoint")?;
        let optim: ModuleOptimizer = AdamConfig::new().init();
        let optim = optim
            .load(optimizer_path.clone())
            .map_err(|e| anyhow::anyhow!("optimizer state: {e}"))?;
        let text = std::fs::read_to_string(&progress_path)
            .with_context(|| progress_path.display().to_string())?;
        let progress: Progress = serde_json::from_str(&text)?;
        eprintln!("resuming at step {}", progress.step);
        (
            TrainableHeads::from_weights(weights, &device)?,
            optim,
            progress,
        )
    } else {
        let progress = Progress {
            pretrain_step: 0,
            step: 0,
            wall_seconds: 0.0,
            early_stopping: Default::default(),
        };
        (
            TrainableHeads::from_weights(base.clone(), &device)?,
            AdamConfig::new().init(),
            progress,
        )
    };
    let trained = heads.parameters_of(&config.layers)?;

    let procedural = ProceduralConfig {
        duration: config.piece_seconds,
        max_instruments: config.max_instruments,
        ..ProceduralConfig::default()
    };
    let ensemble = Ensemble::load(&config.sources)?;
    let held_out_spec = NoteDataSpec {
        first_seed: EARLY_STOPPING_SEED,
        procedural,
        variation_probability: config.variation_probability,
    };
    let cqt = transform();
    let mut held_out = Vec::new();
    let mut seed = held_out_spec.first_seed;
    while held_out.len() < config.held_out_windows {
        held_out.extend(
            piece_windows(seed, &classes, &held_out_spec, &ensemble, &cqt).unwrap_or_default(),
        );
        seed += 1;
    }
    held_out.truncate(config.held_out_windows);
    let inference = device.clone().without_autodiff();
    let start_heads = TrainableHeads::from_weights(base.clone(), &inference)?;
    let held_out_before = held_out_loss(&start_heads, &held_out, config, &inference);
    eprintln!("held-out loss of the starting weights: {held_out_before:.4?}");

    let stream = note_window_stream(
        NoteDataSpec {
            first_seed: training_seed(config.seed, progress.step),
            ..held_out_spec
        },
        classes,
        ensemble,
        config.threads,
    );
    let mut log = open_log(
        &paths.run_dir.join("metrics.csv"),
        "step,loss,note_loss,onset_loss,contour_loss,windows_per_s",
    )?;
    let bar = ProgressBar::new(config.steps as u64).with_position(progress.step as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} steps {msg} ({eta} left)")
            .expect("static template"),
    );
    let mut interval = (Instant::now(), progress.step, [0.0f64; 4]);
    while progress.step < config.steps {
        let windows: Vec<NoteWindow> = (0..config.batch_windows).map(|_| stream.next()).collect();
        let batch = note_batch(&windows, &device);
        let loss = NoteLoss::new(heads.forward(batch.cqt.clone()), &batch, config);
        let values = loss.values();
        let grads = GradientsParams::from_params(&mut loss.total().backward(), &heads, &trained);
        heads = optim.step(learning_rate_at(config, progress.step), heads, grads);
        interval.2.iter_mut().zip(values).for_each(|(s, v)| *s += v);
        progress.step += 1;
        bar.set_position(progress.step as u64);
        bar.set_message(format!("loss {:.4}", values[0]));
        if progress.step.is_multiple_of(config.checkpoint_every) || progress.step == config.steps {
            let elapsed = interval.0.elapsed().as_secs_f64();
            let steps = (progress.step - interval.1).max(1) as f64;
            let mean = interval.2.map(|s| s / steps);
            let throughput = steps * config.batch_windows as f64 / elapsed;
            writeln!(
                log,
                "{},{:.5},{:.5},{:.5},{:.5},{:.2}",
                progress.step, mean[0], mean[1], mean[2], mean[3], throughput
            )?;
            progress.wall_seconds += elapsed;
            std::fs::write(&weights_path, heads.weights(&base)?)?;
            optim
                .save(optimizer_path.clone())
                .map_err(|e| anyhow::anyhow!("saving optimizer: {e}"))?;
            std::fs::write(&progress_path, serde_json::to_string(&progress)?)?;
            bar.println(format!(
                "step {}: loss {:.4?}, {throughput:.2} windows/s",
                progress.step, mean
            ));
            interval = (Instant::now(), progress.step, [0.0; 4]);
        }
    }
    bar.finish();

    let weights = heads.weights(&base)?;
    let tuned = TrainableHeads::from_weights(weights.clone(), &inference)?;
    let held_out_after = held_out_loss(&tuned, &held_out, config, &inference);
    eprintln!(
        "held-out loss after {} steps: {held_out_after:.4?}",
        progress.step
    );
    write_weights(
        paths,
        &weights,
        &serde_json::json!({
            "network": "basic-pitch (ICASSP 2022, Spotify, Apache-2.0), fine-tuned",
            "config": config,
            "sources": config.sources,
            "seed": config.seed,
            "steps": progress.step,
            "windows_seen": progress.step * config.batch_windows,
            "wall_seconds": progress.wall_seconds.round(),
            "device": compute.description,
            "parameter_count": heads.num_params(),
            "trained_parameter_tensors": trained.len(),
            "held_out_loss": {
                "terms": ["total", "note", "onset", "contour"],
                "windows": held_out.len(),
                "starting_weights": held_out_before,
                "tuned": held_out_after,
            },
        }),
    )
}

/// Writes the tuned graph as `<model>.bpk` and its sidecar as `<model>.json`.
fn write_weights(paths: &RunPaths, weights: &[u8], sidecar: &serde_json::Value) -> Result<()> {
    let bpk = paths.model.with_extension("bpk");
    if let Some(dir) = bpk.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
    }
    std::fs::write(&bpk, weights).with_context(|| bpk.display().to_string())?;
    let json = bpk.with_extension("json");
    std::fs::write(&json, serde_json::to_string_pretty(sidecar)? + "\n")
        .with_context(|| json.display().to_string())?;
    eprintln!("wrote {} and {}", bpk.display(), Path::new(&json).display());
    Ok(())
}

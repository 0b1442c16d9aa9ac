//! `cargo xtask train`: multitask training on procedural music rendered on the fly, with
//! Adam, warm-up and cosine decay, checkpoints with `--resume`, a metrics log, and validation
//! on fresh music rendered with the held-out font.
//!
//! A newcomer reads it in this order: [`config`] (what decides a run), [`data`] and
//! [`augment`] (the music it hears), [`network`] (what it trains), [`loss`], this module's
//! [`train`] loop, [`validation`], [`checkpoint`] and [`pretrain`].

pub mod augment;
pub mod checkpoint;
pub mod config;
pub mod data;
pub mod loss;
pub mod network;
pub mod note_network;
pub mod pretrain;
pub mod validation;

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};
use timbrescope_engine::classes::ClassList;
use timbrescope_engine::compute::ComputeDevice;
use timbrescope_engine::networks::model::{ModelConfig, TimbreNet};
use timbrescope_engine::networks::model_file::{ModelSidecar, SIDECAR_FORMAT, save_model};
use timbrescope_synth::procedural::ProceduralConfig;
use timbrescope_synth::sample_sets::VALIDATION_FONT;
use timbrescope_synth::sample_sets::catalogue::Source;
use timbrescope_synth::sample_sets::ensemble::SourceWeight;

use crate::curves::write_curves;
use crate::seeds::training_seed;
use crate::train::checkpoint::{Progress, RunPaths, load_checkpoint, open_log, save_checkpoint};
use crate::train::config::{LossWeights, TrainingConfig};
use crate::train::data::{Batch, DataSpec, Example, batch, example_stream};
use crate::train::loss::MultitaskLoss;
use crate::train::network::{model_config, starting_weights};
use crate::train::pretrain::pretrain_stage;
use crate::train::validation::{EarlyStopping, Verdict, evaluate, procedural, validation_examples};

/// What a run trains on, in words for the sidecar: every source with its weight and files.
fn training_data(sources: &[SourceWeight]) -> String {
    let listed: Vec<String> = sources
        .iter()
        .map(|s| {
            let location = Source::named(&s.name).map_or_else(
                |_| "?".into(),
                |source| source.location().display().to_string(),
            );
            format!("{} (weight {}, {location})", s.name, s.weight)
        })
        .collect();
    format!(
        "procedural pieces rendered on the fly, each part from one of: {}",
        listed.join(", ")
    )
}

/// The sidecar of a model this run saves: the config and the run's figures beside the
/// network's shape.
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
        features: config.model.features.clone(),
        model: model.clone(),
        parameter_count: net.num_params(),
        training: serde_json::json!({ "config": config, "run": training }),
        metrics,
    }
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

/// Runs (or resumes) training as `config` says, on `compute`.
pub fn train(
    config: &TrainingConfig,
    paths: &RunPaths,
    compute: &ComputeDevice,
    resume: bool,
) -> Result<()> {
    let classes = ClassList::default_gm();
    let features = config.model.features.clone();
    let model_config = model_config(&config.model, &classes);
    let device = compute.device.clone().autodiff();
    let checkpoint = paths.run_dir.join("checkpoint");
    std::fs::create_dir_all(&paths.run_dir).with_context(|| paths.run_dir.display().to_string())?;
    config
        .save(paths.run_dir.join("config.json"))
        .context("saving config.json")?;

    device.seed(config.seed);
    let mut net = match (&config.model.init_model, resume) {
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
        (net, optim, progress) = load_checkpoint(&checkpoint, optim, &device)?;
        eprintln!("resuming at step {}", progress.step);
    }

    if let Some(split) = &config.pretraining.nsynth {
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
        sources: config.data.sources.clone(),
        first_seed: training_seed(config.seed, progress.step),
        procedural: ProceduralConfig {
            programme_count_exponent: config.data.programme_count_exponent,
            ..procedural(config)
        },
        augmentation: config.augmentation.clone(),
        mask_inaudible: config.data.mask_inaudible,
    };
    let stream = example_stream(spec, classes.clone(), features.clone(), config.data.threads)?;
    let weights = config.loss;
    let log_path = paths.run_dir.join("metrics.csv");
    let mut log = open_log(
        &log_path,
        "step,loss,instrument_loss,pitch_loss,pianoroll_loss,clip_loss,programme_loss,instrument_f1_micro,pitch_f1,pianoroll_f1,clip_lrap,examples_per_s",
    )?;
    let bar = ProgressBar::new(config.schedule.steps as u64).with_position(progress.step as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} steps {msg} ({eta} left)")
            .expect("static template"),
    );
    let started = Instant::now();
    let mut interval_start = (Instant::now(), progress.step);
    let mut sums = [0.0f64; 6];
    while progress.step < config.schedule.steps {
        let examples: Vec<Example> = (0..config.schedule.batch_size)
            .map(|_| stream.next())
            .collect();
        let values;
        (net, values) = optimisation_step(
            net,
            &mut optim,
            &batch(&examples, &device),
            weights,
            config.schedule.learning_rate_at(progress.step),
        );
        sums.iter_mut().zip(values).for_each(|(s, v)| *s += v);
        progress.step += 1;
        bar.set_position(progress.step as u64);
        bar.set_message(format!("loss {:.4}", values[0]));

        if progress
            .step
            .is_multiple_of(config.schedule.checkpoint_every)
            || progress.step == config.schedule.steps
        {
            let steps = (progress.step - interval_start.1).max(1) as f64;
            let throughput = steps * config.schedule.batch_size as f64
                / interval_start.0.elapsed().as_secs_f64();
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
                "pretrain_data": config.pretraining.nsynth,
                "steps": progress.step,
                "wall_seconds": wall.round(),
                "device": compute.description,
                "examples_per_second": throughput,
                "training_data": training_data(&config.data.sources),
                "validation_data": format!("{} fresh procedural pieces rendered from {VALIDATION_FONT}", config.validation.pieces),
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
                .observe(metrics.score(), config.validation.early_stopping_patience);
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
                    config.validation.early_stopping_patience
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
    use crate::train::config::{
        DataConfig, NetworkConfig, PretrainingConfig, ScheduleConfig, ValidationConfig,
    };
    use crate::train::data::piece_examples;
    use timbrescope_engine::classes::GM_PROGRAMMES;
    use timbrescope_engine::features::FeatureConfig;
    use timbrescope_synth::sample_sets::{TRAINING_FONT, load_soundfont};

    /// A run small enough for a test: a tiny network, 1 s pieces, one validation piece.
    fn tiny_config(steps: usize) -> TrainingConfig {
        TrainingConfig::new()
            .with_schedule(
                ScheduleConfig::new()
                    .with_steps(steps)
                    .with_batch_size(2)
                    .with_checkpoint_every(2)
                    .with_warmup_steps(1),
            )
            .with_model(NetworkConfig::new().with_hidden(8))
            .with_data(
                DataConfig::new()
                    .with_piece_seconds(1.0)
                    .with_max_instruments(2),
            )
            .with_validation(ValidationConfig::new().with_pieces(1))
    }

    /// `config` with its network changed by `change`.
    fn with_network(
        config: &TrainingConfig,
        change: impl FnOnce(NetworkConfig) -> NetworkConfig,
    ) -> TrainingConfig {
        config.clone().with_model(change(config.model.clone()))
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
            tiny_config(steps).with_pretraining(
                PretrainingConfig::new()
                    .with_nsynth(Some(split.display().to_string()))
                    .with_steps(2),
            )
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
        // The timbre sources and their weights, in the config and in words.
        let sources = &sidecar["training"]["config"]["data"]["sources"];
        assert_eq!(sources[0]["name"], "fluidr3");
        assert_eq!(sources[0]["weight"], 1.0);
        let data = sidecar["training"]["run"]["training_data"]
            .as_str()
            .unwrap();
        assert!(
            data.contains("fluidr3 (weight 1, /usr/share/sounds/sf2/FluidR3_GM.sf2)"),
            "{data}"
        );
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
        let config = with_network(&tiny_config(2), |m| {
            m.with_init_model(Some(first.model.display().to_string()))
        });
        let (classes, features) = (ClassList::default_gm(), config.model.features.clone());
        let device = compute.device.clone().autodiff();
        let start_from_first = |config: &TrainingConfig| {
            let shape = model_config(&config.model, &classes);
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
        let deeper = with_network(&config, |m| m.with_dilations(vec![1, 2, 4, 8, 16, 32]));
        let grown = start_from_first(&deeper);
        // Each block: a 3-tap convolution with bias, and a norm's scale, shift and statistics.
        let hidden = deeper.model.hidden;
        let block = hidden * hidden * 3 + hidden + 4 * hidden;
        assert_eq!(grown.num_params(), start.num_params() + 2 * block);
        assert_scores_as_saved(&grown, 0.02);
        train(&deeper, &run("deeper"), &compute, false).unwrap();

        // A programme head is added beside the other heads and changes none of their outputs;
        // a model that has one cannot start a run without one.
        let headed_config = with_network(&config, |m| m.with_programme_head(true));
        let headed = start_from_first(&headed_config);
        assert_eq!(
            headed.num_params(),
            start.num_params() + hidden * GM_PROGRAMMES + GM_PROGRAMMES
        );
        assert_scores_as_saved(&headed, 1e-12);
        let headed_run = run("headed");
        train(&headed_config, &headed_run, &compute, false).unwrap();
        let headless = with_network(&config, |m| {
            m.with_init_model(Some(headed_run.model.display().to_string()))
        });
        let error = train(&headless, &run("headless"), &compute, false).unwrap_err();
        assert!(format!("{error:#}").contains("network"), "{error:#}");

        train(&config, &second, &compute, false).unwrap();
        let sidecar: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(second.run_dir.join("checkpoint/model.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(
            sidecar["training"]["config"]["model"]["init_model"],
            first.model.display().to_string(),
            "the sidecar says where the weights came from"
        );

        let wider = with_network(&config, |m| m.with_hidden(12));
        let error = train(&wider, &run("third"), &compute, false).unwrap_err();
        assert!(format!("{error:#}").contains("network"), "{error:#}");
        let reordered = with_network(&config, |m| m.with_dilations(vec![2, 1, 4, 8]));
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
        let weights = LossWeights::new();
        for (harmonic_channels, programme_head) in [(0, false), (4, true)] {
            device.seed(3);
            let config = NetworkConfig::new()
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

//! `cargo xtask …`: where models are made and measured.

mod backbone_head;
mod backbone_probe;
mod calibrate;
mod curves;
mod datasets;
mod eval;
mod hosts;
mod metrics;
mod seeds;
mod soak;
mod synth;
#[cfg(test)]
mod test_signals;
mod train;
mod validator;

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use timbrescope_engine::allocator::keep_freed_tensor_memory;
use timbrescope_engine::analysis::{Analyzer, DEFAULT_FILE_HOP_FRAMES};
use timbrescope_engine::classes::ClassList;
use timbrescope_engine::compute::{BackendChoice, select_device};
use timbrescope_engine::networks::basic_pitch::BasicPitch;
use timbrescope_engine::networks::model_file::{load_model, load_or_built_in, save_model};
use timbrescope_synth::demo::demo_score;
use timbrescope_synth::procedural::ProceduralConfig;
use timbrescope_synth::render::render_score;
use timbrescope_synth::sample_sets::catalogue::Source;
use timbrescope_synth::sample_sets::{TRAINING_FONT, VALIDATION_FONT, load_soundfont};
use timbrescope_synth::wav::write_wav;

use crate::train::checkpoint::RunPaths;
use crate::train::config::TrainingConfig;
use crate::train::note_network::{NoteTuningConfig, train_note_network};
use crate::train::train;

/// The demo file: two passes of the 4 s demo arrangement, at a rate that keeps it small.
const DEMO_REPEATS: usize = 2;
const DEMO_RATE: u32 = 22_050;

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Timbrescope developer tasks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a model on procedural music rendered from the timbre sources its config names.
    Train {
        /// Training configuration (JSON); missing fields take their defaults.
        #[arg(long)]
        config: PathBuf,
        /// Folder for checkpoints, config.json and metrics.csv.
        #[arg(long, default_value = "target/train")]
        run_dir: PathBuf,
        /// Where the finished model (.bpk + .json) goes.
        #[arg(long, default_value = "target/train/model")]
        out: PathBuf,
        /// Continue from the run folder's checkpoint.
        #[arg(long)]
        resume: bool,
        /// cpu, gpu or auto.
        #[arg(long, default_value = "auto", value_parser = clap::value_parser!(BackendChoice))]
        backend: BackendChoice,
    },
    /// Redraw a training run's curves (`<run-dir>/curves.png`) from its `metrics.csv`; training
    /// redraws them at every validation pass.
    Curves {
        /// The run folder.
        #[arg(default_value = "target/train")]
        run_dir: PathBuf,
    },
    /// Render procedural pieces (or a folder of MIDI files) to WAV files with label files
    /// (prediction format).
    Synth {
        /// Output folder.
        #[arg(long, default_value = "target/synth")]
        out: PathBuf,
        /// Render the MIDI files in this folder instead of procedural pieces.
        #[arg(long)]
        midi: Option<PathBuf>,
        /// Number of pieces.
        #[arg(long, default_value_t = 10)]
        count: usize,
        /// Seed of the first piece; piece i uses seed + i.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// SoundFont to render with.
        #[arg(long, default_value = TRAINING_FONT)]
        font: PathBuf,
        /// Seconds per piece.
        #[arg(long, default_value_t = 4.0)]
        seconds: f64,
    },
    /// Read a dataset you own with its loader and print what it holds per class.
    Inspect {
        /// Layout: nsynth (a split folder), irmas-train, irmas-test, openmic or slakh (a split
        /// folder of Track* folders).
        #[arg(long)]
        kind: String,
        /// The dataset folder.
        path: PathBuf,
    },
    /// Score a model: frame instrument/pitch/pianoroll F1, note F1, clip LRAP and F1.
    Eval {
        /// Model file (.bpk or .json); the built-in model when left out.
        #[arg(long)]
        model: Option<PathBuf>,
        /// `validation` (fresh procedural music from the held-out TimGM6mb font), a Bach10
        /// folder, or a Slakh2100 split folder (`Track*` folders).
        #[arg(long, default_value = "validation")]
        data: String,
        /// Pieces of validation music.
        #[arg(long, default_value_t = 200)]
        pieces: usize,
        /// Instruments in every validation piece, to score solos and mixtures apart; when
        /// left out each piece draws its count like the training music.
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=6))]
        instruments: Option<u16>,
        /// SoundFont of the validation music; the training font's score beside the held-out
        /// font's shows how much of the error is generalisation to unseen sounds.
        /// The held-out TimGM6mb font when left out.
        #[arg(long, conflicts_with = "source")]
        font: Option<PathBuf>,
        /// A timbre source (`cargo xtask sources`) to render the validation music with
        /// instead, its pieces fitted to the instruments it plays: how well the model knows
        /// that source's recordings.
        #[arg(long)]
        source: Option<String>,
        /// Where the JSON report goes.
        #[arg(long, default_value = "target/eval.json")]
        out: PathBuf,
        /// cpu, gpu or auto.
        #[arg(long, default_value = "auto", value_parser = clap::value_parser!(BackendChoice))]
        backend: BackendChoice,
        /// Score without the identity carry (the ablation of the model card).
        #[arg(long)]
        no_identity_carry: bool,
        /// Score the live path (the plugin's stream, fed in blocks) instead of the file path.
        #[arg(long)]
        live: bool,
        /// basic-pitch weights (.bpk) to transcribe with: basic-pitch's own
        /// (`assets/basic-pitch/nmp.bpk`) or a fine-tuning run's (`cargo xtask train` with a
        /// `basic_pitch` config); the built-in fine-tuned ones otherwise.
        #[arg(long)]
        note_weights: Option<PathBuf>,
    },
    /// Set a trained model's instrument operating point on fresh held-out-font music (seeds
    /// `eval` never draws) and write the calibrated model.
    Calibrate {
        /// The model a training run wrote (.bpk or .json).
        #[arg(long)]
        model: PathBuf,
        /// Where the calibrated model (.bpk + .json) goes.
        #[arg(long)]
        out: PathBuf,
        /// Pieces of held-out-font music to calibrate on.
        #[arg(long, default_value_t = 100)]
        pieces: usize,
        /// cpu, gpu or auto.
        #[arg(long, default_value = "auto", value_parser = clap::value_parser!(BackendChoice))]
        backend: BackendChoice,
    },
    /// Experiment: the rank YAMNet's AudioSet scores alone give each Bach10 stem's own
    /// instrument among our classes (no trained head).
    ProbeBackbone {
        /// The Bach10 folder.
        #[arg(long, default_value = "../shared/realdata/bach10")]
        data: PathBuf,
        /// Instead, embed this many pieces (each from one permitted source), train a linear
        /// presence head on frozen YAMNet embeddings, score it beside the shipped model and
        /// mixed with it (per patch, and frame by frame through the analysis path) on
        /// TimGM6mb and Bach10, and print a leave-one-source-out table.
        #[arg(long)]
        head_pieces: Option<usize>,
        /// Validation pieces the head is scored on.
        #[arg(long, default_value_t = 100)]
        pieces: usize,
    },
    /// List the timbre sources training may draw on: installed or not, how many voices each
    /// plays, and how to install the missing ones.
    Sources,
    /// Run the criterion benchmarks (front-end, model, analyze real-time factor, plugin
    /// process() per block through a CLAP host).
    Bench,
    /// Build the VST3 and CLAP bundles (nice-plug's bundler): `cargo xtask bundle timbrescope
    /// --release`. Bundles land in `<target>/bundled/`.
    Bundle {
        /// Arguments for the bundler: package name and `cargo build` options.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Everything CI checks: the test bundle (allocation checks on), `cargo test`, the VST3
    /// in a real host (pedalboard) and clap-validator on the CLAP bundle.
    Test,
    /// clap-validator (vendored in tools/) on the test bundle, headless: every check must
    /// pass and the plugin must print nothing; prints each check's duration.
    Validate,
    /// The live analysis for N minutes as the plugin runs it (48 kHz, 64-sample blocks, real
    /// time, automation, restarts, re-activations): memory over time, dropped audio, worker
    /// restarts, model time per window. Fails on memory growth or a worker restart.
    Soak {
        /// Minutes of music to play.
        #[arg(long, default_value_t = 2.0)]
        minutes: f64,
        /// The music, looped.
        #[arg(long, default_value = "assets/demo.wav")]
        music: PathBuf,
    },
    /// Render the bundled demo file from the demo arrangement and the training font.
    Demo {
        /// Output WAV file.
        #[arg(long, default_value = "assets/demo.wav")]
        out: PathBuf,
    },
}

fn main() -> Result<()> {
    keep_freed_tensor_memory();
    match Cli::parse().command {
        Command::Train {
            config,
            run_dir,
            out,
            resume,
            backend,
        } => {
            let paths = RunPaths {
                run_dir,
                model: out,
            };
            if let Some(config) = NoteTuningConfig::in_file(&config)? {
                let compute = select_device(backend)?;
                eprintln!("fine-tuning basic-pitch on {}", compute.description);
                return train_note_network(&config, &paths, &compute, resume);
            }
            let config =
                TrainingConfig::load_partial(&config).context("invalid training config")?;
            let compute = select_device(backend)?;
            eprintln!("training on {}", compute.description);
            train(&config, &paths, &compute, resume)
        }
        Command::Curves { run_dir } => {
            let png = run_dir.join("curves.png");
            curves::write_curves(&run_dir.join("metrics.csv"), &png)?;
            eprintln!("wrote {}", png.display());
            Ok(())
        }
        Command::Synth {
            out,
            midi: Some(folder),
            seed,
            font,
            ..
        } => synth::write_midi_renders(&folder, &out, &font, seed),
        Command::Synth {
            out,
            midi: None,
            count,
            seed,
            font,
            seconds,
        } => {
            let procedural = ProceduralConfig {
                duration: seconds,
                ..ProceduralConfig::default()
            };
            synth::write_pieces(&out, count, seed, &font, &procedural)
        }
        Command::Inspect { kind, path } => {
            let classes = ClassList::default_gm();
            let clips = match kind.as_str() {
                "nsynth" => datasets::nsynth::load(&path, &classes)?,
                "irmas-train" => datasets::irmas::load_training(&path, &classes)?,
                "irmas-test" => datasets::irmas::load_testing(&path, &classes)?,
                "openmic" => datasets::openmic::load(&path, &classes)?,
                "slakh" => datasets::slakh::load_clips(&path, &classes)?,
                other => {
                    bail!(
                        "unknown dataset layout {other:?} (nsynth, irmas-train, irmas-test, openmic, slakh)"
                    )
                }
            };
            println!("{} clips", clips.len());
            for (k, name) in classes.names().iter().enumerate() {
                let present = clips.iter().filter(|c| c.present[k] > 0.0).count();
                let known = clips.iter().filter(|c| c.known[k] > 0.0).count();
                println!("{name:<20} present in {present:>6}, labelled in {known:>6}");
            }
            Ok(())
        }
        Command::Calibrate {
            model,
            out,
            pieces,
            backend,
        } => {
            let compute = select_device(backend)?;
            let loaded = load_model(&model, &compute.device)?;
            calibrate::ensure_uncalibrated(&loaded.sidecar)?;
            let music = eval::validation_pieces(
                pieces,
                &loaded.sidecar.classes,
                &ProceduralConfig::default(),
                &load_soundfont(Path::new(VALIDATION_FONT))?,
                seeds::CALIBRATION_SEED,
            )?;
            let (net, sidecar) = (loaded.net.clone(), loaded.sidecar.clone());
            let analyzer = Analyzer::new(loaded, compute, DEFAULT_FILE_HOP_FRAMES);
            let found = calibrate::calibrate(&analyzer, &music);
            eprintln!(
                "instrument logits {:+.3}: frame instrument F1 {:.3} -> {:.3} on {} held-out pieces",
                found.instrument_logit_shift,
                found.instrument_f1_before,
                found.instrument_f1_after,
                found.pieces
            );
            save_model(
                &net.with_instrument_logits_shifted(found.instrument_logit_shift),
                &calibrate::record(sidecar, &found),
                &out,
            )?;
            eprintln!("wrote {}", out.display());
            Ok(())
        }
        Command::Eval {
            model,
            data,
            pieces,
            instruments,
            font,
            source,
            out,
            backend,
            no_identity_carry,
            live,
            note_weights,
        } => {
            if (instruments.is_some() || font.is_some() || source.is_some()) && data != "validation"
            {
                bail!(
                    "--instruments, --font and --source set the validation music; {data} has its own"
                );
            }
            let compute = select_device(backend)?;
            let (model, problem) = load_or_built_in(model.as_deref(), &compute.device);
            if let Some(problem) = problem {
                bail!("{problem}");
            }
            let classes = model.sidecar.classes.clone();
            let mut analyzer = Analyzer::new(model, compute, DEFAULT_FILE_HOP_FRAMES);
            if no_identity_carry {
                analyzer = analyzer.without_identity_carry();
            }
            if let Some(path) = &note_weights {
                let network = BasicPitch::from_file(path, &analyzer.compute().device)?;
                analyzer = analyzer.with_note_network(network);
            }
            let annotated = if data == "validation" {
                let mut procedural = ProceduralConfig::default();
                if let Some(count) = instruments {
                    procedural.min_instruments = usize::from(count);
                    procedural.max_instruments = usize::from(count);
                }
                let font = match source {
                    Some(name) => Source::named(&name)?.load()?,
                    None => load_soundfont(&font.unwrap_or_else(|| VALIDATION_FONT.into()))?,
                };
                eval::validation_pieces(
                    pieces,
                    &classes,
                    &procedural,
                    &font,
                    seeds::VALIDATION_SEED,
                )?
            } else if datasets::slakh::is_split(Path::new(&data)) {
                datasets::slakh::annotated_pieces(Path::new(&data))?
            } else {
                eval::bach10_pieces(Path::new(&data), &classes)?
            };
            let path = if live {
                eval::AnalysisPath::Live
            } else {
                eval::AnalysisPath::File
            };
            let report = eval::evaluate_pieces(&analyzer, &annotated, path);
            print!("{}", eval::format_table(&report));
            if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&out, serde_json::to_string_pretty(&report)? + "\n")
                .with_context(|| out.display().to_string())?;
            eprintln!("wrote {}", out.display());
            Ok(())
        }
        Command::Bundle { args } => nice_plug_xtask::main_with_args(
            "cargo xtask",
            std::iter::once("bundle".into()).chain(args),
        ),
        Command::Test => hosts::run_tests(),
        Command::ProbeBackbone {
            data,
            head_pieces,
            pieces,
        } => match head_pieces {
            Some(count) => backbone_head::run(count, pieces, &data),
            None => backbone_probe::probe_bach10(&data),
        },
        Command::Sources => {
            for source in timbrescope_synth::sample_sets::catalogue::SOURCES {
                let state = match source.load() {
                    Ok(set) => match set.voices().len() {
                        1 => "1 voice".to_owned(),
                        count => format!("{count} voices"),
                    },
                    Err(e) => e.to_string(),
                };
                println!("{:<18} {state}", source.name);
            }
            Ok(())
        }
        Command::Soak { minutes, music } => soak::soak(&music, minutes),
        Command::Validate => {
            hosts::bundle_for_tests()?;
            validator::validate()
        }
        Command::Bench => {
            hosts::bundle_for_tests()?;
            // The dev profile has fully optimised dependencies; benchmarking in it reuses the
            // one burn build instead of compiling burn again for the release profile.
            let status = Process::new(env!("CARGO"))
                .args([
                    "bench",
                    "--profile",
                    "dev",
                    "--workspace",
                    "--bench",
                    "engine",
                    "--bench",
                    "plugin",
                    // The features of the test build, so nothing is compiled again.
                    "--features",
                    hosts::TEST_FEATURES,
                ])
                .status()
                .context("starting cargo bench")?;
            if !status.success() {
                bail!("benchmarks failed");
            }
            Ok(())
        }
        Command::Demo { out } => {
            let font = load_soundfont(Path::new(TRAINING_FONT))?;
            let audio = render_score(&demo_score(DEMO_REPEATS), &font, DEMO_RATE)?;
            write_wav(&out, &audio, DEMO_RATE).with_context(|| out.display().to_string())?;
            eprintln!(
                "wrote {} ({:.1} s)",
                out.display(),
                audio.len() as f64 / f64::from(DEMO_RATE)
            );
            Ok(())
        }
    }
}

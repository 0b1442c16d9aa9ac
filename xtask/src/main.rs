//! `cargo xtask …`: where models are made and measured.

mod data;
mod loss;
mod metrics;
mod training;

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use anyhow::{Context, Result, bail};
use burn::config::Config;
use clap::{Parser, Subcommand};
use timbrescope_engine::compute::{BackendChoice, select_device};
use timbrescope_synth::demo::demo_score;
use timbrescope_synth::render::render_score;
use timbrescope_synth::soundfont::{TRAINING_FONT, load_soundfont};
use timbrescope_synth::wav::write_wav;

use crate::training::{RunPaths, TrainingConfig, train};

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
    /// Train a model on procedural music rendered from the training SoundFont.
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
    /// Run the criterion benchmarks (front-end, model, analyze real-time factor).
    Bench,
    /// Render the bundled demo file from the demo arrangement and the training font.
    Demo {
        /// Output WAV file.
        #[arg(long, default_value = "assets/demo.wav")]
        out: PathBuf,
    },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Train {
            config,
            run_dir,
            out,
            resume,
            backend,
        } => {
            let config = TrainingConfig::load(&config)
                .with_context(|| format!("{}: invalid training config", config.display()))?;
            let compute = select_device(backend)?;
            eprintln!("training on {}", compute.description);
            train(
                &config,
                &RunPaths {
                    run_dir,
                    model: out,
                },
                &compute,
                resume,
            )
        }
        Command::Bench => {
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

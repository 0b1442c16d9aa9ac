//! `timbrescope`: the standalone program. `analyze` turns audio files into instrument
//! activity, pitch activity, notes, MIDI and a PNG report, headless.

mod analyze;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use timbrescope_engine::compute::BackendChoice;

/// See which instruments play and which notes each one plays.
#[derive(Parser)]
#[command(name = "timbrescope", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyse audio files (WAV, FLAC, MP3, OGG/Vorbis).
    Analyze(AnalyzeArgs),
}

/// Arguments of `timbrescope analyze`.
#[derive(clap::Args)]
pub struct AnalyzeArgs {
    /// Audio files to analyse; a failing file is reported and the others still run.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Write the prediction JSON here (a directory when several inputs are given).
    #[arg(long, value_name = "OUT")]
    json: Option<PathBuf>,
    /// Write the detected notes as a MIDI file, one track per instrument.
    #[arg(long, value_name = "OUT")]
    midi: Option<PathBuf>,
    /// Write a PNG report: activity lanes and a pianoroll coloured by instrument.
    #[arg(long, value_name = "OUT")]
    png: Option<PathBuf>,
    /// Where inference runs: a hardware GPU if present (auto), or forced cpu / gpu.
    #[arg(long, default_value = "auto", value_parser = clap::value_parser!(BackendChoice))]
    backend: BackendChoice,
    /// A model file (.bpk with its .json sidecar); the built-in model is used otherwise.
    #[arg(long, value_name = "MODEL")]
    model: Option<PathBuf>,
    /// Hop between 1 s analysis windows, in milliseconds (10–1000).
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(10..=1000))]
    hop_ms: u32,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Analyze(args) => analyze::run(&args),
    }
}
